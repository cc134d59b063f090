// Ipvs: one generic netlink socket talking to the kernel's IP Virtual Server,
// optionally inside a network namespace (IPVS state is per namespace). The
// family is resolved on first use and cached; every operation reuses the socket.
import { Connection, type ConnectionOptions, type DumpOptions, type RequestOptions } from '../protocol/connection.js';
import { ValidationError } from '../protocol/errors.js';
import { NETLINK_GENERIC } from '../uapi/netlink.js';
import { IpvsFamily } from '../families/ipvs/family.js';
import { getInfo, type IpvsInfo } from '../families/ipvs/info.js';
import { getTimeouts, setTimeouts, type IpvsTimeouts } from '../families/ipvs/config.js';
import { startDaemon, stopDaemon, listDaemons } from '../families/ipvs/daemon.js';
import type { IpvsConnection, ConnectionListOptions } from '../families/ipvs/connection-table.js';
import { readConnections } from '../families/ipvs/connection-reader.js';
import type {
  SyncDaemon, SyncState, Service, ServiceKey, ServiceSpec, Destination, DestinationSpec, ServiceWithDestinations,
} from '../families/ipvs/types.js';
import { getService, listServices } from '../families/ipvs/service.js';
import { listDestinations } from '../families/ipvs/destination.js';
import { DumpPool, snapshot } from '../families/ipvs/snapshot.js';
import { BulkDump } from '../protocol/bulk-dump.js';
import { DumpChannel } from '../transport/dump-channel.js';
import {
  runOne, runOps, type DestinationKey, type IpvsOp, type IpvsOpResult, type IpvsWriteOptions, type IpvsBatchOptions, type IpvsContext,
} from '../families/ipvs/ops.js';
import { serviceId } from '../families/ipvs/validate.js';
import { applyIpvs, type IpvsApplyOptions, type IpvsApplyReport } from '../desired/ipvs-apply.js';
import type { IpvsDesiredState } from '../desired/ipvs-desired.js';

export interface IpvsOptions extends ConnectionOptions {
  /**
   * Extra sockets batch reads may open (lazily, then reused) to run
   * per-service destination dumps side by side. Default 3. snapshot() opens
   * one more (a dump channel with its own thread, which runs all the
   * per-service dumps in a few native calls). 0 keeps everything on the one socket.
   */
  dumpSockets?: number;
}

const DEFAULT_DUMP_SOCKETS = 3;

export class Ipvs {
  readonly conn: Connection;
  /** The resolved family and message builder shared by every IPVS module. */
  readonly family: IpvsFamily;

  /** The namespace this handle works in (undefined: the caller's); /proc tables are read there too. */
  readonly netns?: string;

  /** Sockets for side-by-side dumps (snapshot, reads before batch edits). */
  private readonly pool: DumpPool;
  /** The per-service dumps of snapshot(), on a dump channel opened on first use. */
  private readonly bulk?: BulkDump;
  private readonly ctx: IpvsContext;

  constructor(options: IpvsOptions = {}) {
    const { dumpSockets = DEFAULT_DUMP_SOCKETS, ...connection } = options;
    if (!Number.isInteger(dumpSockets) || dumpSockets < 0 || dumpSockets > 64) {
      throw new ValidationError('dumpSockets', `a whole number from 0 to 64, got ${String(dumpSockets)}`);
    }
    this.conn = new Connection(NETLINK_GENERIC, connection);
    this.netns = options.netns;
    this.family = new IpvsFamily(this.conn);
    this.pool = new DumpPool(this.conn, () => new Connection(NETLINK_GENERIC, connection), dumpSockets);
    if (dumpSockets > 0) {
      const timeout = this.conn.defaultTimeout;
      this.bulk = new BulkDump(() => new DumpChannel(NETLINK_GENERIC, { netns: options.netns, timeout }, 'open a dump channel (IPVS)'), timeout);
    }
    this.ctx = { family: this.family, pool: this.pool };
  }

  static open(options: IpvsOptions = {}): Ipvs {
    return new Ipvs(options);
  }

  /** IPVS version and connection table size (the `ipvsadm -L` banner). */
  info(options: RequestOptions = {}): Promise<IpvsInfo> {
    return getInfo(this.family, options);
  }

  /** The tcp, tcpfin and udp timeouts (`ipvsadm -L --timeout`). */
  timeouts(options: RequestOptions = {}): Promise<IpvsTimeouts> {
    return getTimeouts(this.family, options);
  }

  /** Sets some or all timeouts (`ipvsadm --set`); fields left out stay as they are. */
  setTimeouts(timeouts: Partial<IpvsTimeouts>, options: RequestOptions = {}): Promise<void> {
    return setTimeouts(this.family, timeouts, options);
  }

  // Services and destinations (ipvsadm -A/-E/-D/-a/-e/-d/-L/-Z/-C). Writes
  // check their input first (ValidationError naming the field, nothing sent);
  // kernel errors name the object ("no such service 198.51.100.1:80/tcp").

  /** Creates a virtual service (`ipvsadm -A`); unset fields take ipvsadm's defaults (wlc, not persistent). */
  addService(service: ServiceSpec, options: IpvsWriteOptions = {}): Promise<void> {
    return runOne(this.ctx, { op: 'addService', service }, options);
  }

  /** Changes a service in place (`ipvsadm -E`): fields left out keep their current values. */
  editService(service: ServiceSpec, options: IpvsWriteOptions = {}): Promise<void> {
    return runOne(this.ctx, { op: 'editService', service }, options);
  }

  /** Removes a service and its destinations (`ipvsadm -D`). */
  deleteService(service: ServiceKey, options: RequestOptions = {}): Promise<void> {
    return runOne(this.ctx, { op: 'deleteService', service }, options);
  }

  /** One service; rejects with ESRCH ("no such service …") when there is none. */
  async getService(service: ServiceKey, options: RequestOptions = {}): Promise<Service> {
    const id = serviceId(service);
    return getService(this.conn, await this.family.familyId(options), id, options);
  }

  /** Every service of the namespace, in the kernel's order, with counters. */
  async listServices(options: DumpOptions = {}): Promise<Service[]> {
    return listServices(this.conn, await this.family.familyId(options), options);
  }

  /** Removes every service (`ipvsadm -C`). */
  flush(options: RequestOptions = {}): Promise<void> {
    return runOne(this.ctx, { op: 'flush' }, options);
  }

  /** Adds a real server (`ipvsadm -a`); default forward 'route', weight 1. */
  addDestination(service: ServiceKey, destination: DestinationSpec, options: IpvsWriteOptions = {}): Promise<void> {
    return runOne(this.ctx, { op: 'addDestination', service, destination }, options);
  }

  /** Changes a real server in place (`ipvsadm -e`): fields left out keep their current values. */
  editDestination(service: ServiceKey, destination: DestinationSpec, options: IpvsWriteOptions = {}): Promise<void> {
    return runOne(this.ctx, { op: 'editDestination', service, destination }, options);
  }

  /** Removes a real server (`ipvsadm -d`); the port defaults to the service's. */
  deleteDestination(service: ServiceKey, destination: DestinationKey, options: RequestOptions = {}): Promise<void> {
    return runOne(this.ctx, { op: 'deleteDestination', service, destination }, options);
  }

  /** The real servers of one service; rejects with ESRCH when the service does not exist. */
  async listDestinations(service: ServiceKey, options: DumpOptions = {}): Promise<Destination[]> {
    const id = serviceId(service);
    return listDestinations(this.conn, await this.family.familyId(options), id, options);
  }

  /** Zeroes the counters of one service, or of every service (`ipvsadm -Z`). */
  zero(service?: ServiceKey, options: RequestOptions = {}): Promise<void> {
    return runOne(this.ctx, { op: 'zero', service }, options);
  }

  /** Every service with its destinations and counters (`ipvsadm -Ln --stats`), in one call. */
  snapshot(options: DumpOptions = {}): Promise<ServiceWithDestinations[]> {
    return snapshot(this.family, this.pool, this.bulk, options);
  }

  /**
   * Many writes in one go: one buffer, few sendmsg calls, one result per op
   * in input order. Every op is checked before anything is sent, and read
   * only then: changing an op once batch() was called has no effect on a
   * long batch (and should not be done). Edits read the current state of
   * what they touch once, up front (see ops.ts).
   */
  batch(ops: readonly IpvsOp[], options: IpvsBatchOptions = {}): Promise<IpvsOpResult[]> {
    return runOps(this.ctx, ops, options);
  }

  /**
   * Makes this owner's services equal to `desired` with the fewest changes
   * (edits in place, graceful drains), in one batch; a second call with the
   * same state sends nothing. Services of other owners are left alone. See
   * lib/desired/ (ownership, draining, dry runs, formatPlan).
   */
  apply(desired: IpvsDesiredState, options: IpvsApplyOptions = {}): Promise<IpvsApplyReport> {
    return applyIpvs(this, desired, options);
  }

  /** Starts a master or backup connection sync daemon (`ipvsadm --start-daemon`). */
  startDaemon(daemon: SyncDaemon, options: RequestOptions = {}): Promise<void> {
    return startDaemon(this.family, daemon, options);
  }

  /** Stops the master or backup sync daemon (`ipvsadm --stop-daemon`). */
  stopDaemon(state: SyncState, syncId?: number, options: RequestOptions = {}): Promise<void> {
    return stopDaemon(this.family, state, syncId, options);
  }

  /** The running sync daemons with their settings (`ipvsadm -L --daemon`). */
  listDaemons(options: RequestOptions = {}): Promise<SyncDaemon[]> {
    return listDaemons(this.family, options);
  }

  /**
   * The connection table (`ipvsadm -Lc`), streamed from /proc/net/ip_vs_conn
   * (or ip_vs_conn_sync with `sync: true`) of this handle's namespace and
   * filtered while it is read; bad filters throw here, before any reading.
   */
  connections(options: ConnectionListOptions = {}): AsyncIterable<IpvsConnection> {
    return readConnections(this.netns, options);
  }

  close(): void {
    this.pool.close();
    this.bulk?.close();
    this.conn.close();
  }

  [Symbol.dispose](): void {
    this.close();
  }
}
