// Rtnl: one rtnetlink socket (optionally inside a network namespace) and the
// typed operations on it. Each group of operations lives in its own module
// and hangs off this handle: rtnl.links, rtnl.addresses, rtnl.routes, ...
import { Connection, type ConnectionOptions } from '../protocol/connection.js';
import { NETLINK_ROUTE } from '../uapi/netlink.js';
import { Links } from './links.js';

export type RtnlOptions = ConnectionOptions;

export class Rtnl {
  /** The socket and protocol engine; for families and advanced use. */
  readonly conn: Connection;
  readonly links: Links;

  constructor(options: RtnlOptions = {}) {
    this.conn = new Connection(NETLINK_ROUTE, options);
    this.links = new Links(this.conn);
  }

  /** Opens an rtnetlink socket; `netns` selects the namespace by name or path. */
  static open(options: RtnlOptions = {}): Rtnl {
    return new Rtnl(options);
  }

  close(): void {
    this.conn.close();
  }

  [Symbol.dispose](): void {
    this.close();
  }
}
