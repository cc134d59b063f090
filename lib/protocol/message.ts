// The netlink message header, and walking the messages of one datagram.
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

/** Calls `fn` for each message in a datagram; a malformed header is a DecodeError. */
export function forEachMessage(buf: Buffer, fn: (msg: Message) => void): void {
  let pos = 0;
  while (pos + NLMSG_HDRLEN <= buf.length) {
    const len = buf.readUInt32LE(pos);
    if (len < NLMSG_HDRLEN || pos + len > buf.length) {
      throw new DecodeError(`message at byte ${pos} claims ${len} bytes, datagram has ${buf.length - pos}`);
    }
    fn({
      type: buf.readUInt16LE(pos + 4),
      flags: buf.readUInt16LE(pos + 6),
      seq: buf.readUInt32LE(pos + 8),
      pid: buf.readUInt32LE(pos + 12),
      buf,
      offset: pos + NLMSG_HDRLEN,
      end: pos + len,
    });
    pos += (len + 3) & ~3;
  }
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
