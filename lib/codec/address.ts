// IP and MAC addresses as the kernel carries them (raw bytes, network order)
// and as users write them (strings). Parsing is strict: a bad address is a
// ValidationError naming the field, before anything reaches the kernel.
import { isIP } from 'node:net';
import { ValidationError, showValue } from '../protocol/errors.js';

export type IpFamily = 4 | 6;

/**
 * A dotted quad as node's isIPv4 accepts it (four parts of 0..255, no leading
 * zeros, nothing else) as its 32 bits in a signed integer (255.255.255.255 is
 * -1), or NaN. Read by char codes: a batch of 50k FDB entries parses 50k of
 * these, and split/Number/Buffer showed up in its profile. Signed because a
 * number leaving a call that is over 2^31 is a heap number (16 bytes) on a
 * Node build without pointer compression, and an int32 is not: checking 40k
 * destinations in 198.18.0.0/15 made 0.9 MB of them.
 */
export function ipv4Bits(text: string): number {
  const n = text.length;
  if (n < 7 || n > 15) return NaN;
  let value = 0;
  let part = 0;
  let digits = 0;
  let dots = 0;
  for (let i = 0; i < n; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x2e /* . */) {
      if (digits === 0 || dots === 3) return NaN;
      value = (value << 8) | part;
      part = 0;
      digits = 0;
      dots++;
    } else if (c >= 0x30 && c <= 0x39) {
      if (digits > 0 && part === 0) return NaN; // a leading zero
      part = part * 10 + (c - 0x30);
      if (part > 255) return NaN;
      digits++;
    } else {
      return NaN;
    }
  }
  if (dots !== 3 || digits === 0) return NaN;
  return (value << 8) | part;
}

/** The address as a u32 in host order, or -1 (for callers off the hot paths; see ipv4Bits). */
export function parseIpv4(text: string): number {
  const bits = ipv4Bits(text);
  return bits === bits ? bits >>> 0 : -1;
}

/** The dotted quad of ipv4Bits() output. */
export function ipv4FromBits(bits: number): string {
  return `${bits >>> 24}.${(bits >>> 16) & 255}.${(bits >>> 8) & 255}.${bits & 255}`;
}

/** Whether `text` is a dotted quad that ipv4Bits() takes. */
export function isIpv4(text: string): boolean {
  const bits = ipv4Bits(text);
  return bits === bits;
}

function notAnIp(ip: unknown, field: string): ValidationError {
  return new ValidationError(field, `not an IP address: ${showValue(ip)}`);
}

/** The address family of an IP string, or a ValidationError naming the field. */
export function ipFamily(ip: string, field: string): IpFamily {
  if (typeof ip !== 'string') throw notAnIp(ip, field);
  if (isIpv4(ip)) return 4;
  const v = isIP(ip);
  if (v === 0) throw notAnIp(ip, field);
  return v as IpFamily;
}

export function ipToBytes(ip: string, field: string): Buffer {
  const v4 = typeof ip === 'string' ? ipv4Bits(ip) : NaN;
  if (v4 === v4) return ipv4ToBytes(v4);
  ipFamily(ip, field);
  return ipv6ToBytes(ip);
}

function ipv4ToBytes(bits: number): Buffer {
  const out = Buffer.allocUnsafe(4);
  out.writeInt32BE(bits, 0);
  return out;
}

function ipv6ToBytes(ip: string): Buffer {
  const out = Buffer.alloc(16);
  let text = ip;
  const zone = text.indexOf('%');
  if (zone >= 0) text = text.slice(0, zone);
  // An embedded IPv4 tail (::ffff:192.0.2.1) becomes two groups.
  const lastColon = text.lastIndexOf(':');
  if (text.indexOf('.', lastColon) >= 0) {
    const v4 = parseIpv4(text.slice(lastColon + 1));
    text = `${text.slice(0, lastColon + 1)}${(v4 >>> 16).toString(16)}:${(v4 & 0xffff).toString(16)}`;
  }
  const [head, tail] = text.split('::') as [string, string | undefined];
  const headGroups = head === '' ? [] : head.split(':');
  const tailGroups = tail === undefined || tail === '' ? [] : tail.split(':');
  const groups =
    tail === undefined
      ? headGroups
      : [...headGroups, ...new Array<string>(8 - headGroups.length - tailGroups.length).fill('0'), ...tailGroups];
  for (let i = 0; i < 8; i++) out.writeUInt16BE(parseInt(groups[i]!, 16), i * 2);
  return out;
}

// IPv4 text is written here as bytes and read out as one latin1 string: a
// flat string of 32 bytes. Joined from its four numbers, text of 13 or more
// characters is a tree of joined strings (55-64 bytes each, host), kept for as
// long as the decoded object lives, and slower to make.
const ipv4Text = Buffer.alloc(15);

function putDecimal(value: number, at: number): number {
  if (value >= 100) ipv4Text[at++] = 48 + ((value / 100) | 0);
  if (value >= 10) ipv4Text[at++] = 48 + (((value / 10) | 0) % 10);
  ipv4Text[at++] = 48 + (value % 10);
  return at;
}

/** Formats 4 or 16 bytes as inet_ntop does (RFC 5952 for IPv6). */
export function bytesToIp(bytes: Uint8Array, offset = 0, length = bytes.length - offset): string {
  if (length === 4) {
    let at = putDecimal(bytes[offset]!, 0);
    ipv4Text[at++] = 46; // '.'
    at = putDecimal(bytes[offset + 1]!, at);
    ipv4Text[at++] = 46;
    at = putDecimal(bytes[offset + 2]!, at);
    ipv4Text[at++] = 46;
    at = putDecimal(bytes[offset + 3]!, at);
    return ipv4Text.toString('latin1', 0, at);
  }
  if (length !== 16) return Buffer.from(bytes.subarray(offset, offset + length)).toString('hex');
  const groups: number[] = [];
  for (let i = 0; i < 8; i++) groups.push((bytes[offset + 2 * i]! << 8) | bytes[offset + 2 * i + 1]!);
  // IPv4-mapped addresses print their tail dotted, as inet_ntop does.
  if (groups.slice(0, 5).every((g) => g === 0) && groups[5] === 0xffff) {
    return `::ffff:${bytes[offset + 12]}.${bytes[offset + 13]}.${bytes[offset + 14]}.${bytes[offset + 15]}`;
  }
  // The longest run of two or more zero groups collapses to "::".
  let bestStart = -1;
  let bestLen = 0;
  for (let i = 0; i < 8; ) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLen && j - i >= 2) {
      bestStart = i;
      bestLen = j - i;
    }
    i = j;
  }
  const hex = groups.map((g) => g.toString(16));
  if (bestStart < 0) return hex.join(':');
  return `${hex.slice(0, bestStart).join(':')}::${hex.slice(bestStart + bestLen).join(':')}`;
}

/** The value of one hex digit's char code, or -1. */
function hexDigit(c: number): number {
  if (c >= 0x30 && c <= 0x39) return c - 0x30;
  const lower = c | 0x20;
  return lower >= 0x61 && lower <= 0x66 ? lower - 0x61 + 10 : -1;
}

/**
 * 'xx:xx:xx:xx:xx:xx' (hex, either case) as a 48-bit number, or -1. Read by
 * char codes, without a regex or a Buffer, for the same reason as parseIpv4.
 */
export function parseMac(text: string): number {
  if (text.length !== 17) return -1;
  let hi = 0; // the first two bytes
  let lo = 0; // the last four, kept apart so every step stays a small integer
  for (let i = 0; i < 17; i += 3) {
    if (i > 0 && text.charCodeAt(i - 1) !== 0x3a /* : */) return -1;
    const a = hexDigit(text.charCodeAt(i));
    const b = hexDigit(text.charCodeAt(i + 1));
    if (a < 0 || b < 0) return -1;
    if (i < 6) hi = (hi << 8) | (a << 4) | b;
    else lo = lo * 256 + ((a << 4) | b);
  }
  return hi * 0x100000000 + lo;
}

/** A MAC address as a 48-bit number, or a ValidationError naming the field. */
export function macValue(mac: string, field: string): number {
  const v = typeof mac === 'string' ? parseMac(mac) : -1;
  if (v < 0) throw new ValidationError(field, `not a MAC address (xx:xx:xx:xx:xx:xx): ${showValue(mac)}`);
  return v;
}

export function macToBytes(mac: string, field: string): Buffer {
  const out = Buffer.allocUnsafe(6);
  out.writeUIntBE(macValue(mac, field), 0, 6);
  return out;
}

/** Link-layer addresses print as colon-separated hex, whatever their length. */
export function bytesToMac(bytes: Uint8Array): string {
  return macAt(bytes, 0, bytes.length);
}

/** Char codes of '0'..'9', 'a'..'f'. */
const HEX_CODES = Array.from('0123456789abcdef', (c) => c.charCodeAt(0));
/** Each byte as two hex digits, for addresses of other lengths. */
const HEX_PAIRS = Array.from({ length: 256 }, (_, b) => b.toString(16).padStart(2, '0'));

/**
 * The `length` bytes at `at` as a link-layer address, read in place (no view
 * per address). A 6-byte MAC is one flat string made at once: built a piece
 * at a time it was ~0.9 µs each, 9% of a 3000-link dump's decode.
 */
export function macAt(b: Uint8Array, at: number, length: number): string {
  if (length === 6) {
    const b0 = b[at]!, b1 = b[at + 1]!, b2 = b[at + 2]!, b3 = b[at + 3]!, b4 = b[at + 4]!, b5 = b[at + 5]!;
    const h = HEX_CODES;
    return String.fromCharCode(
      h[b0 >> 4]!, h[b0 & 15]!, 58, h[b1 >> 4]!, h[b1 & 15]!, 58, h[b2 >> 4]!, h[b2 & 15]!, 58,
      h[b3 >> 4]!, h[b3 & 15]!, 58, h[b4 >> 4]!, h[b4 & 15]!, 58, h[b5 >> 4]!, h[b5 & 15]!,
    );
  }
  let out = '';
  for (let i = 0; i < length; i++) out += i === 0 ? HEX_PAIRS[b[at]!]! : `:${HEX_PAIRS[b[at + i]!]!}`;
  return out;
}
