// Parses a run of netlink attributes once into a table indexed by type, then
// reads typed values straight from the kernel's bytes. Attributes the caller
// does not know stay available raw, so a newer kernel never breaks decoding.
import { DecodeError } from '../protocol/errors.js';

const NLA_HDRLEN = 4;
const NLA_TYPE_MASK = 0x3fff; // strips NLA_F_NESTED and NLA_F_NET_BYTEORDER

export interface RawAttribute {
  type: number;
  data: Buffer;
}

export class AttrTable {
  /** Offsets of each attribute's payload, and its length; -1 when absent. */
  private readonly start: number[] = [];
  private readonly size: number[] = [];
  /** Every type seen, in order, for raw access and unknown-attribute passthrough. */
  readonly types: number[] = [];

  constructor(
    readonly buf: Buffer,
    private readonly from: number,
    to: number,
  ) {
    let pos = from;
    while (pos + NLA_HDRLEN <= to) {
      const len = buf.readUInt16LE(pos);
      if (len < NLA_HDRLEN || pos + len > to) {
        throw new DecodeError(`attribute at byte ${pos} has length ${len}, beyond its container (${to - pos} bytes left)`);
      }
      const type = buf.readUInt16LE(pos + 2) & NLA_TYPE_MASK;
      // A repeated type keeps the first, as the kernel's nla_parse does not; callers
      // that expect repeats (multipath, lists) use each().
      if (this.start[type] === undefined) {
        this.start[type] = pos + NLA_HDRLEN;
        this.size[type] = len - NLA_HDRLEN;
      }
      this.types.push(type);
      pos += (len + 3) & ~3;
    }
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
  /** A nested attribute's own table. */
  nested(type: number): AttrTable | undefined {
    const at = this.start[type];
    if (at === undefined) return undefined;
    return new AttrTable(this.buf, at, at + this.size[type]!);
  }

  /** Every attribute in order, repeats included (multipath hops, lists). */
  *each(): IterableIterator<RawAttribute> {
    let pos = this.from;
    for (const type of this.types) {
      const len = this.buf.readUInt16LE(pos);
      yield { type, data: this.buf.subarray(pos + NLA_HDRLEN, pos + len) };
      pos += (len + 3) & ~3;
    }
  }

  /** Attributes whose type is not in `known`, copied so they outlive the datagram. */
  unknown(known: ReadonlySet<number>): RawAttribute[] | undefined {
    let out: RawAttribute[] | undefined;
    for (const type of this.types) {
      if (known.has(type)) continue;
      const data = this.bytes(type)!;
      (out ??= []).push({ type, data: Buffer.from(data) });
    }
    return out;
  }
}
