// Reading netlink replies in place, with integer reads only: typed-array views
// over the replies buffer (host byte order, as netlink is), attribute scans
// that record offsets in a reused Int32Array, and 64-bit counters copied as
// two u32 words. Nothing here allocates, so a poll can walk thousands of
// messages without making a JS object.
import { endianness } from 'node:os';
import { REPLY_HEADER } from '../transport/dump-channel.js';

const NLA_TYPE_MASK = 0x3fff;
/** Word order of a u64 in memory. */
export const LO = endianness() === 'LE' ? 0 : 1;
export const HI = 1 - LO;
const TWO_32 = 4294967296;

/** A replies buffer and its views; messages and attributes are 4-byte aligned in it. */
export class ReplyBuffer {
  readonly buffer: ArrayBuffer;
  readonly u8: Uint8Array;
  readonly u16: Uint16Array;
  readonly u32: Uint32Array;
  readonly i32: Int32Array;
  /** A Buffer over the same bytes, for the (allocating) decoders used when a slot is new. */
  readonly buf: Buffer;
  /**
   * [0]: microseconds since the previous sample of what is being parsed (0:
   * none). Kept in a typed array, written as a whole number: a double that
   * crosses a call, or that code not yet optimized touches, is an allocation.
   */
  readonly elapsedUs = new Float64Array(1);

  constructor(bytes: number) {
    this.buffer = new ArrayBuffer((bytes + 7) & ~7);
    this.u8 = new Uint8Array(this.buffer);
    this.u16 = new Uint16Array(this.buffer);
    this.u32 = new Uint32Array(this.buffer);
    this.i32 = new Int32Array(this.buffer);
    this.buf = Buffer.from(this.buffer);
  }

  get size(): number {
    return this.buffer.byteLength;
  }
  /** CLOCK_MONOTONIC when the exchange sent its first request (i = 0) and got its last reply (i = 2): seconds, then microseconds. */
  clock(i: number): number {
    return this.u32[i]!;
  }

  msgLen(p: number): number {
    return this.u32[p >> 2]!;
  }
  msgType(p: number): number {
    return this.u16[(p + 4) >> 1]!;
  }
  msgFlags(p: number): number {
    return this.u16[(p + 6) >> 1]!;
  }
  msgSeq(p: number): number {
    return this.u32[(p + 8) >> 2]!;
  }
  /** The errno of an NLMSG_ERROR / NLMSG_DONE at p (negative, or 0). */
  msgErrno(p: number): number {
    return this.msgLen(p) >= 20 ? this.i32[(p + 16) >> 2]! : 0;
  }
  attrLen(a: number): number {
    return this.u16[a >> 1]!;
  }
  attrType(a: number): number {
    return this.u16[(a + 2) >> 1]! & NLA_TYPE_MASK;
  }
  /** A big-endian u16 payload (ports). */
  be16(at: number): number {
    return (this.u8[at]! << 8) | this.u8[at + 1]!;
  }

  /**
   * Records where each attribute of [from, to) starts (its header) in
   * `table[type]`, -1 for absent types; types beyond the table are ignored.
   * Returns false when an attribute overruns its container.
   */
  scan(from: number, to: number, table: Int32Array): boolean {
    table.fill(-1);
    let a = from;
    while (a + 4 <= to) {
      const len = this.attrLen(a);
      if (len < 4 || a + len > to) return false;
      const type = this.attrType(a);
      if (type < table.length && table[type] === -1) table[type] = a;
      a += (len + 3) & ~3;
    }
    return true;
  }

  /** The u32 payload of the attribute at `attr`. */
  u32At(attr: number): number {
    return this.u32[(attr + 4) >> 2]!;
  }
  /** The u16 payload (host order) of the attribute at `attr`. */
  u16At(attr: number): number {
    return this.u16[(attr + 4) >> 1]!;
  }
}

/** First message offset in a replies buffer. */
export const FIRST_MESSAGE = REPLY_HEADER;

/**
 * Copies one counter (a u64, or a u32 when not `wide`, at byte `payload`)
 * into `counters32` as entry `index` (two words), and when `rateIndex` >= 0
 * stores its per-second change since the previous sample in `rates`, over
 * `r.elapsedUs[0]` microseconds (a drop counts as a reset; a `fresh` slot has
 * no previous sample and gets 0).
 */
export function sampleCounter(
  r: ReplyBuffer,
  payload: number,
  wide: boolean,
  counters32: Uint32Array,
  index: number,
  rates: Float64Array,
  rateIndex: number,
  fresh: boolean,
): void {
  const w = payload >> 2;
  const lo = wide ? r.u32[w + LO]! : r.u32[w]!;
  const hi = wide ? r.u32[w + HI]! : 0;
  const at = index * 2;
  if (rateIndex >= 0) {
    const elapsedUs = r.elapsedUs[0]!;
    if (fresh || elapsedUs <= 0) {
      rates[rateIndex] = 0;
    } else {
      const before = counters32[at + LO]! + counters32[at + HI]! * TWO_32;
      const now = lo + hi * TWO_32;
      rates[rateIndex] = ((now >= before ? now - before : now) * 1e6) / elapsedUs;
    }
  }
  counters32[at + LO] = lo;
  counters32[at + HI] = hi;
}

/** A requests buffer with the views used to number its messages in place. */
export class RequestBuffer {
  readonly u8: Uint8Array;
  readonly u32: Uint32Array;

  constructor(bytes: number) {
    this.u8 = new Uint8Array((bytes + 3) & ~3);
    this.u32 = new Uint32Array(this.u8.buffer);
  }

  get size(): number {
    return this.u8.length;
  }
  /** Sets the sequence number of the message at byte `at`. */
  setSeq(at: number, seq: number): void {
    this.u32[(at + 8) >> 2] = seq;
  }
}
