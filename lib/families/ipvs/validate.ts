// Checks IPVS input before anything reaches the kernel, and turns it into
// the exact values the kernel wants (resolved keys, merged specs). Every
// problem is a ValidationError naming the caller's field. Services here,
// destinations in validate-destination.ts. Also the one check made after a
// write: did the kernel keep what it was sent (IpvsReadBackError).
import { ipFamily, ipToBytes, bytesToIp, ipv4Bits, ipv4FromBits, isIpv4 } from '../../codec/address.js';
import { ValidationError, showValue } from '../../protocol/errors.js';
import { AF_INET, AF_INET6, IPPROTO_TCP, IPPROTO_UDP, IPPROTO_SCTP } from '../../uapi/linux.js';
import {
  IP_VS_SVC_F_PERSISTENT, IP_VS_SVC_F_ONEPACKET, IP_VS_SVC_F_SCHED1, IP_VS_SVC_F_SCHED2, IP_VS_SVC_F_SCHED3,
  IP_VS_SVC_F_SCHED_SH_FALLBACK, IP_VS_SVC_F_SCHED_SH_PORT, IP_VS_SVC_F_SCHED_MH_FALLBACK, IP_VS_SVC_F_SCHED_MH_PORT,
  IP_VS_CONN_F_MASQ, IP_VS_CONN_F_LOCALNODE, IP_VS_CONN_F_TUNNEL, IP_VS_CONN_F_DROUTE, IP_VS_CONN_F_BYPASS,
  IP_VS_CONN_F_TUNNEL_TYPE_IPIP, IP_VS_CONN_F_TUNNEL_TYPE_GUE, IP_VS_CONN_F_TUNNEL_TYPE_GRE,
  IP_VS_TUNNEL_ENCAP_FLAG_NOCSUM, IP_VS_TUNNEL_ENCAP_FLAG_CSUM, IP_VS_TUNNEL_ENCAP_FLAG_REMCSUM,
  IP_VS_SCHEDNAME_MAXLEN, IP_VS_PENAME_MAXLEN,
} from '../../uapi/ip_vs.js';
import type { IpvsProtocol, Scheduler, ForwardMethod, TunnelType, ServiceKey, ServiceSpec, ServiceFlags, Service } from './types.js';

export const SCHEDULERS: readonly Scheduler[] = ['rr', 'wrr', 'lc', 'wlc', 'lblc', 'lblcr', 'dh', 'sh', 'sed', 'nq', 'fo', 'ovf', 'mh'];
/** ipvsadm's default scheduler. */
export const DEFAULT_SCHEDULER: Scheduler = 'wlc';

export const PROTOCOLS: Record<IpvsProtocol, number> = { tcp: IPPROTO_TCP, udp: IPPROTO_UDP, sctp: IPPROTO_SCTP };
export const FORWARD_METHODS: Record<ForwardMethod, number> = {
  masq: IP_VS_CONN_F_MASQ,
  local: IP_VS_CONN_F_LOCALNODE,
  tunnel: IP_VS_CONN_F_TUNNEL,
  route: IP_VS_CONN_F_DROUTE,
  bypass: IP_VS_CONN_F_BYPASS,
};
export const TUNNEL_TYPES: Record<TunnelType, number> = {
  ipip: IP_VS_CONN_F_TUNNEL_TYPE_IPIP,
  gue: IP_VS_CONN_F_TUNNEL_TYPE_GUE,
  gre: IP_VS_CONN_F_TUNNEL_TYPE_GRE,
};
export type TunnelChecksum = 'none' | 'csum' | 'remcsum';
export const TUNNEL_CHECKSUMS: Record<TunnelChecksum, number> = {
  none: IP_VS_TUNNEL_ENCAP_FLAG_NOCSUM,
  csum: IP_VS_TUNNEL_ENCAP_FLAG_CSUM,
  remcsum: IP_VS_TUNNEL_ENCAP_FLAG_REMCSUM,
};

/** Service flag bits a caller may set; the others (HASHED) belong to the kernel. */
export const USER_FLAG_BITS = IP_VS_SVC_F_PERSISTENT | IP_VS_SVC_F_ONEPACKET | IP_VS_SVC_F_SCHED1 | IP_VS_SVC_F_SCHED2 | IP_VS_SVC_F_SCHED3;
/** Which scheduler each scheduler flag belongs to; SCHED1/SCHED2 mean different things per scheduler. */
const SCHED_FLAGS: Array<[keyof ServiceFlags, Scheduler, number]> = [
  ['shFallback', 'sh', IP_VS_SVC_F_SCHED_SH_FALLBACK],
  ['shPort', 'sh', IP_VS_SVC_F_SCHED_SH_PORT],
  ['mhFallback', 'mh', IP_VS_SVC_F_SCHED_MH_FALLBACK],
  ['mhPort', 'mh', IP_VS_SVC_F_SCHED_MH_PORT],
];

const SCHED_BITS = IP_VS_SVC_F_SCHED1 | IP_VS_SVC_F_SCHED2 | IP_VS_SVC_F_SCHED3;
const namedSchedBits = (scheduler: string): number => SCHED_FLAGS.reduce((bits, [, sched, bit]) => (sched === scheduler ? bits | bit : bits), 0);

export const INT_MAX = 0x7fffffff;
export const U32_MAX = 0xffffffff;
/** svc->timeout is kept in jiffies in an unsigned int: seconds * HZ (up to 1000) must fit. */
const MAX_PERSISTENT = Math.floor(U32_MAX / 1000);

export interface WriteChecks {
  /** Accept a scheduler name that is not one of the 13 built in (a custom ip_vs_<name> module). */
  allowUnknownScheduler?: boolean;
}

/** A service key checked and turned into the values sent to the kernel. */
export interface ServiceId {
  family: 4 | 6;
  /** AF_INET or AF_INET6. */
  af: number;
  /** 0 when the service is named by protocol, address and port. */
  fwmark: number;
  protocol: number;
  /** 4 or 16 bytes, network order; empty for fwmark services. */
  readonly address: Buffer;
  port: number;
  /** An IPv4 address as the caller wrote it (canonical: only a dotted quad parses), written without a Buffer. */
  readonly ipv4Text?: string;
  /** An IPv4 address as ipv4Bits(), when the id keeps it so (the plain adds of a long batch). */
  readonly ipv4Bits?: number;
  /** As ipvsadm prints it: "198.51.100.1:80/tcp", "[2001:db8::1]:80/tcp", "fwmark 1 (IPv6)". */
  readonly text: string;
}

/**
 * The id of a service named by protocol, address and port. Its bytes and its
 * text are made when first read: a bulk create writes IPv4 from the caller's
 * string and names a service only in an error, and making both for each of
 * 10k services was ~190 bytes of garbage apiece.
 */
class AddressedServiceId implements ServiceId {
  private bytes: Buffer | undefined;
  private label: string | undefined;

  constructor(
    readonly family: 4 | 6,
    readonly protocol: number,
    readonly port: number,
    /** In normal form (the caller's own string for IPv4). */
    private readonly addressText: string,
    private readonly protocolName: string,
  ) {}

  get fwmark(): number {
    return 0;
  }

  get af(): number {
    return afOf(this.family);
  }

  get ipv4Text(): string | undefined {
    return this.family === 4 ? this.addressText : undefined;
  }

  get address(): Buffer {
    return (this.bytes ??= ipToBytes(this.addressText, 'service.address'));
  }

  get text(): string {
    return (this.label ??= `${formatAddressPort(this.addressText, this.family, this.port)}/${this.protocolName}`);
  }
}

/** Everything a NEW_SERVICE / SET_SERVICE needs. */
export interface ResolvedService {
  id: ServiceId;
  scheduler: string;
  /** IP_VS_SVC_F_* bits, sent with the mask USER_FLAG_BITS. */
  flags: number;
  /** Seconds. */
  timeout: number;
  /** IPv4: the mask as a number (sent big-endian); IPv6: the prefix length. */
  netmask: number;
  /** undefined: not sent; '' clears the engine on edit. */
  pe?: string;
}

export const afOf = (family: 4 | 6): number => (family === 4 ? AF_INET : AF_INET6);

/**
 * `o[name] === undefined`, without reading a property the object does not
 * have. In Node 20 each such read on an object made by spread syntax
 * (`{ ...key, scheduler }`, as callers build service specs) allocated ~32
 * bytes: checking 10k specs for four absent options made 1.3 MB of garbage.
 */
export function lacks(o: object, name: string): boolean {
  return !(name in o) || (o as Record<string, unknown>)[name] === undefined;
}

export function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null;
}

// `field` and `key` name the value ("ops[3].destination" + "weight"); they are
// joined only for an error, so checking 50k valid ops builds no names.
export function integer(v: unknown, field: string, key: string | undefined, min: number, max: number, what: string): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) {
    throw new ValidationError(key === undefined ? field : `${field}.${key}`, `${what} must be a whole number from ${min} to ${max}, got ${String(v)}`);
  }
  return v;
}

export function formatAddressPort(address: string, family: 4 | 6, port: number): string {
  return family === 6 ? `[${address}]:${port}` : `${address}:${port}`;
}

export function serviceId(key: ServiceKey, field = 'service'): ServiceId {
  if (!isObject(key)) throw new ValidationError(field, 'a service key is an object: { protocol, address, port } or { fwmark }');
  if (!lacks(key, 'fwmark')) {
    if (key.protocol !== undefined || key.address !== undefined || key.port !== undefined) {
      throw new ValidationError(field, 'a service is named by fwmark or by protocol/address/port, not both');
    }
    const fwmark = integer(key.fwmark, field, 'fwmark', 1, U32_MAX, 'a firewall mark');
    const family = key.family ?? 4;
    if (family !== 4 && family !== 6) throw new ValidationError(`${field}.family`, `4 or 6, got ${String(family)}`);
    return { family, af: afOf(family), fwmark, protocol: IPPROTO_TCP, address: Buffer.alloc(0), port: 0, text: `fwmark ${fwmark}${family === 6 ? ' (IPv6)' : ''}` };
  }
  const protocol = PROTOCOLS[key.protocol as IpvsProtocol];
  if (typeof key.protocol !== 'string' || !Object.hasOwn(PROTOCOLS, key.protocol) || protocol === undefined) {
    throw new ValidationError(`${field}.protocol`, `'tcp', 'udp' or 'sctp', got ${showValue(key.protocol)}`);
  }
  const address = key.address;
  let family: 4 | 6 = 4;
  let addressText = address;
  if (typeof address !== 'string' || !isIpv4(address)) ({ family, text: addressText } = parseAddress(address, field));
  const port = integer(key.port, field, 'port', 1, 65535, 'a service port (only fwmark services have none)');
  return new AddressedServiceId(family, protocol, port, addressText, key.protocol);
}

/** `${field}.address` as bytes and normal text (the input itself for IPv4: only the canonical dotted quad parses). */
export function parseAddress(ip: string, field: string): { family: 4 | 6; address: Buffer; text: string } {
  if (typeof ip === 'string' && isIpv4(ip)) return { family: 4, address: ipToBytes(ip, field), text: ip };
  const address = ipToBytes(ip, `${field}.address`);
  return address.length === 4 ? { family: 4, address, text: bytesToIp(address) } : { family: 6, address, text: bytesToIp(address) };
}

/**
 * serviceId() with memory, for one batch: ops name the same service over and
 * over (a service, then each of its destinations), and a key is parsed once.
 * The key object last seen is remembered too: ops that share one key object
 * (a service's destinations, as callers usually build them) skip even the lookup.
 */
export class ServiceIds {
  /**
   * By address text (the caller's own string: nothing is built to look it up),
   * then protocol and port: one id, or an array only for an address that names
   * several services (an array each was ~200 bytes per service in a 10k-service batch).
   */
  private readonly known = new Map<string, ServiceId | ServiceId[]>();
  private lastKey: ServiceKey | undefined;
  private lastId: ServiceId | undefined;

  get(key: ServiceKey, field: string): ServiceId {
    if (key === this.lastKey) return this.lastId!;
    // Only plain, well-typed keys are remembered; anything else goes the checked way (and may throw).
    if (!isObject(key) || !lacks(key, 'fwmark') || !lacks(key, 'family') || typeof key.address !== 'string' || typeof key.port !== 'number' || typeof key.protocol !== 'string') {
      return serviceId(key, field);
    }
    const protocol = Object.hasOwn(PROTOCOLS, key.protocol) ? PROTOCOLS[key.protocol as IpvsProtocol] : -1;
    const same = this.known.get(key.address);
    let id: ServiceId | undefined;
    if (Array.isArray(same)) {
      for (const s of same) if (s.protocol === protocol && s.port === key.port) id = s;
    } else if (same !== undefined && same.protocol === protocol && same.port === key.port) id = same;
    if (id === undefined) {
      id = serviceId(key, field);
      if (same === undefined) this.known.set(key.address, id);
      else if (Array.isArray(same)) same.push(id);
      else this.known.set(key.address, [same, id]);
    }
    this.lastKey = key;
    this.lastId = id;
    return id;
  }

  /** Call when the caller could have changed a key object since the last get() (after an await). */
  forgetLast(): void {
    this.lastKey = undefined;
    this.lastId = undefined;
  }
}

/** The id of a service read from the kernel (trusted: no checks, any protocol number). */
export function serviceIdOf(s: Service): ServiceId {
  const af = afOf(s.family);
  if (s.fwmark !== undefined) return { family: s.family, af, fwmark: s.fwmark, protocol: IPPROTO_TCP, address: Buffer.alloc(0), port: 0, text: serviceKeyText(s) };
  const protocol = PROTOCOLS[s.protocol] ?? Number(s.protocol);
  return new AddressedServiceId(s.family, protocol, s.port, s.address, s.protocol);
}

/** A key as read from the kernel, in the same normal form as serviceId(). */
export function serviceKeyText(s: Service): string {
  return s.fwmark !== undefined ? `fwmark ${s.fwmark}${s.family === 6 ? ' (IPv6)' : ''}` : `${formatAddressPort(s.address, s.family, s.port)}/${s.protocol}`;
}

function v4MaskToNumber(mask: string | number, field: string): number {
  if (typeof mask === 'number') {
    const bits = integer(mask, field, undefined, 0, 32, 'an IPv4 prefix length');
    return bits === 0 ? 0 : (U32_MAX << (32 - bits)) >>> 0;
  }
  if (typeof mask !== 'string' || ipFamily(mask, field) !== 4) {
    throw new ValidationError(field, `an IPv4 service takes a dotted netmask such as '255.255.255.0', got ${showValue(mask)}`);
  }
  const n = ipToBytes(mask, field).readUInt32BE(0);
  // Contiguous: the inverted mask plus one is a power of two (or zero for /0).
  const inv = ~n >>> 0;
  if ((inv & (inv + 1)) !== 0) throw new ValidationError(field, `not a contiguous netmask: ${mask}`);
  return n;
}

function netmaskValue(mask: string | number, family: 4 | 6, field: string): number {
  if (family === 4) return v4MaskToNumber(mask, field);
  if (typeof mask === 'string' && /^\d+$/.test(mask)) mask = Number(mask);
  if (typeof mask !== 'number') throw new ValidationError(field, `an IPv6 service takes a prefix length (1 to 128), got ${showValue(mask)}`);
  return integer(mask, field, undefined, 1, 128, 'an IPv6 prefix length');
}

/** `${field}.scheduler`, checked. */
function schedulerName(name: unknown, field: string, checks: WriteChecks): string {
  if (typeof name !== 'string' || name === '') throw new ValidationError(`${field}.scheduler`, `a scheduler name, got ${showValue(name)}`);
  if (!(SCHEDULERS as readonly string[]).includes(name)) {
    if (!checks.allowUnknownScheduler) {
      throw new ValidationError(`${field}.scheduler`, `unknown scheduler ${showValue(name)}: one of ${SCHEDULERS.join(', ')} (pass allowUnknownScheduler for a custom module)`);
    }
    if (!/^[a-z0-9_]+$/i.test(name) || name.length > IP_VS_SCHEDNAME_MAXLEN - 1) {
      throw new ValidationError(`${field}.scheduler`, `a scheduler name is 1 to ${IP_VS_SCHEDNAME_MAXLEN - 1} letters, digits or '_', got ${showValue(name)}`);
    }
  }
  return name;
}

function peName(name: unknown, field: string): string {
  if (typeof name !== 'string') throw new ValidationError(field, `a persistence engine name such as 'sip', got ${showValue(name)}`);
  if (name.length > IP_VS_PENAME_MAXLEN - 1 || !/^[a-z0-9_]*$/i.test(name)) {
    throw new ValidationError(field, `a persistence engine name is at most ${IP_VS_PENAME_MAXLEN - 1} letters, digits or '_', got ${showValue(name)}`);
  }
  return name;
}

/** The named flags a service has, read from its bits in the light of its scheduler. */
export function namedFlags(bits: number, scheduler: string): Required<ServiceFlags> {
  const flags = { onePacket: (bits & IP_VS_SVC_F_ONEPACKET) !== 0, shFallback: false, shPort: false, mhFallback: false, mhPort: false };
  // Most services set no scheduler flag: no walk over the table for them (a snapshot names 10k).
  if ((bits & SCHED_BITS) === 0) return flags;
  for (const [name, sched, bit] of SCHED_FLAGS) if (sched === scheduler && (bits & bit) !== 0) flags[name] = true;
  return flags;
}

/**
 * The id plainServiceKey() fills: one for all, read before the next call. It
 * keeps the address as bits; its bytes and text are made from them if asked.
 */
class ScratchServiceId implements ServiceId {
  readonly family = 4;
  readonly af = AF_INET;
  readonly fwmark = 0;
  protocol = 0;
  port = 0;
  ipv4Bits = 0;

  get address(): Buffer {
    return ipToBytes(ipv4FromBits(this.ipv4Bits), 'service.address');
  }

  get text(): string {
    return `${formatAddressPort(ipv4FromBits(this.ipv4Bits), 4, this.port)}/${nameOf(PROTOCOLS, this.protocol) ?? this.protocol}`;
  }
}
const scratchId = new ScratchServiceId();

/**
 * serviceId() for a plain key, with no object made and nothing remembered:
 * { protocol, address, port } with an IPv4 address, and no fwmark or family.
 * Returns a shared id, valid until the next call, or undefined for any other
 * key (serviceId() then takes it, and names what is wrong). In a bulk create
 * this left out an id and a map entry per service (~170 bytes each).
 */
export function plainServiceKey(key: ServiceKey): ServiceId | undefined {
  if (!isObject(key) || !lacks(key, 'fwmark') || !lacks(key, 'family') || typeof key.protocol !== 'string' || !Object.hasOwn(PROTOCOLS, key.protocol)) return undefined;
  const address = key.address;
  const bits = typeof address === 'string' ? ipv4Bits(address) : NaN;
  const port = key.port;
  if (bits !== bits || typeof port !== 'number' || !Number.isInteger(port) || port < 1 || port > 65535) return undefined;
  return plainServiceKeyOf(PROTOCOLS[key.protocol as IpvsProtocol], bits, port);
}

/** A plain key from its checked values, in the shared id plainServiceKey() returns. */
export function plainServiceKeyOf(protocol: number, bits: number, port: number): ServiceId {
  scratchId.protocol = protocol;
  scratchId.ipv4Bits = bits;
  scratchId.port = port;
  return scratchId;
}

/** The object plainService() fills: one for all, written out before the next op is checked. */
const scratchService: ResolvedService = { id: undefined as unknown as ServiceId, scheduler: '', flags: 0, timeout: 0, netmask: 0, pe: undefined };

/**
 * resolveService() for the common add, with no object made: a built-in
 * scheduler (or none: the default), and no flags, persistence, netmask or
 * persistence engine. Returns a shared object that is only valid until the
 * next call (write it out at once), or undefined for anything else, which
 * resolveService then takes (and names what is wrong).
 */
export function plainService(spec: ServiceSpec, id: ServiceId): ResolvedService | undefined {
  if (!isObject(spec) || !lacks(spec, 'flags') || !lacks(spec, 'pe') || !lacks(spec, 'persistent') || !lacks(spec, 'netmask')) return undefined;
  const scheduler = spec.scheduler === undefined ? DEFAULT_SCHEDULER : spec.scheduler;
  if (typeof scheduler !== 'string' || !(SCHEDULERS as readonly string[]).includes(scheduler)) return undefined;
  return plainServiceOf(id, scheduler);
}

/** The plain service add of `id` with `scheduler`, in the shared object plainService() returns. */
export function plainServiceOf(id: ServiceId, scheduler: string): ResolvedService {
  scratchService.id = id;
  scratchService.scheduler = scheduler;
  scratchService.netmask = id.family === 4 ? U32_MAX : 128;
  return scratchService;
}

/**
 * The complete service to send: the caller's spec over `current` (for an
 * edit) or over ipvsadm's defaults (for an add). Flags that belong to the
 * old scheduler are dropped when the scheduler changes, unless restated.
 */
export function resolveService(spec: ServiceSpec, field: string, checks: WriteChecks, current?: Service, id = serviceId(spec, field)): ResolvedService {
  const scheduler = spec.scheduler !== undefined ? schedulerName(spec.scheduler, field, checks) : (current?.scheduler ?? DEFAULT_SCHEDULER);

  let persistent = current?.persistent ?? 0;
  if (spec.persistent !== undefined) {
    persistent = integer(spec.persistent, field, 'persistent', 0, MAX_PERSISTENT, 'a persistence timeout in seconds');
  }

  let netmask: number;
  if (spec.netmask !== undefined) netmask = netmaskValue(spec.netmask, id.family, `${field}.netmask`);
  else if (current !== undefined) netmask = netmaskValue(current.netmask, id.family, `${field}.netmask`);
  else netmask = id.family === 4 ? U32_MAX : 128;

  // Scheduler flags mean something only to their scheduler: they survive an
  // edit that keeps the scheduler, and are dropped by one that changes it.
  const sameScheduler = current !== undefined && current.scheduler === scheduler;
  const named = namedFlags(current?.flagBits ?? 0, sameScheduler ? scheduler : '');
  if (spec.flags !== undefined) {
    if (!isObject(spec.flags)) throw new ValidationError(`${field}.flags`, 'an object of booleans');
    for (const [name, value] of Object.entries(spec.flags)) {
      if (!Object.hasOwn(named, name)) throw new ValidationError(`${field}.flags.${name}`, 'unknown flag: onePacket, shFallback, shPort, mhFallback or mhPort');
      if (value !== undefined && typeof value !== 'boolean') throw new ValidationError(`${field}.flags.${name}`, `true or false, got ${String(value)}`);
      if (value !== undefined) named[name as keyof ServiceFlags] = value;
    }
  }
  // Bits we cannot name (a custom scheduler's, SCHED3) are kept as they are.
  let flags = sameScheduler ? current.flagBits & SCHED_BITS & ~namedSchedBits(scheduler) : 0;
  if (persistent > 0) flags |= IP_VS_SVC_F_PERSISTENT;
  if (named.onePacket) flags |= IP_VS_SVC_F_ONEPACKET;
  for (const [name, sched, bit] of SCHED_FLAGS) {
    if (!named[name]) continue;
    if (sched !== scheduler) throw new ValidationError(`${field}.flags.${name}`, `only for the ${sched} scheduler, not ${scheduler}`);
    flags |= bit;
  }

  let pe: string | undefined;
  if (spec.pe !== undefined) pe = peName(spec.pe, `${field}.pe`);
  else if (current?.pe !== undefined) pe = current.pe;
  return { id, scheduler, flags, timeout: persistent, netmask, pe };
}

/** The kernel accepted a write but does not report back what it was sent (an older kernel ignoring newer attributes). */
export class IpvsReadBackError extends Error {
  readonly code = 'ERR_NL_IPVS_READBACK';
  constructor(
    readonly operation: string,
    readonly mismatches: ReadonlyArray<Mismatch>,
  ) {
    const list = mismatches.map((m) => `${m.field} (sent ${showValue(m.sent)}, reads ${showValue(m.read)})`).join(', ');
    super(`${operation}: the kernel accepted the request but did not keep ${list}; it probably predates these attributes (tunnel options need Linux 5.2+)`);
    this.name = 'IpvsReadBackError';
  }
}

export type Mismatch = { field: string; sent: unknown; read: unknown };

/** The keys whose values differ between what was sent and what was read back. */
export function differences(field: string, sent: object, read: object | undefined, keys: string[]): Mismatch[] {
  if (read === undefined) return [{ field, sent: 'present', read: 'absent' }];
  const out: Mismatch[] = [];
  for (const k of keys) {
    const a = (sent as Record<string, unknown>)[k];
    const b = (read as Record<string, unknown>)[k];
    const same = typeof a === 'object' && a !== null ? showValue(a) === showValue(b) : a === b;
    if (!same) out.push({ field: `${field}.${k}`, sent: a, read: b });
  }
  return out;
}

const reverse = new WeakMap<object, Map<number, string>>();

/** The name a table gives a number (first name wins); decoders call this per object, so the reverse map is built once. */
export function nameOf<K extends string>(table: Record<K, number>, value: number): K | undefined {
  let names = reverse.get(table);
  if (names === undefined) {
    names = new Map();
    for (const k of Object.keys(table)) if (!names.has(table[k as K])) names.set(table[k as K], k);
    reverse.set(table, names);
  }
  return names.get(value) as K | undefined;
}
