// The kernel's IPVS state as ipvsadm holds it while printing: numbers where
// ipvsadm has numbers (protocol, family, flag bits, forwarding method), raw
// address bytes for sorting and inet_ntop, and counters cut to the widths
// ipvsadm reads them with. Built from the library's Service/Destination
// objects; the formatters work only on these rows.
import { ipToBytes } from '../../codec/address.js';
import { AF_INET, AF_INET6, IPPROTO_TCP, IPPROTO_UDP, IPPROTO_SCTP } from '../../uapi/linux.js';
import {
  IP_VS_CONN_F_MASQ, IP_VS_CONN_F_LOCALNODE, IP_VS_CONN_F_TUNNEL, IP_VS_CONN_F_DROUTE, IP_VS_CONN_F_BYPASS,
  IP_VS_CONN_F_TUNNEL_TYPE_IPIP, IP_VS_CONN_F_TUNNEL_TYPE_GUE, IP_VS_CONN_F_TUNNEL_TYPE_GRE,
  IP_VS_TUNNEL_ENCAP_FLAG_NOCSUM, IP_VS_TUNNEL_ENCAP_FLAG_CSUM, IP_VS_TUNNEL_ENCAP_FLAG_REMCSUM,
} from '../../uapi/ip_vs.js';
import type { Destination, IpvsStats, Service, ServiceWithDestinations } from '../../families/ipvs/types.js';
import type { DestSortKey, ServiceSortKey } from './sort.js';

export const PROTOCOL_NUMBERS: Record<string, number> = { tcp: IPPROTO_TCP, udp: IPPROTO_UDP, sctp: IPPROTO_SCTP };
export const FORWARD_NUMBERS: Record<string, number> = {
  masq: IP_VS_CONN_F_MASQ,
  local: IP_VS_CONN_F_LOCALNODE,
  tunnel: IP_VS_CONN_F_TUNNEL,
  route: IP_VS_CONN_F_DROUTE,
  bypass: IP_VS_CONN_F_BYPASS,
};
export const TUNNEL_TYPE_NUMBERS: Record<string, number> = {
  ipip: IP_VS_CONN_F_TUNNEL_TYPE_IPIP,
  gue: IP_VS_CONN_F_TUNNEL_TYPE_GUE,
  gre: IP_VS_CONN_F_TUNNEL_TYPE_GRE,
};
export const CHECKSUM_NUMBERS: Record<string, number> = {
  none: IP_VS_TUNNEL_ENCAP_FLAG_NOCSUM,
  csum: IP_VS_TUNNEL_ENCAP_FLAG_CSUM,
  remcsum: IP_VS_TUNNEL_ENCAP_FLAG_REMCSUM,
};

/** conns, inpkts, outpkts, inbytes, outbytes, cps, inpps, outpps, inbps, outbps. */
export type Counters = [bigint, bigint, bigint, bigint, bigint, bigint, bigint, bigint, bigint, bigint];

export interface DestRow extends DestSortKey {
  fwd: number;
  weight: number;
  upperThreshold: number;
  lowerThreshold: number;
  active: number;
  inactive: number;
  persistent: number;
  tunType: number;
  tunPort: number;
  tunFlags: number;
  stats: Counters;
  source: Destination;
}

export interface ServiceRow extends ServiceSortKey {
  sched: string;
  flags: number;
  timeout: number;
  /** IPv4: the mask as a number (0xffffff00); IPv6: the prefix length. */
  netmask: number;
  pe: string;
  stats: Counters;
  dests: DestRow[];
  source: Service;
}

/** 16 address bytes, IPv4 in the first 4 (union nf_inet_addr). */
export function addrBytes(address: string): Buffer {
  const raw = ipToBytes(address, 'address');
  if (raw.length === 16) return raw;
  const out = Buffer.alloc(16);
  raw.copy(out, 0);
  return out;
}

export function familyToAf(family: 4 | 6): number {
  return family === 6 ? AF_INET6 : AF_INET;
}

function counters(s: IpvsStats): Counters {
  return [s.connections, s.inPackets, s.outPackets, s.inBytes, s.outBytes, s.cps, s.inPps, s.outPps, s.inBps, s.outBps];
}

const U32 = 0xffffffffn;

/**
 * ipvsadm reads a real server's 64-bit counters with nla_get_u32, keeping the
 * low 32 bits of all but the byte counters; so must we, to print the same.
 */
function destCounters(s: IpvsStats): Counters {
  const c = counters(s);
  return c.map((v, i) => (i === 3 || i === 4 ? v : v & U32)) as Counters;
}

function netmaskNumber(netmask: string | number, af: number): number {
  if (af === AF_INET6) return typeof netmask === 'number' ? netmask : Number(netmask);
  if (typeof netmask === 'number') return netmask >>> 0;
  return ipToBytes(netmask, 'netmask').readUInt32BE(0);
}

export function destRow(d: Destination, serviceAf: number): DestRow {
  const af = d.family === undefined ? serviceAf : familyToAf(d.family);
  const t = d.tunnel;
  return {
    af,
    addr: addrBytes(d.address),
    port: d.port,
    // Values the library has no name for read as their number ("5").
    fwd: FORWARD_NUMBERS[d.forward] ?? (Number(d.forward) || 0),
    weight: d.weight,
    upperThreshold: d.upperThreshold,
    lowerThreshold: d.lowerThreshold,
    active: d.activeConnections,
    inactive: d.inactiveConnections,
    persistent: d.persistentConnections,
    tunType: t === undefined ? IP_VS_CONN_F_TUNNEL_TYPE_IPIP : (TUNNEL_TYPE_NUMBERS[t.type] ?? (Number(t.type) || 0)),
    tunPort: t?.port ?? 0,
    tunFlags: t === undefined ? 0 : (CHECKSUM_NUMBERS[t.checksum] ?? 0),
    stats: destCounters(d.stats),
    source: d,
  };
}

export function serviceRow(s: Service | ServiceWithDestinations): ServiceRow {
  const af = familyToAf(s.family);
  const fwmark = s.fwmark ?? 0;
  const dests = 'destinations' in s ? s.destinations.map((d) => destRow(d, af)) : [];
  return {
    fwmark,
    af,
    // A protocol the library has no name for reads as its number ("47").
    protocol: s.protocol === undefined ? 0 : (PROTOCOL_NUMBERS[s.protocol] ?? (Number(s.protocol) || 0)),
    addr: s.address === undefined ? Buffer.alloc(16) : addrBytes(s.address),
    port: s.port ?? 0,
    sched: s.scheduler,
    flags: s.flagBits,
    timeout: s.persistent,
    netmask: netmaskNumber(s.netmask, af),
    pe: s.pe ?? '',
    stats: counters(s.stats),
    dests,
    source: s,
  };
}
