// Parses a run of netlink attributes once into a table indexed by type, then
// reads typed values straight from the kernel's bytes. Attributes the caller
// does not know stay available raw, so a newer kernel never breaks decoding.
import { DecodeError } from '../protocol/errors.js';
import { NLA_TYPE_MASK } from '../uapi/netlink.js';
import { bytesToIp, macAt } from './address.js';
import { s32le, u16be, u16le, u32be, u32le } from './bytes.js';

const NLA_HDRLEN = 4;

export interface RawAttribute {
  type: number;
  data: Buffer;
}

/**
 * An unsigned counter of `size` bytes at `at` (8 or 4; shorter reads as 0).
 * Built from two u32 words: zero costs no bigint and a value below 2^32 one,
 * where readBigUInt64LE makes four.
 */
export function counterAt(buf: Buffer, at: number, size: number): bigint {
  if (size < 4) return 0n;
  const lo = u32le(buf, at);
  const hi = size >= 8 ? u32le(buf, at + 4) : 0;
  if (hi === 0) return lo === 0 ? 0n : BigInt(lo);
  return (BigInt(hi) << 32n) | BigInt(lo);
}

// Walking attributes without a table: a decoder that reads every attribute
// of a run once (a snapshot's 50k services and destinations) switches on each
// type as it goes, with no table object per message. The helpers below take
// the offset of an attribute's header ("pos"), as the walk has it.

/**
 * Checks the header of the attribute at `pos`, in a run of attributes that
 * ends at `to`, and returns where the next attribute starts. Every walk goes
 * through here, so a bad length is the same DecodeError everywhere.
 */
export function nextAttr(buf: Buffer, pos: number, to: number): number {
  const len = u16le(buf, pos);
  if (len < NLA_HDRLEN || pos + len > to) {
    throw new DecodeError(`attribute at byte ${pos} has length ${len}, beyond its container (${to - pos} bytes left)`);
  }
  return pos + ((len + 3) & ~3);
}

/** The type of the attribute at `pos` (flags masked off). */
export function attrTypeAt(buf: Buffer, pos: number): number {
  return u16le(buf, pos + 2) & NLA_TYPE_MASK;
}

/** The payload length of the attribute at `pos`. */
export function payloadLength(buf: Buffer, pos: number): number {
  return u16le(buf, pos) - NLA_HDRLEN;
}

/** The offset of the first attribute of `type` in bytes [from, to), or -1; every header is checked. */
export function findAttr(buf: Buffer, from: number, to: number, type: number): number {
  let found = -1;
  for (let pos = from, next = 0; pos + NLA_HDRLEN <= to; pos = next) {
    next = nextAttr(buf, pos, to);
    if (found < 0 && attrTypeAt(buf, pos) === type) found = pos;
  }
  return found;
}

/** The payload offset of the attribute at `pos`, once it is known to hold at least `bytes` (else a DecodeError). */
function payloadOf(buf: Buffer, pos: number, bytes: number): number {
  const size = payloadLength(buf, pos);
  if (size < bytes) throw new DecodeError(`attribute ${attrTypeAt(buf, pos)} has ${size} bytes, expected at least ${bytes}`);
  return pos + NLA_HDRLEN;
}

export function u8At(buf: Buffer, pos: number): number {
  return buf[payloadOf(buf, pos, 1)]!;
}
export function u16At(buf: Buffer, pos: number): number {
  return u16le(buf, payloadOf(buf, pos, 2));
}
export function be16At(buf: Buffer, pos: number): number {
  return u16be(buf, payloadOf(buf, pos, 2));
}
export function u32At(buf: Buffer, pos: number): number {
  return u32le(buf, payloadOf(buf, pos, 4));
}
/** An IPv4 or IPv6 address as text (see AttrTable.ip). */
export function ipAt(buf: Buffer, pos: number, family: 4 | 6): string {
  const bytes = family === 4 ? 4 : 16;
  return bytesToIp(buf, payloadOf(buf, pos, bytes), bytes);
}
/** A NUL-terminated (or unterminated) string (see AttrTable.str). */
export function strAt(buf: Buffer, pos: number): string {
  return stringIn(buf, pos + NLA_HDRLEN, pos + NLA_HDRLEN + payloadLength(buf, pos));
}
/** The attribute at `pos`, copied so it outlives the datagram (for `unknown` lists). */
export function rawAttributeAt(buf: Buffer, pos: number): RawAttribute {
  const at = pos + NLA_HDRLEN;
  return { type: attrTypeAt(buf, pos), data: Buffer.from(buf.subarray(at, at + payloadLength(buf, pos))) };
}

/** The bytes [at, end) as text, up to the first NUL. */
function stringIn(buf: Buffer, at: number, end: number): string {
  const nul = buf.indexOf(0, at);
  if (nul >= 0 && nul < end) end = nul;
  return buf.toString('utf8', at, end);
}

/**
 * The bookkeeping of a walk that reads the first attribute of each type it
 * knows (`known`: types below 32, as bits) and keeps every other type raw,
 * repeats included, as AttrTable does. A decoder keeps one and calls start()
 * before each walk; it takes `unknown` before the next.
 */
export class FirstOfEach {
  private seen = 0;
  unknown: RawAttribute[] | undefined;

  constructor(private readonly known: number) {}

  start(): void {
    this.seen = 0;
    this.unknown = undefined;
  }

  /** True when the attribute at `pos`, of `type`, is one to read: the first of a known type. */
  take(buf: Buffer, pos: number, type: number): boolean {
    const bit = type < 32 ? 1 << type : 0;
    if ((this.known & bit) === 0) {
      (this.unknown ??= []).push(rawAttributeAt(buf, pos));
      return false;
    }
    if (this.seen & bit) return false;
    this.seen |= bit;
    return true;
  }
}

/** The types in `types` (all below 32) as bits, for a walk's known-type test. */
export function typeBits(types: readonly number[]): number {
  let bits = 0;
  for (const type of types) {
    if (type < 0 || type >= 32) throw new RangeError(`typeBits: type ${type} is not below 32`);
    bits |= 1 << type;
  }
  return bits;
}

/** The types below 32 in `known`, as bits; worked out once per set. */
const lowMasks = new WeakMap<ReadonlySet<number>, number>();
function lowMaskOf(known: ReadonlySet<number>): number {
  let mask = lowMasks.get(known);
  if (mask === undefined) {
    mask = 0;
    for (const type of known) if (type >= 0 && type < 32) mask |= 1 << type;
    lowMasks.set(known, mask);
  }
  return mask;
}

export class AttrTable {
  /** Offsets of each attribute's payload, and its length; -1 when absent. */
  private readonly start: number[] = [];
  private readonly size: number[] = [];
  /** Bit t set when an attribute of type t < 32 is here; `highTypes` when any type is 32 or more (see unknown). */
  private lowTypes = 0;
  private highTypes = false;

  // Only the first occurrence of each type is indexed; each() and unknown()
  // walk the bytes again (rarely needed, and it keeps a decode to 2 arrays).
  constructor(
    readonly buf: Buffer,
    /** The run of attributes: bytes [from, to) of `buf`. */
    readonly from: number,
    readonly to: number,
  ) {
    for (let pos = from, next = 0; pos + NLA_HDRLEN <= to; pos = next) {
      next = nextAttr(buf, pos, to);
      const type = attrTypeAt(buf, pos);
      if (type < 32) this.lowTypes |= 1 << type;
      else this.highTypes = true;
      // A repeated type keeps the first, as the kernel's nla_parse does not; callers
      // that expect repeats (multipath, lists) use each().
      if (this.start[type] === undefined) {
        this.start[type] = pos + NLA_HDRLEN;
        this.size[type] = payloadLength(buf, pos);
      }
    }
  }

  /** Every type, in order, repeats included. */
  get types(): number[] {
    const out: number[] = [];
    for (const a of this.each()) out.push(a.type);
    return out;
  }

  has(type: number): boolean {
    return this.start[type] !== undefined;
  }

  private need(type: number, bytes: number): number | undefined {
    const at = this.start[type];
    if (at === undefined) return undefined;
    if (this.size[type]! < bytes) {
      throw new DecodeError(`attribute ${type} has ${this.size[type]} bytes, expected at least ${bytes}`);
    }
    return at;
  }

  u8(type: number): number | undefined {
    const at = this.need(type, 1);
    return at === undefined ? undefined : this.buf[at]!;
  }
  u16(type: number): number | undefined {
    const at = this.need(type, 2);
    return at === undefined ? undefined : u16le(this.buf, at);
  }
  be16(type: number): number | undefined {
    const at = this.need(type, 2);
    return at === undefined ? undefined : u16be(this.buf, at);
  }
  u32(type: number): number | undefined {
    const at = this.need(type, 4);
    return at === undefined ? undefined : u32le(this.buf, at);
  }
  s32(type: number): number | undefined {
    const at = this.need(type, 4);
    return at === undefined ? undefined : s32le(this.buf, at);
  }
  be32(type: number): number | undefined {
    const at = this.need(type, 4);
    return at === undefined ? undefined : u32be(this.buf, at);
  }
  u64(type: number): bigint | undefined {
    const at = this.need(type, 8);
    return at === undefined ? undefined : this.buf.readBigUInt64LE(at);
  }
  /** An unsigned counter of whatever width the kernel sent (see counterAt). */
  counter(type: number): bigint | undefined {
    const at = this.start[type];
    return at === undefined ? undefined : counterAt(this.buf, at, this.size[type]!);
  }
  /** An IPv4 (4 bytes) or IPv6 (16 bytes) address as text, read in place. */
  ip(type: number, family: 4 | 6): string | undefined {
    const at = this.need(type, family === 4 ? 4 : 16);
    return at === undefined ? undefined : bytesToIp(this.buf, at, family === 4 ? 4 : 16);
  }
  /** A link-layer address as colon-separated hex (read in place: no view per address). */
  mac(type: number): string | undefined {
    const at = this.start[type];
    return at === undefined ? undefined : macAt(this.buf, at, this.size[type]!);
  }
  /** A flag attribute: present or not. */
  flag(type: number): boolean {
    return this.start[type] !== undefined;
  }
  /** A NUL-terminated (or unterminated) string. */
  str(type: number): string | undefined {
    const at = this.start[type];
    return at === undefined ? undefined : stringIn(this.buf, at, at + this.size[type]!);
  }
  /** The payload as a view into the kernel's bytes (no copy). */
  bytes(type: number): Buffer | undefined {
    const at = this.start[type];
    if (at === undefined) return undefined;
    return this.buf.subarray(at, at + this.size[type]!);
  }
  /** Where an attribute's payload starts in `buf`, or -1 when absent (for walking a nest without a table). */
  offsetOf(type: number): number {
    return this.start[type] ?? -1;
  }
  /** An attribute's payload length (0 when absent). */
  lengthOf(type: number): number {
    return this.size[type] ?? 0;
  }

  /** A nested attribute's own table. */
  nested(type: number): AttrTable | undefined {
    const at = this.start[type];
    if (at === undefined) return undefined;
    return new AttrTable(this.buf, at, at + this.size[type]!);
  }

  /** Every attribute in order, repeats included (multipath hops, lists). */
  *each(): IterableIterator<RawAttribute> {
    // The constructor checked every length, so the walk cannot go wrong.
    for (let pos = this.from; pos + NLA_HDRLEN <= this.to; ) {
      const len = u16le(this.buf, pos);
      yield { type: attrTypeAt(this.buf, pos), data: this.buf.subarray(pos + NLA_HDRLEN, pos + len) };
      pos += (len + 3) & ~3;
    }
  }

  /** Attributes whose type is not in `known`, repeats included, copied so they outlive the datagram. */
  unknown(known: ReadonlySet<number>): RawAttribute[] | undefined {
    // Usually every type is known: say so from the types seen while indexing,
    // without walking the bytes again and asking the set per attribute (that
    // walk was 13% of decoding a snapshot's 50k services and destinations).
    if (!this.highTypes && (this.lowTypes & ~lowMaskOf(known)) === 0) return undefined;
    let out: RawAttribute[] | undefined;
    for (let pos = this.from; pos + NLA_HDRLEN <= this.to; ) {
      const len = u16le(this.buf, pos);
      const type = attrTypeAt(this.buf, pos);
      if (!known.has(type)) (out ??= []).push(rawAttributeAt(this.buf, pos));
      pos += (len + 3) & ~3;
    }
    return out;
  }
}
