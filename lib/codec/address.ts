// IP and MAC addresses as the kernel carries them (raw bytes, network order)
// and as users write them (strings). Parsing is strict: a bad address is a
// ValidationError naming the field, before anything reaches the kernel.
import { isIP } from 'node:net';
import { ValidationError, showValue } from '../protocol/errors.js';

export type IpFamily = 4 | 6;

/** The address family of an IP string, or a ValidationError naming the field. */
export function ipFamily(ip: string, field: string): IpFamily {
  const v = typeof ip === 'string' ? isIP(ip) : 0;
  if (v === 0) throw new ValidationError(field, `not an IP address: ${showValue(ip)}`);
  return v as IpFamily;
}

export function ipToBytes(ip: string, field: string): Buffer {
  const family = ipFamily(ip, field);
  return family === 4 ? ipv4ToBytes(ip) : ipv6ToBytes(ip);
}

function ipv4ToBytes(ip: string): Buffer {
  const out = Buffer.allocUnsafe(4);
  const parts = ip.split('.');
  for (let i = 0; i < 4; i++) out[i] = Number(parts[i]);
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
    const v4 = ipv4ToBytes(text.slice(lastColon + 1));
    text = `${text.slice(0, lastColon + 1)}${((v4[0]! << 8) | v4[1]!).toString(16)}:${((v4[2]! << 8) | v4[3]!).toString(16)}`;
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

/** Formats 4 or 16 bytes as inet_ntop does (RFC 5952 for IPv6). */
export function bytesToIp(bytes: Uint8Array, offset = 0, length = bytes.length - offset): string {
  if (length === 4) {
    return `${bytes[offset]}.${bytes[offset + 1]}.${bytes[offset + 2]}.${bytes[offset + 3]}`;
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

const MAC_RE = /^[0-9a-f]{2}(:[0-9a-f]{2}){5}$/i;

export function macToBytes(mac: string, field: string): Buffer {
  if (typeof mac !== 'string' || !MAC_RE.test(mac)) {
    throw new ValidationError(field, `not a MAC address (xx:xx:xx:xx:xx:xx): ${showValue(mac)}`);
  }
  return Buffer.from(mac.replace(/:/g, ''), 'hex');
}

/** Link-layer addresses print as colon-separated hex, whatever their length. */
export function bytesToMac(bytes: Uint8Array): string {
  let out = '';
  for (let i = 0; i < bytes.length; i++) {
    if (i > 0) out += ':';
    out += (bytes[i]! < 16 ? '0' : '') + bytes[i]!.toString(16);
  }
  return out;
}
