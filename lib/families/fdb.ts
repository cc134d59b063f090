// RTM_*NEIGH with AF_BRIDGE: the forwarding database of bridges and of devices
// with their own (vxlan, macvlan, ...), the model of `bridge fdb`.
// State and flag mapping follow iproute2's bridge/fdb.c and the kernel's
// br_fdb_add / vxlan_fdb_parse:
//   permanent = NUD_PERMANENT (+NOARP): a local entry on a bridge; vxlan: never ages.
//   static    = NUD_NOARP (+REACHABLE): a bridge entry that does not age.
//   dynamic   = NUD_REACHABLE: ages like a learned entry.
import { s32le, u16le } from '../codec/bytes.js';
import { MessageWriter, type MessageLabel } from '../codec/writer.js';
import { AttrTable, type RawAttribute } from '../codec/reader.js';
import { ipFamily, bytesToIp, macValue, ipv4Bits } from '../codec/address.js';
import { ValidationError, showValue } from '../protocol/errors.js';
import type { Describe } from '../protocol/connection.js';
import { needHeader, type Message } from '../protocol/message.js';
import { type DevRef, type RtnlRequest, type ResolveIfindex, validateDev, intIn, withUnknown } from './addr.js';
import { decodeCacheInfo, type NeighCacheInfo } from './neigh.js';
import {
  NDA_DST, NDA_LLADDR, NDA_CACHEINFO, NDA_VLAN, NDA_PORT, NDA_VNI, NDA_IFINDEX, NDA_MASTER, NDA_LINK_NETNSID,
  NDA_SRC_VNI, NDA_NH_ID, NDA_FLAGS_EXT,
  NTF_SELF, NTF_MASTER, NTF_ROUTER, NTF_EXT_LEARNED, NTF_OFFLOADED, NTF_STICKY, NTF_EXT_LOCKED,
  NUD_PERMANENT, NUD_NOARP, NUD_REACHABLE, NUD_STALE,
} from '../uapi/neighbour.js';
import { NDMSG_LEN, RTM_NEWNEIGH, RTM_DELNEIGH, RTM_GETNEIGH } from '../uapi/rtnetlink.js';
import { NLM_F_REQUEST, NLM_F_ACK, NLM_F_DUMP, NLM_F_CREATE, NLM_F_EXCL, NLM_F_REPLACE, NLM_F_APPEND } from '../uapi/netlink.js';
import { AF_BRIDGE } from '../uapi/linux.js';

export type FdbState = 'permanent' | 'static' | 'dynamic';
const STATE_BITS: Record<FdbState, number> = {
  permanent: NUD_PERMANENT | NUD_NOARP,
  static: NUD_NOARP | NUD_REACHABLE,
  dynamic: NUD_REACHABLE,
};

export interface FdbSpec {
  /** The device whose table holds the entry (a bridge port, a bridge, a vxlan device). */
  dev: DevRef;
  /** '00:00:00:00:00:00' on a vxlan device is the default destination: one entry per remote (append). */
  mac: string;
  /** The remote VTEP (NDA_DST), IPv4 or IPv6. */
  dst?: string;
  /** VXLAN VNI to use for this remote, 0..2^24-1 (NDA_VNI). */
  vni?: number;
  /** The VNI this entry belongs to on a collect-metadata device (NDA_SRC_VNI). */
  srcVni?: number;
  /** Remote UDP port (NDA_PORT, sent big-endian). */
  port?: number;
  /** Outgoing interface to reach the remote (NDA_IFINDEX). */
  via?: DevRef;
  /** 1..4094. */
  vlan?: number;
  /** An fdb nexthop group instead of dst/port/vni (NDA_NH_ID). */
  nhid?: number;
  /** The device's own table (NTF_SELF). Default when neither self nor master is given, as `bridge fdb`. */
  self?: boolean;
  /** The table of the device's master bridge (NTF_MASTER). */
  master?: boolean;
  /** Default 'permanent', as `bridge fdb`. */
  state?: FdbState;
  /** The entry may not move to another port (NTF_STICKY). */
  sticky?: boolean;
  /** Installed by an external control plane (NTF_EXT_LEARNED). */
  externLearn?: boolean;
  /** NTF_ROUTER. */
  router?: boolean;
}

export interface FdbEntry {
  mac: string;
  ifindex: number;
  dev?: string;
  /** 'stale' is an aged dynamic bridge entry. */
  state: FdbState | 'stale';
  /** NUD_* bits as the kernel sent them. */
  stateBits: number;
  self: boolean;
  master: boolean;
  sticky: boolean;
  externLearn: boolean;
  offloaded: boolean;
  router: boolean;
  /** NTF_EXT_LOCKED (802.1X locked port). */
  locked: boolean;
  /** NTF_* bits as the kernel sent them. */
  flagBits: number;
  dst?: string;
  vlan?: number;
  port?: number;
  vni?: number;
  srcVni?: number;
  /** NDA_IFINDEX: the outgoing interface to the remote, and its name when resolvable. */
  viaIfindex?: number;
  via?: string;
  nhid?: number;
  /** NDA_MASTER: the bridge the entry belongs to, and its name when resolvable. */
  bridgeIfindex?: number;
  bridge?: string;
  linkNetnsId?: number;
  cacheInfo?: NeighCacheInfo;
  unknown?: RawAttribute[];
}

const KNOWN = new Set([
  NDA_DST, NDA_LLADDR, NDA_CACHEINFO, NDA_VLAN, NDA_PORT, NDA_VNI, NDA_IFINDEX, NDA_MASTER, NDA_LINK_NETNSID,
  NDA_SRC_VNI, NDA_NH_ID, NDA_FLAGS_EXT,
]);

function stateName(bits: number): FdbEntry['state'] {
  if (bits & NUD_PERMANENT) return 'permanent';
  if (bits & NUD_NOARP) return 'static';
  if (bits & NUD_STALE) return 'stale';
  return 'dynamic';
}

export function decodeFdb(msg: Message): FdbEntry | undefined {
  const b = msg.buf;
  const o = msg.offset;
  needHeader(msg, NDMSG_LEN, 'an fdb message');
  if (b[o] !== AF_BRIDGE) return undefined;
  const t = new AttrTable(b, o + NDMSG_LEN, msg.end);
  const mac = t.mac(NDA_LLADDR);
  if (mac === undefined) return undefined;
  const stateBits = u16le(b, o + 8);
  const flagBits = b[o + 10]!;
  const ext = t.u32(NDA_FLAGS_EXT) ?? 0;
  const e: FdbEntry = {
    mac,
    ifindex: s32le(b, o + 4),
    state: stateName(stateBits),
    stateBits,
    self: (flagBits & NTF_SELF) !== 0,
    master: (flagBits & NTF_MASTER) !== 0,
    sticky: (flagBits & NTF_STICKY) !== 0,
    externLearn: (flagBits & NTF_EXT_LEARNED) !== 0,
    offloaded: (flagBits & NTF_OFFLOADED) !== 0,
    router: (flagBits & NTF_ROUTER) !== 0,
    locked: (ext & NTF_EXT_LOCKED) !== 0,
    flagBits,
  };
  const dstAt = t.offsetOf(NDA_DST);
  if (dstAt >= 0) e.dst = bytesToIp(b, dstAt, t.lengthOf(NDA_DST));
  // Stored by name, each: a helper taking the key made every store a keyed one (and a closure per entry).
  const vlan = t.u16(NDA_VLAN);
  if (vlan) e.vlan = vlan;
  const port = t.be16(NDA_PORT);
  if (port !== undefined) e.port = port;
  const vni = t.u32(NDA_VNI);
  if (vni !== undefined) e.vni = vni;
  const srcVni = t.u32(NDA_SRC_VNI);
  if (srcVni !== undefined) e.srcVni = srcVni;
  const viaIfindex = t.u32(NDA_IFINDEX);
  if (viaIfindex !== undefined) e.viaIfindex = viaIfindex;
  const nhid = t.u32(NDA_NH_ID);
  if (nhid !== undefined) e.nhid = nhid;
  const bridgeIfindex = t.u32(NDA_MASTER);
  if (bridgeIfindex !== undefined) e.bridgeIfindex = bridgeIfindex;
  const linkNetnsId = t.s32(NDA_LINK_NETNSID);
  if (linkNetnsId !== undefined) e.linkNetnsId = linkNetnsId;
  const cacheInfo = decodeCacheInfo(t);
  if (cacheInfo !== undefined) e.cacheInfo = cacheInfo;
  return withUnknown(e, t, KNOWN);
}

export type FdbAction = 'add' | 'append' | 'replace' | 'delete';
/** nlmsg_flags each action adds to NLM_F_REQUEST | NLM_F_ACK. */
export const FDB_ACTION_FLAGS: Readonly<Record<FdbAction, number>> = {
  add: NLM_F_CREATE | NLM_F_EXCL,
  append: NLM_F_CREATE | NLM_F_APPEND,
  replace: NLM_F_CREATE | NLM_F_REPLACE,
  delete: 0,
};

export function describeFdb(text: string): Describe {
  return (errno) => fdbErrorText(errno, text);
}

function fdbErrorText(errno: number, text: string): string | undefined {
  if (errno === -17) return `${text} already exists`;
  if (errno === -2) return `no ${text}`;
  if (errno === -19) return `no such link for ${text}`;
  if (errno === -95) return `${text}: the device has no such forwarding database`;
  return undefined;
}

// Every fdb message says `${action} ${text}` (fdbText), so one function
// explains them all, with no closure per entry.
export const describeFdbMessage: Describe = (errno, what) => fdbErrorText(errno, what.slice(what.indexOf(' ') + 1));

/** What few entries carry (NDA_VLAN, NDA_NH_ID, NDA_PORT, NDA_VNI, NDA_SRC_VNI, NDA_IFINDEX): one object, only when one is given. */
interface FdbExtras {
  vlan?: number;
  nhid?: number;
  port?: number;
  vni?: number;
  srcVni?: number;
  via?: DevRef;
}

/** An fdb operation's fields as checkFdb() found them: what FdbRequest keeps, and FdbColumns in its columns. */
export interface CheckedFdb {
  dev: DevRef;
  /** The MAC as parsed: its top 16 bits, and its low 32 as a signed integer (a 48-bit number would be a heap number). */
  macHigh: number;
  macLow: number;
  dst: string | undefined;
  /** dst as a signed 32-bit integer when it is IPv4, else undefined. */
  dstV4: number | undefined;
  /** NUD_* bits. */
  state: number;
  /** NTF_* bits. */
  flags: number;
  extras: FdbExtras | undefined;
}

/** checkFdb()'s answer: one object, filled again by each call, read before the next. */
const checked: CheckedFdb = { dev: '', macHigh: 0, macLow: 0, dst: undefined, dstV4: undefined, state: 0, flags: 0, extras: undefined };

/**
 * Checks an fdb spec, parsing what the message needs to numbers (no Buffer
 * per entry). The answer is a shared object, valid until the next call.
 */
export function checkFdb(spec: FdbSpec): Readonly<CheckedFdb> {
  if (spec === null || typeof spec !== 'object') throw new ValidationError('fdb', 'an fdb spec object is required');
  const dev = validateDev(spec.dev);
  const macBits = macValue(spec.mac, 'mac');
  const dst = spec.dst;
  const v4 = typeof dst === 'string' ? ipv4Bits(dst) : NaN;
  if (dst !== undefined && v4 !== v4) ipFamily(dst, 'dst');
  const vni = spec.vni === undefined ? undefined : intIn(spec.vni, 'vni', 0, 0xffffff);
  const srcVni = spec.srcVni === undefined ? undefined : intIn(spec.srcVni, 'srcVni', 0, 0xffffff);
  const port = spec.port === undefined ? undefined : intIn(spec.port, 'port', 0, 0xffff);
  const via = spec.via === undefined ? undefined : validateDev(spec.via, 'via');
  const vlan = spec.vlan === undefined ? undefined : intIn(spec.vlan, 'vlan', 1, 4094);
  const nhid = spec.nhid === undefined ? undefined : intIn(spec.nhid, 'nhid', 1, 0xffffffff);
  if (nhid !== undefined && (dst !== undefined || port !== undefined || vni !== undefined)) {
    throw new ValidationError('nhid', 'a nexthop group replaces dst, port and vni: give one or the other');
  }
  if (spec.state !== undefined && STATE_BITS[spec.state] === undefined) {
    throw new ValidationError('state', `must be 'permanent', 'static' or 'dynamic', got ${showValue(spec.state)}`);
  }
  let flags = 0;
  if (spec.self) flags |= NTF_SELF;
  if (spec.master) flags |= NTF_MASTER;
  if (!(flags & (NTF_SELF | NTF_MASTER))) flags |= NTF_SELF;
  if (spec.sticky) flags |= NTF_STICKY;
  if (spec.externLearn) flags |= NTF_EXT_LEARNED;
  if (spec.router) flags |= NTF_ROUTER;
  const c = checked;
  c.dev = dev;
  c.macHigh = Math.floor(macBits / 0x100000000);
  c.macLow = macBits | 0;
  c.dst = dst;
  c.dstV4 = v4 !== v4 ? undefined : v4;
  c.state = STATE_BITS[spec.state ?? 'permanent'];
  c.flags = flags;
  c.extras =
    vlan === undefined && nhid === undefined && port === undefined && vni === undefined && srcVni === undefined && via === undefined
      ? undefined
      : { vlan, nhid, port, vni, srcVni, via };
  return c;
}

/** An fdb message up to its rare attributes (FdbExtras), which the caller adds before ending it. */
export function beginFdbMessage(
  w: MessageWriter, action: FdbAction, ifindex: number, state: number, flags: number, macHigh: number, macLow: number, dstV4: number | undefined, dst: string | undefined,
): void {
  w.begin(action === 'delete' ? RTM_DELNEIGH : RTM_NEWNEIGH, NLM_F_REQUEST | NLM_F_ACK | FDB_ACTION_FLAGS[action]);
  w.u8(AF_BRIDGE).u8(0).u16(0).i32(ifindex).u16(state).u8(flags).u8(0);
  w.attrMacParts(NDA_LLADDR, macHigh, macLow, 'mac');
  if (dstV4 !== undefined) w.attrIpv4(NDA_DST, dstV4, 'dst');
  else if (dst !== undefined) w.attrIp(NDA_DST, dst, 'dst');
}

/** "add fdb entry 02:00:00:00:00:01 dst 192.0.2.1 vlan 10 on vx0" */
function fdbText(action: FdbAction, mac: string, dst: string | undefined, vlan: number | undefined, dev: DevRef): string {
  return `${action} fdb entry ${mac}${dst ? ` dst ${dst}` : ''}${vlan ? ` vlan ${vlan}` : ''} on ${dev}`;
}

/**
 * One validated fdb operation, for single calls and mixed batches (a long
 * batch of plain entries is kept as columns instead: FdbColumns). It is its
 * message's label (see MessageWriter.endLabelled), so no text is made until
 * an error asks for it.
 */
class FdbRequest implements RtnlRequest, MessageLabel {
  private readonly dev: DevRef;
  private readonly macHigh: number;
  private readonly macLow: number;
  private readonly dst: string | undefined;
  private readonly dstV4: number | undefined;
  private readonly state: number;
  private readonly flags: number;
  private readonly extras: FdbExtras | undefined;

  constructor(
    private readonly action: FdbAction,
    private readonly mac: string,
    c: Readonly<CheckedFdb>,
  ) {
    this.dev = c.dev;
    this.macHigh = c.macHigh;
    this.macLow = c.macLow;
    this.dst = c.dst;
    this.dstV4 = c.dstV4;
    this.state = c.state;
    this.flags = c.flags;
    this.extras = c.extras;
  }

  get devs(): DevRef[] {
    const via = this.extras?.via;
    return via === undefined ? [this.dev] : [this.dev, via];
  }

  get what(): string {
    return fdbText(this.action, this.mac, this.dst, this.extras?.vlan, this.dev);
  }

  write(w: MessageWriter, ifindex: ResolveIfindex): Describe {
    beginFdbMessage(w, this.action, ifindex(this.dev, 'dev'), this.state, this.flags, this.macHigh, this.macLow, this.dstV4, this.dst);
    const x = this.extras;
    if (x !== undefined) {
      if (x.vlan !== undefined) w.attrU16(NDA_VLAN, x.vlan, 'vlan');
      if (x.nhid !== undefined) w.attrU32(NDA_NH_ID, x.nhid, 'nhid');
      if (x.port !== undefined) w.attrBe16(NDA_PORT, x.port, 'port');
      if (x.vni !== undefined) w.attrU32(NDA_VNI, x.vni, 'vni');
      if (x.srcVni !== undefined) w.attrU32(NDA_SRC_VNI, x.srcVni, 'srcVni');
      if (x.via !== undefined) w.attrU32(NDA_IFINDEX, ifindex(x.via, 'via'), 'via');
    }
    w.endLabelled(this);
    return describeFdbMessage;
  }
}

/** Validates an fdb operation; nothing is written until the request's write(). */
export function fdbRequest(action: FdbAction, spec: FdbSpec): RtnlRequest {
  const c = checkFdb(spec);
  return new FdbRequest(action, spec.mac, c);
}

export interface FdbListFilter {
  /** Entries of this device only (a bridge port, or a vxlan device); filtered in the kernel. */
  dev?: DevRef;
  /** Entries of this bridge and its ports (NDA_MASTER); filtered in the kernel. */
  bridge?: DevRef;
}

/** A dump of AF_BRIDGE neighbours, filtered in the kernel by port (ndm_ifindex) and bridge (NDA_MASTER). */
export function buildFdbDump(ifindex?: number, bridge?: number): MessageWriter {
  const w = new MessageWriter(64);
  w.begin(RTM_GETNEIGH, NLM_F_REQUEST | NLM_F_DUMP);
  w.u8(AF_BRIDGE).u8(0).u16(0).i32(ifindex ?? 0).u16(0).u8(0).u8(0);
  if (bridge !== undefined) w.attrU32(NDA_MASTER, bridge, 'bridge');
  w.end(`list fdb${ifindex ? ` of ifindex ${ifindex}` : ''}${bridge ? ` on bridge ${bridge}` : ''}`);
  return w;
}
