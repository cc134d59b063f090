// RTM_*LINK: the link object, its decoder, and request builders for list and
// get (create, set and delete are in requests.ts).
import { s32le, u16le, u32le } from '../../codec/bytes.js';
import { MessageWriter } from '../../codec/writer.js';
import { AttrTable, counterAt } from '../../codec/reader.js';
import { needHeader, type Message } from '../../protocol/message.js';
import { linkKind, type KnownKind, type LinkInfoByKind, type SlaveInfoByKind } from './kinds/index.js';
import { validateIfname, validateIfindex, writeIfinfomsg } from './common.js';
import {
  IFLA_ADDRESS, IFLA_BROADCAST, IFLA_IFNAME, IFLA_MTU, IFLA_LINK, IFLA_MASTER, IFLA_TXQLEN, IFLA_OPERSTATE,
  IFLA_LINKINFO, IFLA_IFALIAS, IFLA_STATS64, IFLA_LINK_NETNSID, IFLA_INFO_KIND, IFLA_INFO_DATA,
  IFLA_INFO_SLAVE_KIND, IFLA_INFO_SLAVE_DATA, IFLA_EXT_MASK, IFLA_MIN_MTU, IFLA_MAX_MTU, IFLA_PERM_ADDRESS,
  IFLA_CARRIER, IFLA_PROMISCUITY, IFLA_GROUP, RTNL_LINK_STATS64_FIELDS,
} from '../../uapi/if_link.js';
import { IFF_UP, IFF_LOWER_UP } from '../../uapi/if.js';
import { IFINFOMSG_LEN, RTM_GETLINK, RTEXT_FILTER_SKIP_STATS } from '../../uapi/rtnetlink.js';
import { NLM_F_REQUEST, NLM_F_ACK, NLM_F_DUMP } from '../../uapi/netlink.js';

export { validateIfname, validateIfindex, writeIfinfomsg, type LinkRef } from './common.js';

export type OperState = 'unknown' | 'notpresent' | 'down' | 'lowerlayerdown' | 'testing' | 'dormant' | 'up';
const OPERSTATES: OperState[] = ['unknown', 'notpresent', 'down', 'lowerlayerdown', 'testing', 'dormant', 'up'];

/** struct rtnl_link_stats64, every counter a bigint. */
export type LinkStats64 = Record<(typeof RTNL_LINK_STATS64_FIELDS)[number], bigint>;

/**
 * A link as the kernel reports it. `info` is the kind's IFLA_INFO_DATA,
 * decoded (see LinkInfoByKind), or `{ raw }` for a kind this library does not
 * know; narrow it with isLinkKind(). `slaveInfo` is the master's per-port data.
 */
export interface Link<Info = unknown, SlaveInfo = unknown> {
  index: number;
  name: string;
  /** IFLA_INFO_KIND: 'bridge', 'vxlan', 'veth', ...; undefined for physical and loopback devices. */
  kind?: string;
  /** ARPHRD_* hardware type. */
  type: number;
  /** IFF_* bits. */
  flags: number;
  /** Administratively up (IFF_UP). */
  up: boolean;
  /** Carrier present (IFF_LOWER_UP). */
  lowerUp: boolean;
  operstate: OperState;
  mtu?: number;
  minMtu?: number;
  maxMtu?: number;
  mac?: string;
  broadcast?: string;
  permanentMac?: string;
  /** ifindex of the bridge or bond this link is enslaved to. */
  master?: number;
  /** ifindex of the lower device (vlan, macvlan, vxlan dev, veth peer). */
  link?: number;
  /** The peer's namespace id, when `link` is in another namespace. */
  linkNetnsId?: number;
  txqlen?: number;
  alias?: string;
  group?: number;
  promiscuity?: number;
  carrier?: boolean;
  stats64?: LinkStats64;
  /** Kind-specific settings (IFLA_INFO_DATA), decoded by the kind's module or raw. */
  info?: Info;
  /** The master's kind for this port ('bridge'), and its per-port settings. */
  slaveKind?: string;
  slaveInfo?: SlaveInfo;
}

/** A link of a kind this library knows, with `info` typed (always present, possibly empty). */
export type LinkOfKind<K extends KnownKind> = Link<LinkInfoByKind[K]> & { kind: K; info: LinkInfoByKind[K] };

/** Narrows a link to a known kind, typing its `info`. */
export function isLinkKind<K extends KnownKind>(link: Link, kind: K): link is LinkOfKind<K> {
  return link.kind === kind;
}

/** A port of a master of a kind this library knows (a bridge port), with `slaveInfo` typed. */
export type PortOfKind<K extends keyof SlaveInfoByKind> = Link<unknown, SlaveInfoByKind[K]> & { slaveKind: K; slaveInfo: SlaveInfoByKind[K] };

export function isPortOf<K extends keyof SlaveInfoByKind>(link: Link, masterKind: K): link is PortOfKind<K> {
  return link.slaveKind === masterKind;
}

/** Every counter 0: copied per link (a spread copy keeps its shape), then the others set. */
const ZERO_STATS64 = Object.fromEntries(RTNL_LINK_STATS64_FIELDS.map((name) => [name, 0n])) as LinkStats64;

/**
 * The counters at `at`, read in place. A zero costs no bigint (counterAt);
 * readBigUInt64LE per counter, into an object grown a field at a time, made
 * ~100 bigints per link: most of a 3000-link dump's garbage.
 */
function decodeStats64(buf: Buffer, at: number, length: number): LinkStats64 {
  const stats = { ...ZERO_STATS64 };
  // Older kernels send a shorter struct; missing tail counters read as 0.
  const n = Math.min(RTNL_LINK_STATS64_FIELDS.length, length >> 3);
  for (let i = 0; i < n; i++) {
    const value = counterAt(buf, at + i * 8, 8);
    if (value !== 0n) stats[RTNL_LINK_STATS64_FIELDS[i]!] = value;
  }
  return stats;
}

const NO_ATTRIBUTES = new AttrTable(Buffer.alloc(0), 0, 0);

/**
 * A known kind always gets its info, empty when the kernel sent no data (veth
 * and dummy send none); an unknown kind keeps its data raw.
 */
function decodeKindData(kind: string | undefined, data: AttrTable | undefined, raw: Buffer | undefined): unknown {
  if (kind === undefined) return undefined;
  const k = linkKind(kind);
  if (k !== undefined) return k.decode(data ?? NO_ATTRIBUTES);
  return raw === undefined ? undefined : { raw: Buffer.from(raw) };
}

export function decodeLink(msg: Message): Link {
  const b = msg.buf;
  const o = msg.offset;
  needHeader(msg, IFINFOMSG_LEN, 'a link message');
  const flags = u32le(b, o + 8);
  const t = new AttrTable(b, o + IFINFOMSG_LEN, msg.end);
  const link: Link = {
    index: s32le(b, o + 4),
    name: t.str(IFLA_IFNAME) ?? '',
    type: u16le(b, o + 2),
    flags,
    up: (flags & IFF_UP) !== 0,
    lowerUp: (flags & IFF_LOWER_UP) !== 0,
    operstate: OPERSTATES[t.u8(IFLA_OPERSTATE) ?? 0] ?? 'unknown',
  };
  // Each optional field stored by name: a helper taking the key made every store a keyed one (and a closure per link).
  const mtu = t.u32(IFLA_MTU);
  if (mtu !== undefined) link.mtu = mtu;
  const minMtu = t.u32(IFLA_MIN_MTU);
  if (minMtu !== undefined) link.minMtu = minMtu;
  const maxMtu = t.u32(IFLA_MAX_MTU);
  if (maxMtu !== undefined) link.maxMtu = maxMtu;
  const mac = t.mac(IFLA_ADDRESS);
  if (mac !== undefined) link.mac = mac;
  const broadcast = t.mac(IFLA_BROADCAST);
  if (broadcast !== undefined) link.broadcast = broadcast;
  const permanentMac = t.mac(IFLA_PERM_ADDRESS);
  if (permanentMac !== undefined) link.permanentMac = permanentMac;
  const master = t.u32(IFLA_MASTER);
  if (master !== undefined) link.master = master;
  const lower = t.s32(IFLA_LINK);
  if (lower !== undefined && lower !== link.index) link.link = lower;
  const linkNetnsId = t.s32(IFLA_LINK_NETNSID);
  if (linkNetnsId !== undefined) link.linkNetnsId = linkNetnsId;
  const txqlen = t.u32(IFLA_TXQLEN);
  if (txqlen !== undefined) link.txqlen = txqlen;
  const alias = t.str(IFLA_IFALIAS);
  if (alias !== undefined) link.alias = alias;
  const group = t.u32(IFLA_GROUP);
  if (group !== undefined) link.group = group;
  const promiscuity = t.u32(IFLA_PROMISCUITY);
  if (promiscuity !== undefined) link.promiscuity = promiscuity;
  const carrier = t.u8(IFLA_CARRIER);
  if (carrier !== undefined) link.carrier = carrier !== 0;
  const statsAt = t.offsetOf(IFLA_STATS64);
  if (statsAt >= 0) link.stats64 = decodeStats64(b, statsAt, t.lengthOf(IFLA_STATS64));
  const info = t.nested(IFLA_LINKINFO);
  if (info) {
    const kind = info.str(IFLA_INFO_KIND);
    if (kind !== undefined) link.kind = kind;
    const data = decodeKindData(kind, info.nested(IFLA_INFO_DATA), info.bytes(IFLA_INFO_DATA));
    if (data !== undefined) link.info = data;
    const slaveKind = info.str(IFLA_INFO_SLAVE_KIND);
    if (slaveKind !== undefined) {
      link.slaveKind = slaveKind;
      const slaveInfo = decodeKindData(`${slaveKind}:port`, info.nested(IFLA_INFO_SLAVE_DATA), info.bytes(IFLA_INFO_SLAVE_DATA));
      if (slaveInfo !== undefined) link.slaveInfo = slaveInfo;
    }
  }
  return link;
}

export interface LinkListFilter {
  /** Only links of this kind ('vxlan', 'bridge', ...), filtered in the kernel. */
  kind?: string;
  /** Only ports of this master (ifindex), filtered in the kernel. */
  master?: number;
  /** Leave out counters (lighter dumps). */
  skipStats?: boolean;
}

export function buildLinkDump(filter: LinkListFilter = {}): MessageWriter {
  const w = new MessageWriter(64);
  w.begin(RTM_GETLINK, NLM_F_REQUEST | NLM_F_DUMP);
  writeIfinfomsg(w);
  if (filter.skipStats) w.attrU32(IFLA_EXT_MASK, RTEXT_FILTER_SKIP_STATS, 'skipStats');
  // With NETLINK_GET_STRICT_CHK these two filter in the kernel (rtnl_dump_ifinfo).
  if (filter.master !== undefined) w.attrU32(IFLA_MASTER, validateIfindex(filter.master, 'master'), 'master');
  if (filter.kind !== undefined) {
    const nest = w.nest(IFLA_LINKINFO);
    w.attrString(IFLA_INFO_KIND, filter.kind, 'kind');
    w.endNest(nest);
  }
  w.end(`list links${filter.kind ? ` of kind ${filter.kind}` : ''}${filter.master ? ` on master ${filter.master}` : ''}`);
  return w;
}

export function buildLinkGet(nameOrIndex: string | number): MessageWriter {
  const w = new MessageWriter(64);
  w.begin(RTM_GETLINK, NLM_F_REQUEST | NLM_F_ACK);
  if (typeof nameOrIndex === 'number') {
    writeIfinfomsg(w, validateIfindex(nameOrIndex));
  } else {
    writeIfinfomsg(w);
    w.attrString(IFLA_IFNAME, validateIfname(nameOrIndex), 'name');
  }
  w.end(`get link ${nameOrIndex}`);
  return w;
}
