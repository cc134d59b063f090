// RTM_*NEIGH for AF_INET / AF_INET6: the ARP and NDP tables, proxy entries included.
// (The same messages with AF_BRIDGE are the forwarding database: see fdb.ts.)
import { s32le, u16le } from '../codec/bytes.js';
import { MessageWriter } from '../codec/writer.js';
import { AttrTable, type RawAttribute } from '../codec/reader.js';
import { bytesToIp, ipFamily, type IpFamily } from '../codec/address.js';
import { ValidationError, showValue } from '../protocol/errors.js';
import type { Describe } from '../protocol/connection.js';
import { needHeader, type Message } from '../protocol/message.js';
import { type DevRef, type RtnlRequest, validateDev, intIn, afOf, familyOf, validateFamily, withUnknown } from './addr.js';
import {
  NDA_DST, NDA_LLADDR, NDA_CACHEINFO, NDA_PROBES, NDA_IFINDEX, NDA_MASTER, NDA_PROTOCOL, NDA_FLAGS_EXT,
  NTF_PROXY, NTF_ROUTER, NTF_EXT_LEARNED, NTF_OFFLOADED, NTF_EXT_MANAGED,
  NUD_INCOMPLETE, NUD_REACHABLE, NUD_STALE, NUD_DELAY, NUD_PROBE, NUD_FAILED, NUD_NOARP, NUD_PERMANENT, NUD_NONE,
} from '../uapi/neighbour.js';
import { NDMSG_LEN, RTM_NEWNEIGH, RTM_DELNEIGH, RTM_GETNEIGH } from '../uapi/rtnetlink.js';
import { NLM_F_REQUEST, NLM_F_ACK, NLM_F_DUMP, NLM_F_CREATE, NLM_F_EXCL, NLM_F_REPLACE } from '../uapi/netlink.js';
import { AF_UNSPEC } from '../uapi/linux.js';

export type NeighState = 'permanent' | 'noarp' | 'reachable' | 'stale' | 'delay' | 'probe' | 'failed' | 'incomplete' | 'none';
// In the order a state with several bits is named by.
const STATES: Array<[NeighState, number]> = [
  ['permanent', NUD_PERMANENT], ['noarp', NUD_NOARP], ['reachable', NUD_REACHABLE], ['stale', NUD_STALE],
  ['delay', NUD_DELAY], ['probe', NUD_PROBE], ['failed', NUD_FAILED], ['incomplete', NUD_INCOMPLETE],
];

export function neighStateName(bits: number): NeighState {
  for (const [name, bit] of STATES) if (bits & bit) return name;
  return 'none';
}

/** struct nda_cacheinfo: ages in clock ticks (USER_HZ, normally 100 a second). */
export interface NeighCacheInfo {
  confirmed: number;
  used: number;
  updated: number;
  refcnt: number;
}

/** NDA_CACHEINFO (struct nda_cacheinfo), read in place. */
export function decodeCacheInfo(t: AttrTable): NeighCacheInfo | undefined {
  const at = t.offsetOf(NDA_CACHEINFO);
  if (at < 0 || t.lengthOf(NDA_CACHEINFO) < 16) return undefined;
  const b = t.buf;
  return { confirmed: b.readUInt32LE(at), used: b.readUInt32LE(at + 4), updated: b.readUInt32LE(at + 8), refcnt: b.readUInt32LE(at + 12) };
}

export interface NeighbourSpec {
  dev: DevRef;
  /** The neighbour's IP address. */
  dst: string;
  /** Link-layer address, colon-separated hex ('02:00:00:00:00:01'). Not for proxy entries. */
  lladdr?: string;
  /** Default 'permanent'. */
  state?: NeighState;
  /** A proxy ARP / proxy NDP entry (NTF_PROXY). */
  proxy?: boolean;
  /** The neighbour is a router (NTF_ROUTER, IPv6). */
  router?: boolean;
  /** Learned by an external control plane (NTF_EXT_LEARNED). */
  externLearned?: boolean;
  /** Kernel-managed: kept resolved (NTF_EXT_MANAGED). */
  managed?: boolean;
  /** NDA_PROTOCOL: who installed it. */
  protocol?: number;
}

export interface Neighbour {
  family: IpFamily;
  ifindex: number;
  dev?: string;
  dst: string;
  lladdr?: string;
  state: NeighState;
  /** NUD_* bits as the kernel sent them. */
  stateBits: number;
  proxy: boolean;
  router: boolean;
  externLearned: boolean;
  offloaded: boolean;
  managed: boolean;
  /** NTF_* bits as the kernel sent them. */
  flagBits: number;
  probes?: number;
  protocol?: number;
  cacheInfo?: NeighCacheInfo;
  unknown?: RawAttribute[];
}

const KNOWN = new Set([NDA_DST, NDA_LLADDR, NDA_CACHEINFO, NDA_PROBES, NDA_PROTOCOL, NDA_FLAGS_EXT]);

export function decodeNeighbour(msg: Message): Neighbour | undefined {
  const b = msg.buf;
  const o = msg.offset;
  needHeader(msg, NDMSG_LEN, 'a neighbour message');
  const family = familyOf(b[o]!);
  if (family === undefined) return undefined;
  const t = new AttrTable(b, o + NDMSG_LEN, msg.end);
  const dst = t.bytes(NDA_DST);
  if (!dst) return undefined;
  const stateBits = u16le(b, o + 8);
  const flagBits = b[o + 10]!;
  const ext = t.u32(NDA_FLAGS_EXT) ?? 0;
  const n: Neighbour = {
    family,
    ifindex: s32le(b, o + 4),
    dst: bytesToIp(dst),
    state: neighStateName(stateBits),
    stateBits,
    proxy: (flagBits & NTF_PROXY) !== 0,
    router: (flagBits & NTF_ROUTER) !== 0,
    externLearned: (flagBits & NTF_EXT_LEARNED) !== 0,
    offloaded: (flagBits & NTF_OFFLOADED) !== 0,
    managed: (ext & NTF_EXT_MANAGED) !== 0,
    flagBits,
  };
  const ll = t.mac(NDA_LLADDR);
  if (ll !== undefined) n.lladdr = ll;
  const probes = t.u32(NDA_PROBES);
  if (probes !== undefined) n.probes = probes;
  const proto = t.u8(NDA_PROTOCOL);
  if (proto !== undefined) n.protocol = proto;
  const ci = decodeCacheInfo(t);
  if (ci) n.cacheInfo = ci;
  return withUnknown(n, t, KNOWN);
}

const LLADDR_RE = /^[0-9a-f]{1,2}(:[0-9a-f]{1,2}){0,31}$/i;

/** Any link-layer address: 1 to 32 colon-separated hex bytes (Ethernet has 6). */
export function lladdrToBytes(text: unknown, field: string): Buffer {
  if (typeof text !== 'string' || !LLADDR_RE.test(text)) {
    throw new ValidationError(field, `not a link-layer address (xx:xx:xx:xx:xx:xx): ${showValue(text)}`);
  }
  return Buffer.from(text.split(':').map((h) => parseInt(h, 16)));
}

export type NeighbourAction = 'add' | 'replace' | 'delete';
const NL_FLAGS: Record<NeighbourAction, number> = { add: NLM_F_CREATE | NLM_F_EXCL, replace: NLM_F_CREATE | NLM_F_REPLACE, delete: 0 };

export function describeNeighbour(text: string): Describe {
  return (errno) => {
    if (errno === -17) return `${text} already exists`;
    if (errno === -2) return `no ${text}`;
    if (errno === -19) return `no such link for ${text}`;
    return undefined;
  };
}

/** Validates a neighbour operation; nothing is written until the request's write(). */
export function neighbourRequest(action: NeighbourAction, spec: NeighbourSpec): RtnlRequest {
  if (spec === null || typeof spec !== 'object') throw new ValidationError('neighbour', 'a neighbour spec object is required');
  const dev = validateDev(spec.dev);
  // Checked here, parsed again by write() straight into the message.
  const dst = spec.dst;
  const family = ipFamily(dst, 'dst');
  const proxy = spec.proxy === true;
  if (proxy && spec.lladdr !== undefined) throw new ValidationError('lladdr', 'proxy entries have no link-layer address');
  const lladdr = spec.lladdr === undefined ? undefined : lladdrToBytes(spec.lladdr, 'lladdr');
  let state = NUD_PERMANENT;
  if (spec.state !== undefined) {
    const found = STATES.find(([name]) => name === spec.state);
    if (!found && spec.state !== 'none') throw new ValidationError('state', `unknown state ${showValue(spec.state)} (${STATES.map(([n]) => n).join(', ')}, none)`);
    state = found ? found[1] : NUD_NONE;
  }
  let flags = proxy ? NTF_PROXY : 0;
  if (spec.router) flags |= NTF_ROUTER;
  if (spec.externLearned) flags |= NTF_EXT_LEARNED;
  const protocol = spec.protocol === undefined ? undefined : intIn(spec.protocol, 'protocol', 0, 255);
  const text = `${proxy ? 'proxy ' : ''}neighbour ${dst} on ${dev}`;
  return {
    devs: [dev],
    write(w, ifindex) {
      w.begin(action === 'delete' ? RTM_DELNEIGH : RTM_NEWNEIGH, NLM_F_REQUEST | NLM_F_ACK | NL_FLAGS[action]);
      w.u8(afOf(family)).u8(0).u16(0).i32(ifindex(dev, 'dev')).u16(action === 'delete' ? 0 : state).u8(flags).u8(0);
      w.attrIp(NDA_DST, dst, 'dst');
      if (lladdr && action !== 'delete') w.attrBytes(NDA_LLADDR, lladdr, 'lladdr');
      if (protocol !== undefined && action !== 'delete') w.attrU8(NDA_PROTOCOL, protocol, 'protocol');
      if (spec.managed && action !== 'delete') w.attrU32(NDA_FLAGS_EXT, NTF_EXT_MANAGED, 'managed');
      w.end(`${action} ${text}`);
      return describeNeighbour(text);
    },
  };
}

export interface NeighbourListFilter {
  dev?: DevRef;
  family?: IpFamily;
  /** Only ports of this bridge/VRF (NDA_MASTER). */
  master?: DevRef;
  /** List proxy entries instead of ordinary ones. */
  proxy?: boolean;
}

/** A dump filtered in the kernel: family and proxy in the header, dev and master as attributes. */
export function buildNeighbourDump(filter: NeighbourListFilter, ifindex?: number, master?: number): MessageWriter {
  const family = filter.family === undefined ? undefined : validateFamily(filter.family);
  const w = new MessageWriter(64);
  w.begin(RTM_GETNEIGH, NLM_F_REQUEST | NLM_F_DUMP);
  w.u8(family === undefined ? AF_UNSPEC : afOf(family)).u8(0).u16(0).i32(0).u16(0).u8(filter.proxy ? NTF_PROXY : 0).u8(0);
  if (ifindex !== undefined) w.attrU32(NDA_IFINDEX, ifindex, 'dev');
  if (master !== undefined) w.attrU32(NDA_MASTER, master, 'master');
  w.end(`list ${filter.proxy ? 'proxy ' : ''}neighbours`);
  return w;
}
