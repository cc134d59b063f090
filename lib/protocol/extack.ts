// NLMSG_ERROR and NLMSG_DONE carrying an error: the errno, and the kernel's
// extended ack (message, offending attribute offset, missing attribute),
// turned into a NetlinkError that names the caller's field.
import { AttrTable } from '../codec/reader.js';
import { fieldAt, type WrittenMessage } from '../codec/writer.js';
import { NLMSG_HDRLEN, type Message } from './message.js';
import { NetlinkError, DecodeError } from './errors.js';
import { NLM_F_CAPPED, NLM_F_ACK_TLVS, NLMSGERR_ATTR_MSG, NLMSGERR_ATTR_OFFS, NLMSGERR_ATTR_MISS_TYPE } from '../uapi/netlink.js';

/**
 * `isAck`: an NLMSG_ERROR, whose error code is followed by the request's header
 * (and its payload unless NLM_F_CAPPED) before the extack TLVs; NLMSG_DONE has
 * the TLVs right after the code.
 */
export function kernelError(msg: Message, errno: number, isAck: boolean, request: WrittenMessage, reason?: string): NetlinkError {
  let extack: string | undefined;
  let offset: number | undefined;
  let missing: number | undefined;
  if (msg.flags & NLM_F_ACK_TLVS && msg.end - msg.offset >= 8) {
    let tlvs = msg.offset + 4;
    if (isAck) {
      const echoedLen = msg.buf.readUInt32LE(msg.offset + 4);
      tlvs += msg.flags & NLM_F_CAPPED ? NLMSG_HDRLEN : echoedLen + ((4 - (echoedLen % 4)) % 4);
    }
    if (tlvs < msg.end) {
      try {
        const t = new AttrTable(msg.buf, tlvs, msg.end);
        extack = t.str(NLMSGERR_ATTR_MSG);
        offset = t.u32(NLMSGERR_ATTR_OFFS);
        missing = t.u32(NLMSGERR_ATTR_MISS_TYPE);
      } catch (err) {
        // Unreadable extended ack: the errno still stands.
        if (!(err instanceof DecodeError)) throw err;
      }
    }
  }
  if (missing !== undefined) extack = `${extack ?? 'missing attribute'} (attribute type ${missing})`;
  return new NetlinkError({
    errno,
    operation: request.what,
    reason,
    extack: extack === '' ? undefined : extack,
    extackOffset: offset,
    field: offset !== undefined ? fieldAt(request, offset) : undefined,
  });
}
