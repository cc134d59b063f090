// IPVS services and destinations as slots of typed arrays, filled straight
// from GET_SERVICE / GET_DEST dump replies. A known service or destination
// costs integer reads only; a new one is decoded once with the family's
// ordinary decoders (service.ts, destination.ts) for its labels, and a new
// service gets its GET_DEST request built once and kept.
import { DecodeError } from '../protocol/errors.js';
import { decodeServiceIn } from '../families/ipvs/service.js';
import { buildDestinationDump, decodeDestinationIn } from '../families/ipvs/destination.js';
import { serviceIdOf } from '../families/ipvs/validate.js';
import type { Destination, Service } from '../families/ipvs/types.js';
import { AF_INET6 } from '../uapi/linux.js';
import {
  IPVS_CMD_ATTR_SERVICE, IPVS_CMD_ATTR_DEST, IPVS_SVC_ATTR_AF, IPVS_SVC_ATTR_PROTOCOL, IPVS_SVC_ATTR_ADDR,
  IPVS_SVC_ATTR_PORT, IPVS_SVC_ATTR_FWMARK, IPVS_SVC_ATTR_STATS, IPVS_SVC_ATTR_STATS64, IPVS_DEST_ATTR_ADDR,
  IPVS_DEST_ATTR_PORT, IPVS_DEST_ATTR_WEIGHT, IPVS_DEST_ATTR_U_THRESH, IPVS_DEST_ATTR_L_THRESH,
  IPVS_DEST_ATTR_ACTIVE_CONNS, IPVS_DEST_ATTR_INACT_CONNS, IPVS_DEST_ATTR_PERSIST_CONNS, IPVS_DEST_ATTR_STATS,
  IPVS_DEST_ATTR_ADDR_FAMILY, IPVS_DEST_ATTR_STATS64, IPVS_STATS_ATTR_CONNS, IPVS_STATS_ATTR_OUTBPS,
} from '../uapi/ip_vs.js';
import { GENL_HDRLEN } from '../uapi/genetlink.js';
import { NLMSG_HDRLEN } from '../uapi/netlink.js';
import { sampleCounter, type ReplyBuffer, type RequestBuffer } from './raw.js';
import { SlotTable, grown } from './slots.js';

/** Per-slot counters, in IPVS_STATS_ATTR order: five totals, then the kernel's own rate estimates. */
export const IPVS_COUNTERS = [
  'connections', 'inPackets', 'outPackets', 'inBytes', 'outBytes', 'cps', 'inPps', 'outPps', 'inBps', 'outBps',
] as const;
export type IpvsCounter = (typeof IPVS_COUNTERS)[number];
/** Entries per slot in `counters`. */
export const IPVS_STRIDE = IPVS_COUNTERS.length;
/** Entries per slot in `rates`: per-second changes of the five totals, measured by the reader. */
export const IPVS_RATE_STRIDE = 5;

/** Gauges per destination slot in `gauges`, in this order. */
export const DESTINATION_GAUGES = [
  'weight', 'activeConnections', 'inactiveConnections', 'persistentConnections', 'upperThreshold', 'lowerThreshold',
] as const;
export const DESTINATION_GAUGE_STRIDE = DESTINATION_GAUGES.length;
const GAUGE_ATTRS = [
  IPVS_DEST_ATTR_WEIGHT, IPVS_DEST_ATTR_ACTIVE_CONNS, IPVS_DEST_ATTR_INACT_CONNS, IPVS_DEST_ATTR_PERSIST_CONNS,
  IPVS_DEST_ATTR_U_THRESH, IPVS_DEST_ATTR_L_THRESH,
];

type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;

/** What a service slot holds: the service as first seen, without counters (those are in the arrays). */
export type ServiceLabels = DistributiveOmit<Service, 'stats'>;
/** What a destination slot holds; its counters and gauges are in the arrays. */
export type DestinationLabels = Omit<
  Destination,
  'stats' | 'weight' | 'activeConnections' | 'inactiveConnections' | 'persistentConnections' | 'upperThreshold' | 'lowerThreshold'
> & {
  /** The service's slot. */
  service: number;
};

const GENL_ATTRS = NLMSG_HDRLEN + GENL_HDRLEN;
/** Room per GET_DEST request: the longest (headers, the nest, family, protocol, a 16-byte address, port) takes 68 bytes. */
export const REQUEST_STRIDE = 128;

/** Slots with IPVS counters: shared by services and destinations. */
abstract class IpvsSlots<Labels> {
  readonly table: SlotTable;
  counters: BigUint64Array;
  rates: Float64Array;
  /** Labels per slot; a removed slot keeps its labels until the slot is reused. */
  readonly labels: Array<Labels | undefined> = [];
  protected counters32: Uint32Array;
  protected readonly attrs = new Int32Array(16);
  protected readonly top = new Int32Array(4);

  constructor(words: number, capacity: number) {
    this.table = new SlotTable(words, capacity, (cap, previous) => this.grow(cap, previous));
    this.counters = new BigUint64Array(this.table.capacity * IPVS_STRIDE);
    this.counters32 = new Uint32Array(this.counters.buffer);
    this.rates = new Float64Array(this.table.capacity * IPVS_RATE_STRIDE);
  }

  protected grow(capacity: number, _previous: number): void {
    this.counters = grown(this.counters, new BigUint64Array(capacity * IPVS_STRIDE));
    this.counters32 = new Uint32Array(this.counters.buffer);
    this.rates = grown(this.rates, new Float64Array(capacity * IPVS_RATE_STRIDE));
  }

  /**
   * Finds the nested attribute `type` of a genl message at `msg` and scans
   * its attributes into `attrs`; returns the nest's offset, or -1 if absent.
   */
  protected openNest(r: ReplyBuffer, msg: number, type: number): number {
    if (!r.scan(msg + GENL_ATTRS, msg + r.msgLen(msg), this.top)) throw new DecodeError(`IPVS reply at byte ${msg}: an attribute overruns the message`);
    const nest = this.top[type]!;
    if (nest >= 0 && !r.scan(nest + 4, nest + r.attrLen(nest), this.attrs)) {
      throw new DecodeError(`IPVS reply at byte ${msg}: an attribute overruns its nest`);
    }
    return nest;
  }

  /** Reads STATS64 (or the older STATS) of the nest whose scan is in `attrs`. */
  protected readStats(r: ReplyBuffer, slot: number, stats64: number, stats32: number): void {
    const fresh = this.table.isNew(slot);
    if (fresh) this.counters.fill(0n, slot * IPVS_STRIDE, (slot + 1) * IPVS_STRIDE);
    const nest = this.attrs[stats64]! >= 0 ? this.attrs[stats64]! : this.attrs[stats32]!;
    if (nest < 0) return;
    const end = nest + r.attrLen(nest);
    for (let a = nest + 4; a + 4 <= end; a += (r.attrLen(a) + 3) & ~3) {
      const len = r.attrLen(a);
      if (len < 4 || a + len > end) throw new DecodeError(`IPVS counters at byte ${a}: an attribute overruns its nest`);
      const type = r.attrType(a);
      if (type < IPVS_STATS_ATTR_CONNS || type > IPVS_STATS_ATTR_OUTBPS || len < 8) continue;
      const field = type - IPVS_STATS_ATTR_CONNS;
      const rateIndex = field < IPVS_RATE_STRIDE ? slot * IPVS_RATE_STRIDE + field : -1;
      sampleCounter(r, a + 4, len >= 12, this.counters32, slot * IPVS_STRIDE + field, this.rates, rateIndex, fresh);
    }
  }

  protected copyAddress(r: ReplyBuffer, attr: number, key: Uint32Array, at: number): void {
    key[at] = key[at + 1] = key[at + 2] = key[at + 3] = 0;
    if (attr < 0) return;
    const words = Math.min(4, (r.attrLen(attr) - 4) >> 2);
    for (let i = 0; i < words; i++) key[at + i] = r.u32[((attr + 4) >> 2) + i]!;
  }
}

/** Identity words of a service: af, protocol, fwmark, port, address (4 words). */
const SERVICE_WORDS = 8;

export class ServiceSlots extends IpvsSlots<ServiceLabels> {
  /** GET_DEST request bytes per slot, built when the slot gets its service. */
  private arena: Uint8Array;
  private readonly requestLength: number[] = [];

  constructor(
    capacity: number,
    private readonly familyId: number,
  ) {
    super(SERVICE_WORDS, capacity);
    this.arena = new Uint8Array(this.table.capacity * REQUEST_STRIDE);
  }

  protected override grow(capacity: number, previous: number): void {
    super.grow(capacity, previous);
    this.arena = grown(this.arena, new Uint8Array(capacity * REQUEST_STRIDE));
  }

  /** The address family (AF_INET / AF_INET6) of a live slot. */
  af(slot: number): number {
    return this.table.idWord(slot, 0);
  }

  /** Claims the slot of the service in one GET_SERVICE reply and samples its counters; -1 if the message holds none. */
  read(r: ReplyBuffer, msg: number): number {
    const nest = this.openNest(r, msg, IPVS_CMD_ATTR_SERVICE);
    if (nest < 0) return -1;
    const a = this.attrs;
    const key = this.table.key;
    key[0] = a[IPVS_SVC_ATTR_AF]! >= 0 ? r.u16At(a[IPVS_SVC_ATTR_AF]!) : 0;
    key[1] = a[IPVS_SVC_ATTR_PROTOCOL]! >= 0 ? r.u16At(a[IPVS_SVC_ATTR_PROTOCOL]!) : 0;
    key[2] = a[IPVS_SVC_ATTR_FWMARK]! >= 0 ? r.u32At(a[IPVS_SVC_ATTR_FWMARK]!) : 0;
    key[3] = a[IPVS_SVC_ATTR_PORT]! >= 0 ? r.be16(a[IPVS_SVC_ATTR_PORT]! + 4) : 0;
    this.copyAddress(r, a[IPVS_SVC_ATTR_ADDR]!, key, 4);
    const slot = this.table.claim();
    if (this.table.isNew(slot)) this.adopt(r, slot, nest, nest + r.attrLen(nest));
    this.readStats(r, slot, IPVS_SVC_ATTR_STATS64, IPVS_SVC_ATTR_STATS);
    return slot;
  }

  /** Labels and the GET_DEST request of a service new to this slot. */
  private adopt(r: ReplyBuffer, slot: number, nest: number, end: number): void {
    const { stats: _stats, ...labels } = decodeServiceIn(r.buf, nest + 4, end);
    this.labels[slot] = labels;
    const request = buildDestinationDump(this.familyId, serviceIdOf({ ...labels, stats: _stats })).view();
    if (request.length > REQUEST_STRIDE) throw new Error(`GET_DEST request of ${request.length} bytes`);
    this.arena.set(request, slot * REQUEST_STRIDE);
    this.requestLength[slot] = request.length;
  }

  /**
   * Writes the GET_DEST request of every live service into `into` from
   * `offset`, in slot order; `slotOf[i]` and `offsetOf[i]` get the slot and
   * offset of request i. Returns the bytes written.
   */
  writeRequests(into: RequestBuffer, offset: number, slotOf: Int32Array, offsetOf: Int32Array): number {
    let at = offset;
    let i = 0;
    for (let slot = 0; slot < this.table.highWater; slot++) {
      if (this.table.live[slot] !== 1) continue;
      const len = this.requestLength[slot]!;
      const from = slot * REQUEST_STRIDE;
      for (let b = 0; b < len; b++) into.u8[at + b] = this.arena[from + b]!;
      slotOf[i] = slot;
      offsetOf[i] = at;
      at += len;
      i++;
    }
    return at - offset;
  }
}

/** Identity words of a destination: service slot, af, address (4 words), port. */
const DESTINATION_WORDS = 7;

export class DestinationSlots extends IpvsSlots<DestinationLabels> {
  gauges: Uint32Array;
  /** The service slot of each destination slot. */
  service: Int32Array;

  constructor(capacity: number) {
    super(DESTINATION_WORDS, capacity);
    this.gauges = new Uint32Array(this.table.capacity * DESTINATION_GAUGE_STRIDE);
    this.service = new Int32Array(this.table.capacity).fill(-1);
  }

  protected override grow(capacity: number, previous: number): void {
    super.grow(capacity, previous);
    this.gauges = grown(this.gauges, new Uint32Array(capacity * DESTINATION_GAUGE_STRIDE));
    this.service = grown(this.service, new Int32Array(capacity).fill(-1));
  }

  /** Claims the slot of the destination in one GET_DEST reply of `serviceSlot`; -1 if the message holds none. */
  read(r: ReplyBuffer, msg: number, serviceSlot: number, serviceAf: number): number {
    const nest = this.openNest(r, msg, IPVS_CMD_ATTR_DEST);
    if (nest < 0) return -1;
    const a = this.attrs;
    const key = this.table.key;
    key[0] = serviceSlot;
    key[1] = a[IPVS_DEST_ATTR_ADDR_FAMILY]! >= 0 ? r.u16At(a[IPVS_DEST_ATTR_ADDR_FAMILY]!) : serviceAf;
    this.copyAddress(r, a[IPVS_DEST_ATTR_ADDR]!, key, 2);
    key[6] = a[IPVS_DEST_ATTR_PORT]! >= 0 ? r.be16(a[IPVS_DEST_ATTR_PORT]! + 4) : 0;
    const slot = this.table.claim();
    if (this.table.isNew(slot)) {
      const d = decodeDestinationIn(r.buf, nest + 4, nest + r.attrLen(nest), serviceAf === AF_INET6 ? 6 : 4);
      this.labels[slot] = {
        address: d.address, family: d.family, port: d.port, forward: d.forward, service: serviceSlot,
        ...(d.tunnel ? { tunnel: d.tunnel } : {}), ...(d.unknown ? { unknown: d.unknown } : {}),
      };
      this.service[slot] = serviceSlot;
    }
    const g = slot * DESTINATION_GAUGE_STRIDE;
    for (let i = 0; i < DESTINATION_GAUGE_STRIDE; i++) {
      const attr = a[GAUGE_ATTRS[i]!]!;
      this.gauges[g + i] = attr >= 0 ? r.u32At(attr) : 0;
    }
    this.readStats(r, slot, IPVS_DEST_ATTR_STATS64, IPVS_DEST_ATTR_STATS);
    return slot;
  }
}
