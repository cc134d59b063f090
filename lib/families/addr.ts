// RTM_*ADDR: interface addresses (IPv4 and IPv6). Also the small pieces every
// rtnetlink object shares: device references, CIDR prefixes, scopes, ranges.
import { MessageWriter } from '../codec/writer.js';
import { AttrTable, type RawAttribute } from '../codec/reader.js';
import { ipFamily, ipToBytes, parseIpv4, bytesToIp, type IpFamily } from '../codec/address.js';
import { ValidationError, showValue } from '../protocol/errors.js';
import type { Describe } from '../protocol/connection.js';
import { needHeader, type Message } from '../protocol/message.js';
import { validateIfindex, validateIfname } from './link/link.js';
import {
  IFA_ADDRESS, IFA_LOCAL, IFA_LABEL, IFA_BROADCAST, IFA_ANYCAST, IFA_CACHEINFO, IFA_FLAGS, IFA_RT_PRIORITY, IFA_PROTO,
  IFA_F_SECONDARY, IFA_F_NODAD, IFA_F_OPTIMISTIC, IFA_F_DADFAILED, IFA_F_HOMEADDRESS, IFA_F_DEPRECATED,
  IFA_F_TENTATIVE, IFA_F_PERMANENT, IFA_F_MANAGETEMPADDR, IFA_F_NOPREFIXROUTE, IFA_F_MCAUTOJOIN, IFA_F_STABLE_PRIVACY,
} from '../uapi/if_addr.js';
import {
  IFADDRMSG_LEN, RTM_NEWADDR, RTM_DELADDR, RTM_GETADDR,
  RT_SCOPE_UNIVERSE, RT_SCOPE_SITE, RT_SCOPE_LINK, RT_SCOPE_HOST, RT_SCOPE_NOWHERE,
} from '../uapi/rtnetlink.js';
import { NLM_F_REQUEST, NLM_F_ACK, NLM_F_DUMP, NLM_F_CREATE, NLM_F_EXCL, NLM_F_REPLACE } from '../uapi/netlink.js';
import { AF_INET, AF_INET6, AF_UNSPEC } from '../uapi/linux.js';
import { IFNAMSIZ } from '../uapi/if.js';

// ---- shared by every rtnetlink object ----------------------------------------------------------

/** An interface by name ('vxlan42') or ifindex. */
export type DevRef = string | number;

/** Turns a device reference into an ifindex, from names looked up before anything is written. */
export type ResolveIfindex = (dev: DevRef, field: string) => number;

/**
 * One validated operation, ready to write once its device names are resolved.
 * Single calls and batches both go through this, so they send identical bytes.
 */
export interface RtnlRequest {
  /** Device references the request needs as ifindexes. */
  devs: DevRef[];
  /** Appends the message to `w`; returns a describe callback for kernel errors. */
  write(w: MessageWriter, ifindex: ResolveIfindex): Describe;
}

export function validateDev(dev: unknown, field = 'dev'): DevRef {
  return typeof dev === 'number' ? validateIfindex(dev, field) : validateIfname(dev, field);
}

/** An integer in [min, max], or a ValidationError naming the field. */
export function intIn(value: unknown, field: string, min: number, max: number): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw new ValidationError(field, `must be an integer from ${min} to ${max}, got ${showValue(value)}`);
  }
  return value;
}

export function afOf(family: IpFamily): number {
  return family === 4 ? AF_INET : AF_INET6;
}

export function familyOf(af: number): IpFamily | undefined {
  return af === AF_INET ? 4 : af === AF_INET6 ? 6 : undefined;
}

export function validateFamily(family: unknown, field = 'family'): IpFamily {
  if (family !== 4 && family !== 6) throw new ValidationError(field, `must be 4 or 6, got ${showValue(family)}`);
  return family;
}

/** An address with its prefix length, parsed from '192.0.2.1/24' or an address plus a length. */
export interface Prefix {
  family: IpFamily;
  ip: string;
  bytes: Buffer;
  length: number;
}

/**
 * Parses 'ip/len' (or a bare ip with `length`, or a host prefix when neither is given).
 * `field` names the text; `lengthField` the separate length.
 */
export function parsePrefix(text: unknown, field: string, length?: unknown, lengthField = 'prefix'): Prefix {
  if (typeof text !== 'string') throw new ValidationError(field, `must be an address string, got ${showValue(text)}`);
  const slash = text.indexOf('/');
  const ip = slash >= 0 ? text.slice(0, slash) : text;
  const family = ipFamily(ip, field);
  const max = family === 4 ? 32 : 128;
  let len: number;
  if (slash >= 0) {
    const tail = text.slice(slash + 1);
    if (!/^\d{1,3}$/.test(tail)) throw new ValidationError(field, `bad prefix length in ${showValue(text)}`);
    len = intIn(Number(tail), field, 0, max);
    if (length !== undefined && length !== len) {
      throw new ValidationError(lengthField, `${showValue(length)} contradicts the length in ${showValue(text)}`);
    }
  } else {
    len = length === undefined ? max : intIn(length, lengthField, 0, max);
  }
  return { family, ip, bytes: ipToBytes(ip, field), length: len };
}

/** True when the bits past the prefix length are all zero (a network, not a host in it). */
export function isNetwork(bytes: Buffer, length: number): boolean {
  for (let bit = length; bit < bytes.length * 8; bit++) {
    if (bytes[bit >> 3]! & (0x80 >> (bit & 7))) return false;
  }
  return true;
}

export type Scope = 'universe' | 'site' | 'link' | 'host' | 'nowhere';
const SCOPES: Record<Scope, number> = {
  universe: RT_SCOPE_UNIVERSE, site: RT_SCOPE_SITE, link: RT_SCOPE_LINK, host: RT_SCOPE_HOST, nowhere: RT_SCOPE_NOWHERE,
};

/** 'global' is accepted too: `ip addr` prints universe scope that way. */
export function scopeNumber(scope: unknown, field = 'scope'): number {
  if (typeof scope === 'number') return intIn(scope, field, 0, 255);
  if (scope === 'global') return RT_SCOPE_UNIVERSE;
  const n = SCOPES[scope as Scope];
  if (n === undefined) throw new ValidationError(field, `unknown scope ${showValue(scope)} (${Object.keys(SCOPES).join(', ')} or 0..255)`);
  return n;
}

export function scopeName(n: number): Scope | number {
  for (const [name, value] of Object.entries(SCOPES)) if (value === n) return name as Scope;
  return n;
}

/** Unknown attributes of a table, or nothing. */
export function withUnknown<T extends { unknown?: RawAttribute[] }>(o: T, t: AttrTable, known: ReadonlySet<number>): T {
  // Set only when there are some: an object per decoded entry to merge in was garbage for every dump part.
  const unknown = t.unknown(known);
  if (unknown) o.unknown = unknown;
  return o;
}

// ---- addresses --------------------------------------------------------------------------------

/** Flags a caller may set on an address. */
export type AddressSettableFlag = 'nodad' | 'optimistic' | 'home' | 'mngtmpaddr' | 'noprefixroute' | 'autojoin';
export type AddressFlag =
  | AddressSettableFlag
  | 'secondary'
  | 'dadfailed'
  | 'deprecated'
  | 'tentative'
  | 'permanent'
  | 'stable-privacy';

const FLAG_BITS: Record<AddressFlag, number> = {
  secondary: IFA_F_SECONDARY,
  nodad: IFA_F_NODAD,
  optimistic: IFA_F_OPTIMISTIC,
  dadfailed: IFA_F_DADFAILED,
  home: IFA_F_HOMEADDRESS,
  deprecated: IFA_F_DEPRECATED,
  tentative: IFA_F_TENTATIVE,
  permanent: IFA_F_PERMANENT,
  mngtmpaddr: IFA_F_MANAGETEMPADDR,
  noprefixroute: IFA_F_NOPREFIXROUTE,
  autojoin: IFA_F_MCAUTOJOIN,
  'stable-privacy': IFA_F_STABLE_PRIVACY,
};
const SETTABLE: ReadonlySet<string> = new Set<AddressSettableFlag>(['nodad', 'optimistic', 'home', 'mngtmpaddr', 'noprefixroute', 'autojoin']);

/** Seconds, or 'forever' (the kernel's INFINITY_LIFE_TIME). */
export type Lifetime = number | 'forever';
const FOREVER = 0xffffffff;

export interface AddressSpec {
  dev: DevRef;
  /** '192.0.2.1/24', '2001:db8::1/64', or a bare address with `prefix` (default: a host prefix). */
  address: string;
  prefix?: number;
  /** The other end of a point-to-point link (IFA_ADDRESS); the prefix then applies to it. */
  peer?: string;
  /** IPv4 broadcast; '+' computes it from the prefix as `ip addr add ... brd +` does. */
  broadcast?: string;
  /** IPv4 label (IFA_LABEL), at most 15 bytes. */
  label?: string;
  scope?: Scope | 'global' | number;
  flags?: AddressSettableFlag[];
  validLifetime?: Lifetime;
  preferredLifetime?: Lifetime;
  /** Metric of the prefix route the kernel adds (IFA_RT_PRIORITY). */
  metric?: number;
}

export interface Address {
  family: IpFamily;
  ifindex: number;
  /** The interface name, when the API could resolve it. */
  dev?: string;
  /** The local address (IFA_LOCAL, or IFA_ADDRESS when there is no local). */
  address: string;
  prefix: number;
  /** The peer (IFA_ADDRESS), when it differs from the local address. */
  peer?: string;
  broadcast?: string;
  anycast?: string;
  label?: string;
  scope: Scope | number;
  flags: AddressFlag[];
  /** IFA_F_* bits as the kernel sent them. */
  flagBits: number;
  validLifetime?: Lifetime;
  preferredLifetime?: Lifetime;
  /** Creation and last update, in hundredths of a second since boot (ifa_cacheinfo). */
  created?: number;
  updated?: number;
  metric?: number;
  /** IFA_PROTO: who added it (0 unspecified, 1 kernel loopback, 2 RA, 3 link-local). */
  protocol?: number;
  unknown?: RawAttribute[];
}

const KNOWN = new Set([IFA_ADDRESS, IFA_LOCAL, IFA_LABEL, IFA_BROADCAST, IFA_ANYCAST, IFA_CACHEINFO, IFA_FLAGS, IFA_RT_PRIORITY, IFA_PROTO]);

export function decodeAddress(msg: Message): Address | undefined {
  const b = msg.buf;
  const o = msg.offset;
  needHeader(msg, IFADDRMSG_LEN, 'an address message');
  const family = familyOf(b[o]!);
  if (family === undefined) return undefined;
  const t = new AttrTable(b, o + IFADDRMSG_LEN, msg.end);
  const local = t.bytes(IFA_LOCAL);
  const addr = t.bytes(IFA_ADDRESS);
  const main = local ?? addr;
  if (main === undefined) return undefined;
  const flagBits = t.u32(IFA_FLAGS) ?? b[o + 2]!;
  const a: Address = {
    family,
    ifindex: b.readUInt32LE(o + 4),
    address: bytesToIp(main),
    prefix: b[o + 1]!,
    scope: scopeName(b[o + 3]!),
    flags: (Object.keys(FLAG_BITS) as AddressFlag[]).filter((f) => (flagBits & FLAG_BITS[f]) !== 0 && !(f === 'secondary' && family === 6)),
    flagBits,
  };
  if (local && addr && !local.equals(addr)) a.peer = bytesToIp(addr);
  const brd = t.bytes(IFA_BROADCAST);
  if (brd) a.broadcast = bytesToIp(brd);
  const any = t.bytes(IFA_ANYCAST);
  if (any) a.anycast = bytesToIp(any);
  const label = t.str(IFA_LABEL);
  if (label !== undefined) a.label = label;
  const ci = t.bytes(IFA_CACHEINFO);
  if (ci && ci.length >= 16) {
    const pref = ci.readUInt32LE(0);
    const valid = ci.readUInt32LE(4);
    a.preferredLifetime = pref === FOREVER ? 'forever' : pref;
    a.validLifetime = valid === FOREVER ? 'forever' : valid;
    a.created = ci.readUInt32LE(8);
    a.updated = ci.readUInt32LE(12);
  }
  const metric = t.u32(IFA_RT_PRIORITY);
  if (metric !== undefined) a.metric = metric;
  const proto = t.u8(IFA_PROTO);
  if (proto !== undefined) a.protocol = proto;
  return withUnknown(a, t, KNOWN);
}

function lifetime(v: unknown, field: string): number {
  return v === 'forever' ? FOREVER : intIn(v, field, 0, FOREVER);
}

export type AddressAction = 'add' | 'replace' | 'delete';

/** '192.0.2.1/24' for messages. */
function addressText(p: Prefix): string {
  return `${p.ip}/${p.length}`;
}

export function describeAddress(text: string, dev: DevRef): Describe {
  return (errno) => {
    if (errno === -17) return `address ${text} on ${dev} already exists`;
    if (errno === -99 || errno === -2) return `no address ${text} on ${dev}`;
    if (errno === -19) return `no link ${showValue(dev)}`;
    return undefined;
  };
}

/** Validates an address operation; nothing is written until the request's write(). */
export function addressRequest(action: AddressAction, spec: AddressSpec): RtnlRequest {
  if (spec === null || typeof spec !== 'object') throw new ValidationError('address', 'an address spec object is required');
  const dev = validateDev(spec.dev);
  const local = parsePrefix(spec.address, 'address', spec.prefix);
  const deleting = action === 'delete';
  // Checked here, parsed again by write() straight into the message.
  const peer = spec.peer;
  if (peer !== undefined && ipFamily(peer, 'peer') !== local.family) throw new ValidationError('peer', 'must be of the same family as the address');
  let broadcast: number | undefined; // IPv4, as a u32
  if (spec.broadcast !== undefined) {
    if (local.family !== 4) throw new ValidationError('broadcast', 'IPv6 has no broadcast addresses');
    if (spec.broadcast === '+') {
      const host = local.length >= 32 ? 0 : 0xffffffff >>> local.length;
      broadcast = (local.bytes.readUInt32BE(0) | host) >>> 0;
    } else {
      if (ipFamily(spec.broadcast, 'broadcast') !== 4) throw new ValidationError('broadcast', 'must be an IPv4 address');
      broadcast = parseIpv4(spec.broadcast);
    }
  }
  if (spec.label !== undefined) {
    if (local.family !== 4) throw new ValidationError('label', 'labels exist for IPv4 addresses only');
    if (typeof spec.label !== 'string' || Buffer.byteLength(spec.label) === 0 || Buffer.byteLength(spec.label) >= IFNAMSIZ) {
      throw new ValidationError('label', `must have 1 to ${IFNAMSIZ - 1} bytes`);
    }
  }
  const scope = spec.scope === undefined ? undefined : scopeNumber(spec.scope);
  let flags: number | undefined;
  if (spec.flags !== undefined) {
    if (!Array.isArray(spec.flags)) throw new ValidationError('flags', 'must be an array of flag names');
    flags = 0;
    for (const [i, f] of spec.flags.entries()) {
      if (!SETTABLE.has(f)) throw new ValidationError(`flags[${i}]`, `not a settable address flag: ${showValue(f)} (${[...SETTABLE].join(', ')})`);
      flags |= FLAG_BITS[f];
    }
  }
  let cacheinfo: Buffer | undefined;
  if (spec.validLifetime !== undefined || spec.preferredLifetime !== undefined) {
    const valid = spec.validLifetime === undefined ? FOREVER : lifetime(spec.validLifetime, 'validLifetime');
    const preferred = spec.preferredLifetime === undefined ? FOREVER : lifetime(spec.preferredLifetime, 'preferredLifetime');
    if (valid === 0) throw new ValidationError('validLifetime', 'must be above 0');
    if (preferred > valid) throw new ValidationError('preferredLifetime', 'cannot exceed validLifetime');
    cacheinfo = Buffer.alloc(16);
    cacheinfo.writeUInt32LE(preferred, 0);
    cacheinfo.writeUInt32LE(valid, 4);
  }
  const metric = spec.metric === undefined ? undefined : intIn(spec.metric, 'metric', 0, 0xffffffff);
  const text = addressText(local);
  return {
    devs: [dev],
    write(w, ifindex) {
      const index = ifindex(dev, 'dev');
      const type = deleting ? RTM_DELADDR : RTM_NEWADDR;
      const nlFlags = NLM_F_REQUEST | NLM_F_ACK | (action === 'add' ? NLM_F_CREATE | NLM_F_EXCL : action === 'replace' ? NLM_F_CREATE | NLM_F_REPLACE : 0);
      w.begin(type, nlFlags);
      w.u8(afOf(local.family)).u8(local.length).u8((flags ?? 0) & 0xff).u8(scope ?? RT_SCOPE_UNIVERSE).u32(index);
      w.attrBytes(IFA_LOCAL, local.bytes, 'address');
      // Without a peer the kernel wants IFA_ADDRESS = IFA_LOCAL; on delete it also makes the prefix part of the match.
      if (peer !== undefined) w.attrIp(IFA_ADDRESS, peer, 'peer');
      else if (!deleting || spec.prefix !== undefined || spec.address.includes('/')) w.attrBytes(IFA_ADDRESS, local.bytes, 'address');
      if (broadcast !== undefined) w.attrBe32(IFA_BROADCAST, broadcast, 'broadcast');
      if (spec.label !== undefined) w.attrString(IFA_LABEL, spec.label, 'label');
      if (flags !== undefined && !deleting) w.attrU32(IFA_FLAGS, flags, 'flags');
      if (cacheinfo) w.attrBytes(IFA_CACHEINFO, cacheinfo, 'validLifetime');
      if (metric !== undefined) w.attrU32(IFA_RT_PRIORITY, metric, 'metric');
      w.end(`${action} address ${text} on ${dev}`);
      return describeAddress(text, dev);
    },
  };
}

export interface AddressListFilter {
  dev?: DevRef;
  family?: IpFamily;
}

/** One dump, filtered in the kernel by family and (with strict checking) by ifindex. */
export function buildAddressDump(family: IpFamily | undefined, ifindex: number | undefined): MessageWriter {
  const w = new MessageWriter(64);
  w.begin(RTM_GETADDR, NLM_F_REQUEST | NLM_F_DUMP);
  w.u8(family === undefined ? AF_UNSPEC : afOf(family)).u8(0).u8(0).u8(0).u32(ifindex ?? 0);
  w.end(`list addresses${family ? ` (IPv${family})` : ''}${ifindex ? ` on ifindex ${ifindex}` : ''}`);
  return w;
}
