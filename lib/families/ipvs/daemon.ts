// IPVS_CMD_NEW/DEL/GET_DAEMON: the connection sync daemons (ipvsadm
// --start-daemon / --stop-daemon / -L --daemon). A master multicasts its
// connection entries; a backup with the same sync id receives them, so a
// standby director can take over established connections.
// Attributes nest in IPVS_CMD_ATTR_DAEMON. The multicast port is a u16 in
// HOST byte order, unlike every other IPVS port; the IPv4 group is an
// in_addr (network order). Omitted optional fields take the kernel's defaults
// (group 224.0.0.81, port 8848, ttl 1, maxlen from the interface MTU).
import type { RequestOptions, Describe } from '../../protocol/connection.js';
import { ValidationError, showValue, type NetlinkError } from '../../protocol/errors.js';
import type { AttrTable } from '../../codec/reader.js';
import type { MessageWriter } from '../../codec/writer.js';
import { ipToBytes, bytesToIp } from '../../codec/address.js';
import { NLM_F_REQUEST, NLM_F_ACK, NLM_F_DUMP } from '../../uapi/netlink.js';
import {
  IPVS_CMD_NEW_DAEMON, IPVS_CMD_DEL_DAEMON, IPVS_CMD_GET_INFO, IPVS_CMD_GET_DAEMON, IPVS_CMD_ATTR_DAEMON, IPVS_DAEMON_ATTR_STATE,
  IPVS_DAEMON_ATTR_MCAST_IFN, IPVS_DAEMON_ATTR_SYNC_ID, IPVS_DAEMON_ATTR_SYNC_MAXLEN, IPVS_DAEMON_ATTR_MCAST_GROUP,
  IPVS_DAEMON_ATTR_MCAST_GROUP6, IPVS_DAEMON_ATTR_MCAST_PORT, IPVS_DAEMON_ATTR_MCAST_TTL, IP_VS_STATE_MASTER,
  IP_VS_STATE_BACKUP, IP_VS_IFNAME_MAXLEN,
} from '../../uapi/ip_vs.js';
import { genlAttrs } from '../genl.js';
import type { IpvsFamily } from './family.js';
import type { SyncDaemon, SyncState } from './types.js';

const STATE_BITS: Record<SyncState, number> = { master: IP_VS_STATE_MASTER, backup: IP_VS_STATE_BACKUP };

function checkState(state: unknown, field: string): SyncState {
  if (state !== 'master' && state !== 'backup') {
    throw new ValidationError(field, `'master' or 'backup', got ${showValue(state)}`);
  }
  return state;
}

function checkInt(v: unknown, field: string, min: number, max: number): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) {
    throw new ValidationError(field, `a whole number from ${min} to ${max}, got ${String(v)}`);
  }
  return v;
}

// The kernel's dev_valid_name(): what an interface can be called at all.
function checkInterface(name: unknown, field: string): string {
  const max = IP_VS_IFNAME_MAXLEN - 1;
  if (typeof name !== 'string' || name === '' || Buffer.byteLength(name) > max || name === '.' || name === '..' || /[/:\s\0]/.test(name)) {
    throw new ValidationError(field, `an interface name of 1 to ${max} bytes without '/', ':' or spaces, got ${showValue(name)}`);
  }
  return name;
}

/** The group must be multicast: the kernel rejects anything else with a bare EINVAL. */
function checkGroup(group: unknown, field: string): Buffer {
  const bytes = ipToBytes(group as string, field);
  const multicast = bytes.length === 4 ? (bytes[0]! & 0xf0) === 0xe0 : bytes[0] === 0xff;
  if (!multicast) {
    throw new ValidationError(field, `a multicast group (224.0.0.0/4 or ff00::/8), got ${showValue(group)}`);
  }
  return bytes;
}

/** Checks every field of a daemon before anything is sent. */
export function validateDaemon(d: SyncDaemon): void {
  if (d === null || typeof d !== 'object') throw new ValidationError('daemon', 'an object');
  checkState(d.state, 'daemon.state');
  checkInterface(d.interface, 'daemon.interface');
  checkInt(d.syncId, 'daemon.syncId', 0, 255);
  if (d.maxLength !== undefined) checkInt(d.maxLength, 'daemon.maxLength', 1, 0xffff);
  if (d.group !== undefined) checkGroup(d.group, 'daemon.group');
  if (d.port !== undefined) checkInt(d.port, 'daemon.port', 1, 0xffff);
  if (d.ttl !== undefined) checkInt(d.ttl, 'daemon.ttl', 1, 255);
}

function describeDaemon(state: SyncState, iface?: string): Describe {
  return (errno) => {
    switch (errno) {
      case -17: // EEXIST
        return `a ${state} sync daemon is already running in this namespace`;
      case -3: // ESRCH
        return `no ${state} sync daemon is running in this namespace`;
      case -19: // ENODEV
        return `no interface ${showValue(iface)} in this namespace`;
      case -22: // EINVAL
        return `the kernel refused the ${state} sync daemon (mixed IPv4/IPv6 destinations cannot be synced)`;
      default:
        return undefined;
    }
  };
}

/**
 * Writes IPVS_CMD_ATTR_DAEMON for a validated daemon, attributes in the order
 * the kernel itself reports them; fields left out are not sent.
 */
export function writeDaemonNest(w: MessageWriter, d: SyncDaemon): void {
  const nest = w.nest(IPVS_CMD_ATTR_DAEMON, 'daemon');
  w.attrU32(IPVS_DAEMON_ATTR_STATE, STATE_BITS[d.state], 'daemon.state');
  w.attrString(IPVS_DAEMON_ATTR_MCAST_IFN, d.interface, 'daemon.interface');
  w.attrU32(IPVS_DAEMON_ATTR_SYNC_ID, d.syncId, 'daemon.syncId');
  if (d.maxLength !== undefined) w.attrU16(IPVS_DAEMON_ATTR_SYNC_MAXLEN, d.maxLength, 'daemon.maxLength');
  // Host byte order: the kernel reads it with nla_get_u16.
  if (d.port !== undefined) w.attrU16(IPVS_DAEMON_ATTR_MCAST_PORT, d.port, 'daemon.port');
  if (d.ttl !== undefined) w.attrU8(IPVS_DAEMON_ATTR_MCAST_TTL, d.ttl, 'daemon.ttl');
  if (d.group !== undefined) {
    const group = checkGroup(d.group, 'daemon.group');
    w.attrBytes(group.length === 4 ? IPVS_DAEMON_ATTR_MCAST_GROUP : IPVS_DAEMON_ATTR_MCAST_GROUP6, group, 'daemon.group');
  }
  w.endNest(nest);
}

/** Starts a master or backup sync daemon (ipvsadm --start-daemon). */
export async function startDaemon(ipvs: IpvsFamily, d: SyncDaemon, options: RequestOptions = {}): Promise<void> {
  validateDaemon(d);
  const w = await ipvs.begin(IPVS_CMD_NEW_DAEMON, NLM_F_REQUEST | NLM_F_ACK, options);
  writeDaemonNest(w, d);
  w.end(`start ${d.state} sync daemon on ${d.interface} (syncid ${d.syncId})`);
  await ipvs.conn.request(w, { ...options, describe: describeDaemon(d.state, d.interface) });
}

/**
 * Stops the master or backup daemon (ipvsadm --stop-daemon). The kernel stops
 * a daemon by state alone; a syncId, when given, is sent as ipvsadm does.
 *
 * A daemon stopped before its thread first ran (a stop right after a start)
 * is torn down all the same, but kthread_stop() returns -EINTR, and netlink
 * sends no ack for -EINTR: the request would wait for its timeout. So a
 * GET_INFO goes right behind it in the same sendmsg; its answer shows the
 * missing ack at once (Connection fails it with EINTR), and the daemon list
 * then says whether the stop took effect.
 */
export async function stopDaemon(ipvs: IpvsFamily, state: SyncState, syncId?: number, options: RequestOptions = {}): Promise<void> {
  checkState(state, 'state');
  if (syncId !== undefined) checkInt(syncId, 'syncId', 0, 255);
  const w = await ipvs.begin(IPVS_CMD_DEL_DAEMON, NLM_F_REQUEST | NLM_F_ACK, options);
  const nest = w.nest(IPVS_CMD_ATTR_DAEMON, 'daemon');
  w.attrU32(IPVS_DAEMON_ATTR_STATE, STATE_BITS[state], 'state');
  if (syncId !== undefined) w.attrU32(IPVS_DAEMON_ATTR_SYNC_ID, syncId, 'syncId');
  w.endNest(nest);
  w.end(`stop ${state} sync daemon`);
  await ipvs.begin(IPVS_CMD_GET_INFO, NLM_F_REQUEST | NLM_F_ACK, options, w);
  w.end('get IPVS info (behind stop sync daemon)');
  const [stop] = await ipvs.conn.batch(w, { ...options, describe: describeDaemon(state) });
  if (stop!.ok) return;
  const error = stop!.error;
  if ((error as NetlinkError).code === 'EINTR' && !(await listDaemons(ipvs, options)).some((d) => d.state === state)) return;
  throw error;
}

/** Decodes one IPVS_CMD_NEW_DAEMON message of a GET_DAEMON dump. */
export function decodeDaemon(t: AttrTable): SyncDaemon | undefined {
  const a = t.nested(IPVS_CMD_ATTR_DAEMON);
  if (a === undefined) return undefined;
  const bits = a.u32(IPVS_DAEMON_ATTR_STATE) ?? 0;
  const d: SyncDaemon = {
    state: bits & IP_VS_STATE_MASTER ? 'master' : 'backup',
    interface: a.str(IPVS_DAEMON_ATTR_MCAST_IFN) ?? '',
    syncId: a.u32(IPVS_DAEMON_ATTR_SYNC_ID) ?? 0,
  };
  // Kernels before 4.3 send only the three attributes above.
  const maxLength = a.u16(IPVS_DAEMON_ATTR_SYNC_MAXLEN);
  if (maxLength !== undefined) d.maxLength = maxLength;
  const group = a.bytes(IPVS_DAEMON_ATTR_MCAST_GROUP) ?? a.bytes(IPVS_DAEMON_ATTR_MCAST_GROUP6);
  if (group !== undefined && (group.length === 4 || group.length === 16)) d.group = bytesToIp(group);
  const port = a.u16(IPVS_DAEMON_ATTR_MCAST_PORT);
  if (port !== undefined) d.port = port;
  const ttl = a.u8(IPVS_DAEMON_ATTR_MCAST_TTL);
  if (ttl !== undefined) d.ttl = ttl;
  return d;
}

/** The running daemons, master first (ipvsadm -L --daemon). */
export async function listDaemons(ipvs: IpvsFamily, options: RequestOptions = {}): Promise<SyncDaemon[]> {
  const w = await ipvs.begin(IPVS_CMD_GET_DAEMON, NLM_F_REQUEST | NLM_F_DUMP, options);
  w.end('list sync daemons');
  return ipvs.conn.dump(w, (msg) => decodeDaemon(genlAttrs(msg)), options);
}
