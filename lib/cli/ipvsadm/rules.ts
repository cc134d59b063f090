// Which options go with which command and tunnel type, and the checks
// ipvsadm makes once a whole command line is read, in ipvsadm's order and
// with its words: the first broken rule is the one reported.
import { IPPROTO_UDP } from '../../uapi/linux.js';
import {
  IP_VS_SVC_F_PERSISTENT, IP_VS_SVC_F_ONEPACKET, IP_VS_CONN_F_FWD_MASK, IP_VS_CONN_F_TUNNEL, IP_VS_CONN_F_DROUTE,
} from '../../uapi/ip_vs.js';
import { OPTIONS, fail, has, optionBit, type CommandName, type OptionName, type ParsedCommand } from './command.js';

// One column per entry of OPTIONS: '+' required, 'x' illegal, '1' at most
// one of the '1's, ' ' optional.
const MATRIX: Record<CommandName, string> = {
  'add-service':    'xx+   xxxxxxxxxxxxxxx   xxxxxxxxxxx',
  'edit-service':   'xx+   xxxxxxxxxxxxxxx   xxxxxxxxxxx',
  'delete-service': 'xx+xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx',
  'flush':          'xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx',
  'list':           ' 11xxxxxxxxx11       xxxxxxx xxxxx ',
  'add-server':     'xx+xxx+    xxxxxxxxxxxxxxxxxx     x',
  'delete-server':  'xx+xxx+xxxxxxxxxxxxxxxxxxxxxxxxxxxx',
  'edit-server':    'xx+xxx+    xxxxxxxxxxxxxxxxxx     x',
  'set':            'xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx',
  'start-daemon':   'xxxxxxxxxxx xxxxxxx xxxx    xxxxxxx',
  'stop-daemon':    'xxxxxxxxxxxxxxxxxxx xxxxxxxxxxxxxxx',
  'restore':        'xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx',
  'save':           ' xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx',
  'zero':           'xx xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx',
};

export const TUNNEL_NAMES = ['ipip', 'gue', 'gre'] as const;
const TUNNEL_OPTIONS: readonly OptionName[] = ['tun-port', 'tun-nocsum', 'tun-csum', 'tun-remcsum'];
// Per tunnel type (ipip, gue, gre), one column per entry of TUNNEL_OPTIONS.
const TUNNEL_MATRIX = ['xxxx', '+111', 'x11x'];

/**
 * Checks the given options against one row of rules; `what` finishes the
 * messages ("the 'list' command", "the 'gue' tunnel type").
 */
function checkRow(c: ParsedCommand, columns: readonly OptionName[], row: string, what: string): void {
  let exclusive: OptionName | undefined;
  columns.forEach((name, j) => {
    const rule = row[j];
    if ((c.options & optionBit(name)) === 0n) {
      if (rule === '+') fail(`You need to supply the '${name}' option for ${what}`);
      return;
    }
    if (rule === 'x') fail(`Illegal '${name}' option with ${what}`);
    if (rule === '1') {
      if (exclusive !== undefined) fail(`The option '${name}' conflicts with the '${exclusive}' option in ${what}`);
      exclusive = name;
    }
  });
}

/** The checks ipvsadm makes once the whole line is read, and the defaults it fills in then. */
export function checkCommand(c: ParsedCommand, defaults: { scheduler: string; mcastInterface: string }): void {
  checkRow(c, OPTIONS, MATRIX[c.cmd], `the '${c.cmd}' command`);
  const { svc, dest } = c;
  if (c.cmd === 'add-service' || c.cmd === 'edit-service') {
    if (!svc.fwmark && !svc.port && !(svc.flags & IP_VS_SVC_F_PERSISTENT)) fail('Zero port specified for non-persistent service');
    if (svc.flags & IP_VS_SVC_F_ONEPACKET && !svc.fwmark && svc.protocol !== IPPROTO_UDP) {
      fail('One-Packet Scheduling is only for UDP virtual services');
    }
    if (svc.sched === '') svc.sched = defaults.scheduler;
  }
  if (c.cmd === 'start-daemon' && c.daemon.ifname === '') c.daemon.ifname = defaults.mcastInterface;
  const fwd = dest.fwd & IP_VS_CONN_F_FWD_MASK;
  if (c.cmd === 'add-server' || c.cmd === 'edit-server') {
    // Direct routing and tunnels cannot change the port.
    if (!svc.fwmark && (fwd === IP_VS_CONN_F_TUNNEL || fwd === IP_VS_CONN_F_DROUTE)) dest.port = svc.port;
    if (dest.af !== svc.af && fwd !== IP_VS_CONN_F_TUNNEL) fail('Different address family is allowed only for tunneling servers');
    if ((['tun-type', ...TUNNEL_OPTIONS] as const).some((o) => has(c, o)) && fwd !== IP_VS_CONN_F_TUNNEL) {
      fail('Tunnel options conflict with forward method');
    }
    checkRow(c, TUNNEL_OPTIONS, TUNNEL_MATRIX[dest.tunType]!, `the '${TUNNEL_NAMES[dest.tunType]}' tunnel type`);
  }
  if (c.cmd === 'list') {
    const any = (...names: OptionName[]): boolean => names.some((n) => has(c, n));
    if ((any('connection', 'timeout', 'daemon') && any('stats', 'rate', 'thresholds')) || (any('timeout', 'daemon') && any('persistent-conn'))) {
      fail('options conflicts in the list command');
    }
  }
}
