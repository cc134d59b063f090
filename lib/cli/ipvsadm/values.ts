// The values of ipvsadm's options, read exactly as ipvsadm reads them:
// "host[:port]" (names allowed), timeouts, firewall marks, persistence masks,
// scheduler flags, multicast groups. A value ipvsadm refuses throws its
// CliError; one it accepts gives the same bytes it would send.
import { AF_INET, AF_INET6 } from '../../uapi/linux.js';
import {
  IP_VS_SVC_F_SCHED1, IP_VS_SVC_F_SCHED2, IP_VS_SVC_F_SCHED3, IP_VS_SVC_F_SCHED_SH_FALLBACK, IP_VS_SVC_F_SCHED_SH_PORT,
  IP_VS_SVC_F_SCHED_MH_FALLBACK, IP_VS_SVC_F_SCHED_MH_PORT,
} from '../../uapi/ip_vs.js';
import { fail } from './command.js';
import { stringToNumber, strtol, isAllDigits, inetAton, inetPton4, inetPton6 } from './libc.js';
import type { Resolver } from './resolve.js';

/** ipvsadm's -p without a value: 6 minutes. */
const DEFAULT_PERSISTENT_TIMEOUT = 360;

export interface AddrPort {
  af: number;
  /** 16 bytes; IPv4 in the first 4. */
  addr: Buffer;
  /** Absent when the text named no port. */
  port?: number;
}

/**
 * ipvsadm's parse_service(): "host[:port]", "[ipv6]:port" or a bare IPv6
 * address; the host may be a name, the port a service name of `protocol`.
 * undefined where ipvsadm finds no address (or a port it cannot read).
 */
export async function parseAddrPort(text: string, protocol: number, resolver: Resolver): Promise<AddrPort | undefined> {
  if (isAllDigits(text)) return undefined;
  let host = text;
  let portText: string | undefined;
  if (host[0] === '[') {
    host = host.slice(1);
    const close = host.indexOf(']');
    if (close < 0 || host[close + 1] !== ':') return undefined;
    portText = host.slice(close + 2);
    host = host.slice(0, close);
  }
  let value: AddrPort;
  const v6 = inetPton6(host);
  if (v6 !== undefined) {
    value = { af: AF_INET6, addr: v6 };
  } else {
    // Not IPv6: the port is what follows the host part's last colon, even inside brackets.
    const colon = host.lastIndexOf(':');
    portText = colon >= 0 ? host.slice(colon + 1) : undefined;
    if (colon >= 0) host = host.slice(0, colon);
    const v4 = inetAton(host) ?? (await resolver.hostToAddr(host));
    if (v4 === undefined) return undefined;
    const addr = Buffer.alloc(16);
    v4.copy(addr, 0);
    value = { af: AF_INET, addr };
  }
  if (portText === undefined) return value;
  let port = stringToNumber(portText, 0, 65535);
  if (port === -1) port = resolver.serviceToPort(portText, protocol) ?? -1;
  if (port === -1) return undefined;
  value.port = port;
  return value;
}

/** A timeout in seconds; null (-p with no value) is ipvsadm's default. */
export function parseTimeout(text: string | null, min: number, max: number): number {
  if (text === null) return DEFAULT_PERSISTENT_TIMEOUT;
  const n = stringToNumber(text, min, max);
  if (n === -1) fail(`invalid timeout value \`${text}' specified`);
  return n;
}

export function parseFwmark(text: string): number {
  const r = strtol(text);
  if (r.end === 0 || r.end !== text.length || r.overflow || r.value <= 0n || r.value > 0xffffffffn) {
    fail(`invalid fwmark value \`${text}' specified`);
  }
  return Number(r.value);
}

/** An IPv4 persistence mask (inet_aton, or a host name as ipvsadm allows), as a number. */
export async function parseV4Mask(text: string, resolver: Resolver): Promise<number> {
  const mask = inetAton(text) ?? (await resolver.hostToAddr(text));
  if (mask === undefined) fail('illegal virtual server persistent mask specified');
  return mask.readUInt32BE(0);
}

/** An IPv6 persistence prefix, read with C's atoi (so "64abc" is 64). */
export function parseV6Prefix(text: string): number {
  const n = Number(BigInt.asIntN(32, strtol(text).value));
  if (n < 1 || n > 128) fail('illegal ipv6 netmask specified');
  return n;
}

const SCHED_FLAGS: Record<string, [bit: number, scheduler?: string]> = {
  'flag-1': [IP_VS_SVC_F_SCHED1],
  'flag-2': [IP_VS_SVC_F_SCHED2],
  'flag-3': [IP_VS_SVC_F_SCHED3],
  'sh-fallback': [IP_VS_SVC_F_SCHED_SH_FALLBACK, 'sh'],
  'sh-port': [IP_VS_SVC_F_SCHED_SH_PORT, 'sh'],
  'mh-fallback': [IP_VS_SVC_F_SCHED_MH_FALLBACK, 'mh'],
  'mh-port': [IP_VS_SVC_F_SCHED_MH_PORT, 'mh'],
};

/** -b: comma-separated flag names; sh-* and mh-* only with their scheduler. */
export function parseSchedFlags(scheduler: string, text: string): number {
  let flags = 0;
  for (const name of text.split(',').filter((f) => f !== '')) {
    const entry = Object.hasOwn(SCHED_FLAGS, name) ? SCHED_FLAGS[name] : undefined;
    if (entry === undefined) fail(`invalid scheduler flag \`${name}'`);
    flags |= entry[0];
    if (entry[1] !== undefined && entry[1] !== scheduler) fail(`incompatible scheduler flag \`${name}'`);
  }
  return flags;
}

/** --mcast-group: a multicast address, IPv6 when it has a colon. */
export function parseMcastGroup(text: string): { af: number; group: Buffer } {
  if (text.includes(':')) {
    const g = inetPton6(text);
    if (g === undefined || g[0] !== 0xff) fail(`invalid IPv6 mcast-group \`${text}'`);
    return { af: AF_INET6, group: g };
  }
  const g = inetPton4(text);
  if (g === undefined || (g[0]! & 0xf0) !== 0xe0) fail(`invalid IPv4 mcast-group \`${text}'`);
  const group = Buffer.alloc(16);
  g.copy(group, 0);
  return { af: AF_INET, group };
}

/** C strncpy into a fixed buffer: at most `max` characters survive. */
export function clip(text: string, max: number): string {
  return text.length > max ? text.slice(0, max) : text;
}
