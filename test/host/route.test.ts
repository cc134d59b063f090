// Routes on the real kernel, checked both ways against `ip -j route show table all`.
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { Rtnl, NetlinkError, ValidationError, type Route, type RouteSpec } from '../../lib/index.js';
import { makeNetns, ipIn, ipJson } from '../helpers/netns.js';

interface IpRoute {
  type?: string;
  dst: string;
  gateway?: string;
  dev?: string;
  table?: string;
  protocol?: string;
  scope?: string;
  metric?: number;
  prefsrc?: string;
  flags: string[];
  pref?: string;
  nexthops?: Array<{ gateway?: string; dev?: string; weight: number; flags: string[] }>;
}

let ns: string;
let rtnl: Rtnl;

const TABLE_NAMES: Record<number, string> = { 253: 'default', 255: 'local' };
const PREFS: Record<number, string> = { 0: 'medium', 1: 'high', 3: 'low' };

/** One route as `ip -j route show` prints it, from the library's decoding. */
function asIpJson(r: Route): IpRoute {
  const o: IpRoute = { dst: r.dst, flags: r.onlink ? ['onlink'] : [] };
  if (r.type !== 'unicast') o.type = String(r.type);
  // ip prints host routes without their /32 or /128.
  if (r.dstLength === (r.family === 4 ? 32 : 128)) o.dst = r.dst.slice(0, r.dst.lastIndexOf('/'));
  if (r.gateway) o.gateway = r.gateway;
  if (r.dev) o.dev = r.dev;
  if (r.table !== 254) o.table = TABLE_NAMES[r.table] ?? String(r.table);
  if (r.protocol !== 'boot') o.protocol = String(r.protocol);
  if (r.scope !== 'universe') o.scope = String(r.scope);
  if (r.metric !== undefined) o.metric = r.metric;
  if (r.src) o.prefsrc = r.src;
  if (r.pref !== undefined) o.pref = PREFS[r.pref] ?? String(r.pref);
  if (r.nexthops) o.nexthops = r.nexthops.map((h) => ({ ...(h.gateway ? { gateway: h.gateway } : {}), ...(h.dev ? { dev: h.dev } : {}), weight: h.weight, flags: h.flags }));
  return o;
}

/** Order-free comparison: keys sorted at every depth, then the list sorted. */
const sortKeys = (v: unknown): unknown =>
  Array.isArray(v) ? v.map(sortKeys) : v !== null && typeof v === 'object' ? Object.fromEntries(Object.entries(v).sort(([a], [b]) => a.localeCompare(b)).map(([k, x]) => [k, sortKeys(x)])) : v;
const canon = (l: IpRoute[]): string[] => l.map((r) => JSON.stringify(sortKeys(r))).sort();
const oracle = (...args: string[]): IpRoute[] => ipJson<IpRoute[]>(ns, 'route', 'show', ...args);

beforeAll(() => {
  ns = makeNetns('route');
  ipIn(ns, 'link', 'add', 'va', 'type', 'veth', 'peer', 'name', 'vb');
  ipIn(ns, 'link', 'add', 'vc', 'type', 'veth', 'peer', 'name', 'vd');
  // No IPv6 link-local addresses: their local routes appear when DAD ends, a second or so
  // after the link comes up, and could land between the library's read and ip's.
  for (const l of ['va', 'vb', 'vc', 'vd']) ipIn(ns, 'link', 'set', l, 'addrgenmode', 'none');
  for (const l of ['va', 'vb', 'vc', 'vd']) ipIn(ns, 'link', 'set', l, 'up');
  ipIn(ns, 'addr', 'add', '192.0.2.1/24', 'dev', 'va');
  ipIn(ns, 'addr', 'add', '203.0.113.1/24', 'dev', 'vc');
  ipIn(ns, 'addr', 'add', '2001:db8::1/64', 'dev', 'va', 'nodad');
  rtnl = Rtnl.open({ netns: ns });
});
afterAll(() => rtnl?.close());

describe('routes: library writes, ip reads', () => {
  it("the tutorial's route add -net ... netmask 255.255.255.0 gw ...", async () => {
    await rtnl.routes.add({ dst: '198.51.100.0/24', gateway: '192.0.2.244' });
    expect(oracle('198.51.100.0/24')).toEqual([{ dst: '198.51.100.0/24', gateway: '192.0.2.244', dev: 'va', flags: [] }]);
  });

  it('default route, onlink; table > 255 with a metric; src and scope link; types', async () => {
    await rtnl.routes.add({ dst: 'default', gateway: '192.0.2.254', dev: 'va', onlink: true });
    await rtnl.routes.add({ dst: '198.51.100.0/24', gateway: '203.0.113.244', table: 1000, metric: 50 });
    await rtnl.routes.add({ dst: '198.18.5.0/24', dev: 'va', src: '192.0.2.1' });
    await rtnl.routes.add({ dst: '198.18.0.0/16', type: 'blackhole', protocol: 'static' });
    await rtnl.routes.add({ dst: '198.19.1.0/24', type: 'unreachable' });
    await rtnl.routes.add({ dst: '198.19.2.0/24', type: 'prohibit', table: 'main' });
    await rtnl.routes.add({ dst: '198.19.3.7', type: 'local', dev: 'va', table: 'local' });
    expect(oracle('default')).toEqual([{ dst: 'default', gateway: '192.0.2.254', dev: 'va', flags: ['onlink'] }]);
    expect(oracle('table', '1000')).toEqual([{ dst: '198.51.100.0/24', gateway: '203.0.113.244', dev: 'vc', metric: 50, flags: [] }]);
    expect(oracle('198.18.5.0/24')).toEqual([{ dst: '198.18.5.0/24', dev: 'va', scope: 'link', prefsrc: '192.0.2.1', flags: [] }]);
    expect(oracle('198.18.0.0/16')).toEqual([{ type: 'blackhole', dst: '198.18.0.0/16', protocol: 'static', flags: [] }]);
    expect(oracle('198.19.1.0/24')).toEqual([{ type: 'unreachable', dst: '198.19.1.0/24', flags: [] }]);
    expect(oracle('198.19.2.0/24')).toEqual([{ type: 'prohibit', dst: '198.19.2.0/24', flags: [] }]);
    // ip leaves the table out when it was asked for one.
    expect(oracle('table', 'local', '198.19.3.7')).toEqual([{ type: 'local', dst: '198.19.3.7', dev: 'va', scope: 'host', flags: [] }]);
  });

  it('multipath IPv4 and IPv6 with weights', async () => {
    await rtnl.routes.add({ dst: '198.51.100.128/25', nexthops: [{ gateway: '192.0.2.2', weight: 3 }, { gateway: '203.0.113.2', dev: 'vc' }] });
    expect(oracle('198.51.100.128/25')).toEqual([
      { dst: '198.51.100.128/25', flags: [], nexthops: [{ gateway: '192.0.2.2', dev: 'va', weight: 3, flags: [] }, { gateway: '203.0.113.2', dev: 'vc', weight: 1, flags: [] }] },
    ]);
    await rtnl.routes.add({ dst: '2001:db8:5::/48', nexthops: [{ gateway: '2001:db8::2', dev: 'va', weight: 2 }, { gateway: '2001:db8::3', dev: 'va' }] });
    const [v6] = ipJson<IpRoute[]>(ns, '-6', 'route', 'show', '2001:db8:5::/48');
    expect(v6!.nexthops).toEqual([{ gateway: '2001:db8::2', dev: 'va', weight: 2, flags: [] }, { gateway: '2001:db8::3', dev: 'va', weight: 1, flags: [] }]);
  });

  it('replace changes the gateway; EEXIST and unreachable gateways are described', async () => {
    await rtnl.routes.replace({ dst: '198.51.100.0/24', gateway: '192.0.2.245' });
    expect(oracle('198.51.100.0/24')).toEqual([{ dst: '198.51.100.0/24', gateway: '192.0.2.245', dev: 'va', flags: [] }]);
    await rtnl.routes.replace({ dst: '198.51.100.0/24', nexthops: [{ gateway: '192.0.2.2' }, { gateway: '192.0.2.3' }] });
    expect(oracle('198.51.100.0/24')[0]!.nexthops!.map((h) => h.gateway)).toEqual(['192.0.2.2', '192.0.2.3']);
    const dup = (await rtnl.routes.add({ dst: '198.51.100.0/24', gateway: '192.0.2.9' }).catch((e: unknown) => e)) as NetlinkError;
    expect(dup.code).toBe('EEXIST');
    expect(dup.operation).toBe('add route 198.51.100.0/24');
    const unreach = (await rtnl.routes.add({ dst: '198.51.101.0/24', gateway: '198.18.200.1' }).catch((e: unknown) => e)) as NetlinkError;
    expect(unreach.code).toBe('ENETUNREACH');
  });

  it('delete removes the one route and reports ESRCH for a missing one', async () => {
    await rtnl.routes.delete({ dst: '198.51.100.0/24', table: 1000 });
    expect(oracle('table', '1000')).toEqual([]);
    expect(oracle('198.51.100.0/24')).toHaveLength(1);
    const missing = (await rtnl.routes.delete({ dst: '198.51.100.0/24', table: 1000 }).catch((e: unknown) => e)) as NetlinkError;
    expect(missing.code).toBe('ESRCH');
    expect(missing.message).toContain('route 198.51.100.0/24 table 1000');
  });
});

describe('routes: ip writes, library reads identically', () => {
  it('every route of every table and family, and filters done in the kernel', async () => {
    ipIn(ns, 'route', 'add', '198.51.100.64/26', 'table', '300', 'nexthop', 'via', '192.0.2.7', 'weight', '5', 'nexthop', 'via', '203.0.113.7', 'dev', 'vc', 'weight', '2');
    ipIn(ns, 'route', 'add', '198.18.64.0/18', 'via', '203.0.113.9', 'proto', 'bird', 'metric', '7');
    ipIn(ns, '-6', 'route', 'add', '2001:db8:9::/48', 'via', '2001:db8::9', 'dev', 'va', 'pref', 'high', 'metric', '5');
    ipIn(ns, '-6', 'route', 'add', 'unreachable', '2001:db8:6::/48');
    expect(canon((await rtnl.routes.list()).map(asIpJson))).toEqual(canon(oracle('table', 'all')));
    expect(canon((await rtnl.routes.list({ table: 300 })).map(asIpJson))).toEqual(canon(oracle('table', '300').map((r) => ({ ...r, table: '300' }))));
    expect(canon((await rtnl.routes.list({ table: 'main', family: 6 })).map(asIpJson))).toEqual(canon(ipJson<IpRoute[]>(ns, '-6', 'route', 'show', 'table', 'main')));
    // The kernel's dev filter also matches multipath routes with a hop on the device; ip's own filter does not.
    const onVc = [
      ...ipJson<IpRoute[]>(ns, '-4', 'route', 'show', 'table', 'all', 'dev', 'vc').map((r) => ({ ...r, dev: 'vc' })),
      ...ipJson<IpRoute[]>(ns, '-4', 'route', 'show', 'table', 'all').filter((r) => r.nexthops?.some((h) => h.dev === 'vc')),
    ];
    expect(canon((await rtnl.routes.list({ family: 4, dev: 'vc' })).map(asIpJson))).toEqual(canon(onVc));
    const bird = await rtnl.routes.list({ protocol: 'bird' });
    expect(bird.map((r) => r.dst)).toEqual(['198.18.64.0/18']);
    const blackholes = await rtnl.routes.list({ type: 'blackhole', family: 4 });
    expect(blackholes.map((r) => r.dst)).toEqual(['198.18.0.0/16']);
  });
});

describe('route validation', () => {
  it('names the field and sends nothing', async () => {
    const before = JSON.stringify(oracle('table', 'all'));
    const cases: Array<[RouteSpec, string]> = [
      [{ dst: '198.51.100.0/33' }, 'dst'],
      [{ dst: '198.51.100.1/24', gateway: '192.0.2.9' }, 'dst'],
      [{ dst: 'nowhere' }, 'dst'],
      [{ dst: '2001:db8::/129' }, 'dst'],
      [{ dst: '198.51.100.0/24', gateway: '2001:db8::1' }, 'gateway'],
      [{ dst: '198.51.100.0/24', gateway: '192.0.2.9', table: -1 }, 'table'],
      [{ dst: '198.51.100.0/24', gateway: '192.0.2.9', table: 'mine' as 'main' }, 'table'],
      [{ dst: '198.51.100.0/24', gateway: '192.0.2.9', metric: 2 ** 32 }, 'metric'],
      [{ dst: '198.51.100.0/24', gateway: '192.0.2.9', type: 'teleport' as 'local' }, 'type'],
      [{ dst: '198.51.100.0/24', gateway: '192.0.2.9', scope: 300 }, 'scope'],
      [{ dst: '198.51.100.0/24', gateway: '192.0.2.9', src: 'x' }, 'src'],
      [{ dst: '198.51.100.0/24', nexthops: [] }, 'nexthops'],
      [{ dst: '198.51.100.0/24', nexthops: [{ gateway: '192.0.2.2', weight: 0 }] }, 'nexthops[0].weight'],
      [{ dst: '198.51.100.0/24', nexthops: [{ gateway: '192.0.2.2' }, { gateway: '2001:db8::2' }] }, 'nexthops[1].gateway'],
      [{ dst: '198.51.100.0/24', nexthops: [{}] }, 'nexthops[0]'],
      [{ dst: 'default', family: 5 as 4 }, 'family'],
    ];
    for (const [spec, field] of cases) {
      const err = await rtnl.routes.add(spec).catch((e: unknown) => e);
      expect(err, JSON.stringify(spec)).toBeInstanceOf(ValidationError);
      expect((err as ValidationError).field, JSON.stringify(spec)).toBe(field);
    }
    expect(JSON.stringify(oracle('table', 'all'))).toBe(before);
  });
});
