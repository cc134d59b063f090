// Builds netlink messages and their attributes into one growable buffer, so a
// batch of thousands of requests is a single allocation and a single sendmsg.
// Every attribute may carry the caller's field name: when the kernel points at
// an attribute by offset in its extended ack, the error can name the field
// (the records a writer leaves are in messages.ts).

import { ipv4Bits, ipToBytes, macValue } from './address.js';
import { LabelledMessage, type FieldTable, type MessageLabel, type MessageSource, type WrittenMessage } from './messages.js';

export { fieldAt, fieldsOf } from './messages.js';
export type { FieldTable, MessageLabel, MessageSource, WrittenMessage } from './messages.js';

const NLMSG_HDRLEN = 16;
const NLA_HDRLEN = 4;
const NLA_F_NESTED = 1 << 15;

const align4 = (n: number): number => (n + 3) & ~3;

export class MessageWriter implements MessageSource {
  private buf: Buffer;
  private pos = 0;
  private messageStart = -1;
  private readonly fields: FieldTable = { offsets: [], names: [] };
  private fieldFrom = 0;
  /** Entries of `fields` in use: reset() keeps the arrays, so a long batch does not regrow them per chunk. */
  private fieldCount = 0;
  /** The finished messages' records, in order. */
  private written: WrittenMessage[] = [];
  /** data()'s view, and the buffer it views (reserve() may replace the buffer). */
  private dataView: DataView = new DataView(new ArrayBuffer(0));
  private dataFor: Buffer | undefined = undefined;

  /** Records each attribute's field name; see the constructor. */
  private readonly fieldNames: boolean;

  /**
   * @param initialSize bytes to start with (the buffer doubles as needed)
   * @param options.fieldNames record each attribute's field name (default
   *   true). A writer whose messages can name their fields again when asked
   *   (by being written once more) skips them: ~10 array stores per message.
   */
  constructor(initialSize = 4096, options: { fieldNames?: boolean } = {}) {
    this.buf = Buffer.allocUnsafe(initialSize);
    this.fieldNames = options.fieldNames ?? true;
  }

  get length(): number {
    return this.pos;
  }

  // MessageSource: the messages ended with a record (end, endLabelled).
  get count(): number {
    return this.written.length;
  }
  startOf(i: number): number {
    return this.written[i]!.start;
  }
  lengthOf(i: number): number {
    return this.written[i]!.length;
  }
  message(i: number): WrittenMessage {
    const m = this.written[i];
    if (m === undefined) throw new RangeError(`MessageWriter: no message ${i}`);
    return m;
  }

  /** The messages ended so far, in order. */
  get messages(): WrittenMessage[] {
    return this.written;
  }
  /** The messages from index `from` on. */
  messagesFrom(from: number): WrittenMessage[] {
    return this.written.slice(from);
  }

  /**
   * Starts over on the same buffer and field arrays, for the next chunk of a
   * long batch: fresh pages cost a page fault each (dearly under UML), and
   * arrays regrown per chunk land in fresh pages (a 2048-message chunk names
   * ~25k attributes). Messages already handed out lose their bytes and field
   * names, so call this only once the previous messages were sent and answered.
   */
  reset(): void {
    if (this.messageStart >= 0) throw new Error('MessageWriter: message not ended');
    this.pos = 0;
    this.fieldFrom = 0;
    this.fieldCount = 0;
    this.written = [];
  }

  private reserve(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < this.pos + n) size *= 2;
    const grown = Buffer.allocUnsafe(size);
    this.buf.copy(grown, 0, 0, this.pos);
    this.buf = grown;
  }

  /** Starts a message; seq and port id are filled in by the connection when it sends. */
  begin(type: number, flags: number): this {
    if (this.messageStart >= 0) throw new Error('MessageWriter: previous message not ended');
    this.reserve(NLMSG_HDRLEN);
    this.messageStart = this.pos;
    this.fieldFrom = this.fieldCount;
    this.zero(this.pos, this.pos + NLMSG_HDRLEN);
    this.buf.writeUInt16LE(type, this.pos + 4);
    this.buf.writeUInt16LE(flags, this.pos + 6);
    this.pos += NLMSG_HDRLEN;
    return this;
  }

  /** Ends the current message, fixing its length; `fieldPrefix` qualifies its field names (see WrittenMessage). */
  end(what: string, fieldPrefix?: string): WrittenMessage {
    this.record({ what, fieldPrefix });
    return this.written[this.written.length - 1]!;
  }

  /**
   * Ends the current message like end(), but its text and field prefix are
   * read from `label` only when something asks for them (an error): a batch
   * of 50k messages then builds no strings up front. The label must always
   * say the same thing.
   */
  endLabelled(label: MessageLabel): void {
    this.record(label);
  }

  /**
   * Appends a whole message of `n` bytes that the caller lays out itself
   * through data(), and keeps no record of it (as endUnrecorded): for a hot
   * path with a fixed layout, where the calls per field of begin() and the
   * attribute methods were most of the cost (50k plain fdb messages: 12.7 ms
   * against ~2 ms). Returns where the message starts.
   */
  claim(n: number): number {
    if (this.messageStart >= 0) throw new Error('MessageWriter: previous message not ended');
    this.reserve(n);
    const at = this.pos;
    this.pos += n;
    return at;
  }

  /** The buffer as a DataView, for claim()'s caller; valid until the next write that may grow the buffer. */
  data(): DataView {
    if (this.dataFor !== this.buf) {
      this.dataView = new DataView(this.buf.buffer, this.buf.byteOffset, this.buf.length);
      this.dataFor = this.buf;
    }
    return this.dataView;
  }

  /**
   * Ends the current message and keeps no record of it: for requests that are
   * answered by position (a bulk dump), which need neither a label nor field
   * names. Returns where the message starts.
   */
  endUnrecorded(): number {
    return this.closeMessage();
  }

  private record(label: MessageLabel): void {
    const start = this.closeMessage();
    this.written.push(new LabelledMessage(start, this.pos - start, this.fields, this.fieldFrom, this.fieldCount, label));
  }

  /** Writes the current message's length; returns where it starts. */
  private closeMessage(): number {
    const start = this.messageStart;
    if (start < 0) throw new Error('MessageWriter: no message begun');
    this.buf.writeUInt32LE(this.pos - start, start);
    this.messageStart = -1;
    return start;
  }

  // Raw bytes of a family header (ifinfomsg, genlmsghdr, ...), little-endian host order.
  u8(v: number): this {
    this.reserve(1);
    this.buf.writeUInt8(v, this.pos);
    this.pos += 1;
    return this;
  }
  u16(v: number): this {
    this.reserve(2);
    this.buf.writeUInt16LE(v, this.pos);
    this.pos += 2;
    return this;
  }
  u32(v: number): this {
    this.reserve(4);
    this.buf.writeUInt32LE(v >>> 0, this.pos);
    this.pos += 4;
    return this;
  }
  i32(v: number): this {
    this.reserve(4);
    this.buf.writeInt32LE(v, this.pos);
    this.pos += 4;
    return this;
  }
  zeros(n: number): this {
    this.reserve(n);
    this.zero(this.pos, this.pos + n);
    this.pos += n;
    return this;
  }
  bytes(data: Uint8Array): this {
    this.reserve(data.length);
    this.buf.set(data, this.pos);
    this.pos += data.length;
    return this;
  }

  private attrHeader(type: number, payload: number, field?: string): number {
    this.reserve(align4(NLA_HDRLEN + payload));
    const at = this.pos;
    if (field !== undefined && this.fieldNames) {
      this.fields.offsets[this.fieldCount] = at - this.messageStart;
      this.fields.names[this.fieldCount] = field;
      this.fieldCount++;
    }
    this.buf.writeUInt16LE(NLA_HDRLEN + payload, at);
    this.buf.writeUInt16LE(type, at + 2);
    this.pos += NLA_HDRLEN;
    return at;
  }

  private pad(): void {
    const aligned = align4(this.pos);
    if (aligned !== this.pos) {
      this.zero(this.pos, aligned);
      this.pos = aligned;
    }
  }

  /**
   * Zeroes [from, to). A few bytes (a header, padding) are stored one by one:
   * Buffer.fill is a call into C++ each time, which under UML took ~100 ms of
   * a 50k-op batch that calls it once per message.
   */
  private zero(from: number, to: number): void {
    if (to - from > 32) {
      this.buf.fill(0, from, to);
      return;
    }
    const b = this.buf;
    for (let i = from; i < to; i++) b[i] = 0;
  }

  attrFlag(type: number, field?: string): this {
    this.attrHeader(type, 0, field);
    return this;
  }
  attrU8(type: number, v: number, field?: string): this {
    this.attrHeader(type, 1, field);
    this.buf.writeUInt8(v, this.pos);
    this.pos += 1;
    this.pad();
    return this;
  }
  attrU16(type: number, v: number, field?: string): this {
    this.attrHeader(type, 2, field);
    this.buf.writeUInt16LE(v, this.pos);
    this.pos += 2;
    this.pad();
    return this;
  }
  /** A u16 in network byte order (ports). */
  attrBe16(type: number, v: number, field?: string): this {
    this.attrHeader(type, 2, field);
    this.buf.writeUInt16BE(v, this.pos);
    this.pos += 2;
    this.pad();
    return this;
  }
  attrU32(type: number, v: number, field?: string): this {
    this.attrHeader(type, 4, field);
    this.buf.writeUInt32LE(v >>> 0, this.pos);
    this.pos += 4;
    return this;
  }
  attrS32(type: number, v: number, field?: string): this {
    this.attrHeader(type, 4, field);
    this.buf.writeInt32LE(v, this.pos);
    this.pos += 4;
    return this;
  }
  /** A u32 in network byte order (IPv4 netmasks). */
  attrBe32(type: number, v: number, field?: string): this {
    this.attrHeader(type, 4, field);
    this.buf.writeUInt32BE(v >>> 0, this.pos);
    this.pos += 4;
    return this;
  }
  attrU64(type: number, v: bigint, field?: string): this {
    this.attrHeader(type, 8, field);
    this.buf.writeBigUInt64LE(v, this.pos);
    this.pos += 8;
    return this;
  }
  /** A NUL-terminated string. */
  attrString(type: number, s: string, field?: string): this {
    const n = Buffer.byteLength(s);
    this.attrHeader(type, n + 1, field);
    this.buf.write(s, this.pos, 'utf8');
    this.buf.writeUInt8(0, this.pos + n);
    this.pos += n + 1;
    this.pad();
    return this;
  }
  attrBytes(type: number, data: Uint8Array, field?: string): this {
    this.attrHeader(type, data.length, field);
    this.buf.set(data, this.pos);
    this.pos += data.length;
    this.pad();
    return this;
  }

  /**
   * An IP address from text, 4 or 16 bytes in network order, written straight
   * into the buffer (IPv4 without allocating); a bad address is the same
   * ValidationError naming `field` (or 'address') as ipToBytes gives, thrown before anything is written.
   */
  attrIp(type: number, ip: string, field?: string): this {
    const bits = typeof ip === 'string' ? ipv4Bits(ip) : NaN;
    if (bits !== bits) return this.attrBytes(type, ipToBytes(ip, field ?? 'address'), field);
    return this.attrIpv4(type, bits, field);
  }
  /** An IPv4 address already parsed to its bits (ipv4Bits: signed; a u32 is taken too). */
  attrIpv4(type: number, bits: number, field?: string): this {
    this.attrHeader(type, 4, field);
    this.buf.writeInt32BE(bits | 0, this.pos);
    this.pos += 4;
    return this;
  }
  /** A MAC address from 'xx:xx:xx:xx:xx:xx', 6 bytes, without allocating; errors as macToBytes. */
  attrMac(type: number, mac: string, field: string): this {
    return this.attrMacValue(type, macValue(mac, field), field);
  }
  /** A MAC address already parsed to its 48-bit value (macValue). */
  attrMacValue(type: number, v: number, field: string): this {
    return this.attrMacParts(type, Math.floor(v / 0x100000000), v | 0, field);
  }
  /** A MAC as its top 16 bits and its low 32 (any sign): what a caller can keep without a heap number. */
  attrMacParts(type: number, high: number, low: number, field: string): this {
    this.attrHeader(type, 6, field);
    this.buf.writeUInt16BE(high, this.pos);
    this.buf.writeUInt32BE(low >>> 0, this.pos + 2);
    this.pos += 6;
    this.pad();
    return this;
  }

  /** Opens a nested attribute; close it with endNest(). */
  nest(type: number, field?: string): number {
    return this.attrHeader(type | NLA_F_NESTED, 0, field);
  }
  /** Opens a nested attribute without NLA_F_NESTED (for families whose policy predates it). */
  nestPlain(type: number, field?: string): number {
    return this.attrHeader(type, 0, field);
  }
  endNest(at: number): this {
    this.buf.writeUInt16LE(this.pos - at, at);
    return this;
  }

  /** The bytes written so far (a view, valid until the next write). */
  view(): Buffer {
    if (this.messageStart >= 0) throw new Error('MessageWriter: message not ended');
    return this.buf.subarray(0, this.pos);
  }
}
