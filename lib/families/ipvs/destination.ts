// IPVS real servers (destinations): the IPVS_CMD_ATTR_DEST nest written for
// NEW/SET/DEL_DEST, and destinations decoded from GET_DEST dumps. GET_DEST is
// dump-only and names one service, so listing every destination takes one
// dump per service (see snapshot.ts for doing those side by side).
import {
  FirstOfEach, attrTypeAt, be16At, findAttr, ipAt, nextAttr, payloadLength, typeBits, u16At, u32At, u8At,
} from '../../codec/reader.js';
import { bytesToIp } from '../../codec/address.js';
import { MessageWriter } from '../../codec/writer.js';
import { fieldNames } from '../../codec/field-names.js';
import type { Connection, DumpOptions } from '../../protocol/connection.js';
import { NetlinkError } from '../../protocol/errors.js';
import type { Message } from '../../protocol/message.js';
import { AF_INET, AF_INET6 } from '../../uapi/linux.js';
import { GENL_HDRLEN } from '../../uapi/genetlink.js';
import { NLM_F_REQUEST, NLM_F_DUMP } from '../../uapi/netlink.js';
import {
  IPVS_CMD_GET_DEST, IPVS_CMD_ATTR_DEST, IP_VS_CONN_F_FWD_MASK, IP_VS_CONN_F_TUNNEL,
  IP_VS_TUNNEL_ENCAP_FLAG_CSUM, IP_VS_TUNNEL_ENCAP_FLAG_REMCSUM, IP_VS_TUNNEL_ENCAP_FLAG_NOCSUM, IP_VS_CONN_F_TUNNEL_TYPE_IPIP,
  IPVS_DEST_ATTR_ADDR, IPVS_DEST_ATTR_PORT, IPVS_DEST_ATTR_FWD_METHOD, IPVS_DEST_ATTR_WEIGHT,
  IPVS_DEST_ATTR_U_THRESH, IPVS_DEST_ATTR_L_THRESH, IPVS_DEST_ATTR_ACTIVE_CONNS, IPVS_DEST_ATTR_INACT_CONNS,
  IPVS_DEST_ATTR_PERSIST_CONNS, IPVS_DEST_ATTR_STATS, IPVS_DEST_ATTR_ADDR_FAMILY, IPVS_DEST_ATTR_STATS64,
  IPVS_DEST_ATTR_TUN_TYPE, IPVS_DEST_ATTR_TUN_PORT, IPVS_DEST_ATTR_TUN_FLAGS,
} from '../../uapi/ip_vs.js';
import { beginIpvs, getService, writeServiceNest } from './service.js';
import { decodeStatsAt, zeroStats } from './stats.js';
import type { Destination, ForwardMethod, TunnelType } from './types.js';
import { FORWARD_METHODS, TUNNEL_CHECKSUMS, TUNNEL_TYPES, differences, nameOf, type Mismatch, type ServiceId } from './validate.js';
import { type DestinationId, type ResolvedDestination } from './validate-destination.js';

// The types decodeDestinationIn reads; any other is kept raw in `unknown`.
const WALK = new FirstOfEach(typeBits([
  IPVS_DEST_ATTR_ADDR, IPVS_DEST_ATTR_PORT, IPVS_DEST_ATTR_FWD_METHOD, IPVS_DEST_ATTR_WEIGHT,
  IPVS_DEST_ATTR_U_THRESH, IPVS_DEST_ATTR_L_THRESH, IPVS_DEST_ATTR_ACTIVE_CONNS, IPVS_DEST_ATTR_INACT_CONNS,
  IPVS_DEST_ATTR_PERSIST_CONNS, IPVS_DEST_ATTR_STATS, IPVS_DEST_ATTR_ADDR_FAMILY, IPVS_DEST_ATTR_STATS64,
  IPVS_DEST_ATTR_TUN_TYPE, IPVS_DEST_ATTR_TUN_PORT, IPVS_DEST_ATTR_TUN_FLAGS,
]));

const destinationFields = fieldNames([
  'address', 'port', 'forward', 'weight', 'upperThreshold', 'lowerThreshold', 'tunnel.type', 'tunnel.port', 'tunnel.checksum',
]);

/**
 * The IPVS_CMD_ATTR_DEST nest: address, port and address family always (the
 * family lets an IPv6 server sit in an IPv4 tunnel service), plus the full
 * set for NEW/SET_DEST. Tunnel attributes go only when not the defaults.
 */
export function writeDestinationNest(w: MessageWriter, dest: DestinationId | ResolvedDestination, field = 'destination'): void {
  const full = 'forward' in dest ? dest : undefined;
  const id = full ? full.id : (dest as DestinationId);
  const f = destinationFields(field);
  const nest = w.nest(IPVS_CMD_ATTR_DEST, field);
  if (id.ipv4Bits !== undefined) w.attrIpv4(IPVS_DEST_ATTR_ADDR, id.ipv4Bits, f.address);
  else if (id.ipv4Text !== undefined) w.attrIp(IPVS_DEST_ATTR_ADDR, id.ipv4Text, f.address);
  else w.attrBytes(IPVS_DEST_ATTR_ADDR, id.address, f.address);
  w.attrBe16(IPVS_DEST_ATTR_PORT, id.port, f.port);
  w.attrU16(IPVS_DEST_ATTR_ADDR_FAMILY, id.af, f.address);
  if (full) {
    w.attrU32(IPVS_DEST_ATTR_FWD_METHOD, full.forward, f.forward);
    w.attrU32(IPVS_DEST_ATTR_WEIGHT, full.weight, f.weight);
    w.attrU32(IPVS_DEST_ATTR_U_THRESH, full.upperThreshold, f.upperThreshold);
    w.attrU32(IPVS_DEST_ATTR_L_THRESH, full.lowerThreshold, f.lowerThreshold);
    if (full.tunnel) {
      w.attrU8(IPVS_DEST_ATTR_TUN_TYPE, full.tunnel.type, f['tunnel.type']);
      w.attrBe16(IPVS_DEST_ATTR_TUN_PORT, full.tunnel.port, f['tunnel.port']);
      w.attrU16(IPVS_DEST_ATTR_TUN_FLAGS, full.tunnel.flags, f['tunnel.checksum']);
    }
  }
  w.endNest(nest);
}

/**
 * Decodes the attributes of an IPVS_CMD_ATTR_DEST nest, bytes [from, to) of
 * `buf`; `serviceFamily` stands in when the kernel predates ADDR_FAMILY.
 * One walk over the attributes into locals, no table: a snapshot decodes 40k
 * of these, and a table per nest was a third of the time (see ARCHITECTURE.md).
 */
export function decodeDestinationIn(buf: Buffer, from: number, to: number, serviceFamily: 4 | 6): Destination {
  WALK.start();
  let addressAt = -1, af = 0, port = 0, fwd = 0, weight = 0, upperThreshold = 0, lowerThreshold = 0;
  let activeConnections = 0, inactiveConnections = 0, persistentConnections = 0;
  let stats64At = -1, stats32At = -1, tunnelType = 0, tunnelPort = 0, tunnelFlags = 0;
  for (let pos = from, next = 0; pos + 4 <= to; pos = next) {
    next = nextAttr(buf, pos, to);
    const type = attrTypeAt(buf, pos);
    if (!WALK.take(buf, pos, type)) continue;
    switch (type) {
      case IPVS_DEST_ATTR_ADDR: addressAt = pos; break;
      case IPVS_DEST_ATTR_PORT: port = be16At(buf, pos); break;
      case IPVS_DEST_ATTR_FWD_METHOD: fwd = u32At(buf, pos) & IP_VS_CONN_F_FWD_MASK; break;
      case IPVS_DEST_ATTR_WEIGHT: weight = u32At(buf, pos); break;
      case IPVS_DEST_ATTR_U_THRESH: upperThreshold = u32At(buf, pos); break;
      case IPVS_DEST_ATTR_L_THRESH: lowerThreshold = u32At(buf, pos); break;
      case IPVS_DEST_ATTR_ACTIVE_CONNS: activeConnections = u32At(buf, pos); break;
      case IPVS_DEST_ATTR_INACT_CONNS: inactiveConnections = u32At(buf, pos); break;
      case IPVS_DEST_ATTR_PERSIST_CONNS: persistentConnections = u32At(buf, pos); break;
      case IPVS_DEST_ATTR_STATS: stats32At = pos; break;
      case IPVS_DEST_ATTR_ADDR_FAMILY: af = u16At(buf, pos); break;
      case IPVS_DEST_ATTR_STATS64: stats64At = pos; break;
      case IPVS_DEST_ATTR_TUN_TYPE: tunnelType = u8At(buf, pos); break;
      case IPVS_DEST_ATTR_TUN_PORT: tunnelPort = be16At(buf, pos); break;
      case IPVS_DEST_ATTR_TUN_FLAGS: tunnelFlags = u16At(buf, pos); break;
    }
  }
  const family: 4 | 6 = af === AF_INET6 ? 6 : af === AF_INET ? 4 : serviceFamily;
  const dest: Destination = {
    address: addressAt < 0 ? '' : ipAt(buf, addressAt, family),
    family,
    port,
    // A method this library has no name for reads as its number.
    forward: (nameOf(FORWARD_METHODS, fwd) ?? String(fwd)) as ForwardMethod,
    weight,
    upperThreshold,
    lowerThreshold,
    activeConnections,
    inactiveConnections,
    persistentConnections,
    stats: decodeStatsAt(buf, stats64At >= 0 ? stats64At : stats32At),
  };
  if (fwd === IP_VS_CONN_F_TUNNEL) {
    // Kernels before 5.2 send no tunnel attributes: they only do ipip.
    dest.tunnel = {
      type: (nameOf(TUNNEL_TYPES, tunnelType) ?? String(tunnelType)) as TunnelType,
      port: tunnelPort,
      checksum: tunnelFlags & IP_VS_TUNNEL_ENCAP_FLAG_REMCSUM ? 'remcsum' : tunnelFlags & IP_VS_TUNNEL_ENCAP_FLAG_CSUM ? 'csum' : 'none',
    };
  }
  if (WALK.unknown) dest.unknown = WALK.unknown;
  return dest;
}

/** A decoder for one GET_DEST dump part, for a service of the given family. */
export function destinationDecoder(serviceFamily: 4 | 6): (msg: Message) => Destination | undefined {
  return (msg) => decodeDestination(msg, serviceFamily);
}

/** One GET_DEST dump part, for a service of the given family; undefined when it holds no destination. */
export function decodeDestination(msg: Message, serviceFamily: 4 | 6): Destination | undefined {
  const { buf } = msg;
  const nest = findAttr(buf, msg.offset + GENL_HDRLEN, msg.end, IPVS_CMD_ATTR_DEST);
  return nest < 0 ? undefined : decodeDestinationIn(buf, nest + 4, nest + 4 + payloadLength(buf, nest), serviceFamily);
}

/** Appends the GET_DEST dump request for one service. */
export function writeDestinationDump(w: MessageWriter, familyId: number, service: ServiceId): void {
  beginIpvs(w, familyId, IPVS_CMD_GET_DEST, NLM_F_REQUEST | NLM_F_DUMP);
  writeServiceNest(w, service);
  w.end(`list destinations of service ${service.text}`);
}

export function buildDestinationDump(familyId: number, service: ServiceId): MessageWriter {
  const w = new MessageWriter(128);
  writeDestinationDump(w, familyId, service);
  return w;
}

/**
 * The destinations of one service. The kernel answers an empty dump both for
 * a service without destinations and for no service at all; callers that
 * must tell these apart ask for the service too.
 */
export function dumpDestinations(conn: Connection, familyId: number, service: ServiceId, options: DumpOptions = {}): Promise<Destination[]> {
  return conn.dump(buildDestinationDump(familyId, service), destinationDecoder(service.family), options);
}

/** The destinations of one service; ESRCH ("no such service …") when the service does not exist. */
export async function listDestinations(conn: Connection, familyId: number, service: ServiceId, options: DumpOptions = {}): Promise<Destination[]> {
  const list = await dumpDestinations(conn, familyId, service, options);
  if (list.length > 0) return list;
  // Empty: no destinations, or no service. Only a GET_SERVICE tells.
  try {
    await getService(conn, familyId, service, options);
  } catch (err) {
    if (err instanceof NetlinkError && err.code === 'ESRCH') {
      throw new NetlinkError({ errno: err.errno, operation: `list destinations of service ${service.text}`, reason: `no such service ${service.text}` });
    }
    throw err;
  }
  return list;
}

/** True when a destination write carries tunnel options or mixes address families (both ignored by old kernels). */
export function destinationNeedsReadBack(r: ResolvedDestination, service: ServiceId): boolean {
  return r.tunnel !== undefined || r.id.family !== service.family;
}

/** What the kernel should report after `r` was written (counters zero). */
export function asDestination(r: ResolvedDestination): Destination {
  const d: Destination = {
    address: bytesToIp(r.id.address),
    family: r.id.family,
    port: r.id.port,
    forward: nameOf(FORWARD_METHODS, r.forward) ?? 'route',
    weight: r.weight,
    upperThreshold: r.upperThreshold,
    lowerThreshold: r.lowerThreshold,
    activeConnections: 0,
    inactiveConnections: 0,
    persistentConnections: 0,
    stats: zeroStats(),
  };
  if (r.forward === IP_VS_CONN_F_TUNNEL) {
    const t = r.tunnel ?? { type: IP_VS_CONN_F_TUNNEL_TYPE_IPIP, port: 0, flags: IP_VS_TUNNEL_ENCAP_FLAG_NOCSUM };
    d.tunnel = { type: nameOf(TUNNEL_TYPES, t.type) ?? 'ipip', port: t.port, checksum: nameOf(TUNNEL_CHECKSUMS, t.flags) ?? 'none' };
  }
  return d;
}

/** Fields the kernel reports differently from what `r` sent. */
export function compareDestination(r: ResolvedDestination, read: Destination | undefined, field: string): Mismatch[] {
  return differences(field, asDestination(r), read, ['family', 'forward', 'weight', 'upperThreshold', 'lowerThreshold', 'tunnel']);
}
