// ipvsadm's listings, byte for byte: -L/-l (with -n, --stats, --rate,
// --exact, --thresholds, --persistent-conn, --tun-info, --nosort), -S, and
// --timeout / --daemon. The column layouts and words are ipvsadm's output
// format, which scripts parse, so they are kept exactly.
import { AF_INET, AF_INET6, IPPROTO_TCP, IPPROTO_UDP, IPPROTO_SCTP } from '../../uapi/linux.js';
import {
  IP_VS_SVC_F_PERSISTENT, IP_VS_SVC_F_ONEPACKET, IP_VS_SVC_F_SCHED1, IP_VS_SVC_F_SCHED2, IP_VS_SVC_F_SCHED3,
  IP_VS_SVC_F_SCHED_SH_FALLBACK, IP_VS_SVC_F_SCHED_SH_PORT, IP_VS_SVC_F_SCHED_MH_FALLBACK, IP_VS_SVC_F_SCHED_MH_PORT,
  IP_VS_CONN_F_FWD_MASK, IP_VS_CONN_F_MASQ, IP_VS_CONN_F_LOCALNODE, IP_VS_CONN_F_TUNNEL, IP_VS_CONN_F_DROUTE,
  IP_VS_CONN_F_TUNNEL_TYPE_IPIP, IP_VS_CONN_F_TUNNEL_TYPE_GUE, IP_VS_CONN_F_TUNNEL_TYPE_GRE,
} from '../../uapi/ip_vs.js';
import type { IpvsTimeouts } from '../../families/ipvs/config.js';
import type { SyncDaemon } from '../../families/ipvs/types.js';
import { FMT } from './command.js';
import { inetNtoa, inetNtop, padLeft, padRight, cInt } from './libc.js';
import type { DestRow, ServiceRow } from './model.js';
import { addrBytes } from './model.js';
import type { Resolver } from './resolve.js';
import { compareDests, compareServices, glibcSort } from './sort.js';

/** Host names looked up before printing (printing itself is synchronous). */
export interface Names {
  host(af: number, addr: Buffer): string | undefined;
  service(port: number, protocol: number): string | undefined;
}

export const NO_NAMES: Names = { host: () => undefined, service: () => undefined };

/** The bytes gethostbyaddr would be given: 4 for IPv4, 16 otherwise. */
function hostBytes(af: number, addr: Buffer): Buffer {
  return af === AF_INET ? addr.subarray(0, 4) : addr.subarray(0, 16);
}

/** Looks up every address once, in parallel, and answers from the results. */
export async function lookupNames(addresses: Array<[number, Buffer]>, resolver: Resolver): Promise<Names> {
  const found = new Map<string, string | undefined>();
  const pending: Array<Promise<void>> = [];
  for (const [af, addr] of addresses) {
    const bytes = hostBytes(af, addr);
    const key = bytes.toString('hex');
    if (found.has(key)) continue;
    found.set(key, undefined);
    pending.push(resolver.addrToHost(Buffer.from(bytes)).then((name) => void found.set(key, name)));
  }
  await Promise.all(pending);
  return {
    host: (af, addr) => found.get(hostBytes(af, addr).toString('hex')),
    service: (port, protocol) => resolver.portToService(port, protocol),
  };
}

/** Every address a listing of these services prints. */
export function addressesOf(rows: ServiceRow[]): Array<[number, Buffer]> {
  const out: Array<[number, Buffer]> = [];
  for (const s of rows) {
    if (!s.fwmark) out.push([s.af, s.addr]);
    for (const d of s.dests) out.push([d.af, d.addr]);
  }
  return out;
}

/** ipvsadm's addrport_to_anyname(): "addr:port", "[v6]:port", with names unless -n; at most 59 characters. */
export function addrPort(af: number, addr: Buffer, port: number, protocol: number, format: number, names: Names): string {
  const open = af === AF_INET ? '' : '[';
  const close = af === AF_INET ? '' : ']';
  const numeric = inetNtop(hostBytes(af, addr));
  let text: string;
  if (format & FMT.NUMERIC) {
    text = `${open}${numeric}${close}:${port}`;
  } else {
    const host = names.host(af, addr) ?? numeric;
    text = `${open}${host}${close}:${names.service(port, protocol) ?? String(port)}`;
  }
  return text.length > 59 ? text.slice(0, 59) : text;
}

/** print_largenum(): 9 columns, K/M/G/T above 10^8 unless --exact. */
export function largeNum(n: bigint, format: number): string {
  if (format & FMT.EXACT) {
    const s = n.toString();
    return padLeft(s, s.length <= 8 ? 9 : s.length + 1);
  }
  if (n < 100_000_000n) return padLeft(n.toString(), 9);
  if (n < 1_000_000_000n) return `${padLeft((n / 1000n).toString(), 8)}K`;
  if (n < 100_000_000_000n) return `${padLeft((n / 1_000_000n).toString(), 8)}M`;
  if (n < 100_000_000_000_000n) return `${padLeft((n / 1_000_000_000n).toString(), 8)}G`;
  return `${padLeft((n / 1_000_000_000_000n).toString(), 8)}T`;
}

const SCHED_BITS = IP_VS_SVC_F_SCHED1 | IP_VS_SVC_F_SCHED2 | IP_VS_SVC_F_SCHED3;

/** print_sched_flags(): the flag names the service's scheduler gives its bits. */
function schedFlags(s: ServiceRow): string {
  const out: string[] = [];
  if (s.sched === 'sh') {
    if (s.flags & IP_VS_SVC_F_SCHED_SH_FALLBACK) out.push('sh-fallback');
    if (s.flags & IP_VS_SVC_F_SCHED_SH_PORT) out.push('sh-port');
  } else if (s.sched === 'mh') {
    if (s.flags & IP_VS_SVC_F_SCHED_MH_FALLBACK) out.push('mh-fallback');
    if (s.flags & IP_VS_SVC_F_SCHED_MH_PORT) out.push('mh-port');
  } else {
    if (s.flags & IP_VS_SVC_F_SCHED1) out.push('flag-1');
    if (s.flags & IP_VS_SVC_F_SCHED2) out.push('flag-2');
    if (s.flags & IP_VS_SVC_F_SCHED3) out.push('flag-3');
  }
  return out.join(',');
}

function protocolName(p: number): string {
  return p === IPPROTO_TCP ? 'TCP' : p === IPPROTO_UDP ? 'UDP' : p === IPPROTO_SCTP ? 'SCTP' : '?';
}

function protocolSwitch(p: number): string {
  return p === IPPROTO_TCP ? '-t' : p === IPPROTO_UDP ? '-u' : p === IPPROTO_SCTP ? '--sctp-service' : '--xxx-service';
}

/** printf("%s", NULL) in glibc. */
const NULL_TEXT = '(null)';

function fwdName(fwd: number): string {
  switch (fwd & IP_VS_CONN_F_FWD_MASK) {
    case IP_VS_CONN_F_MASQ: return 'Masq';
    case IP_VS_CONN_F_LOCALNODE: return 'Local';
    case IP_VS_CONN_F_TUNNEL: return 'Tunnel';
    case IP_VS_CONN_F_DROUTE: return 'Route';
    default: return NULL_TEXT;
  }
}

function fwdSwitch(fwd: number): string {
  switch (fwd & IP_VS_CONN_F_FWD_MASK) {
    case IP_VS_CONN_F_MASQ: return '-m';
    case IP_VS_CONN_F_TUNNEL: return '-i';
    case IP_VS_CONN_F_LOCALNODE:
    case IP_VS_CONN_F_DROUTE: return '-g';
    default: return NULL_TEXT;
  }
}

const TUN_NAMES = ['ipip', 'gue', 'gre'];
const TUN_FLAG_SHORT = ['-c', '+c', 'r+c'];
const TUN_FLAG_OPTIONS = ['--tun-nocsum', '--tun-csum', '--tun-remcsum'];

function tunInfo(d: DestRow): string {
  if ((d.fwd & IP_VS_CONN_F_FWD_MASK) !== IP_VS_CONN_F_TUNNEL) return 'n/a';
  const flags = TUN_FLAG_SHORT[d.tunFlags] ?? NULL_TEXT;
  switch (d.tunType) {
    case IP_VS_CONN_F_TUNNEL_TYPE_IPIP: return 'ipip';
    case IP_VS_CONN_F_TUNNEL_TYPE_GUE: return `gue:${d.tunPort}:${flags}`.slice(0, 15);
    case IP_VS_CONN_F_TUNNEL_TYPE_GRE: return `gre:${flags}`.slice(0, 15);
    default: return 'n/a';
  }
}

function tunnelRule(svcName: string, dname: string, d: DestRow): string {
  const head = `-a ${svcName} -r ${dname} ${fwdSwitch(d.fwd)} -w ${cInt(d.weight)}`;
  const flags = TUN_FLAG_OPTIONS[d.tunFlags] ?? NULL_TEXT;
  switch (d.tunType) {
    case IP_VS_CONN_F_TUNNEL_TYPE_GRE: return `${head} --tun-type ${TUN_NAMES[d.tunType]} ${flags}\n`;
    case IP_VS_CONN_F_TUNNEL_TYPE_GUE: return `${head} --tun-type ${TUN_NAMES[d.tunType]} --tun-port ${d.tunPort} ${flags}\n`;
    case IP_VS_CONN_F_TUNNEL_TYPE_IPIP: return `${head} --tun-type ${TUN_NAMES[d.tunType]}\n`;
    default: return `${head}\n`;
  }
}

/** print_title(): the column headings of a service listing. */
export function title(format: number): string {
  const heading = (cols: string[], widths: number[], align: 'l' | 'r'): string =>
    `${padRight('Prot LocalAddress:Port', 33)}${cols.map((c, i) => ' ' + (align === 'r' ? padLeft(c, widths[i]!) : padRight(c, widths[i]!))).join('')}\n  -> RemoteAddress:Port\n`;
  if (format & FMT.STATS) return heading(['Conns', 'InPkts', 'OutPkts', 'InBytes', 'OutBytes'], [8, 8, 8, 8, 8], 'r');
  if (format & FMT.RATE) return heading(['CPS', 'InPPS', 'OutPPS', 'InBPS', 'OutBPS'], [8, 8, 8, 8, 8], 'r');
  if (format & FMT.THRESHOLDS) return heading(['Uthreshold', 'Lthreshold', 'ActiveConn', 'InActConn'], [10, 10, 10, 10], 'l');
  if (format & FMT.PERSISTENTCONN) return heading(['Weight', 'PersistConn', 'ActiveConn', 'InActConn'], [9, 11, 10, 10], 'l');
  if (format & FMT.TUN_INFO) {
    return 'Prot LocalAddress:Port Scheduler Flags\n  -> RemoteAddress:Port           Forward TunnelInfo    Weight ActiveConn InActConn\n';
  }
  if (!(format & FMT.RULE)) {
    return 'Prot LocalAddress:Port Scheduler Flags\n  -> RemoteAddress:Port           Forward Weight ActiveConn InActConn\n';
  }
  return '';
}

/** The persistence part of a service line: " -p 360 -M 255.255.255.0" or " persistent 360 mask ...". */
function persistence(s: ServiceRow, rule: boolean): string {
  if (!(s.flags & IP_VS_SVC_F_PERSISTENT)) return '';
  let out = rule ? ` -p ${s.timeout >>> 0}` : ` persistent ${s.timeout >>> 0}`;
  const mask = rule ? ' -M ' : ' mask ';
  if (s.af === AF_INET && s.netmask >>> 0 !== 0xffffffff) out += mask + inetNtoa(s.netmask);
  if (s.af === AF_INET6 && s.netmask !== 128) out += mask + cInt(s.netmask);
  return out;
}

function serviceName(s: ServiceRow, format: number, names: Names): string {
  const rule = (format & FMT.RULE) !== 0;
  if (s.fwmark) {
    const v6 = s.af === AF_INET6;
    return rule ? `-f ${cInt(s.fwmark)}${v6 ? ' -6' : ''}` : `FWM  ${cInt(s.fwmark)}${v6 ? ' IPv6' : ''}`;
  }
  const vname = addrPort(s.af, s.addr, s.port, s.protocol, format, names);
  if (rule) return `${protocolSwitch(s.protocol)} ${vname}`;
  const text = `${padRight(protocolName(s.protocol), 4)} ${vname}`;
  return s.af !== AF_INET6 && text.length > 33 ? text.slice(0, 33) : text;
}

function serviceLine(s: ServiceRow, svcName: string, format: number): string {
  if (format & FMT.RULE) {
    let out = `-A ${svcName} -s ${s.sched}${persistence(s, true)}`;
    if (s.pe !== '') out += ` --pe ${s.pe}`;
    if (s.flags & IP_VS_SVC_F_ONEPACKET) out += ' -o';
    if (s.flags & SCHED_BITS) out += ` -b ${schedFlags(s)}`;
    return out + '\n';
  }
  if (format & FMT.STATS) return padRight(svcName, 33) + [0, 1, 2, 3, 4].map((i) => largeNum(s.stats[i]!, format)).join('') + '\n';
  if (format & FMT.RATE) return padRight(svcName, 33) + [5, 6, 7, 8, 9].map((i) => largeNum(s.stats[i]!, format)).join('') + '\n';
  let out = `${svcName} ${s.sched}`;
  if (s.flags & SCHED_BITS) out += ` (${schedFlags(s)})`;
  if (s.flags & IP_VS_SVC_F_PERSISTENT) {
    out += persistence(s, false);
    if (s.pe !== '') out += ` pe ${s.pe}`;
  }
  if (s.flags & IP_VS_SVC_F_ONEPACKET) out += ' ops';
  return out + '\n';
}

function destLine(s: ServiceRow, svcName: string, d: DestRow, format: number, names: Names): string {
  let dname = addrPort(d.af, d.addr, d.port, s.protocol, format, names);
  if (!(format & FMT.RULE) && d.af !== AF_INET6 && dname.length > 28) dname = dname.slice(0, 28);
  const u = (n: number): string => String(n >>> 0);
  if (format & FMT.RULE) {
    if ((d.fwd & IP_VS_CONN_F_FWD_MASK) === IP_VS_CONN_F_TUNNEL) return tunnelRule(svcName, dname, d);
    return `-a ${svcName} -r ${dname} ${fwdSwitch(d.fwd)} -w ${cInt(d.weight)}\n`;
  }
  const head = `  -> ${padRight(dname, 28)}`;
  if (format & FMT.STATS) return head + [0, 1, 2, 3, 4].map((i) => largeNum(d.stats[i]!, format)).join('') + '\n';
  if (format & FMT.RATE) {
    return `${head} ${padLeft(d.stats[5].toString(), 8)} ${padLeft(d.stats[6].toString(), 8)} ${padLeft(d.stats[7].toString(), 8)}` +
      `${largeNum(d.stats[8], format)}${largeNum(d.stats[9], format)}\n`;
  }
  if (format & FMT.THRESHOLDS) {
    return `${head} ${padRight(u(d.upperThreshold), 10)} ${padRight(u(d.lowerThreshold), 10)} ${padRight(u(d.active), 10)} ${padRight(u(d.inactive), 10)}\n`;
  }
  if (format & FMT.PERSISTENTCONN) {
    return `${head} ${padRight(u(d.weight), 9)} ${padRight(u(d.persistent), 11)} ${padRight(u(d.active), 10)} ${padRight(u(d.inactive), 10)}\n`;
  }
  if (format & FMT.TUN_INFO) {
    return `${head} ${padRight(fwdName(d.fwd), 7)} ${padRight(tunInfo(d), 13)} ${padRight(cInt(d.weight), 6)} ${padRight(u(d.active), 10)} ${padRight(u(d.inactive), 10)}\n`;
  }
  return `${head} ${padRight(fwdName(d.fwd), 7)} ${padRight(cInt(d.weight), 6)} ${padRight(u(d.active), 10)} ${padRight(u(d.inactive), 10)}\n`;
}

/** A service's real servers in the order ipvsadm prints them. */
export function orderedDests(s: ServiceRow, format: number): DestRow[] {
  return format & FMT.NOSORT ? s.dests : glibcSort(s.dests, compareDests(AF_INET6));
}

/** print_service_entry(): one service and its real servers. */
export function serviceEntry(s: ServiceRow, format: number, names: Names): string {
  const svcName = serviceName(s, format, names);
  let out = serviceLine(s, svcName, format);
  for (const d of orderedDests(s, format)) out += destLine(s, svcName, d, format, names);
  return out;
}

/** The services in the order ipvsadm prints them. */
export function ordered(rows: ServiceRow[], format: number): ServiceRow[] {
  return format & FMT.NOSORT ? rows : glibcSort(rows, compareServices(AF_INET6));
}

export function versionLine(versionCode: number, size: number): string {
  return `IP Virtual Server version ${(versionCode >> 16) & 0xff}.${(versionCode >> 8) & 0xff}.${versionCode & 0xff} (size=${cInt(size)})\n`;
}

/** list_all(): the banner (not for -S), the headings, then every service. */
export function listAll(info: { versionCode: number; connTableSize: number }, rows: ServiceRow[], format: number, names: Names): string {
  let out = format & FMT.RULE ? '' : versionLine(info.versionCode, info.connTableSize);
  out += title(format);
  for (const s of ordered(rows, format)) out += serviceEntry(s, format, names);
  return out;
}

/** list_service(): headings and one service (-L -t ...). */
export function listService(row: ServiceRow, format: number, names: Names): string {
  return title(format) + serviceEntry(row, format, names);
}

export function timeoutLine(t: IpvsTimeouts): string {
  return `Timeout (tcp tcpfin udp): ${cInt(t.tcp)} ${cInt(t.tcpFin)} ${cInt(t.udp)}\n`;
}

/** list_daemon(): one line per running daemon, in the kernel's order. */
export function daemonLines(daemons: SyncDaemon[]): string {
  let out = '';
  for (const d of daemons.slice(0, 2)) {
    out += `${d.state} sync daemon (mcast=${d.interface}, syncid=${cInt(d.syncId)}`;
    if (d.maxLength) out += `, maxlen=${d.maxLength}`;
    if (d.group !== undefined) {
      const bytes = addrBytes(d.group);
      out += `, group=${inetNtop(d.group.includes(':') ? bytes : bytes.subarray(0, 4))}`;
    }
    if (d.port) out += `, port=${d.port}`;
    if (d.ttl) out += `, ttl=${d.ttl}`;
    out += ')\n';
  }
  return out;
}
