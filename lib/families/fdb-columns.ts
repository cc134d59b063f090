// A long batch of plain fdb operations kept as columns of numbers while it is
// checked, and written a chunk at a time: no object per entry. A FdbRequest per
// entry (and a record per message) lived until the batch's last ack, so each
// scavenge copied them: 50k deletes spent ~12 ms in GC, a third of their JS time.
import { MessageWriter, type WrittenMessage } from '../codec/writer.js';
import { MessageChunk } from '../codec/chunk.js';
import type { DevRef, ResolveIfindex } from './addr.js';
import { checkFdb, fdbRequest, FDB_ACTION_FLAGS, type FdbAction, type FdbSpec } from './fdb.js';
import { NDA_DST, NDA_LLADDR } from '../uapi/neighbour.js';
import { RTM_DELNEIGH, RTM_NEWNEIGH } from '../uapi/rtnetlink.js';
import { NLM_F_ACK, NLM_F_REQUEST } from '../uapi/netlink.js';
import { AF_BRIDGE } from '../uapi/linux.js';

const ACTIONS: readonly FdbAction[] = ['add', 'append', 'replace', 'delete'];
const DELETE = 3;
/** nlmsg_flags by action index, as beginFdbMessage() writes them. */
const HEADER_FLAGS = ACTIONS.map((a) => NLM_F_REQUEST | NLM_F_ACK | FDB_ACTION_FLAGS[a]);
const HAS_DST = 4; // in kind, above the action's index
const NLA_HDRLEN = 4;
/** A plain fdb message: nlmsghdr, ndmsg, NDA_LLADDR (padded); then NDA_DST when there is one. */
const PLAIN_BYTES = 16 + 12 + 12;
const DST_BYTES = 8;
/** Distinct devices a batch may name (the slot column is 16 bits); more, and it goes the FdbRequest way. */
const MAX_DEVS = 0x10000;

/**
 * Plain fdb operations: a device, a MAC, an IPv4 dst or none, flags and
 * state. Anything else (vlan, vni, port, nhid, via, an IPv6 dst) is for
 * fdbRequest(). Entries are added in order, each once.
 */
export class FdbColumns {
  private readonly kind: Uint8Array;
  private readonly slot: Uint16Array;
  private readonly macHigh: Uint16Array;
  private readonly macLow: Int32Array;
  private readonly dst: Int32Array;
  private readonly state: Uint8Array;
  private readonly flags: Uint8Array;
  /** The devices named, by slot; most batches name one. */
  readonly devs: DevRef[] = [];
  private readonly slots = new Map<DevRef, number>();
  private lastDev: DevRef | undefined;
  private lastSlot = 0;
  private count = 0;

  constructor(readonly length: number) {
    this.kind = new Uint8Array(length);
    this.slot = new Uint16Array(length);
    this.macHigh = new Uint16Array(length);
    this.macLow = new Int32Array(length);
    this.dst = new Int32Array(length);
    this.state = new Uint8Array(length);
    this.flags = new Uint8Array(length);
  }

  /**
   * Checks `spec` (a ValidationError as fdbRequest would throw) and keeps it
   * as entry `count`; false, with nothing kept, when it is not plain.
   */
  add(action: FdbAction, spec: FdbSpec): boolean {
    const c = checkFdb(spec);
    if (c.extras !== undefined || (c.dst !== undefined && c.dstV4 === undefined)) return false;
    const slot = this.slotOf(c.dev);
    if (slot < 0) return false;
    const i = this.count++;
    this.kind[i] = ACTIONS.indexOf(action) | (c.dstV4 === undefined ? 0 : HAS_DST);
    this.slot[i] = slot;
    this.macHigh[i] = c.macHigh;
    this.macLow[i] = c.macLow;
    this.dst[i] = c.dstV4 ?? 0;
    this.state[i] = c.state;
    this.flags[i] = c.flags;
    return true;
  }

  private slotOf(dev: DevRef): number {
    if (dev === this.lastDev) return this.lastSlot;
    let slot = this.slots.get(dev);
    if (slot === undefined) {
      if (this.devs.length === MAX_DEVS) return -1;
      slot = this.devs.length;
      this.devs.push(dev);
      this.slots.set(dev, slot);
    }
    this.lastDev = dev;
    this.lastSlot = slot;
    return slot;
  }

  /** The first entry that names device slot `slot`. */
  firstWith(slot: number): number {
    return this.slot.indexOf(slot);
  }

  /**
   * Writes entry i, with its device's ifindex from `ifindexBySlot`, laid out
   * field by field (claim): the bytes beginFdbMessage() writes for it, which
   * a unit test checks. Unrecorded: FdbChunk.message() names it when asked.
   */
  write(w: MessageWriter, i: number, ifindexBySlot: Int32Array): void {
    const kind = this.kind[i]!;
    const action = kind & 3;
    const length = kind & HAS_DST ? PLAIN_BYTES + DST_BYTES : PLAIN_BYTES;
    const at = w.claim(length);
    const v = w.data();
    // nlmsghdr: length, type, flags; seq and port id are the connection's.
    v.setUint32(at, length, true);
    v.setUint16(at + 4, action === DELETE ? RTM_DELNEIGH : RTM_NEWNEIGH, true);
    v.setUint16(at + 6, HEADER_FLAGS[action]!, true);
    v.setUint32(at + 8, 0, true);
    v.setUint32(at + 12, 0, true);
    // ndmsg: family and padding, ifindex, state (u16), flags (u8), type (u8).
    v.setUint32(at + 16, AF_BRIDGE, true);
    v.setInt32(at + 20, ifindexBySlot[this.slot[i]!]!, true);
    v.setUint32(at + 24, this.state[i]! | (this.flags[i]! << 16), true);
    // NDA_LLADDR: 6 bytes in network order, 2 of padding.
    v.setUint32(at + 28, (NLA_HDRLEN + 6) | (NDA_LLADDR << 16), true);
    v.setUint16(at + 32, this.macHigh[i]!, false);
    v.setInt32(at + 34, this.macLow[i]!, false);
    v.setUint16(at + 38, 0, true);
    if (kind & HAS_DST) {
      v.setUint32(at + 40, (NLA_HDRLEN + 4) | (NDA_DST << 16), true);
      v.setInt32(at + 44, this.dst[i]!, false);
    }
  }
}

/**
 * One chunk of FdbColumns as Connection.batch reads it (see MessageChunk).
 * Its messages have no records: message(k) writes entry k again, alone,
 * with its text and field names, when an error asks for it.
 */
export class FdbChunk extends MessageChunk {
  constructor(
    private readonly columns: FdbColumns,
    chunk: number,
    private readonly ifindexBySlot: Int32Array,
    private readonly specAt: (i: number) => { action: FdbAction; spec: FdbSpec },
    private readonly ifindex: ResolveIfindex,
  ) {
    super(Math.min(chunk, columns.length), PLAIN_BYTES + DST_BYTES);
  }

  /** Writes entries [from, to) and returns this. */
  fill(from: number, to: number): this {
    return this.fillRange(from, to);
  }

  protected writeEntry(w: MessageWriter, i: number): void {
    this.columns.write(w, i, this.ifindexBySlot);
  }

  message(k: number): WrittenMessage {
    const i = this.from + k;
    const one = new MessageWriter(256);
    try {
      const { action, spec } = this.specAt(i);
      fdbRequest(action, spec).write(one, this.ifindex);
      return one.message(0);
    } catch {
      // The caller changed the entry after it was checked (and sent as checked): name it by its place.
      return new MessageWriter(64).begin(0, 0).end(`ops[${i}]`);
    }
  }
}
