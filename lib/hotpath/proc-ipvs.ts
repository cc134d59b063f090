// IPVS as /proc shows it, for readers without CAP_NET_ADMIN (every IPVS
// netlink command needs it, GETs included; the /proc files are world-readable).
// /proc/net/ip_vs lists services and destinations with weights and active /
// inactive connection counts but no counters; /proc/net/ip_vs_stats holds the
// namespace's totals. Formats: ip_vs_info_seq_show and ip_vs_stats_show in
// net/netfilter/ipvs/ip_vs_ctl.c. IPv4 addresses and ports are hex; IPv6
// addresses use the full %pI6 form inside brackets.
//   TCP  C6336401:0050 rr
//     -> C000020A:0050      Masq    1      0          0
//   FWM  00000007 wlc ops persistent 300 FFFFFFFF
// The files are opened by a thread inside the namespace (/proc/net follows
// the opener's namespace only through /proc/thread-self).
import { closeSync, readSync } from 'node:fs';
import { openInNetns } from '../transport/socket.js';
import { bytesToIp } from '../codec/address.js';
import { DecodeError } from '../protocol/errors.js';
import type { IpvsStats } from '../families/ipvs/types.js';

export const PROC_IPVS = '/proc/thread-self/net/ip_vs';
export const PROC_IPVS_STATS = '/proc/thread-self/net/ip_vs_stats';

export interface ProcIpvsDestination {
  address: string;
  family: 4 | 6;
  port: number;
  /** As the kernel names it: Masq, Local, Tunnel, Route. */
  forward: string;
  weight: number;
  activeConnections: number;
  inactiveConnections: number;
}

export interface ProcIpvsService {
  /** TCP, UDP, SCTP, or FWM for a firewall-mark service. */
  proto: string;
  /** '' for a firewall-mark service (/proc does not say its family). */
  address: string;
  port: number;
  fwmark: number;
  scheduler: string;
  destinations: ProcIpvsDestination[];
}

/** The namespace's IPVS totals: counters since IPVS started there, and the kernel's rate estimates. */
export type ProcIpvsTotals = IpvsStats;

/** "C0000201:0050" or "[2001:0db8:...:0001]:0050" → address, family, port. */
function endpoint(text: string, line: string): { address: string; family: 4 | 6; port: number } {
  const colon = text.lastIndexOf(':');
  const host = text.slice(0, colon);
  const port = parseInt(text.slice(colon + 1), 16);
  if (colon < 0 || !Number.isInteger(port)) throw new DecodeError(`/proc/net/ip_vs: no address:port in ${JSON.stringify(line)}`);
  if (host.startsWith('[')) {
    const groups = host.slice(1, -1).split(':');
    const bytes = Buffer.alloc(16);
    groups.forEach((g, i) => bytes.writeUInt16BE(parseInt(g, 16), i * 2));
    return { address: bytesToIp(bytes), family: 6, port };
  }
  const bytes = Buffer.alloc(4);
  bytes.writeUInt32BE(parseInt(host, 16) >>> 0);
  return { address: bytesToIp(bytes), family: 4, port };
}

/** Parses the text of /proc/net/ip_vs. */
export function parseProcIpvs(text: string): ProcIpvsService[] {
  const services: ProcIpvsService[] = [];
  let current: ProcIpvsService | undefined;
  for (const line of text.split('\n')) {
    const cols = line.trim().split(/\s+/);
    if (cols[0] === '' || cols[0] === 'IP' || cols[0] === 'Prot' || cols[1] === 'RemoteAddress:Port') continue;
    if (cols[0] === '->') {
      if (current === undefined || cols.length < 6) throw new DecodeError(`/proc/net/ip_vs: unexpected line ${JSON.stringify(line)}`);
      const { address, family, port } = endpoint(cols[1]!, line);
      current.destinations.push({
        address, family, port, forward: cols[2]!,
        weight: Number(cols[3]), activeConnections: Number(cols[4]), inactiveConnections: Number(cols[5]),
      });
    } else if (cols[0] === 'FWM') {
      current = { proto: 'FWM', address: '', port: 0, fwmark: parseInt(cols[1]!, 16), scheduler: cols[2] ?? '', destinations: [] };
      services.push(current);
    } else {
      const { address, port } = endpoint(cols[1] ?? '', line);
      current = { proto: cols[0]!, address, port, fwmark: 0, scheduler: cols[2] ?? '', destinations: [] };
      services.push(current);
    }
  }
  return services;
}

/** Parses the text of /proc/net/ip_vs_stats (hex numbers: totals on line 3, rates on line 6). */
export function parseProcIpvsStats(text: string): ProcIpvsTotals {
  const lines = text.split('\n');
  const totals = (lines[2] ?? '').trim().split(/\s+/);
  const rates = (lines[5] ?? '').trim().split(/\s+/);
  if (totals.length !== 5 || rates.length !== 5) throw new DecodeError(`/proc/net/ip_vs_stats: unexpected layout ${JSON.stringify(text)}`);
  const hex = (s: string): bigint => BigInt(`0x${s}`);
  return {
    connections: hex(totals[0]!), inPackets: hex(totals[1]!), outPackets: hex(totals[2]!), inBytes: hex(totals[3]!), outBytes: hex(totals[4]!),
    cps: hex(rates[0]!), inPps: hex(rates[1]!), outPps: hex(rates[2]!), inBps: hex(rates[3]!), outBps: hex(rates[4]!),
  };
}

/** The whole text of a /proc file as seen from inside `netns`. */
export function readProcFile(netns: string | undefined, path: string): string {
  const fd = openInNetns(netns, path);
  try {
    const chunks: Buffer[] = [];
    for (;;) {
      const chunk = Buffer.allocUnsafe(65536);
      const n = readSync(fd, chunk, 0, chunk.length, null);
      if (n === 0) break;
      chunks.push(chunk.subarray(0, n));
    }
    return Buffer.concat(chunks).toString('utf8');
  } finally {
    closeSync(fd);
  }
}
