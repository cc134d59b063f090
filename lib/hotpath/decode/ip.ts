// IPv4 (RFC 791) and IPv6 (RFC 8200) headers. IPv6 extension headers are
// walked and skipped so the upper-layer protocol is found; a fragment that
// does not start at offset 0 carries no upper-layer header and ends the walk.
import { bytesToIp } from '../../codec/address.js';
import {
  IPPROTO_AH,
  IPPROTO_DSTOPTS,
  IPPROTO_FRAGMENT,
  IPPROTO_HOPOPTS,
  IPPROTO_ROUTING,
} from '../../uapi/packet.js';
import { TRUNCATED, type LayerResult } from './layer.js';

export interface Ipv4Header {
  version: 4;
  /** Bytes, options included. */
  headerLength: number;
  dscp: number;
  ecn: number;
  totalLength: number;
  id: number;
  dontFragment: boolean;
  moreFragments: boolean;
  /** Offset of this fragment's data in the original datagram, in bytes. */
  fragmentOffset: number;
  ttl: number;
  /** The upper-layer protocol (IPPROTO_*). */
  protocol: number;
  checksum: number;
  source: string;
  destination: string;
}

export interface Ipv6Header {
  version: 6;
  /** Bytes: the fixed 40 plus every extension header skipped. */
  headerLength: number;
  dscp: number;
  ecn: number;
  flowLabel: number;
  payloadLength: number;
  hopLimit: number;
  /** The upper-layer protocol after the extension headers (IPPROTO_*). */
  protocol: number;
  /** Protocol numbers of the extension headers skipped, in order. */
  extensionHeaders: number[];
  /** Set when a Fragment header was present. */
  fragment?: { offset: number; moreFragments: boolean; id: number };
  source: string;
  destination: string;
}

export type IpHeader = Ipv4Header | Ipv6Header;

const IPV4_MIN_HEADER = 20;
const IPV6_HEADER = 40;
// RFC 791 flags and fragment offset share one 16-bit field.
const IPV4_DF = 0x4000;
const IPV4_MF = 0x2000;
const IPV4_OFFSET_MASK = 0x1fff;
const FRAGMENT_UNIT = 8;
const IPV6_FRAGMENT_HEADER = 8;

/** Decodes IPv4 or IPv6 by the version nibble. */
export function decodeIp(buf: Buffer, offset: number, end: number): LayerResult<IpHeader> {
  if (end - offset < 1) return TRUNCATED;
  const version = buf[offset]! >> 4;
  if (version === 4) return decodeIpv4(buf, offset, end);
  if (version === 6) return decodeIpv6(buf, offset, end);
  return { malformed: `ip: version ${version}` };
}

export function decodeIpv4(buf: Buffer, offset: number, end: number): LayerResult<Ipv4Header> {
  if (end - offset < IPV4_MIN_HEADER) return TRUNCATED;
  const headerLength = (buf[offset]! & 0x0f) * 4;
  if (headerLength < IPV4_MIN_HEADER) return { malformed: `ipv4: header length ${headerLength} < ${IPV4_MIN_HEADER}` };
  const totalLength = buf.readUInt16BE(offset + 2);
  // TSO/GSO frames seen on the sending side may carry 0 here; trust the capture then.
  if (totalLength !== 0 && totalLength < headerLength) {
    return { malformed: `ipv4: total length ${totalLength} < header length ${headerLength}` };
  }
  const frag = buf.readUInt16BE(offset + 6);
  const header: Ipv4Header = {
    version: 4,
    headerLength,
    dscp: buf[offset + 1]! >> 2,
    ecn: buf[offset + 1]! & 0x03,
    totalLength,
    id: buf.readUInt16BE(offset + 4),
    dontFragment: (frag & IPV4_DF) !== 0,
    moreFragments: (frag & IPV4_MF) !== 0,
    fragmentOffset: (frag & IPV4_OFFSET_MASK) * FRAGMENT_UNIT,
    ttl: buf[offset + 8]!,
    protocol: buf[offset + 9]!,
    checksum: buf.readUInt16BE(offset + 10),
    source: bytesToIp(buf, offset + 12, 4),
    destination: bytesToIp(buf, offset + 16, 4),
  };
  const payloadEnd = totalLength === 0 ? end : Math.min(end, offset + totalLength);
  if (end - offset < headerLength) return { header, next: end, end: payloadEnd, truncated: true };
  return { header, next: offset + headerLength, end: payloadEnd };
}

function isExtensionHeader(proto: number): boolean {
  return (
    proto === IPPROTO_HOPOPTS ||
    proto === IPPROTO_ROUTING ||
    proto === IPPROTO_DSTOPTS ||
    proto === IPPROTO_FRAGMENT ||
    proto === IPPROTO_AH
  );
}

export function decodeIpv6(buf: Buffer, offset: number, end: number): LayerResult<Ipv6Header> {
  if (end - offset < IPV6_HEADER) return TRUNCATED;
  const first = buf.readUInt32BE(offset);
  const trafficClass = (first >>> 20) & 0xff;
  const payloadLength = buf.readUInt16BE(offset + 4);
  const header: Ipv6Header = {
    version: 6,
    headerLength: IPV6_HEADER,
    dscp: trafficClass >> 2,
    ecn: trafficClass & 0x03,
    flowLabel: first & 0xfffff,
    payloadLength,
    hopLimit: buf[offset + 7]!,
    protocol: buf[offset + 6]!,
    extensionHeaders: [],
    source: bytesToIp(buf, offset + 8, 16),
    destination: bytesToIp(buf, offset + 24, 16),
  };
  // A zero payload length means a jumbogram or a GSO frame; trust the capture then.
  const payloadEnd = payloadLength === 0 ? end : Math.min(end, offset + IPV6_HEADER + payloadLength);
  let pos = offset + IPV6_HEADER;
  while (isExtensionHeader(header.protocol)) {
    if (payloadEnd - pos < 2) return { header, next: payloadEnd, end: payloadEnd, truncated: true };
    const proto = header.protocol;
    const length =
      proto === IPPROTO_FRAGMENT
        ? IPV6_FRAGMENT_HEADER
        : proto === IPPROTO_AH
          ? (buf[pos + 1]! + 2) * 4 // RFC 4302: in 32-bit words, minus 2
          : (buf[pos + 1]! + 1) * 8; // RFC 8200: in 8-octet units, not counting the first 8
    if (payloadEnd - pos < length) return { header, next: payloadEnd, end: payloadEnd, truncated: true };
    if (proto === IPPROTO_FRAGMENT) {
      const word = buf.readUInt16BE(pos + 2);
      header.fragment = {
        offset: (word >> 3) * FRAGMENT_UNIT,
        moreFragments: (word & 1) !== 0,
        id: buf.readUInt32BE(pos + 4),
      };
    }
    header.extensionHeaders.push(proto);
    header.protocol = buf[pos]!;
    pos += length;
    header.headerLength += length;
  }
  return { header, next: pos, end: payloadEnd };
}

/** True when this packet holds the start of its datagram (so an upper-layer header follows). */
export function startsDatagram(ip: IpHeader): boolean {
  return ip.version === 4 ? ip.fragmentOffset === 0 : (ip.fragment?.offset ?? 0) === 0;
}
