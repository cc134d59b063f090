// Addresses on the real kernel, checked both ways against `ip -j addr show`.
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { Rtnl, NetlinkError, ValidationError, type Address, type AddressSpec } from '../../lib/index.js';
import { makeNetns, ipIn, ipJson } from '../helpers/netns.js';

interface IpAddrInfo {
  family: 'inet' | 'inet6';
  local: string;
  address?: string;
  prefixlen: number;
  broadcast?: string;
  scope: string;
  label?: string;
  valid_life_time: number;
  preferred_life_time: number;
  [flag: string]: unknown;
}
interface IpAddrLink {
  ifname: string;
  addr_info: IpAddrInfo[];
}

let ns: string;
let rtnl: Rtnl;

const FOREVER = 4294967295;
const BOOL_FLAGS = ['secondary', 'temporary', 'nodad', 'optimistic', 'dadfailed', 'home', 'deprecated', 'tentative', 'mngtmpaddr', 'noprefixroute', 'autojoin', 'stable-privacy'];

/** One address as `ip -j addr show` prints it, from the library's decoding. */
function asIpJson(a: Address): IpAddrInfo {
  const o: IpAddrInfo = {
    family: a.family === 4 ? 'inet' : 'inet6',
    local: a.address,
    prefixlen: a.prefix,
    scope: a.scope === 'universe' ? 'global' : String(a.scope),
    valid_life_time: a.validLifetime === 'forever' ? FOREVER : a.validLifetime!,
    preferred_life_time: a.preferredLifetime === 'forever' ? FOREVER : a.preferredLifetime!,
  };
  if (a.peer) o.address = a.peer;
  if (a.broadcast) o.broadcast = a.broadcast;
  if (a.label) o.label = a.label;
  if (!a.flags.includes('permanent')) o.dynamic = true;
  for (const f of a.flags) if (f !== 'permanent') o[f] = true;
  // IPv6 calls the 'secondary' bit 'temporary'.
  if (a.family === 6 && a.flagBits & 1) o.temporary = true;
  return o;
}

/** The oracle's view, with only the keys we compare (lifetimes count down, so they are compared apart). */
function comparable(o: IpAddrInfo): Record<string, unknown> {
  const out: Record<string, unknown> = { family: o.family, local: o.local, prefixlen: o.prefixlen, scope: o.scope, dynamic: o.dynamic === true };
  for (const k of ['address', 'broadcast', 'label']) if (o[k] !== undefined) out[k] = o[k];
  for (const f of BOOL_FLAGS) if (o[f] === true) out[f] = true;
  return out;
}

function oracle(dev?: string): Array<IpAddrInfo & { dev: string }> {
  const links = ipJson<IpAddrLink[]>(ns, 'addr', 'show', ...(dev ? ['dev', dev] : []));
  return links.flatMap((l) => l.addr_info.map((a) => ({ ...a, dev: l.ifname })));
}

function expectSame(mine: Address[], theirs: Array<IpAddrInfo & { dev: string }>): void {
  const key = (x: { dev?: string; local: string; prefixlen: number }): string => `${x.dev}|${x.local}/${x.prefixlen}`;
  const a = new Map(mine.map((m) => [key({ dev: m.dev, ...asIpJson(m) }), asIpJson(m)]));
  const b = new Map(theirs.map((t) => [key(t), t]));
  expect([...a.keys()].sort()).toEqual([...b.keys()].sort());
  for (const [k, t] of b) {
    const m = a.get(k)!;
    expect(comparable(m), k).toEqual(comparable(t));
    expect(Math.abs(m.valid_life_time - t.valid_life_time), k).toBeLessThanOrEqual(2);
    expect(Math.abs(m.preferred_life_time - t.preferred_life_time), k).toBeLessThanOrEqual(2);
  }
}

beforeAll(() => {
  ns = makeNetns('addr');
  ipIn(ns, 'link', 'add', 'va', 'type', 'veth', 'peer', 'name', 'vb');
  ipIn(ns, 'link', 'add', 'vbr0', 'type', 'bridge');
  // No kernel-made link-local addresses: they appear (linkwatch) and leave DAD
  // (tentative) on their own schedule, between the library's read and the
  // oracle's. The test compares only addresses it adds, with nodad for IPv6.
  for (const l of ['va', 'vb', 'vbr0']) ipIn(ns, 'link', 'set', l, 'addrgenmode', 'none');
  for (const l of ['va', 'vb', 'vbr0']) ipIn(ns, 'link', 'set', l, 'up');
  rtnl = Rtnl.open({ netns: ns });
});
afterAll(() => rtnl?.close());

describe('addresses: library writes, ip reads', () => {
  it('IPv4 with broadcast +, label, flags and lifetimes; a secondary; a peer', async () => {
    await rtnl.addresses.add({ dev: 'va', address: '192.0.2.1/24', broadcast: '+', label: 'va:web', flags: ['noprefixroute'], validLifetime: 100, preferredLifetime: 50 });
    await rtnl.addresses.add({ dev: 'va', address: '192.0.2.2', prefix: 24 });
    await rtnl.addresses.add({ dev: 'va', address: '203.0.113.1', peer: '203.0.113.2', prefix: 32, scope: 'link' });
    const got = oracle('va').filter((a) => a.family === 'inet');
    expect(got.map(comparable)).toHaveLength(3);
    expect(got.map(comparable)).toEqual(expect.arrayContaining([
      { family: 'inet', local: '192.0.2.1', prefixlen: 24, broadcast: '192.0.2.255', scope: 'global', label: 'va:web', dynamic: true, noprefixroute: true },
      { family: 'inet', local: '203.0.113.1', address: '203.0.113.2', prefixlen: 32, scope: 'link', label: 'va', dynamic: false },
      { family: 'inet', local: '192.0.2.2', prefixlen: 24, scope: 'global', label: 'va', dynamic: false, secondary: true },
    ]));
    const first = got.find((a) => a.local === '192.0.2.1')!;
    expect(first.valid_life_time).toBeLessThanOrEqual(100);
    expect(first.preferred_life_time).toBeLessThanOrEqual(50);
    expect(first.preferred_life_time).toBeGreaterThan(45);
  });

  it('IPv6 with nodad and noprefixroute', async () => {
    await rtnl.addresses.add({ dev: 'va', address: '2001:db8::1/64', flags: ['nodad', 'noprefixroute'] });
    const got = oracle('va').find((a) => a.local === '2001:db8::1')!;
    expect(comparable(got)).toEqual({ family: 'inet6', local: '2001:db8::1', prefixlen: 64, scope: 'global', dynamic: false, nodad: true, noprefixroute: true });
    const routes = ipJson<Array<{ dst: string }>>(ns, '-6', 'route', 'show', 'dev', 'va');
    expect(routes.map((r) => r.dst)).not.toContain('2001:db8::/64');
  });

  it('replace updates an existing address in place', async () => {
    await rtnl.addresses.replace({ dev: 'va', address: '192.0.2.2/24', validLifetime: 300, preferredLifetime: 300 });
    const a = oracle('va').find((x) => x.local === '192.0.2.2')!;
    expect(a.dynamic).toBe(true);
    expect(a.valid_life_time).toBeLessThanOrEqual(300);
  });

  it('EEXIST names the address; delete of a missing one names it too', async () => {
    const dup = (await rtnl.addresses.add({ dev: 'va', address: '2001:db8::1/64', flags: ['nodad'] }).catch((e: unknown) => e)) as NetlinkError;
    expect(dup).toBeInstanceOf(NetlinkError);
    expect(dup.code).toBe('EEXIST');
    expect(dup.message).toContain('add address 2001:db8::1/64 on va');
    const missing = (await rtnl.addresses.delete({ dev: 'va', address: '192.0.2.99/24' }).catch((e: unknown) => e)) as NetlinkError;
    expect(missing.code).toBe('EADDRNOTAVAIL');
    expect(missing.operation).toBe('delete address 192.0.2.99/24 on va');
  });

  it('delete removes exactly one address', async () => {
    await rtnl.addresses.delete({ dev: 'va', address: '203.0.113.1', peer: '203.0.113.2', prefix: 32 });
    const locals = oracle('va').map((a) => a.local);
    expect(locals).not.toContain('203.0.113.1');
    expect(locals).toContain('192.0.2.1');
  });
});

describe('addresses: ip writes, library reads identically', () => {
  it('every address of every link, then filtered by dev and family in the kernel', async () => {
    ipIn(ns, 'addr', 'add', '198.51.100.7/25', 'brd', '+', 'dev', 'vbr0', 'label', 'vbr0:a', 'valid_lft', '1000', 'preferred_lft', '500');
    ipIn(ns, 'addr', 'add', '198.51.100.8/25', 'dev', 'vbr0');
    ipIn(ns, 'addr', 'add', '2001:db8:1::7/64', 'dev', 'vbr0', 'nodad', 'noprefixroute', 'valid_lft', '2000', 'preferred_lft', '1000');
    ipIn(ns, 'addr', 'add', '2001:db8:2::7/128', 'dev', 'vbr0', 'nodad', 'home');
    expectSame(await rtnl.addresses.list(), oracle());
    expectSame(await rtnl.addresses.list({ dev: 'vbr0' }), oracle('vbr0'));
    const v6 = await rtnl.addresses.list({ dev: 'vbr0', family: 6 });
    expect(v6.every((a) => a.family === 6 && a.dev === 'vbr0')).toBe(true);
    expectSame(v6, oracle('vbr0').filter((a) => a.family === 'inet6'));
    const v4 = await rtnl.addresses.list({ family: 4 });
    expectSame(v4, oracle().filter((a) => a.family === 'inet'));
  });
});

describe('flush', () => {
  it('removes every address of one family on one interface, secondaries included', async () => {
    const n = await rtnl.addresses.flush({ dev: 'vbr0', family: 4 });
    expect(n).toBeGreaterThanOrEqual(1);
    expect(oracle('vbr0').filter((a) => a.family === 'inet')).toEqual([]);
    expect(oracle('vbr0').filter((a) => a.family === 'inet6').length).toBeGreaterThan(0);
    expect(oracle('va').length).toBeGreaterThan(0);
    await rtnl.addresses.flush({ dev: 'vbr0' });
    expect(oracle('vbr0')).toEqual([]);
  });
});

describe('address validation', () => {
  it('names the field and sends nothing', async () => {
    // Which addresses exist, not their lifetimes or DAD state, which move on their own.
    const addresses = (): string[] => oracle().map((a) => `${a.dev}|${a.local}/${a.prefixlen}`).sort();
    const before = addresses();
    const cases: Array<[AddressSpec, string]> = [
      [{ dev: 'va', address: '192.0.2.300/24' }, 'address'],
      [{ dev: 'va', address: '192.0.2.1/33' }, 'address'],
      [{ dev: 'va', address: '2001:db8::1/129' }, 'address'],
      [{ dev: 'va', address: '192.0.2.1', prefix: 40 }, 'prefix'],
      [{ dev: 'va', address: '192.0.2.1/24', prefix: 25 }, 'prefix'],
      [{ dev: 'va', address: '192.0.2.1/24', peer: '2001:db8::2' }, 'peer'],
      [{ dev: 'va', address: '2001:db8::5/64', broadcast: '+' }, 'broadcast'],
      [{ dev: 'va', address: '2001:db8::5/64', label: 'x' }, 'label'],
      [{ dev: 'va', address: '192.0.2.1/24', label: 'x'.repeat(16) }, 'label'],
      [{ dev: 'va', address: '192.0.2.1/24', scope: 'galaxy' as 'host' }, 'scope'],
      [{ dev: 'va', address: '192.0.2.1/24', flags: ['secondary' as 'nodad'] }, 'flags[0]'],
      [{ dev: 'va', address: '192.0.2.1/24', validLifetime: 10, preferredLifetime: 20 }, 'preferredLifetime'],
      [{ dev: 'va', address: '192.0.2.1/24', validLifetime: 0 }, 'validLifetime'],
      [{ dev: 'va', address: '192.0.2.1/24', metric: -1 }, 'metric'],
      [{ dev: '', address: '192.0.2.1/24' }, 'dev'],
    ];
    for (const [spec, field] of cases) {
      const err = await rtnl.addresses.add(spec).catch((e: unknown) => e);
      expect(err, JSON.stringify(spec)).toBeInstanceOf(ValidationError);
      expect((err as ValidationError).field, JSON.stringify(spec)).toBe(field);
    }
    expect(addresses()).toEqual(before);
  });
});
