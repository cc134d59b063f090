// Writes the Ipvs API cannot express, sent exactly as ipvsadm sends them
// (whole service, whole real server) through the IPVS family's own
// encoders, so the kernel gives its own answer: a port-0 (all ports)
// persistent service and its real servers, scheduler flags with no name for
// the scheduler (flag-1..3), a non-contiguous persistence mask, names the
// library refuses but the kernel judges (an unknown scheduler or engine),
// thresholds the wrong way round (ERANGE from the kernel), -E (which
// replaces a service whole), and timeouts above what the library allows for
// every HZ. Also the lookup of one service by ipvsadm's key (port 0 allowed).
import { MessageWriter } from '../../codec/writer.js';
import type { Ipvs } from '../../api/ipvs.js';
import type { RequestOptions } from '../../protocol/connection.js';
import { AF_INET6 } from '../../uapi/linux.js';
import {
  IPVS_CMD_NEW_SERVICE, IPVS_CMD_SET_SERVICE, IPVS_CMD_DEL_SERVICE, IPVS_CMD_NEW_DEST, IPVS_CMD_SET_DEST,
  IPVS_CMD_DEL_DEST, IPVS_CMD_ZERO, IPVS_CMD_FLUSH, IPVS_CMD_SET_CONFIG, IPVS_CMD_ATTR_TIMEOUT_TCP,
  IPVS_CMD_ATTR_TIMEOUT_TCP_FIN, IPVS_CMD_ATTR_TIMEOUT_UDP,
} from '../../uapi/ip_vs.js';
import { beginIpvs, getService, writeServiceNest } from '../../families/ipvs/service.js';
import { dumpDestinations, writeDestinationNest } from '../../families/ipvs/destination.js';
import type { ResolvedService, ServiceId } from '../../families/ipvs/validate.js';
import type { DestinationId, ResolvedDestination } from '../../families/ipvs/validate-destination.js';
import type { ServiceWithDestinations } from '../../families/ipvs/types.js';
import type { CommandName, DestArgs, ServiceArgs } from './command.js';
import { inetNtop } from './libc.js';

export interface RawStep {
  cmd: number;
  service?: ServiceId | ResolvedService;
  dest?: DestinationId | ResolvedDestination;
  what: string;
}

const COMMAND_CMDS: Partial<Record<CommandName, number>> = {
  'add-service': IPVS_CMD_NEW_SERVICE,
  'edit-service': IPVS_CMD_SET_SERVICE,
  'delete-service': IPVS_CMD_DEL_SERVICE,
  'add-server': IPVS_CMD_NEW_DEST,
  'edit-server': IPVS_CMD_SET_DEST,
  'delete-server': IPVS_CMD_DEL_DEST,
  zero: IPVS_CMD_ZERO,
  flush: IPVS_CMD_FLUSH,
};

function addrOf(af: number, addr: Buffer): Buffer {
  return af === AF_INET6 ? Buffer.from(addr.subarray(0, 16)) : Buffer.from(addr.subarray(0, 4));
}

/** The service's identity as the encoders take it, unchecked (port 0 allowed). */
export function rawServiceId(svc: ServiceArgs): ServiceId {
  const family: 4 | 6 = svc.af === AF_INET6 ? 6 : 4;
  const address = svc.fwmark ? Buffer.alloc(0) : addrOf(svc.af, svc.addr);
  const text = svc.fwmark ? `fwmark ${svc.fwmark}` : `${family === 6 ? `[${inetNtop(address)}]` : inetNtop(address)}:${svc.port}`;
  return { family, af: svc.af, fwmark: svc.fwmark, protocol: svc.protocol, address, port: svc.port, text };
}

function rawDestId(dest: DestArgs): DestinationId {
  const family: 4 | 6 = dest.af === AF_INET6 ? 6 : 4;
  const address = addrOf(dest.af, dest.addr);
  const text = family === 6 ? `[${inetNtop(address)}]:${dest.port}` : `${inetNtop(address)}:${dest.port}`;
  return { family, af: dest.af, address, port: dest.port, text };
}

/** The NEW/SET/DEL message ipvsadm would send for this command. */
export function rawStep(cmd: CommandName, svc: ServiceArgs, dest: DestArgs): RawStep {
  const code = COMMAND_CMDS[cmd];
  if (code === undefined) throw new Error(`${cmd} is not a service or server command`);
  const id = rawServiceId(svc);
  const what = `${cmd} ${id.text}`;
  switch (cmd) {
    case 'flush':
      return { cmd: code, what };
    case 'zero':
      return { cmd: code, service: id, what };
    case 'delete-service':
      return { cmd: code, service: id, what };
    case 'add-service':
    case 'edit-service':
      return {
        cmd: code,
        service: { id, scheduler: svc.sched, flags: svc.flags, timeout: svc.timeout, netmask: svc.netmask, pe: svc.pe === '' ? undefined : svc.pe },
        what,
      };
    case 'delete-server':
      return { cmd: code, service: id, dest: rawDestId(dest), what };
    default:
      return {
        cmd: code,
        service: id,
        dest: {
          id: rawDestId(dest),
          forward: dest.fwd,
          weight: dest.weight,
          upperThreshold: dest.upperThreshold,
          lowerThreshold: dest.lowerThreshold,
          tunnel: { type: dest.tunType, port: dest.tunPort, flags: dest.tunFlags },
        },
        what,
      };
  }
}

/** Sends the steps in one batch; one error (or undefined) per step, in order. */
export async function rawBatch(ipvs: Ipvs, steps: RawStep[], options: RequestOptions = {}): Promise<Array<Error | undefined>> {
  if (steps.length === 0) return [];
  const familyId = await ipvs.family.familyId(options);
  const w = new MessageWriter(Math.max(256, steps.length * 160));
  for (const s of steps) {
    beginIpvs(w, familyId, s.cmd);
    if (s.service) writeServiceNest(w, s.service);
    if (s.dest) writeDestinationNest(w, s.dest);
    w.end(s.what);
  }
  const replies = await ipvs.conn.batch(w, options);
  return replies.map((r) => (r.ok ? undefined : r.error));
}

/** One service and its real servers, looked up by ipvsadm's key (port 0 allowed). */
export async function rawGetService(ipvs: Ipvs, svc: ServiceArgs, options: RequestOptions = {}): Promise<ServiceWithDestinations> {
  const familyId = await ipvs.family.familyId(options);
  const id = rawServiceId(svc);
  const service = await getService(ipvs.conn, familyId, id, options);
  const destinations = await dumpDestinations(ipvs.conn, familyId, id, options);
  return { ...service, destinations };
}

/** --set as ipvsadm sends it: all three timeouts (0 leaves one unchanged). */
export async function rawSetTimeouts(ipvs: Ipvs, t: { tcp: number; tcpFin: number; udp: number }, options: RequestOptions = {}): Promise<void> {
  const familyId = await ipvs.family.familyId(options);
  const w = new MessageWriter(64);
  beginIpvs(w, familyId, IPVS_CMD_SET_CONFIG);
  w.attrU32(IPVS_CMD_ATTR_TIMEOUT_TCP, t.tcp, 'timeouts.tcp');
  w.attrU32(IPVS_CMD_ATTR_TIMEOUT_TCP_FIN, t.tcpFin, 'timeouts.tcpFin');
  w.attrU32(IPVS_CMD_ATTR_TIMEOUT_UDP, t.udp, 'timeouts.udp');
  w.end('set IPVS timeouts');
  await ipvs.conn.request(w, options);
}
