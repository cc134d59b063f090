// RTM_*ROUTE: IPv4 and IPv6 routes, single-hop and multipath (RTA_MULTIPATH).
import { MessageWriter } from '../codec/writer.js';
import { AttrTable, type RawAttribute } from '../codec/reader.js';
import { ipFamily, bytesToIp, type IpFamily } from '../codec/address.js';
import { ValidationError, showValue } from '../protocol/errors.js';
import type { Describe } from '../protocol/connection.js';
import { needHeader, type Message } from '../protocol/message.js';
import {
  type DevRef, type RtnlRequest, type Scope, type Prefix,
  validateDev, intIn, afOf, familyOf, validateFamily, parsePrefix, isNetwork, scopeNumber, scopeName, withUnknown,
} from './addr.js';
import {
  RTMSG_LEN, RTNEXTHOP_LEN, RTM_NEWROUTE, RTM_DELROUTE, RTM_GETROUTE,
  RTN_UNSPEC, RTN_UNICAST, RTN_LOCAL, RTN_BROADCAST, RTN_ANYCAST, RTN_MULTICAST, RTN_BLACKHOLE, RTN_UNREACHABLE,
  RTN_PROHIBIT, RTN_THROW, RTN_NAT, RTN_XRESOLVE,
  RTPROT_UNSPEC, RTPROT_REDIRECT, RTPROT_KERNEL, RTPROT_BOOT, RTPROT_STATIC, RTPROT_RA, RTPROT_DHCP, RTPROT_ZEBRA,
  RTPROT_BIRD, RTPROT_BABEL, RTPROT_KEEPALIVED, RTPROT_BGP, RTPROT_ISIS, RTPROT_OSPF, RTPROT_RIP,
  RT_SCOPE_UNIVERSE, RT_SCOPE_LINK, RT_SCOPE_HOST, RT_SCOPE_NOWHERE,
  RT_TABLE_UNSPEC, RT_TABLE_DEFAULT, RT_TABLE_MAIN, RT_TABLE_LOCAL,
  RTA_DST, RTA_SRC, RTA_IIF, RTA_OIF, RTA_GATEWAY, RTA_PRIORITY, RTA_PREFSRC, RTA_METRICS, RTA_MULTIPATH, RTA_FLOW,
  RTA_CACHEINFO, RTA_TABLE, RTA_MARK, RTA_PREF, RTA_EXPIRES, RTA_NH_ID,
  RTNH_F_DEAD, RTNH_F_ONLINK, RTNH_F_OFFLOAD, RTNH_F_LINKDOWN, RTNH_F_UNRESOLVED, RTNH_F_TRAP, RTNH_F_PERVASIVE,
} from '../uapi/rtnetlink.js';
import { NLM_F_REQUEST, NLM_F_ACK, NLM_F_DUMP, NLM_F_CREATE, NLM_F_EXCL, NLM_F_REPLACE, NLM_F_APPEND } from '../uapi/netlink.js';
import { AF_UNSPEC } from '../uapi/linux.js';

export type RouteType =
  | 'unspec' | 'unicast' | 'local' | 'broadcast' | 'anycast' | 'multicast'
  | 'blackhole' | 'unreachable' | 'prohibit' | 'throw' | 'nat' | 'xresolve';
const TYPES: Record<RouteType, number> = {
  unspec: RTN_UNSPEC, unicast: RTN_UNICAST, local: RTN_LOCAL, broadcast: RTN_BROADCAST, anycast: RTN_ANYCAST,
  multicast: RTN_MULTICAST, blackhole: RTN_BLACKHOLE, unreachable: RTN_UNREACHABLE, prohibit: RTN_PROHIBIT,
  throw: RTN_THROW, nat: RTN_NAT, xresolve: RTN_XRESOLVE,
};

export type RouteProtocol =
  | 'unspec' | 'redirect' | 'kernel' | 'boot' | 'static' | 'ra' | 'dhcp' | 'zebra' | 'bird' | 'babel'
  | 'keepalived' | 'bgp' | 'isis' | 'ospf' | 'rip';
const PROTOCOLS: Record<RouteProtocol, number> = {
  unspec: RTPROT_UNSPEC, redirect: RTPROT_REDIRECT, kernel: RTPROT_KERNEL, boot: RTPROT_BOOT, static: RTPROT_STATIC,
  ra: RTPROT_RA, dhcp: RTPROT_DHCP, zebra: RTPROT_ZEBRA, bird: RTPROT_BIRD, babel: RTPROT_BABEL,
  keepalived: RTPROT_KEEPALIVED, bgp: RTPROT_BGP, isis: RTPROT_ISIS, ospf: RTPROT_OSPF, rip: RTPROT_RIP,
};

export type RouteTable = 'main' | 'local' | 'default' | number;
const TABLES = { main: RT_TABLE_MAIN, local: RT_TABLE_LOCAL, default: RT_TABLE_DEFAULT } as const;

const NH_FLAGS = {
  dead: RTNH_F_DEAD, pervasive: RTNH_F_PERVASIVE, onlink: RTNH_F_ONLINK, offload: RTNH_F_OFFLOAD,
  linkdown: RTNH_F_LINKDOWN, unresolved: RTNH_F_UNRESOLVED, trap: RTNH_F_TRAP,
} as const;
export type NextHopFlag = keyof typeof NH_FLAGS;

function lookup<K extends string>(table: Record<K, number>, value: unknown, field: string, max: number): number {
  if (typeof value === 'number') return intIn(value, field, 0, max);
  const n = table[value as K];
  if (n === undefined) throw new ValidationError(field, `unknown value ${showValue(value)} (${Object.keys(table).join(', ')} or a number)`);
  return n;
}
function nameOf<K extends string>(table: Record<K, number>, n: number): K | number {
  for (const [k, v] of Object.entries(table)) if (v === n) return k as K;
  return n;
}

export function tableNumber(table: unknown, field = 'table'): number {
  return lookup(TABLES, table, field, 0xffffffff);
}

export interface NextHopSpec {
  gateway?: string;
  dev?: DevRef;
  /** 1..256 (rtnh_hops + 1). */
  weight?: number;
  onlink?: boolean;
}

export interface RouteSpec {
  /** 'default', '198.51.100.0/24', or a host address ('198.51.100.7' means /32). */
  dst: string;
  /** Needed only for 'default' without a gateway to tell the family from; default 4. */
  family?: IpFamily;
  gateway?: string;
  dev?: DevRef;
  /** Default 'main'. Ids above 255 travel in RTA_TABLE. */
  table?: RouteTable;
  /** RTA_PRIORITY. */
  metric?: number;
  /** Default as `ip route`: host for local, link for a unicast route without a gateway, else universe. */
  scope?: Scope | 'global' | number;
  /** Default 'boot', as `ip route`. */
  protocol?: RouteProtocol | number;
  /** Default 'unicast'. */
  type?: RouteType | number;
  /** Preferred source address (RTA_PREFSRC). */
  src?: string;
  onlink?: boolean;
  /** Several next hops (RTA_MULTIPATH); then leave gateway and dev out. */
  nexthops?: NextHopSpec[];
}

export interface NextHop {
  gateway?: string;
  ifindex: number;
  dev?: string;
  weight: number;
  flags: NextHopFlag[];
}

export interface Route {
  family: IpFamily;
  /** 'default' or 'address/length'. */
  dst: string;
  dstLength: number;
  /** Source-specific (IPv6) routes: 'address/length'. */
  from?: string;
  table: number;
  type: RouteType | number;
  protocol: RouteProtocol | number;
  scope: Scope | number;
  /** rtm_flags (RTNH_F_* and RTM_F_*). */
  flagBits: number;
  onlink: boolean;
  metric?: number;
  gateway?: string;
  ifindex?: number;
  dev?: string;
  src?: string;
  iif?: number;
  mark?: number;
  /** IPv6 router preference (RTA_PREF). */
  pref?: number;
  expires?: number;
  nhid?: number;
  /** RTA_METRICS: RTAX_* type → value (mtu is 2, advmss 8, ...). */
  metrics?: Record<number, number>;
  nexthops?: NextHop[];
  unknown?: RawAttribute[];
}

const KNOWN = new Set([
  RTA_DST, RTA_SRC, RTA_IIF, RTA_OIF, RTA_GATEWAY, RTA_PRIORITY, RTA_PREFSRC, RTA_METRICS, RTA_MULTIPATH, RTA_FLOW,
  RTA_CACHEINFO, RTA_TABLE, RTA_MARK, RTA_PREF, RTA_EXPIRES, RTA_NH_ID,
]);

function nhFlags(bits: number): NextHopFlag[] {
  return (Object.keys(NH_FLAGS) as NextHopFlag[]).filter((f) => (bits & NH_FLAGS[f]) !== 0);
}

function decodeMultipath(data: Buffer): NextHop[] {
  const hops: NextHop[] = [];
  let pos = 0;
  while (pos + RTNEXTHOP_LEN <= data.length) {
    const len = data.readUInt16LE(pos);
    if (len < RTNEXTHOP_LEN || pos + len > data.length) break;
    const hop: NextHop = { ifindex: data.readInt32LE(pos + 4), weight: data[pos + 3]! + 1, flags: nhFlags(data[pos + 2]!) };
    const t = new AttrTable(data, pos + RTNEXTHOP_LEN, pos + len);
    const gw = t.bytes(RTA_GATEWAY);
    if (gw) hop.gateway = bytesToIp(gw);
    hops.push(hop);
    pos += (len + 3) & ~3;
  }
  return hops;
}

export function decodeRoute(msg: Message): Route | undefined {
  const b = msg.buf;
  const o = msg.offset;
  needHeader(msg, RTMSG_LEN, 'a route message');
  const family = familyOf(b[o]!);
  if (family === undefined) return undefined;
  const t = new AttrTable(b, o + RTMSG_LEN, msg.end);
  const dstLength = b[o + 1]!;
  const dst = t.bytes(RTA_DST);
  const flagBits = b.readUInt32LE(o + 8);
  const r: Route = {
    family,
    dst: dst ? `${bytesToIp(dst)}/${dstLength}` : dstLength === 0 ? 'default' : `${family === 4 ? '0.0.0.0' : '::'}/${dstLength}`,
    dstLength,
    table: t.u32(RTA_TABLE) ?? b[o + 4]!,
    type: nameOf(TYPES, b[o + 7]!),
    protocol: nameOf(PROTOCOLS, b[o + 5]!),
    scope: scopeName(b[o + 6]!),
    flagBits,
    onlink: (flagBits & RTNH_F_ONLINK) !== 0,
  };
  const src = t.bytes(RTA_SRC);
  if (src) r.from = `${bytesToIp(src)}/${b[o + 2]}`;
  const set = <K extends keyof Route>(k: K, v: Route[K] | undefined): void => {
    if (v !== undefined) r[k] = v;
  };
  set('metric', t.u32(RTA_PRIORITY));
  const gw = t.bytes(RTA_GATEWAY);
  if (gw) r.gateway = bytesToIp(gw);
  set('ifindex', t.u32(RTA_OIF));
  const pref = t.bytes(RTA_PREFSRC);
  if (pref) r.src = bytesToIp(pref);
  set('iif', t.u32(RTA_IIF));
  set('mark', t.u32(RTA_MARK));
  set('pref', t.u8(RTA_PREF));
  set('expires', t.u32(RTA_EXPIRES));
  set('nhid', t.u32(RTA_NH_ID));
  const metrics = t.nested(RTA_METRICS);
  if (metrics) {
    r.metrics = {};
    for (const a of metrics.each()) if (a.data.length >= 4) r.metrics[a.type] = a.data.readUInt32LE(0);
  }
  const mp = t.bytes(RTA_MULTIPATH);
  if (mp) r.nexthops = decodeMultipath(mp);
  return withUnknown(r, t, KNOWN);
}

export type RouteAction = 'add' | 'replace' | 'append' | 'delete';
const NL_FLAGS: Record<RouteAction, number> = {
  add: NLM_F_CREATE | NLM_F_EXCL,
  replace: NLM_F_CREATE | NLM_F_REPLACE,
  append: NLM_F_CREATE | NLM_F_APPEND,
  delete: 0,
};

interface Hop {
  /** Validated text; write() parses it straight into the message. */
  gateway?: string;
  dev?: DevRef;
  weight?: number;
  onlink: boolean;
}

/** The address text once it is known to be an IP of the route's family. */
function gatewayOf(text: unknown, family: IpFamily, field: string): string {
  const f = ipFamily(text as string, field);
  if (f !== family) throw new ValidationError(field, `an IPv${f} gateway for an IPv${family} route is not supported`);
  return text as string;
}

function routeText(dst: Prefix | undefined, family: IpFamily, table: number): string {
  const where = dst === undefined || dst.length === 0 ? `default (IPv${family})` : `${dst.ip}/${dst.length}`;
  return `route ${where}${table === RT_TABLE_MAIN ? '' : ` table ${table}`}`;
}

export function describeRoute(text: string, gateway?: string): Describe {
  return (errno) => {
    if (errno === -17) return `${text} already exists`;
    if (errno === -3 || errno === -2) return `no ${text}`;
    if (errno === -101 && gateway) return `gateway ${gateway} is not on a connected network (add an address in its subnet, or use onlink)`;
    if (errno === -19) return `no such link for ${text}`;
    return undefined;
  };
}

/** Validates a route operation; nothing is written until the request's write(). */
export function routeRequest(action: RouteAction, spec: RouteSpec): RtnlRequest {
  if (spec === null || typeof spec !== 'object') throw new ValidationError('route', 'a route spec object is required');
  const isDefault = spec.dst === 'default';
  let family: IpFamily;
  let dst: Prefix | undefined;
  if (isDefault) {
    const hint = spec.gateway ?? spec.nexthops?.find((h) => h.gateway !== undefined)?.gateway;
    family = spec.family !== undefined ? validateFamily(spec.family) : hint !== undefined ? ipFamily(hint, 'gateway') : 4;
  } else {
    dst = parsePrefix(spec.dst, 'dst');
    family = dst.family;
    if (spec.family !== undefined && validateFamily(spec.family) !== family) throw new ValidationError('family', `contradicts dst ${spec.dst}`);
    if (!isNetwork(dst.bytes, dst.length)) throw new ValidationError('dst', `${spec.dst} has host bits set past /${dst.length}`);
  }
  const deleting = action === 'delete';
  const table = spec.table === undefined ? RT_TABLE_MAIN : tableNumber(spec.table);
  const type = spec.type === undefined ? (deleting ? RTN_UNSPEC : RTN_UNICAST) : lookup(TYPES, spec.type, 'type', 255);
  const protocol = spec.protocol === undefined ? (deleting ? RTPROT_UNSPEC : RTPROT_BOOT) : lookup(PROTOCOLS, spec.protocol, 'protocol', 255);
  const metric = spec.metric === undefined ? undefined : intIn(spec.metric, 'metric', 0, 0xffffffff);
  const src = spec.src === undefined ? undefined : gatewayOf(spec.src, family, 'src');
  const hops: Hop[] = [];
  if (spec.nexthops !== undefined) {
    if (!Array.isArray(spec.nexthops) || spec.nexthops.length === 0) throw new ValidationError('nexthops', 'must be a non-empty array');
    if (spec.gateway !== undefined || spec.dev !== undefined) throw new ValidationError('nexthops', 'give gateway and dev per next hop, not on the route');
    spec.nexthops.forEach((h, i) => {
      const f = `nexthops[${i}]`;
      if (h === null || typeof h !== 'object') throw new ValidationError(f, 'must be an object');
      if (h.gateway === undefined && h.dev === undefined) throw new ValidationError(f, 'needs a gateway or a dev');
      hops.push({
        gateway: h.gateway === undefined ? undefined : gatewayOf(h.gateway, family, `${f}.gateway`),
        dev: h.dev === undefined ? undefined : validateDev(h.dev, `${f}.dev`),
        weight: h.weight === undefined ? undefined : intIn(h.weight, `${f}.weight`, 1, 256),
        onlink: h.onlink === true,
      });
    });
  }
  const gateway = spec.gateway === undefined ? undefined : gatewayOf(spec.gateway, family, 'gateway');
  const dev = spec.dev === undefined ? undefined : validateDev(spec.dev);
  let scope: number;
  if (spec.scope !== undefined) scope = scopeNumber(spec.scope);
  else if (deleting) scope = RT_SCOPE_NOWHERE;
  else if (type === RTN_LOCAL || type === RTN_NAT) scope = RT_SCOPE_HOST;
  else if (type === RTN_BROADCAST || type === RTN_MULTICAST || type === RTN_ANYCAST) scope = RT_SCOPE_LINK;
  else if (type === RTN_UNICAST && gateway === undefined && hops.length === 0) scope = RT_SCOPE_LINK;
  else scope = RT_SCOPE_UNIVERSE;
  const devs = [...(dev === undefined ? [] : [dev]), ...hops.flatMap((h) => (h.dev === undefined ? [] : [h.dev]))];
  const text = routeText(dst, family, table);
  return {
    devs,
    write(w, ifindex) {
      w.begin(deleting ? RTM_DELROUTE : RTM_NEWROUTE, NLM_F_REQUEST | NLM_F_ACK | NL_FLAGS[action]);
      w.u8(afOf(family)).u8(dst?.length ?? 0).u8(0).u8(0);
      w.u8(table < 256 ? table : RT_TABLE_UNSPEC).u8(protocol).u8(scope).u8(type);
      w.u32(spec.onlink === true ? RTNH_F_ONLINK : 0);
      if (table >= 256) w.attrU32(RTA_TABLE, table, 'table');
      if (dst && dst.length > 0) w.attrBytes(RTA_DST, dst.bytes, 'dst');
      if (gateway !== undefined) w.attrIp(RTA_GATEWAY, gateway, 'gateway');
      if (dev !== undefined) w.attrU32(RTA_OIF, ifindex(dev, 'dev'), 'dev');
      if (metric !== undefined) w.attrU32(RTA_PRIORITY, metric, 'metric');
      if (src !== undefined) w.attrIp(RTA_PREFSRC, src, 'src');
      if (hops.length > 0) {
        const nest = w.nestPlain(RTA_MULTIPATH, 'nexthops');
        hops.forEach((h, i) => {
          // rtnh_len covers the struct and the hop's own attributes, known up front.
          const attrs = h.gateway === undefined ? 0 : 4 + (family === 4 ? 4 : 16);
          w.u16(RTNEXTHOP_LEN + attrs).u8(h.onlink ? RTNH_F_ONLINK : 0).u8((h.weight ?? 1) - 1);
          w.i32(h.dev === undefined ? 0 : ifindex(h.dev, `nexthops[${i}].dev`));
          if (h.gateway !== undefined) w.attrIp(RTA_GATEWAY, h.gateway, `nexthops[${i}].gateway`);
        });
        w.endNest(nest);
      }
      w.end(`${action} ${text}`);
      return describeRoute(text, spec.gateway ?? hops.find((h) => h.gateway)?.gateway);
    },
  };
}

export interface RouteListFilter {
  family?: IpFamily;
  /** Default: every table. */
  table?: RouteTable;
  protocol?: RouteProtocol | number;
  type?: RouteType | number;
  dev?: DevRef;
}

/** A dump filtered in the kernel (strict checking): table, protocol and type in the header, dev as RTA_OIF. */
export function buildRouteDump(filter: RouteListFilter, oif: number | undefined): MessageWriter {
  const family = filter.family === undefined ? undefined : validateFamily(filter.family);
  const table = filter.table === undefined ? undefined : tableNumber(filter.table);
  const protocol = filter.protocol === undefined ? 0 : lookup(PROTOCOLS, filter.protocol, 'protocol', 255);
  const type = filter.type === undefined ? 0 : lookup(TYPES, filter.type, 'type', 255);
  const w = new MessageWriter(64);
  w.begin(RTM_GETROUTE, NLM_F_REQUEST | NLM_F_DUMP);
  w.u8(family === undefined ? AF_UNSPEC : afOf(family)).u8(0).u8(0).u8(0);
  w.u8(table !== undefined && table < 256 ? table : 0).u8(protocol).u8(0).u8(type).u32(0);
  if (table !== undefined && table >= 256) w.attrU32(RTA_TABLE, table, 'table');
  if (oif !== undefined) w.attrU32(RTA_OIF, oif, 'dev');
  w.end(`list routes${table !== undefined ? ` in table ${table}` : ''}`);
  return w;
}

/** The numeric forms of a filter, to re-check replies when the kernel could not filter. */
export function routeMatches(r: Route, filter: RouteListFilter, oif: number | undefined): boolean {
  if (filter.family !== undefined && r.family !== filter.family) return false;
  if (filter.table !== undefined && r.table !== tableNumber(filter.table)) return false;
  if (filter.protocol !== undefined && r.protocol !== nameOf(PROTOCOLS, lookup(PROTOCOLS, filter.protocol, 'protocol', 255))) return false;
  if (filter.type !== undefined && r.type !== nameOf(TYPES, lookup(TYPES, filter.type, 'type', 255))) return false;
  if (oif !== undefined && r.ifindex !== oif && !r.nexthops?.some((h) => h.ifindex === oif)) return false;
  return true;
}
