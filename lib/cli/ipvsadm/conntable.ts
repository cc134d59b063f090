// ipvsadm -Lc: the connection table, one line per entry of
// /proc/net/ip_vs_conn, re-printed with inet_ntop (or names without -n) and
// the expiry as mm:ss. ipvsadm reads each line with sscanf("%s"), so the
// persistence-engine data shows only up to its first blank.
import { AF_INET, AF_INET6, IPPROTO_TCP, IPPROTO_UDP, IPPROTO_SCTP } from '../../uapi/linux.js';
import type { IpvsConnection } from '../../families/ipvs/connection-table.js';
import { FMT } from './command.js';
import { addrPort, type Names } from './format.js';
import { padRight, twoDigits } from './libc.js';
import { addrBytes } from './model.js';

/** The protocol column as the kernel writes it (ip_vs_proto_name). */
export function protocolText(p: string): string {
  switch (p) {
    case 'icmpv6': return 'ICMPv6';
    default: return p.toUpperCase();
  }
}

function protocolNumber(text: string): number {
  return text === 'TCP' ? IPPROTO_TCP : text === 'UDP' ? IPPROTO_UDP : text === 'SCTP' ? IPPROTO_SCTP : 0;
}

function afOf(address: string): number {
  return address.includes(':') ? AF_INET6 : AF_INET;
}

/** Every address a -Lc listing prints, for name lookups. */
export function connectionAddresses(conns: IpvsConnection[]): Array<[number, Buffer]> {
  const out: Array<[number, Buffer]> = [];
  for (const c of conns) {
    const af = afOf(c.client.address);
    out.push([af, addrBytes(c.client.address)], [af, addrBytes(c.virtual.address)]);
    out.push([afOf(c.destination.address), addrBytes(c.destination.address)]);
  }
  return out;
}

export function connectionHeader(format: number): string {
  if (format & FMT.PERSISTENTCONN) {
    return `IPVS connection entries\npro expire ${padRight('state', 11)} ${padRight('source', 18)} ${padRight('virtual', 18)} ${padRight('destination', 18)} ${padRight('pe name', 16)} pe_data\n`;
  }
  return `IPVS connection entries\npro expire ${padRight('state', 11)} ${padRight('source', 18)} ${padRight('virtual', 18)} destination\n`;
}

/** print_conn(): one entry. The client's family is the virtual address's too, as in ipvsadm. */
export function connectionLine(c: IpvsConnection, format: number, names: Names): string {
  const protocol = protocolText(c.protocol);
  const proto = protocolNumber(protocol);
  const af = afOf(c.client.address);
  const cname = addrPort(af, addrBytes(c.client.address), c.client.port, proto, format, names);
  const vname = addrPort(af, addrBytes(c.virtual.address), c.virtual.port, proto, format, names);
  const dname = addrPort(afOf(c.destination.address), addrBytes(c.destination.address), c.destination.port, proto, format, names);
  const expires = c.expires | 0;
  const expire = `${twoDigits(Math.trunc(expires / 60))}:${twoDigits(expires % 60)}`;
  const head = `${padRight(protocol, 3)} ${padRight(expire, 6)} ${padRight(c.state, 11)} ${padRight(cname, 18)} ${padRight(vname, 18)}`;
  const peData = c.pe?.data.split(/[ \t]+/)[0] ?? '';
  if (format & FMT.PERSISTENTCONN && c.pe !== undefined && peData !== '') {
    return `${head} ${padRight(dname, 16)} ${padRight(c.pe.name, 18)} ${peData}\n`;
  }
  return `${head} ${dname}\n`;
}
