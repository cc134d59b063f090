// rtnl.routes: add, replace, append, delete and list IPv4/IPv6 routes.
import type { Connection, DumpOptions, RequestOptions } from '../protocol/connection.js';
import type { Links } from './links.js';
import { validateDev } from '../families/addr.js';
import { routeRequest, buildRouteDump, decodeRoute, routeMatches, type Route, type RouteListFilter, type RouteSpec } from '../families/route.js';
import { linkNames, resolveDevs, runOne } from './batch.js';

export class Routes {
  constructor(
    private readonly conn: Connection,
    private readonly links: Links,
  ) {}

  /** Adds a route; EEXIST if the same route is there. */
  async add(spec: RouteSpec, options: RequestOptions = {}): Promise<void> {
    return runOne(this.conn, this.links, routeRequest('add', spec), options);
  }

  /** Adds the route or replaces the one with the same destination, table and metric. */
  async replace(spec: RouteSpec, options: RequestOptions = {}): Promise<void> {
    return runOne(this.conn, this.links, routeRequest('replace', spec), options);
  }

  /** Adds the route after existing ones of the same destination (NLM_F_APPEND). */
  async append(spec: RouteSpec, options: RequestOptions = {}): Promise<void> {
    return runOne(this.conn, this.links, routeRequest('append', spec), options);
  }

  /** Deletes the first route matching the destination, table and whatever else is given. */
  async delete(spec: RouteSpec, options: RequestOptions = {}): Promise<void> {
    return runOne(this.conn, this.links, routeRequest('delete', spec), options);
  }

  /** Routes of every table unless `table` is given; all filters apply in the kernel (strict checking). */
  async list(filter: RouteListFilter = {}, options: DumpOptions = {}): Promise<Route[]> {
    let oif: number | undefined;
    if (filter.dev !== undefined) oif = (await resolveDevs(this.links, [validateDev(filter.dev)], options))(filter.dev, 'dev');
    const found = await this.conn.dump(buildRouteDump(filter, oif), decodeRoute, options);
    const out = found.filter((r) => routeMatches(r, filter, oif));
    const names = await linkNames(this.links, options);
    for (const r of out) {
      if (r.ifindex !== undefined && names.has(r.ifindex)) r.dev = names.get(r.ifindex)!;
      for (const h of r.nexthops ?? []) if (names.has(h.ifindex)) h.dev = names.get(h.ifindex)!;
    }
    return out;
  }
}
