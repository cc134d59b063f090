// ipvsadm's command-line grammar: the option table (long and short names,
// which take a value), the command that must come first, and what each
// option does to the command, read in order as ipvsadm reads them, so the
// first mistake in a line is the one reported, with ipvsadm's words and exit
// status. The result mirrors what ipvsadm would hand to the kernel;
// execute.ts turns it into Ipvs calls.
import { AF_INET, AF_INET6, IPPROTO_TCP, IPPROTO_UDP, IPPROTO_SCTP } from '../../uapi/linux.js';
import {
  IP_VS_SVC_F_PERSISTENT, IP_VS_SVC_F_ONEPACKET, IP_VS_SVC_F_SCHED1, IP_VS_SVC_F_SCHED2, IP_VS_SVC_F_SCHED3,
  IP_VS_CONN_F_MASQ, IP_VS_CONN_F_TUNNEL, IP_VS_CONN_F_DROUTE, IP_VS_STATE_MASTER, IP_VS_STATE_BACKUP,
  IP_VS_TUNNEL_ENCAP_FLAG_NOCSUM, IP_VS_TUNNEL_ENCAP_FLAG_CSUM, IP_VS_TUNNEL_ENCAP_FLAG_REMCSUM,
  IP_VS_SCHEDNAME_MAXLEN, IP_VS_PENAME_MAXLEN, IP_VS_IFNAME_MAXLEN,
} from '../../uapi/ip_vs.js';
import { PoptScanner, poptMessage, type OptionSpec } from './popt.js';
import { stringToNumber } from './libc.js';
import {
  CliError, FMT, emptyCommand, fail, setOption, tryHelp, type CommandName, type OptionName, type ParsedCommand,
  type ParseResult,
} from './command.js';
import { TUNNEL_NAMES, checkCommand } from './rules.js';
import { clip, parseAddrPort, parseFwmark, parseMcastGroup, parseSchedFlags, parseTimeout, parseV4Mask, parseV6Prefix } from './values.js';
import type { Resolver } from './resolve.js';

const DEFAULTS = { scheduler: 'wlc', mcastInterface: 'eth0' };
const MAX_TIMEOUT = 86400 * 31;
const INT_MAX = 0x7fffffff;

const none = (long: string, short?: string): OptionSpec<string> => ({ long, short, arg: 'none', val: short ?? long });
const value = (long: string, short?: string): OptionSpec<string> => ({ long, short, arg: 'required', val: short ?? long });

// ipvsadm's option table, in its order (the first match wins: --list is -L).
const TABLE: ReadonlyArray<OptionSpec<string>> = [
  none('add-service', 'A'), none('edit-service', 'E'), none('delete-service', 'D'), none('clear', 'C'),
  none('list', 'L'), none('list', 'l'), none('zero', 'Z'), none('add-server', 'a'), none('edit-server', 'e'),
  none('delete-server', 'd'), none('set'), none('help', 'h'), none('version', 'v'), none('restore', 'R'),
  none('save', 'S'), value('start-daemon'), value('stop-daemon'), value('tcp-service', 't'), value('udp-service', 'u'),
  value('sctp-service'), value('fwmark-service', 'f'), value('scheduler', 's'),
  { long: 'persistent', short: 'p', arg: 'optional', val: 'p' },
  value('netmask', 'M'), value('real-server', 'r'), none('masquerading', 'm'), none('ipip', 'i'), none('gatewaying', 'g'),
  value('weight', 'w'), value('u-threshold', 'x'), value('l-threshold', 'y'), none('numeric', 'n'), none('connection', 'c'),
  value('mcast-interface'), value('syncid'), none('timeout'), none('daemon'), none('stats'), none('rate'),
  none('thresholds'), none('persistent-conn'), none('nosort'), none('sort'), none('exact', 'X'), none('ipv6', '6'),
  none('ops', 'o'), value('pe'), value('sched-flags', 'b'), value('mcast-group'), value('mcast-port'), value('mcast-ttl'),
  value('sync-maxlen'), none('tun-info'), value('tun-type'), value('tun-port'), none('tun-nocsum'), none('tun-csum'),
  none('tun-remcsum'),
  // nl-ipvsadm's own.
  none('json'),
];

/** The options that name the command; one of them must come first. */
const FIRST: Record<string, CommandName> = {
  A: 'add-service', E: 'edit-service', D: 'delete-service', a: 'add-server', e: 'edit-server', d: 'delete-server',
  C: 'flush', L: 'list', l: 'list', Z: 'zero', set: 'set', R: 'restore', S: 'save',
  'start-daemon': 'start-daemon', 'stop-daemon': 'stop-daemon',
};

const nothing = (): void => {};
const format = (bit: number) => (c: ParsedCommand): void => void (c.format |= bit);
const forward = (fwd: number) => (c: ParsedCommand): void => void (c.dest.fwd = fwd);
const checksum = (bit: number) => (c: ParsedCommand): void => void (c.dest.tunFlags |= bit);

/** Options without a value: which option they count as, and what they switch on. */
const SWITCHES: Record<string, [OptionName, (c: ParsedCommand) => void]> = {
  n: ['numeric', format(FMT.NUMERIC)],
  c: ['connection', nothing],
  timeout: ['timeout', nothing],
  daemon: ['daemon', nothing],
  stats: ['stats', format(FMT.STATS)],
  rate: ['rate', format(FMT.RATE)],
  thresholds: ['thresholds', format(FMT.THRESHOLDS)],
  'persistent-conn': ['persistent-conn', format(FMT.PERSISTENTCONN)],
  nosort: ['nosort', format(FMT.NOSORT)],
  X: ['exact', format(FMT.EXACT)],
  'tun-info': ['tun-info', format(FMT.TUN_INFO)],
  json: ['json', nothing],
  o: ['ops', (c) => void (c.svc.flags |= IP_VS_SVC_F_ONEPACKET)],
  i: ['forwarding-method', forward(IP_VS_CONN_F_TUNNEL)],
  g: ['forwarding-method', forward(IP_VS_CONN_F_DROUTE)],
  m: ['forwarding-method', forward(IP_VS_CONN_F_MASQ)],
  'tun-nocsum': ['tun-nocsum', checksum(IP_VS_TUNNEL_ENCAP_FLAG_NOCSUM)],
  'tun-csum': ['tun-csum', checksum(IP_VS_TUNNEL_ENCAP_FLAG_CSUM)],
  'tun-remcsum': ['tun-remcsum', checksum(IP_VS_TUNNEL_ENCAP_FLAG_REMCSUM)],
};

interface NumberOption {
  option: OptionName;
  min: number;
  max: number;
  error: string;
  set(c: ParsedCommand, n: number): void;
}

/** Options whose value is a whole number in a range. */
const NUMBERS: Record<string, NumberOption> = {
  w: { option: 'weight', min: 0, max: INT_MAX, error: 'illegal weight specified', set: (c, n) => (c.dest.weight = n) },
  x: { option: 'u-threshold', min: 0, max: INT_MAX, error: 'illegal u_threshold specified', set: (c, n) => (c.dest.upperThreshold = n) },
  y: { option: 'l-threshold', min: 0, max: INT_MAX, error: 'illegal l_threshold specified', set: (c, n) => (c.dest.lowerThreshold = n) },
  syncid: { option: 'syncid', min: 0, max: 255, error: 'illegal syncid specified', set: (c, n) => (c.daemon.syncId = n) },
  'mcast-port': { option: 'mcast-port', min: 1, max: 65535, error: 'illegal mcast-port specified', set: (c, n) => (c.daemon.port = n) },
  'mcast-ttl': { option: 'mcast-ttl', min: 1, max: 255, error: 'illegal mcast-ttl specified', set: (c, n) => (c.daemon.ttl = n) },
  // The largest UDP payload in an IPv4 packet.
  'sync-maxlen': { option: 'sync-maxlen', min: 1, max: 65535 - 20 - 8, error: 'illegal sync-maxlen specified', set: (c, n) => (c.daemon.maxLength = n) },
  'tun-port': { option: 'tun-port', min: 1, max: 65535, error: 'illegal tunnel port specified', set: (c, n) => (c.dest.tunPort = n) },
};

const PROTOCOLS: Record<string, number> = { t: IPPROTO_TCP, u: IPPROTO_UDP, 'sctp-service': IPPROTO_SCTP };

function daemonState(arg: string, message: string): number {
  if (arg === 'master') return IP_VS_STATE_MASTER;
  if (arg === 'backup') return IP_VS_STATE_BACKUP;
  fail(message);
}

/** What an option with a value other than a plain number does; false for an option that is no such option. */
async function applyValue(c: ParsedCommand, v: string, arg: string | null, resolver: Resolver, flagsArg: { text: string }): Promise<boolean> {
  const text = arg ?? '';
  switch (v) {
    case 't':
    case 'u':
    case 'sctp-service': {
      setOption(c, 'service-address');
      c.svc.protocol = PROTOCOLS[v]!;
      const p = await parseAddrPort(text, c.svc.protocol, resolver);
      if (p === undefined) fail('illegal virtual server address[:port] specified');
      c.svc.af = p.af;
      c.svc.addr = p.addr;
      if (p.af === AF_INET6) c.svc.netmask = 128;
      if (p.port !== undefined) c.svc.port = p.port;
      return true;
    }
    case 'f':
      setOption(c, 'service-address');
      // ipvsadm gives fwmark services IPv4 and TCP until -6 says otherwise.
      c.svc.af = AF_INET;
      c.svc.protocol = IPPROTO_TCP;
      c.svc.fwmark = parseFwmark(text);
      return true;
    case '6':
      if (!c.svc.fwmark) fail('-6 used before -f\n');
      c.svc.af = AF_INET6;
      c.svc.netmask = 128;
      return true;
    case 's':
      setOption(c, 'scheduler');
      c.svc.sched = clip(text, IP_VS_SCHEDNAME_MAXLEN - 1);
      return true;
    case 'p':
      setOption(c, 'persistent');
      c.svc.flags |= IP_VS_SVC_F_PERSISTENT;
      c.svc.timeout = parseTimeout(arg, 1, MAX_TIMEOUT);
      return true;
    case 'M':
      setOption(c, 'netmask');
      c.svc.netmask = c.svc.af === AF_INET6 ? parseV6Prefix(text) : await parseV4Mask(text, resolver);
      return true;
    case 'pe':
      setOption(c, 'pe');
      c.svc.pe = clip(text, IP_VS_PENAME_MAXLEN);
      return true;
    case 'b':
      setOption(c, 'sched-flags');
      // Read once the scheduler is known, at the end.
      flagsArg.text = clip(text, 127);
      return true;
    case 'r': {
      setOption(c, 'real-server');
      const p = await parseAddrPort(text, c.svc.protocol, resolver);
      if (p === undefined) fail('illegal real server address[:port] specified');
      c.dest.af = p.af;
      c.dest.addr = p.addr;
      // No port given: the service's, as far as it is known at this point.
      c.dest.port = p.port ?? c.svc.port;
      return true;
    }
    case 'tun-type': {
      setOption(c, 'tun-type');
      const t = TUNNEL_NAMES.indexOf(text as (typeof TUNNEL_NAMES)[number]);
      if (t < 0) fail('illegal tunnel type specified');
      c.dest.tunType = t;
      return true;
    }
    case 'mcast-interface':
      setOption(c, 'mcast-interface');
      c.daemon.ifname = clip(text, IP_VS_IFNAME_MAXLEN - 1);
      return true;
    case 'mcast-group': {
      setOption(c, 'mcast-group');
      const g = parseMcastGroup(text);
      c.daemon.groupAf = g.af;
      c.daemon.group = g.group;
      return true;
    }
    case 'sort':
      // The default; accepted for compatibility.
      return true;
    default:
      return false;
  }
}

/**
 * Parses one command line (argv[0] is the program name) as ipvsadm does.
 * Throws CliError for every mistake, with ipvsadm's message and exit status.
 */
export async function parseCommandLine(argv: readonly string[], resolver: Resolver): Promise<ParseResult> {
  const program = argv[0] ?? 'ipvsadm';
  const scan = new PoptScanner(argv, TABLE);
  const first = scan.nextOption();
  if (first.kind !== 'option') throw tryHelp(program);
  if (first.val === 'h') return { kind: 'help' };
  if (first.val === 'v') return { kind: 'version' };
  const cmd = FIRST[first.val];
  if (cmd === undefined) throw tryHelp(program);
  const c = emptyCommand(cmd);
  if (cmd === 'start-daemon') c.daemon.state = daemonState(first.arg ?? '', 'illegal start-daemon parameter specified');
  if (cmd === 'stop-daemon') c.daemon.state = daemonState(first.arg ?? '', 'illegal start_daemon specified');
  const flagsArg = { text: '' };

  for (;;) {
    const ev = scan.nextOption();
    if (ev.kind === 'end') break;
    if (ev.kind === 'error') throw new CliError(255, `${scan.badOption()}: ${poptMessage(ev.error)}`);
    const v = ev.val;
    const toggle = SWITCHES[v];
    const num = NUMBERS[v];
    if (toggle !== undefined) {
      setOption(c, toggle[0]);
      toggle[1](c);
    } else if (num !== undefined) {
      setOption(c, num.option);
      const n = stringToNumber(ev.arg ?? '', num.min, num.max);
      if (n === -1) fail(num.error);
      num.set(c, n);
    } else if (!(await applyValue(c, v, ev.arg, resolver, flagsArg))) {
      // Another command, or -h / -v, after the command.
      fail(`invalid option \`${scan.badOption()}'`);
    }
  }

  if (c.cmd === 'set') {
    const values = [scan.nextArg(), scan.nextArg(), scan.nextArg()];
    if (values.some((x) => x === undefined)) fail('--set option requires 3 timeout values');
    c.timeouts.tcp = parseTimeout(values[0]!, 0, MAX_TIMEOUT);
    c.timeouts.tcpFin = parseTimeout(values[1]!, 0, MAX_TIMEOUT);
    c.timeouts.udp = parseTimeout(values[2]!, 0, MAX_TIMEOUT);
  }
  const extra = scan.nextArg();
  if (extra !== undefined) fail(`unexpected argument ${extra}`);
  if (flagsArg.text !== '') {
    c.svc.flags &= ~(IP_VS_SVC_F_SCHED1 | IP_VS_SVC_F_SCHED2 | IP_VS_SVC_F_SCHED3);
    c.svc.flags |= parseSchedFlags(c.svc.sched === '' ? DEFAULTS.scheduler : c.svc.sched, flagsArg.text);
  }
  checkCommand(c, DEFAULTS);
  return c;
}
