// rtnl.links: list, get, create, delete and set links of every kind.
import type { Connection, DumpOptions, RequestOptions } from '../protocol/connection.js';
import { NetlinkError } from '../protocol/errors.js';
import { buildLinkDump, buildLinkGet, decodeLink, type Link, type LinkListFilter } from '../families/link/link.js';

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

