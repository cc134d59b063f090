// Parses a run of netlink attributes once into a table indexed by type, then
// reads typed values straight from the kernel's bytes. Attributes the caller
// does not know stay available raw, so a newer kernel never breaks decoding.
import { DecodeError } from '../protocol/errors.js';
import { NLA_TYPE_MASK } from '../uapi/netlink.js';
import { bytesToIp, macAt } from './address.js';

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
  const lo = buf.readUInt32LE(at);
  const hi = size >= 8 ? buf.readUInt32LE(at + 4) : 0;
  if (hi === 0) return lo === 0 ? 0n : BigInt(lo);
  return (BigInt(hi) << 32n) | BigInt(lo);
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
    private readonly from: number,
    private readonly to: number,
  ) {
    let pos = from;
    while (pos + NLA_HDRLEN <= to) {
      const len = buf.readUInt16LE(pos);
      if (len < NLA_HDRLEN || pos + len > to) {
        throw new DecodeError(`attribute at byte ${pos} has length ${len}, beyond its container (${to - pos} bytes left)`);
      }
      const type = buf.readUInt16LE(pos + 2) & NLA_TYPE_MASK;
      if (type < 32) this.lowTypes |= 1 << type;
      else this.highTypes = true;
      // A repeated type keeps the first, as the kernel's nla_parse does not; callers
      // that expect repeats (multipath, lists) use each().
      if (this.start[type] === undefined) {
        this.start[type] = pos + NLA_HDRLEN;
        this.size[type] = len - NLA_HDRLEN;
      }
      pos += (len + 3) & ~3;
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
    return at === undefined ? undefined : this.buf.readUInt16LE(at);
  }
  be16(type: number): number | undefined {
    const at = this.need(type, 2);
    return at === undefined ? undefined : this.buf.readUInt16BE(at);
  }
  u32(type: number): number | undefined {
    const at = this.need(type, 4);
    return at === undefined ? undefined : this.buf.readUInt32LE(at);
  }
  s32(type: number): number | undefined {
    const at = this.need(type, 4);
    return at === undefined ? undefined : this.buf.readInt32LE(at);
  }
  be32(type: number): number | undefined {
    const at = this.need(type, 4);
    return at === undefined ? undefined : this.buf.readUInt32BE(at);
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
    if (at === undefined) return undefined;
    let end = at + this.size[type]!;
    const nul = this.buf.indexOf(0, at);
    if (nul >= 0 && nul < end) end = nul;
    return this.buf.toString('utf8', at, end);
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
      const len = this.buf.readUInt16LE(pos);
      yield { type: this.buf.readUInt16LE(pos + 2) & NLA_TYPE_MASK, data: this.buf.subarray(pos + NLA_HDRLEN, pos + len) };
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
      const len = this.buf.readUInt16LE(pos);
      const type = this.buf.readUInt16LE(pos + 2) & NLA_TYPE_MASK;
      if (!known.has(type)) {
        (out ??= []).push({ type, data: Buffer.from(this.buf.subarray(pos + NLA_HDRLEN, pos + len)) });
      }
      pos += (len + 3) & ~3;
    }
    return out;
  }
}
