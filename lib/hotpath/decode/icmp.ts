// ICMP (RFC 792) and ICMPv6 (RFC 4443): type, code, checksum, and the
// identifier and sequence number of echo requests and replies.
import {
  ICMP_ECHO,
  ICMP_ECHOREPLY,
  ICMPV6_ECHO_REPLY,
  ICMPV6_ECHO_REQUEST,
} from '../../uapi/packet.js';
import { TRUNCATED, type LayerResult } from './layer.js';

export interface IcmpHeader {
  /** 4 for ICMP, 6 for ICMPv6. */
  version: 4 | 6;
  type: number;
  code: number;
  checksum: number;
  /** Set for echo requests and replies. */
  echo?: 'request' | 'reply';
  /** Echo identifier; absent for other types or when the capture ends first. */
  id?: number;
  /** Echo sequence number; absent for other types or when the capture ends first. */
  sequence?: number;
}

const ICMP_TYPE_CODE_CHECKSUM = 4;
const ICMP_HEADER = 8;

function echoKind(version: 4 | 6, type: number): 'request' | 'reply' | undefined {
  if (version === 4) return type === ICMP_ECHO ? 'request' : type === ICMP_ECHOREPLY ? 'reply' : undefined;
  return type === ICMPV6_ECHO_REQUEST ? 'request' : type === ICMPV6_ECHO_REPLY ? 'reply' : undefined;
}

export function decodeIcmp(buf: Buffer, offset: number, end: number, version: 4 | 6): LayerResult<IcmpHeader> {
  if (end - offset < ICMP_TYPE_CODE_CHECKSUM) return TRUNCATED;
  const type = buf[offset]!;
  const header: IcmpHeader = { version, type, code: buf[offset + 1]!, checksum: buf.readUInt16BE(offset + 2) };
  const echo = echoKind(version, type);
  if (echo !== undefined) header.echo = echo;
  // The rest-of-header word is part of every ICMP message; its meaning depends on the type.
  if (end - offset < ICMP_HEADER) return { header, next: end, end, truncated: true };
  if (echo !== undefined) {
    header.id = buf.readUInt16BE(offset + 4);
    header.sequence = buf.readUInt16BE(offset + 6);
  }
  return { header, next: offset + ICMP_HEADER, end };
}
