// Runs one parsed ipvsadm command against the kernel through the Ipvs API,
// and reports failures with ipvsadm's words and exit statuses: 255 for a
// rejected change, 1 for a failed listing. Writes the API cannot express
// (see raw.ts) go to the kernel exactly as ipvsadm sends them.
import { constants } from 'node:os';
import type { Ipvs } from '../../api/ipvs.js';
import type { IpvsInfo } from '../../families/ipvs/info.js';
import type { IpvsOp } from '../../families/ipvs/ops.js';
import type { DestinationSpec, ForwardMethod, ServiceKey, ServiceSpec, SyncDaemon } from '../../families/ipvs/types.js';
import { AF_INET6, IPPROTO_TCP, IPPROTO_UDP, IPPROTO_SCTP } from '../../uapi/linux.js';
import {
  IP_VS_SVC_F_PERSISTENT, IP_VS_SVC_F_ONEPACKET, IP_VS_SVC_F_SCHED1, IP_VS_SVC_F_SCHED2, IP_VS_SVC_F_SCHED3,
  IP_VS_CONN_F_FWD_MASK, IP_VS_CONN_F_MASQ, IP_VS_CONN_F_LOCALNODE, IP_VS_CONN_F_TUNNEL, IP_VS_CONN_F_DROUTE,
  IP_VS_CONN_F_BYPASS, IP_VS_CONN_F_TUNNEL_TYPE_GUE, IP_VS_STATE_MASTER, IP_VS_SCHEDNAME_MAXLEN, IP_VS_PENAME_MAXLEN, IP_VS_IFNAME_MAXLEN,
} from '../../uapi/ip_vs.js';
import type { ParsedCommand, ServiceArgs, DestArgs, CommandName } from './command.js';
import { inetNtoa, inetNtop } from './libc.js';
import { rawBatch, rawSetTimeouts, rawStep, type RawStep } from './raw.js';
import { ipvsStrerror, type IpvsCall } from './strerror.js';

const E = constants.errno;

export interface Output {
  out(text: string): void;
  err(text: string): void;
}

export interface Session {
  ipvs: Ipvs;
  info: IpvsInfo;
  io: Output;
}

const PROTOCOL_NAMES: Record<number, 'tcp' | 'udp' | 'sctp'> = { [IPPROTO_TCP]: 'tcp', [IPPROTO_UDP]: 'udp', [IPPROTO_SCTP]: 'sctp' };
const FORWARD_NAMES: Record<number, ForwardMethod> = {
  [IP_VS_CONN_F_MASQ]: 'masq',
  [IP_VS_CONN_F_LOCALNODE]: 'local',
  [IP_VS_CONN_F_TUNNEL]: 'tunnel',
  [IP_VS_CONN_F_DROUTE]: 'route',
  [IP_VS_CONN_F_BYPASS]: 'bypass',
};
const TUNNEL_TYPES = ['ipip', 'gue', 'gre'] as const;
const CHECKSUMS = ['none', 'csum', 'remcsum'] as const;
const SCHED_BITS = IP_VS_SVC_F_SCHED1 | IP_VS_SVC_F_SCHED2 | IP_VS_SVC_F_SCHED3;
// Timeouts the library accepts (seconds * HZ must fit an int for any HZ up to 1000).
const MAX_API_TIMEOUT = Math.floor(0x7fffffff / 1000);

function addressText(af: number, addr: Buffer): string {
  return inetNtop(af === AF_INET6 ? addr.subarray(0, 16) : addr.subarray(0, 4));
}

/** The key the API takes, or undefined when the API has no way to say it (port 0). */
export function serviceKey(svc: ServiceArgs): ServiceKey | undefined {
  if (svc.fwmark) return { fwmark: svc.fwmark, family: svc.af === AF_INET6 ? 6 : 4 };
  const protocol = PROTOCOL_NAMES[svc.protocol];
  if (protocol === undefined || svc.port === 0) return undefined;
  return { protocol, address: addressText(svc.af, svc.addr), port: svc.port };
}

/** True for a v4 mask of leading ones (what the API accepts). */
function contiguous(mask: number): boolean {
  const inv = ~mask >>> 0;
  return (inv & (inv + 1)) === 0;
}

function apiNameOk(name: string, max: number): boolean {
  return name.length <= max && /^[a-z0-9_]*$/i.test(name);
}

/** The API's spec for -A: every field stated, as ipvsadm sends every field. */
function serviceSpec(svc: ServiceArgs): ServiceSpec | undefined {
  const key = serviceKey(svc);
  if (key === undefined) return undefined;
  const sched = svc.sched;
  const bits = svc.flags & SCHED_BITS;
  const sh = sched === 'sh';
  const mh = sched === 'mh';
  // Scheduler bits the API names only for sh and mh, and only the first two.
  if (bits && (!(sh || mh) || bits & IP_VS_SVC_F_SCHED3)) return undefined;
  if (!apiNameOk(sched, IP_VS_SCHEDNAME_MAXLEN - 1) || sched === '') return undefined;
  if (!apiNameOk(svc.pe, IP_VS_PENAME_MAXLEN - 1)) return undefined;
  if (svc.af !== AF_INET6 && !contiguous(svc.netmask)) return undefined;
  const netmask = svc.af === AF_INET6 ? svc.netmask : inetNtoa(svc.netmask);
  const spec: ServiceSpec = {
    ...key,
    scheduler: sched,
    persistent: svc.flags & IP_VS_SVC_F_PERSISTENT ? svc.timeout : 0,
    netmask,
    flags: {
      onePacket: (svc.flags & IP_VS_SVC_F_ONEPACKET) !== 0,
      shFallback: sh && (bits & IP_VS_SVC_F_SCHED1) !== 0,
      shPort: sh && (bits & IP_VS_SVC_F_SCHED2) !== 0,
      mhFallback: mh && (bits & IP_VS_SVC_F_SCHED1) !== 0,
      mhPort: mh && (bits & IP_VS_SVC_F_SCHED2) !== 0,
    },
  };
  if (svc.pe !== '') spec.pe = svc.pe;
  return spec;
}

function destSpec(svc: ServiceArgs, dest: DestArgs): DestinationSpec | undefined {
  if (!svc.fwmark && dest.port === 0) return undefined;
  if (dest.lowerThreshold > dest.upperThreshold) return undefined;
  const fwd = dest.fwd & IP_VS_CONN_F_FWD_MASK;
  const spec: DestinationSpec = {
    address: addressText(dest.af, dest.addr),
    port: dest.port,
    forward: FORWARD_NAMES[fwd] ?? 'route',
    weight: dest.weight,
    upperThreshold: dest.upperThreshold,
    lowerThreshold: dest.lowerThreshold,
  };
  if (fwd === IP_VS_CONN_F_TUNNEL) {
    spec.tunnel = { type: TUNNEL_TYPES[dest.tunType] ?? 'ipip', checksum: CHECKSUMS[dest.tunFlags] ?? 'none' };
    if (dest.tunType === IP_VS_CONN_F_TUNNEL_TYPE_GUE) spec.tunnel.port = dest.tunPort;
  }
  return spec;
}

/** How one write command reaches the kernel, and which libipvs call its errors belong to. */
export interface WritePlan {
  call: IpvsCall;
  op?: IpvsOp;
  raw?: RawStep;
  run?: (ipvs: Ipvs) => Promise<void>;
}

const CALLS: Partial<Record<CommandName, IpvsCall>> = {
  'add-service': 'add_service',
  'edit-service': 'update_service',
  'delete-service': 'del_service',
  'add-server': 'add_dest',
  'edit-server': 'update_dest',
  'delete-server': 'del_dest',
  zero: 'zero_service',
  flush: 'flush',
  set: 'set_timeout',
  'start-daemon': 'start_daemon',
  'stop-daemon': 'stop_daemon',
};

/** An error carrying the errno the kernel would give, decided without asking it. */
function kernelError(errno: number): Error & { errno: number } {
  return Object.assign(new Error(`errno ${errno}`), { errno: -errno });
}

/** The plan for a command that changes the kernel's state. */
export function planWrite(c: ParsedCommand): WritePlan {
  const call = CALLS[c.cmd];
  if (call === undefined) throw new Error(`${c.cmd} does not change IPVS state`);
  const { svc, dest } = c;
  const raw = (): WritePlan => ({ call, raw: rawStep(c.cmd, svc, dest) });
  switch (c.cmd) {
    case 'flush':
      return { call, op: { op: 'flush' } };
    case 'zero': {
      // No service, or the all-zero one: every counter (as libipvs).
      if (!svc.fwmark && svc.port === 0 && svc.addr.every((b) => b === 0)) return { call, op: { op: 'zero' } };
      const key = serviceKey(svc);
      return key ? { call, op: { op: 'zero', service: key } } : raw();
    }
    case 'add-service': {
      const spec = serviceSpec(svc);
      return spec ? { call, op: { op: 'addService', service: spec } } : raw();
    }
    case 'edit-service':
      // ipvsadm -E replaces the whole service; the API's edit keeps scheduler
      // flags it has no name for (flag-3, a custom scheduler's), so ipvsadm's way.
      return raw();
    case 'delete-service': {
      const key = serviceKey(svc);
      return key ? { call, op: { op: 'deleteService', service: key } } : raw();
    }
    case 'add-server':
    case 'edit-server': {
      const key = serviceKey(svc);
      const spec = destSpec(svc, dest);
      if (key === undefined || spec === undefined) return raw();
      return { call, op: c.cmd === 'add-server' ? { op: 'addDestination', service: key, destination: spec } : { op: 'editDestination', service: key, destination: spec } };
    }
    case 'delete-server': {
      const key = serviceKey(svc);
      if (key === undefined || (!svc.fwmark && dest.port === 0)) return raw();
      return { call, op: { op: 'deleteDestination', service: key, destination: { address: addressText(dest.af, dest.addr), port: dest.port } } };
    }
    case 'set': {
      const t = c.timeouts;
      const tooBig = [t.tcp, t.tcpFin, t.udp].some((v) => v > MAX_API_TIMEOUT);
      return {
        call,
        // The library refuses what would not fit in jiffies at HZ 1000; the kernel judges by its own HZ.
        run: (ipvs) => (tooBig ? rawSetTimeouts(ipvs, t) : ipvs.setTimeouts({ tcp: t.tcp, tcpFin: t.tcpFin, udp: t.udp })),
      };
    }
    case 'start-daemon': {
      const d = c.daemon;
      const daemon: SyncDaemon = { state: d.state === IP_VS_STATE_MASTER ? 'master' : 'backup', interface: d.ifname, syncId: d.syncId };
      if (d.maxLength) daemon.maxLength = d.maxLength;
      if (d.groupAf) daemon.group = addressText(d.groupAf, d.group);
      if (d.port) daemon.port = d.port;
      if (d.ttl) daemon.ttl = d.ttl;
      // Names the kernel cannot have as an interface: it would answer ENODEV.
      const badName = d.ifname.length > IP_VS_IFNAME_MAXLEN - 1 || /[/:\s]/.test(d.ifname) || d.ifname === '.' || d.ifname === '..';
      return {
        call,
        run: async (ipvs) => {
          if (badName) throw kernelError(E.ENODEV);
          await ipvs.startDaemon(daemon);
        },
      };
    }
    case 'stop-daemon': {
      const state = c.daemon.state === IP_VS_STATE_MASTER ? 'master' : 'backup';
      return { call, run: (ipvs) => ipvs.stopDaemon(state, c.daemon.syncId) };
    }
    default:
      throw new Error(`${c.cmd} does not change IPVS state`);
  }
}

/** The errno of a failure, when it has one (kernel errors, and those decided for the kernel). */
export function errnoOf(err: unknown): number | undefined {
  const e = err as { errno?: unknown };
  return typeof e?.errno === 'number' ? Math.abs(e.errno) : undefined;
}

/** The line ipvsadm prints for a failed call. */
export function failureText(call: IpvsCall, err: unknown): string {
  const errno = errnoOf(err);
  if (errno !== undefined) return ipvsStrerror(call, errno);
  return err instanceof Error ? err.message : String(err);
}

export const WRITE_OPTIONS = { allowUnknownScheduler: true, readBack: false } as const;

/** Runs one write command; 0, or 255 with ipvsadm's message on stderr. */
export async function executeWrite(c: ParsedCommand, s: Session): Promise<number> {
  const plan = planWrite(c);
  try {
    if (plan.run) await plan.run(s.ipvs);
    else if (plan.op) {
      const [r] = await s.ipvs.batch([plan.op], { ...WRITE_OPTIONS, stopOnError: true });
      if (r && !r.ok) throw r.error;
    } else if (plan.raw) {
      const [err] = await rawBatch(s.ipvs, [plan.raw]);
      if (err) throw err;
    }
    return 0;
  } catch (err) {
    s.io.err(`${failureText(plan.call, err)}\n`);
    return 255;
  }
}
