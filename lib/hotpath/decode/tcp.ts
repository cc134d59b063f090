// TCP header (RFC 9293): ports, sequence numbers, flags, window. Options are
// not parsed; headerLength says where they end.
import {
  TCP_FLAG_ACK,
  TCP_FLAG_CWR,
  TCP_FLAG_ECE,
  TCP_FLAG_FIN,
  TCP_FLAG_PSH,
  TCP_FLAG_RST,
  TCP_FLAG_SYN,
  TCP_FLAG_URG,
} from '../../uapi/packet.js';
import { TRUNCATED, type LayerResult } from './layer.js';

export interface TcpFlags {
  fin: boolean;
  syn: boolean;
  rst: boolean;
  psh: boolean;
  ack: boolean;
  urg: boolean;
  ece: boolean;
  cwr: boolean;
}

export interface TcpHeader {
  sourcePort: number;
  destinationPort: number;
  /** Unsigned 32-bit. */
  seq: number;
  /** Unsigned 32-bit; meaningful when flags.ack is set. */
  ack: number;
  /** Bytes, options included. */
  headerLength: number;
  flags: TcpFlags;
  window: number;
  checksum: number;
  urgentPointer: number;
}

const TCP_MIN_HEADER = 20;
const FLAGS_WORD_OFFSET = 12;

export function decodeTcp(buf: Buffer, offset: number, end: number): LayerResult<TcpHeader> {
  if (end - offset < TCP_MIN_HEADER) return TRUNCATED;
  const word = buf.readUInt32BE(offset + FLAGS_WORD_OFFSET);
  const headerLength = (word >>> 28) * 4;
  if (headerLength < TCP_MIN_HEADER) return { malformed: `tcp: header length ${headerLength} < ${TCP_MIN_HEADER}` };
  const header: TcpHeader = {
    sourcePort: buf.readUInt16BE(offset),
    destinationPort: buf.readUInt16BE(offset + 2),
    seq: buf.readUInt32BE(offset + 4),
    ack: buf.readUInt32BE(offset + 8),
    headerLength,
    flags: {
      fin: (word & TCP_FLAG_FIN) !== 0,
      syn: (word & TCP_FLAG_SYN) !== 0,
      rst: (word & TCP_FLAG_RST) !== 0,
      psh: (word & TCP_FLAG_PSH) !== 0,
      ack: (word & TCP_FLAG_ACK) !== 0,
      urg: (word & TCP_FLAG_URG) !== 0,
      ece: (word & TCP_FLAG_ECE) !== 0,
      cwr: (word & TCP_FLAG_CWR) !== 0,
    },
    window: word & 0xffff,
    checksum: buf.readUInt16BE(offset + 16),
    urgentPointer: buf.readUInt16BE(offset + 18),
  };
  if (end - offset < headerLength) return { header, next: end, end, truncated: true };
  return { header, next: offset + headerLength, end };
}
