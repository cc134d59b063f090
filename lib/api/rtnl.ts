// Rtnl: one rtnetlink socket (optionally inside a network namespace) and the
// typed operations on it. Each group of operations lives in its own module
// and hangs off this handle: rtnl.links, rtnl.addresses, rtnl.routes, ...
import { Connection, type ConnectionOptions } from '../protocol/connection.js';
import { NETLINK_ROUTE } from '../uapi/netlink.js';
import { Links } from './links.js';
import { Addresses } from './addresses.js';
import { Routes } from './routes.js';
import { Neighbours } from './neighbours.js';
import { Fdb } from './fdb.js';
import { runBatch, type RtnlOperation } from './batch.js';
import type { BatchOptions, BatchResult } from '../protocol/connection.js';
import { EventStream, type WatchOptions } from './events.js';

export type RtnlOptions = ConnectionOptions;

export class Rtnl {
  /** The socket and protocol engine; for families and advanced use. */
  readonly conn: Connection;
  readonly links: Links;
  readonly addresses: Addresses;
  readonly routes: Routes;
  readonly neighbours: Neighbours;
  readonly fdb: Fdb;

  private readonly options: RtnlOptions;

  constructor(options: RtnlOptions = {}) {
    this.options = options;
    this.conn = new Connection(NETLINK_ROUTE, options);
    this.links = new Links(this.conn);
    this.addresses = new Addresses(this.conn, this.links);
    this.routes = new Routes(this.conn, this.links);
    this.neighbours = new Neighbours(this.conn, this.links);
    this.fdb = new Fdb(this.conn, this.links);
  }

  /** Opens an rtnetlink socket; `netns` selects the namespace by name or path. */
  static open(options: RtnlOptions = {}): Rtnl {
    return new Rtnl(options);
  }

  /**
   * Many operations in one go: every one is validated and every device name
   * resolved (one lookup for the batch) before anything is sent, then they go
   * out in as few sendmsg calls as fit. One result per operation, in order.
   * With stopOnError, each operation waits for the previous one's ack.
   */
  batch(ops: readonly RtnlOperation[], options: BatchOptions = {}): Promise<BatchResult<never>[]> {
    return runBatch(this.conn, this.links, ops, options);
  }

  /**
   * Kernel changes as an async iterator (links, addresses, routes, neighbours,
   * FDB, vxlan misses), on a socket of its own in the same namespace. See EventStream.
   */
  watch(options: Omit<WatchOptions, 'netns'> = {}): EventStream {
    return new EventStream({ ...this.options, ...options }, options.signal);
  }

  close(): void {
    this.conn.close();
  }

  [Symbol.dispose](): void {
    this.close();
  }
}
