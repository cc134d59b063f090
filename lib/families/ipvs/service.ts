// IPVS virtual services: the IPVS_CMD_ATTR_SERVICE nest written for
// NEW/SET/DEL/GET_SERVICE (and as the service part of every destination
// command), and services decoded from the kernel's replies.
import {
  FirstOfEach, attrTypeAt, be16At, findAttr, ipAt, nextAttr, payloadLength, strAt, typeBits, u16At, u32At,
} from '../../codec/reader.js';
import { bytesToIp } from '../../codec/address.js';
import { u32le } from '../../codec/bytes.js';
import { MessageWriter } from '../../codec/writer.js';
import { fieldNames } from '../../codec/field-names.js';
import type { Connection, DumpOptions, RequestOptions, Describe } from '../../protocol/connection.js';
import { errnoCode } from '../../protocol/errors.js';
import type { Message } from '../../protocol/message.js';
import { AF_INET6 } from '../../uapi/linux.js';
import { NLM_F_REQUEST, NLM_F_ACK, NLM_F_DUMP } from '../../uapi/netlink.js';
import {
  IPVS_GENL_VERSION, IPVS_CMD_GET_SERVICE, IP_VS_SVC_F_PERSISTENT, IPVS_CMD_ATTR_SERVICE, IP_VS_FLAGS_LEN,
  IPVS_SVC_ATTR_AF, IPVS_SVC_ATTR_PROTOCOL, IPVS_SVC_ATTR_ADDR, IPVS_SVC_ATTR_PORT, IPVS_SVC_ATTR_FWMARK,
  IPVS_SVC_ATTR_SCHED_NAME, IPVS_SVC_ATTR_FLAGS, IPVS_SVC_ATTR_TIMEOUT, IPVS_SVC_ATTR_NETMASK,
  IPVS_SVC_ATTR_STATS, IPVS_SVC_ATTR_PE_NAME, IPVS_SVC_ATTR_STATS64,
} from '../../uapi/ip_vs.js';
import { beginGenl } from '../genl.js';
import { GENL_HDRLEN } from '../../uapi/genetlink.js';
import { decodeStatsAt, zeroStats } from './stats.js';
import type { IpvsProtocol, Service, ServiceKey } from './types.js';
import {
  PROTOCOLS, USER_FLAG_BITS, afOf, differences, namedFlags, nameOf, serviceId, type Mismatch, type ResolvedService, type ServiceId,
} from './validate.js';

// The types decodeServiceIn reads; any other is kept raw in `unknown`.
const WALK = new FirstOfEach(typeBits([
  IPVS_SVC_ATTR_AF, IPVS_SVC_ATTR_PROTOCOL, IPVS_SVC_ATTR_ADDR, IPVS_SVC_ATTR_PORT, IPVS_SVC_ATTR_FWMARK,
  IPVS_SVC_ATTR_SCHED_NAME, IPVS_SVC_ATTR_FLAGS, IPVS_SVC_ATTR_TIMEOUT, IPVS_SVC_ATTR_NETMASK,
  IPVS_SVC_ATTR_STATS, IPVS_SVC_ATTR_PE_NAME, IPVS_SVC_ATTR_STATS64,
]));

/** Starts one IPVS command in `w`. */
export function beginIpvs(w: MessageWriter, familyId: number, cmd: number, flags = NLM_F_REQUEST | NLM_F_ACK): MessageWriter {
  return beginGenl(w, familyId, cmd, IPVS_GENL_VERSION, flags);
}

const serviceFields = fieldNames(['family', 'fwmark', 'protocol', 'address', 'port', 'scheduler', 'pe', 'flags', 'persistent', 'netmask']);
// struct ip_vs_flags is copied from here into the message (no buffer per service).
const flagsScratch = Buffer.alloc(IP_VS_FLAGS_LEN);

/** The identifying attributes: family, then fwmark or protocol + address + port. */
export function writeServiceId(w: MessageWriter, id: ServiceId, field: string): void {
  const f = serviceFields(field);
  w.attrU16(IPVS_SVC_ATTR_AF, id.af, f.family);
  if (id.fwmark) {
    w.attrU32(IPVS_SVC_ATTR_FWMARK, id.fwmark, f.fwmark);
  } else {
    w.attrU16(IPVS_SVC_ATTR_PROTOCOL, id.protocol, f.protocol);
    if (id.ipv4Bits !== undefined) w.attrIpv4(IPVS_SVC_ATTR_ADDR, id.ipv4Bits, f.address);
    else if (id.ipv4Text !== undefined) w.attrIp(IPVS_SVC_ATTR_ADDR, id.ipv4Text, f.address);
    else w.attrBytes(IPVS_SVC_ATTR_ADDR, id.address, f.address);
    w.attrBe16(IPVS_SVC_ATTR_PORT, id.port, f.port);
  }
}

/**
 * The IPVS_CMD_ATTR_SERVICE nest of a service read from the kernel, its key
 * alone, without field names: a snapshot writes 10k of these straight from
 * the decoded services, where serviceIdOf() would parse and label each.
 */
export function writeServiceKeyNest(w: MessageWriter, s: Service): void {
  const nest = w.nest(IPVS_CMD_ATTR_SERVICE);
  w.attrU16(IPVS_SVC_ATTR_AF, afOf(s.family));
  if (s.fwmark !== undefined) {
    w.attrU32(IPVS_SVC_ATTR_FWMARK, s.fwmark);
  } else {
    w.attrU16(IPVS_SVC_ATTR_PROTOCOL, PROTOCOLS[s.protocol] ?? Number(s.protocol));
    w.attrIp(IPVS_SVC_ATTR_ADDR, s.address);
    w.attrBe16(IPVS_SVC_ATTR_PORT, s.port);
  }
  w.endNest(nest);
}

/** The IPVS_CMD_ATTR_SERVICE nest: the key alone, or a full service for NEW/SET_SERVICE. */
export function writeServiceNest(w: MessageWriter, service: ServiceId | ResolvedService, field = 'service'): void {
  const nest = w.nest(IPVS_CMD_ATTR_SERVICE, field);
  const full = 'scheduler' in service ? service : undefined;
  writeServiceId(w, full ? full.id : (service as ServiceId), field);
  if (full) {
    const f = serviceFields(field);
    w.attrString(IPVS_SVC_ATTR_SCHED_NAME, full.scheduler, f.scheduler);
    if (full.pe !== undefined) w.attrString(IPVS_SVC_ATTR_PE_NAME, full.pe, f.pe);
    // struct ip_vs_flags: the kernel applies (old & ~mask) | (flags & mask).
    flagsScratch.writeUInt32LE(full.flags >>> 0, 0);
    flagsScratch.writeUInt32LE(USER_FLAG_BITS, 4);
    w.attrBytes(IPVS_SVC_ATTR_FLAGS, flagsScratch, f.flags);
    w.attrU32(IPVS_SVC_ATTR_TIMEOUT, full.timeout, f.persistent);
    // IPv4: a mask in network order; IPv6: a prefix length in host order (both read with nla_get_be32).
    if (full.id.family === 4) w.attrBe32(IPVS_SVC_ATTR_NETMASK, full.netmask, f.netmask);
    else w.attrU32(IPVS_SVC_ATTR_NETMASK, full.netmask, f.netmask);
  }
  w.endNest(nest);
}

/**
 * Decodes the attributes of an IPVS_CMD_ATTR_SERVICE nest, bytes [from, to)
 * of `buf`: one walk into locals, no table (see decodeDestinationIn).
 */
export function decodeServiceIn(buf: Buffer, from: number, to: number): Service {
  WALK.start();
  let af = 0, protocolNumber = 0, addressAt = -1, port = 0, fwmark = 0, schedulerAt = -1, flagsAt = -1, timeout = 0;
  let netmaskAt = -1, stats64At = -1, stats32At = -1, peAt = -1;
  for (let pos = from, next = 0; pos + 4 <= to; pos = next) {
    next = nextAttr(buf, pos, to);
    const type = attrTypeAt(buf, pos);
    if (!WALK.take(buf, pos, type)) continue;
    switch (type) {
      case IPVS_SVC_ATTR_AF: af = u16At(buf, pos); break;
      case IPVS_SVC_ATTR_PROTOCOL: protocolNumber = u16At(buf, pos); break;
      case IPVS_SVC_ATTR_ADDR: addressAt = pos; break;
      case IPVS_SVC_ATTR_PORT: port = be16At(buf, pos); break;
      case IPVS_SVC_ATTR_FWMARK: fwmark = u32At(buf, pos); break;
      case IPVS_SVC_ATTR_SCHED_NAME: schedulerAt = pos; break;
      case IPVS_SVC_ATTR_FLAGS: flagsAt = pos; break;
      case IPVS_SVC_ATTR_TIMEOUT: timeout = u32At(buf, pos); break;
      case IPVS_SVC_ATTR_NETMASK: netmaskAt = pos; break;
      case IPVS_SVC_ATTR_STATS: stats32At = pos; break;
      case IPVS_SVC_ATTR_PE_NAME: peAt = pos; break;
      case IPVS_SVC_ATTR_STATS64: stats64At = pos; break;
    }
  }
  const family: 4 | 6 = af === AF_INET6 ? 6 : 4;
  const scheduler = schedulerAt < 0 ? 'none' : strAt(buf, schedulerAt);
  // struct ip_vs_flags: the bits the kernel says are set, under its mask.
  const flagBits = flagsAt >= 0 && payloadLength(buf, flagsAt) >= IP_VS_FLAGS_LEN ? (u32le(buf, flagsAt + 4) & u32le(buf, flagsAt + 8)) >>> 0 : 0;
  const persistent = flagBits & IP_VS_SVC_F_PERSISTENT ? timeout : 0;
  const netmask = family === 4 ? ipv4Netmask(buf, netmaskAt) : netmaskAt < 0 ? 128 : u32At(buf, netmaskAt);
  const flags = namedFlags(flagBits, scheduler);
  const stats = decodeStatsAt(buf, stats64At >= 0 ? stats64At : stats32At);
  // Literals, not a spread of shared fields: a snapshot decodes 10k of these.
  let service: Service;
  if (fwmark !== 0) {
    service = { fwmark, family, scheduler, persistent, netmask, flags, flagBits, stats };
  } else {
    // A protocol this library has no name for (the kernel does not check) reads as its number.
    const protocol = (nameOf(PROTOCOLS, protocolNumber) ?? String(protocolNumber)) as IpvsProtocol;
    const address = addressAt < 0 ? '' : ipAt(buf, addressAt, family);
    service = { protocol, address, port, family, scheduler, persistent, netmask, flags, flagBits, stats };
  }
  const pe = peAt < 0 ? '' : strAt(buf, peAt);
  if (pe !== '') service.pe = pe;
  if (WALK.unknown) service.unknown = WALK.unknown;
  return service;
}

/** An IPv4 service's netmask as text; the usual /32 is one shared string, not one per service. */
function ipv4Netmask(buf: Buffer, pos: number): string {
  return pos < 0 || u32At(buf, pos) === 0xffffffff ? '255.255.255.255' : ipAt(buf, pos, 4);
}

/** A GET_SERVICE reply or dump part; undefined when it holds no service. */
export function decodeService(msg: Message): Service | undefined {
  const { buf } = msg;
  const nest = findAttr(buf, msg.offset + GENL_HDRLEN, msg.end, IPVS_CMD_ATTR_SERVICE);
  return nest < 0 ? undefined : decodeServiceIn(buf, nest + 4, nest + 4 + payloadLength(buf, nest));
}

/** Says "no such service …" for ESRCH. */
export function describeMissingService(id: ServiceId): Describe {
  return (errno) => (errnoCode(errno) === 'ESRCH' ? `no such service ${id.text}` : undefined);
}

export function writeGetService(w: MessageWriter, familyId: number, id: ServiceId): void {
  beginIpvs(w, familyId, IPVS_CMD_GET_SERVICE);
  writeServiceNest(w, id);
  w.end(`get service ${id.text}`);
}

/** One service by key; rejects with ESRCH ("no such service …") when there is none. */
export async function getService(conn: Connection, familyId: number, key: ServiceKey | ServiceId, options: RequestOptions = {}): Promise<Service> {
  const id = 'text' in key ? key : serviceId(key);
  const w = new MessageWriter(128);
  writeGetService(w, familyId, id);
  const [service] = await conn.request(w, { ...options, decode: decodeService, describe: describeMissingService(id) });
  if (service === undefined) throw new Error(`get service ${id.text}: the kernel sent no service`);
  return service;
}

/** Every service in the namespace, in the kernel's (hash table) order. */
export async function listServices(conn: Connection, familyId: number, options: DumpOptions = {}): Promise<Service[]> {
  const w = new MessageWriter(64);
  beginIpvs(w, familyId, IPVS_CMD_GET_SERVICE, NLM_F_REQUEST | NLM_F_DUMP);
  w.end('list IPVS services');
  return conn.dump(w, decodeService, options);
}

/** True when a service write carries something an old kernel could silently drop (the persistence engine). */
export function serviceNeedsReadBack(r: ResolvedService): boolean {
  return r.pe !== undefined && r.pe !== '';
}

/** What the kernel should report after `r` was written (counters zero). */
export function asService(r: ResolvedService): Service {
  let netmask: string | number = r.netmask;
  if (r.id.family === 4) {
    const b = Buffer.alloc(4);
    b.writeUInt32BE(r.netmask >>> 0);
    netmask = bytesToIp(b);
  }
  const base = {
    family: r.id.family,
    scheduler: r.scheduler,
    persistent: r.flags & IP_VS_SVC_F_PERSISTENT ? r.timeout : 0,
    netmask,
    flags: namedFlags(r.flags, r.scheduler),
    flagBits: r.flags,
    stats: zeroStats(),
  };
  const s: Service = r.id.fwmark
    ? { fwmark: r.id.fwmark, ...base }
    : { protocol: nameOf(PROTOCOLS, r.id.protocol) ?? 'tcp', address: bytesToIp(r.id.address), port: r.id.port, ...base };
  if (r.pe) s.pe = r.pe;
  return s;
}

/** Fields the kernel reports differently from what `r` sent. */
export function compareService(r: ResolvedService, read: Service | undefined, field: string): Mismatch[] {
  const got = read && { ...read, flagBits: read.flagBits & USER_FLAG_BITS, pe: read.pe };
  return differences(field, asService(r), got, ['scheduler', 'persistent', 'netmask', 'flagBits', 'pe']);
}
