// UDP header (RFC 768).
import { TRUNCATED, type LayerResult } from './layer.js';

export interface UdpHeader {
  sourcePort: number;
  destinationPort: number;
  /** Header plus payload, in bytes, as the sender wrote it. */
  length: number;
  /** 0 means the sender did not compute one (allowed for IPv4, and common for VXLAN). */
  checksum: number;
}

const UDP_HEADER = 8;

export function decodeUdp(buf: Buffer, offset: number, end: number): LayerResult<UdpHeader> {
  if (end - offset < UDP_HEADER) return TRUNCATED;
  const length = buf.readUInt16BE(offset + 4);
  const header: UdpHeader = {
    sourcePort: buf.readUInt16BE(offset),
    destinationPort: buf.readUInt16BE(offset + 2),
    length,
    checksum: buf.readUInt16BE(offset + 6),
  };
  // A length below the header size is bogus (or a GSO frame); keep what was captured.
  const payloadEnd = length >= UDP_HEADER ? Math.min(end, offset + length) : end;
  return { header, next: offset + UDP_HEADER, end: payloadEnd };
}
