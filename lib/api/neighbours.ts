// rtnl.neighbours: the ARP and NDP tables, proxy entries included.
import type { Connection, DumpOptions, RequestOptions } from '../protocol/connection.js';
import type { Links } from './links.js';
import { validateDev } from '../families/addr.js';
import {
  neighbourRequest, buildNeighbourDump, decodeNeighbour,
  type Neighbour, type NeighbourListFilter, type NeighbourSpec,
} from '../families/neigh.js';
import { linkNames, resolveDevs, runOne } from './batch.js';

export class Neighbours {
  constructor(
    private readonly conn: Connection,
    private readonly links: Links,
  ) {}

  /** Adds an entry (default state 'permanent'); EEXIST if there is one. */
  async add(spec: NeighbourSpec, options: RequestOptions = {}): Promise<void> {
    return runOne(this.conn, this.links, neighbourRequest('add', spec), options);
  }

  /** Adds or overwrites an entry. */
  async replace(spec: NeighbourSpec, options: RequestOptions = {}): Promise<void> {
    return runOne(this.conn, this.links, neighbourRequest('replace', spec), options);
  }

  async delete(spec: NeighbourSpec, options: RequestOptions = {}): Promise<void> {
    return runOne(this.conn, this.links, neighbourRequest('delete', spec), options);
  }

  /** Ordinary entries, or proxy entries with `proxy: true`; family, dev and master filter in the kernel. */
  async list(filter: NeighbourListFilter = {}, options: DumpOptions = {}): Promise<Neighbour[]> {
    const devs = [filter.dev, filter.master].filter((d) => d !== undefined).map((d) => validateDev(d));
    const resolve = await resolveDevs(this.links, devs, options);
    const ifindex = filter.dev === undefined ? undefined : resolve(filter.dev, 'dev');
    const master = filter.master === undefined ? undefined : resolve(filter.master, 'master');
    const found = await this.conn.dump(buildNeighbourDump(filter, ifindex, master), decodeNeighbour, options);
    const out = found.filter(
      (n) => (ifindex === undefined || n.ifindex === ifindex) && (filter.family === undefined || n.family === filter.family) && n.proxy === (filter.proxy === true),
    );
    const names = await linkNames(this.links, options);
    for (const n of out) if (names.has(n.ifindex)) n.dev = names.get(n.ifindex)!;
    return out;
  }
}
