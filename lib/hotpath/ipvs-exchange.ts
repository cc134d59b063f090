// The IPVS half of a stats poll: the reader's generic netlink socket, its
// request and reply buffers, and the two exchanges of a poll. GET_SERVICE is
// one dump; GET_DEST names one service, so the second exchange is one dump per
// live service, their requests kept back to back in the requests buffer and
// rewritten only when the set of services changed.
import { MessageWriter } from '../codec/writer.js';
import { NetlinkError } from '../protocol/errors.js';
import { beginIpvs } from '../families/ipvs/service.js';
import { IPVS_CMD_GET_SERVICE } from '../uapi/ip_vs.js';
import { NETLINK_GENERIC, NLM_F_REQUEST, NLM_F_DUMP, NLM_F_DUMP_INTR, NLMSG_ERROR, NLMSG_DONE, NLMSG_HDRLEN } from '../uapi/netlink.js';
import { DumpChannel, DATAGRAM_ROOM, REPLY_HEADER } from '../transport/dump-channel.js';
import { ReplyBuffer, RequestBuffer } from './raw.js';
import { ServiceSlots, DestinationSlots, REQUEST_STRIDE } from './ipvs-slots.js';

/** Where the GET_DEST requests start in the requests buffer (GET_SERVICE sits before). */
const DEST_OFFSET = 64;

export class IpvsExchange {
  readonly services: ServiceSlots;
  readonly destinations: DestinationSlots;
  readonly channel: DumpChannel;
  replies: ReplyBuffer;
  /** Bytes and count of the requests the last prepare*() numbered. */
  preparedBytes = 0;
  preparedCount = 0;
  private requests: RequestBuffer;
  private readonly serviceRequestLength: number;
  /** Request i of the GET_DEST exchange: its service slot and byte offset. */
  private destSlotOf: Int32Array;
  private destOffsetOf: Int32Array;
  private destRequests = 0;
  private destBytes = 0;
  private requestsDirty = true;

  constructor(
    netns: string | undefined,
    private readonly familyId: number,
    timeout: number,
    serviceCapacity: number,
    destinationCapacity: number,
  ) {
    this.services = new ServiceSlots(serviceCapacity, familyId);
    this.destinations = new DestinationSlots(destinationCapacity);
    this.requests = new RequestBuffer(DEST_OFFSET + serviceCapacity * REQUEST_STRIDE);
    this.replies = new ReplyBuffer(REPLY_HEADER + DATAGRAM_ROOM * 2);
    this.destSlotOf = new Int32Array(serviceCapacity);
    this.destOffsetOf = new Int32Array(serviceCapacity);
    const w = new MessageWriter(64);
    beginIpvs(w, familyId, IPVS_CMD_GET_SERVICE, NLM_F_REQUEST | NLM_F_DUMP);
    w.end('list IPVS services');
    this.requests.u8.set(w.view());
    this.serviceRequestLength = w.length;
    this.channel = new DumpChannel(NETLINK_GENERIC, { netns, timeout }, 'open the stats reader (IPVS)');
    this.channel.setBuffers(this.requests.u8, this.replies.u8);
  }

  /** Numbers the GET_SERVICE request; returns its offset. */
  prepareServices(seq: number): number {
    this.requests.setSeq(0, seq);
    this.preparedBytes = this.serviceRequestLength;
    this.preparedCount = 1;
    return 0;
  }

  /** Numbers the GET_DEST requests from `seq` (rewriting them if the services changed); returns their offset. */
  prepareDestinations(seq: number): number {
    if (this.requestsDirty) this.writeDestinationRequests();
    for (let i = 0; i < this.destRequests; i++) this.requests.setSeq(this.destOffsetOf[i]!, seq + i);
    this.preparedBytes = this.destBytes;
    this.preparedCount = this.destRequests;
    return DEST_OFFSET;
  }

  /** The replies did not fit: doubles the buffer (the exchange is then run again). */
  growReplies(): void {
    this.replies = new ReplyBuffer(this.replies.size * 2);
    this.channel.setBuffers(this.requests.u8, this.replies.u8);
  }

  /**
   * Reads the GET_SERVICE replies into the service slots and sweeps out the
   * services that are gone (unless the dump was interrupted). Returns whether
   * it was; throws the kernel's error (EPERM without CAP_NET_ADMIN).
   */
  readServices(end: number): boolean {
    const r = this.replies;
    const services = this.services;
    const before = services.table.addedCount;
    let interrupted = false;
    for (let p = REPLY_HEADER; p + NLMSG_HDRLEN <= end; p += (r.msgLen(p) + 3) & ~3) {
      const type = r.msgType(p);
      if (r.msgFlags(p) & NLM_F_DUMP_INTR) interrupted = true;
      if (type === this.familyId) {
        services.read(r, p);
      } else if ((type === NLMSG_ERROR || type === NLMSG_DONE) && r.msgErrno(p) < 0) {
        throw ipvsError(r.msgErrno(p), 'list IPVS services');
      }
    }
    // A dump interrupted by changes may have missed services: remove nothing this time.
    if (interrupted) services.table.keepAll();
    if (services.table.sweep() > 0 || services.table.addedCount !== before) this.requestsDirty = true;
    return interrupted;
  }

  /** Reads the GET_DEST replies (requests numbered from `seq`) and sweeps out the real servers that are gone. */
  readDestinations(end: number, seq: number): boolean {
    const r = this.replies;
    const dests = this.destinations;
    let interrupted = false;
    for (let p = REPLY_HEADER; p + NLMSG_HDRLEN <= end; p += (r.msgLen(p) + 3) & ~3) {
      const i = r.msgSeq(p) - seq;
      if (i < 0 || i >= this.destRequests) continue;
      const slot = this.destSlotOf[i]!;
      const type = r.msgType(p);
      if (type === this.familyId) {
        dests.read(r, p, slot, this.services.af(slot));
        if (r.msgFlags(p) & NLM_F_DUMP_INTR) {
          interrupted = true;
          dests.table.keepWhere(dests.service, slot);
        }
      } else if ((type === NLMSG_ERROR || type === NLMSG_DONE) && r.msgErrno(p) < 0) {
        // This service's listing failed (it may have just been deleted): keep what we knew.
        dests.table.keepWhere(dests.service, slot);
      }
    }
    dests.table.sweep();
    return interrupted;
  }

  close(): void {
    this.channel.close();
  }

  private writeDestinationRequests(): void {
    const services = this.services;
    const need = DEST_OFFSET + services.table.capacity * REQUEST_STRIDE;
    if (need > this.requests.size) {
      const bigger = new RequestBuffer(need);
      bigger.u8.set(this.requests.u8.subarray(0, this.serviceRequestLength));
      this.requests = bigger;
      this.channel.setBuffers(this.requests.u8, this.replies.u8);
    }
    if (this.destSlotOf.length < services.table.capacity) {
      this.destSlotOf = new Int32Array(services.table.capacity);
      this.destOffsetOf = new Int32Array(services.table.capacity);
    }
    this.destBytes = services.writeRequests(this.requests, DEST_OFFSET, this.destSlotOf, this.destOffsetOf);
    this.destRequests = services.table.count;
    this.requestsDirty = false;
  }
}

function ipvsError(errno: number, operation: string): NetlinkError {
  const reason = errno === -1 ? 'reading IPVS needs CAP_NET_ADMIN (EPERM)' : undefined;
  return new NetlinkError({ errno, operation, reason });
}
