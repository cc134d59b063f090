// Rtnl: one rtnetlink socket (optionally inside a network namespace) and the
// typed operations on it. Each group of operations lives in its own module
// and hangs off this handle: rtnl.links, rtnl.addresses, rtnl.routes, ...
import { Connection, type ConnectionOptions, type DumpOptions, type RequestOptions } from '../protocol/connection.js';
import { NetlinkError } from '../protocol/errors.js';
import { NETLINK_ROUTE } from '../uapi/netlink.js';
import { buildLinkDump, buildLinkGet, decodeLink, type Link, type LinkListFilter } from '../families/link/link.js';

export type RtnlOptions = ConnectionOptions;

export class Links {
  constructor(private readonly conn: Connection) {}

  /** Every link, or those matching the filter (kind and master are filtered in the kernel). */
  list(filter: LinkListFilter = {}, options: DumpOptions = {}): Promise<Link[]> {
    return this.conn.dump(buildLinkDump(filter), decodeLink, options);
  }

  /** One link by name or ifindex; rejects with ENODEV when there is none. */
  async get(nameOrIndex: string | number, options: RequestOptions = {}): Promise<Link> {
    const [link] = await this.conn.request(buildLinkGet(nameOrIndex), {
      ...options,
      decode: decodeLink,
      describe: (errno) => (errno === -19 ? `no link named ${JSON.stringify(nameOrIndex)}` : undefined),
    });
    if (link === undefined) throw new NetlinkError({ errno: 19, operation: `get link ${nameOrIndex}` });
    return link;
  }

  /** Like get(), but undefined instead of ENODEV. */
  async find(nameOrIndex: string | number, options: RequestOptions = {}): Promise<Link | undefined> {
    try {
      return await this.get(nameOrIndex, options);
    } catch (err) {
      if (err instanceof NetlinkError && err.code === 'ENODEV') return undefined;
      throw err;
    }
  }
}

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
