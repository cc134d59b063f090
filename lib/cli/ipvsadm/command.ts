// One ipvsadm command as read from its command line: which command, which
// options were given, and the service, real server, timeouts and daemon it
// names, with ipvsadm's defaults filled in. Also the CliError every
// command-line mistake becomes (ipvsadm's message and exit status).
import { IP_VS_CONN_F_DROUTE, IP_VS_CONN_F_TUNNEL_TYPE_IPIP } from '../../uapi/ip_vs.js';

/** Commands in ipvsadm's order (its error messages name them so). */
export const COMMANDS = [
  'add-service', 'edit-service', 'delete-service', 'flush', 'list', 'add-server', 'delete-server', 'edit-server',
  'set', 'start-daemon', 'stop-daemon', 'restore', 'save', 'zero',
] as const;
export type CommandName = (typeof COMMANDS)[number];

/** Options in ipvsadm's order, then nl-ipvsadm's own (json). The index is the option's bit. */
export const OPTIONS = [
  'numeric', 'connection', 'service-address', 'scheduler', 'persistent', 'netmask', 'real-server',
  'forwarding-method', 'weight', 'u-threshold', 'l-threshold', 'mcast-interface', 'timeout', 'daemon', 'stats',
  'rate', 'thresholds', 'persistent-conn', 'nosort', 'syncid', 'exact', 'ops', 'pe', 'sched-flags', 'mcast-group',
  'mcast-port', 'mcast-ttl', 'sync-maxlen', 'tun-info', 'tun-type', 'tun-port', 'tun-nocsum', 'tun-csum',
  'tun-remcsum', 'json',
] as const;
export type OptionName = (typeof OPTIONS)[number];

/** Listing format bits, as ipvsadm's FMT_*. */
export const FMT = {
  NUMERIC: 0x1,
  RULE: 0x2,
  STATS: 0x4,
  RATE: 0x8,
  THRESHOLDS: 0x10,
  PERSISTENTCONN: 0x20,
  NOSORT: 0x40,
  EXACT: 0x80,
  TUN_INFO: 0x100,
} as const;

/** A failed command line: what ipvsadm prints on stderr and its exit status. */
export class CliError extends Error {
  constructor(
    readonly exitCode: number,
    /** The text written to stderr, without the final newline. */
    readonly text: string,
  ) {
    super(text);
    this.name = 'CliError';
  }
}

/** ipvsadm's fail(): the message and exit status 2. */
export function fail(text: string): never {
  throw new CliError(2, text);
}

/** ipvsadm's answer to a line it cannot read at all. */
export function tryHelp(program: string): CliError {
  return new CliError(255, `Try \`${program} -h' or '${program} --help' for more information.`);
}

export interface ServiceArgs {
  /** AF_INET or AF_INET6; 0 while no service was named. */
  af: number;
  /** IPPROTO_*; fwmark services get TCP, as in ipvsadm. */
  protocol: number;
  /** 16 bytes; IPv4 in the first 4. */
  addr: Buffer;
  port: number;
  fwmark: number;
  sched: string;
  /** IP_VS_SVC_F_* bits. */
  flags: number;
  /** Persistence timeout, seconds. */
  timeout: number;
  /** IPv4: the mask as a number (0xffffff00); IPv6: the prefix length. */
  netmask: number;
  pe: string;
}

export interface DestArgs {
  af: number;
  addr: Buffer;
  port: number;
  /** IP_VS_CONN_F_* forwarding method. */
  fwd: number;
  weight: number;
  upperThreshold: number;
  lowerThreshold: number;
  /** IP_VS_CONN_F_TUNNEL_TYPE_*. */
  tunType: number;
  tunPort: number;
  /** IP_VS_TUNNEL_ENCAP_FLAG_*. */
  tunFlags: number;
}

export interface DaemonArgs {
  /** IP_VS_STATE_MASTER or IP_VS_STATE_BACKUP. */
  state: number;
  ifname: string;
  syncId: number;
  maxLength: number;
  /** AF_INET or AF_INET6 when a group was given, else 0. */
  groupAf: number;
  group: Buffer;
  port: number;
  ttl: number;
}

export interface ParsedCommand {
  kind: 'command';
  cmd: CommandName;
  /** Bit i set: OPTIONS[i] was given. */
  options: bigint;
  /** FMT bits for listings. */
  format: number;
  svc: ServiceArgs;
  dest: DestArgs;
  timeouts: { tcp: number; tcpFin: number; udp: number };
  daemon: DaemonArgs;
}

export type ParseResult = ParsedCommand | { kind: 'help' } | { kind: 'version' };

export function optionBit(name: OptionName): bigint {
  return 1n << BigInt(OPTIONS.indexOf(name));
}

export function has(cmd: ParsedCommand, option: OptionName): boolean {
  return (cmd.options & optionBit(option)) !== 0n;
}

/** Records an option; ipvsadm refuses one given twice. */
export function setOption(c: ParsedCommand, name: OptionName): void {
  const bit = optionBit(name);
  if (c.options & bit) fail(`multiple '${name}' options specified`);
  c.options |= bit;
}

/** A command with ipvsadm's starting values: weight 1, direct routing, ipip tunnels, a /32 persistence mask. */
export function emptyCommand(cmd: CommandName): ParsedCommand {
  return {
    kind: 'command',
    cmd,
    options: 0n,
    format: 0,
    svc: { af: 0, protocol: 0, addr: Buffer.alloc(16), port: 0, fwmark: 0, sched: '', flags: 0, timeout: 0, netmask: 0xffffffff, pe: '' },
    dest: {
      af: 0, addr: Buffer.alloc(16), port: 0, fwd: IP_VS_CONN_F_DROUTE, weight: 1, upperThreshold: 0, lowerThreshold: 0,
      tunType: IP_VS_CONN_F_TUNNEL_TYPE_IPIP, tunPort: 0, tunFlags: 0,
    },
    timeouts: { tcp: 0, tcpFin: 0, udp: 0 },
    daemon: { state: 0, ifname: '', syncId: 0, maxLength: 0, groupAf: 0, group: Buffer.alloc(16), port: 0, ttl: 0 },
  };
}
