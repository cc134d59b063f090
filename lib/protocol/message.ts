// The netlink message header, and walking the messages of one datagram.
import { u16le, u32le } from '../codec/bytes.js';
import { DecodeError } from './errors.js';

export const NLMSG_HDRLEN = 16;

/** One message as handed to decoders: a view into the datagram, no copy. */
export interface Message {
  type: number;
  flags: number;
  seq: number;
  pid: number;
  buf: Buffer;
  /** First byte after the nlmsghdr. */
  offset: number;
  /** One past the message's last byte. */
  end: number;
}

/** Takes the messages of a datagram one by one (see walkMessages). */
export interface MessageVisitor {
  onMessageAt(buf: Buffer, at: number, length: number): void;
}

/**
 * Calls `visitor.onMessageAt(buf, at, length)` for each message in bytes
 * [start, end) of `buf` (one datagram), without making an object per
 * message; a malformed header is a DecodeError. A method rather than a
 * callback: a Connection visits its own datagrams, so every connection
 * calls the same function here (see TransportHandlers).
 */
export function walkMessages(buf: Buffer, start: number, end: number, visitor: MessageVisitor): void {
  let pos = start;
  while (pos + NLMSG_HDRLEN <= end) {
    const len = u32le(buf, pos);
    if (len < NLMSG_HDRLEN || pos + len > end) {
      throw new DecodeError(`message at byte ${pos - start} claims ${len} bytes, datagram has ${end - pos}`);
    }
    visitor.onMessageAt(buf, pos, len);
    pos += (len + 3) & ~3;
  }
}

/** The message of `length` bytes at `at` in `buf`, as decoders take it. */
export function messageAt(buf: Buffer, at: number, length: number): Message {
  return {
    type: u16le(buf, at + 4),
    flags: u16le(buf, at + 6),
    seq: u32le(buf, at + 8),
    pid: u32le(buf, at + 12),
    buf,
    offset: at + NLMSG_HDRLEN,
    end: at + length,
  };
}

/** Calls `fn` for each message in a datagram (bytes [start, end) of `buf`); a malformed header is a DecodeError. */
export function forEachMessage(buf: Buffer, fn: (msg: Message) => void, start = 0, end = buf.length): void {
  walkMessages(buf, start, end, { onMessageAt: (b, at, length) => fn(messageAt(b, at, length)) });
}

/**
 * A family header (ifinfomsg, ndmsg, ...) must fit inside its message: a
 * shorter one would read the next message's bytes, or past the datagram.
 */
export function needHeader(msg: Message, bytes: number, what: string): void {
  if (msg.end - msg.offset < bytes) {
    throw new DecodeError(`${what} needs a ${bytes}-byte header, the message has ${msg.end - msg.offset}`);
  }
}
