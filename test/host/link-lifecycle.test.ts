// Creating, changing, moving and deleting links on the real kernel, in this
// file's own namespaces; `ip -j link show` is the oracle.
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { Rtnl, NetlinkError, ValidationError, Veth, Dummy, type LinkSpec } from '../../lib/index.js';
import { makeNetns, ipJson } from '../helpers/netns.js';

interface IpLink {
  ifindex: number;
  ifname: string;
  mtu: number;
  address: string;
  flags: string[];
  master?: string;
  link?: string;
  link_netnsid?: number;
  txqlen?: number;
  ifalias?: string;
  linkinfo?: { info_kind: string };
}

let ns: string;
let other: string;
let rtnl: Rtnl;

const show = (name: string, where = ns): IpLink => ipJson<IpLink[]>(where, '-d', 'link', 'show', 'dev', name)[0]!;
const names = (where = ns): string[] => ipJson<IpLink[]>(where, 'link', 'show').map((l) => l.ifname).sort();

beforeAll(() => {
  ns = makeNetns('link-life');
  other = makeNetns('link-life-other');
  rtnl = Rtnl.open({ netns: ns });
});

afterAll(() => rtnl?.close());

describe('create and delete', () => {
  it('creates a veth pair with common fields and resolves with the new link', async () => {
    const link = await rtnl.links.create({ kind: 'veth', name: 'a0', mtu: 1400, mac: '02:00:00:00:0a:00', txqlen: 321, up: true, peer: { name: 'a1', mtu: 1300, mac: '02:00:00:00:0a:01' } });
    const a0 = show('a0');
    const a1 = show('a1');
    expect(link).toMatchObject({ index: a0.ifindex, name: 'a0', kind: 'veth', mtu: 1400, mac: '02:00:00:00:0a:00', txqlen: 321, up: true });
    expect(a0).toMatchObject({ mtu: 1400, address: '02:00:00:00:0a:00', txqlen: 321, link: 'a1' });
    expect(a0.flags).toContain('UP');
    expect(a1).toMatchObject({ mtu: 1300, address: '02:00:00:00:0a:01' });
    expect(a1.flags).not.toContain('UP');
    expect(link.link).toBe(a1.ifindex);
  });

  it('sets an alias at creation (the kernel ignores it in the create message)', async () => {
    const link = await rtnl.links.create({ kind: 'bridge', name: 'al0', alias: 'the lab bridge' });
    expect(link.alias).toBe('the lab bridge');
    expect(show('al0').ifalias).toBe('the lab bridge');
  });

  it('puts the veth peer in another namespace', async () => {
    const link = await Veth.create(rtnl, { name: 'p0', peer: { name: 'p1', netns: other } });
    expect(names()).toContain('p0');
    expect(names()).not.toContain('p1');
    const p1 = show('p1', other);
    expect(p1.linkinfo?.info_kind).toBe('veth');
    // The peer is reported by index in the other namespace, with that namespace's id.
    expect(link.linkNetnsId).toBeGreaterThanOrEqual(0);
    expect(link.link).toBe(p1.ifindex);
  });

  it('creates a link directly in another namespace (by path too)', async () => {
    const link = await rtnl.links.create({ kind: 'bridge', name: 'far0', netns: `/run/netns/${other}` });
    expect(link.name).toBe('far0');
    expect(names(other)).toContain('far0');
    expect(names()).not.toContain('far0');
  });

  it('rejects a duplicate name with EEXIST, naming the link', async () => {
    await rtnl.links.create({ kind: 'bridge', name: 'dup0' });
    const err = await rtnl.links.create({ kind: 'bridge', name: 'dup0' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(NetlinkError);
    expect((err as NetlinkError).code).toBe('EEXIST');
    expect((err as NetlinkError).message).toContain('dup0');
  });

  it('a master that does not exist is ENODEV naming the field, and nothing is created', async () => {
    const err = await rtnl.links.create({ kind: 'bridge', name: 'orphan0', master: 'no-such-br' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(NetlinkError);
    expect(err).toMatchObject({ code: 'ENODEV', field: 'master' });
    expect(names()).not.toContain('orphan0');
  });

  it('reports the kernel\'s extended ack (a multicast vxlan group without a dev)', async () => {
    const err = await rtnl.links.create({ kind: 'vxlan', name: 'mc0', id: 9, group: '239.1.1.9', dstPort: 4789 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(NetlinkError);
    expect((err as NetlinkError).code).toBe('EINVAL');
    expect((err as NetlinkError).extack).toMatch(/local interface required/i);
    expect(names()).not.toContain('mc0');
  });

  it('a kernel range check without extack still names the operation (veth MTU below its minimum)', async () => {
    const err = await rtnl.links.create({ kind: 'veth', name: 'small0', mtu: 10, peer: { name: 'small1' } }).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'EINVAL', operation: 'create link small0 (veth)' });
    expect(names()).not.toContain('small0');
  });

  it('says plainly when the kernel lacks a kind (no dummy module on this host)', async () => {
    const err = await Dummy.create(rtnl, { name: 'd0' }).catch((e: unknown) => e);
    if (err === undefined || !(err instanceof NetlinkError)) {
      // A kernel with dummy: fine, clean up.
      await rtnl.links.delete('d0');
      return;
    }
    // Linux's EOPNOTSUPP and ENOTSUP are one errno (95); Node names it ENOTSUP.
    expect(err.errno).toBe(-95);
    expect(err.message).toContain('create link d0 (dummy)');
  });

  it('deletes by name and by index; a veth takes its peer along', async () => {
    await rtnl.links.create({ kind: 'veth', name: 'del0', peer: { name: 'del1' } });
    await rtnl.links.delete('del0');
    expect(names()).not.toContain('del0');
    expect(names()).not.toContain('del1');
    const br = await rtnl.links.create({ kind: 'bridge', name: 'del2' });
    await rtnl.links.delete(br.index);
    expect(names()).not.toContain('del2');
    const err = await rtnl.links.delete('del2').catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'ENODEV' });
  });
});

describe('set', () => {
  beforeAll(async () => {
    await rtnl.links.create({ kind: 'veth', name: 's0', peer: { name: 's1' } });
    await rtnl.links.create({ kind: 'bridge', name: 'sbr0' });
  });

  it('up and down', async () => {
    await rtnl.links.set('s0', { up: true });
    expect(show('s0').flags).toContain('UP');
    expect((await rtnl.links.get('s0')).up).toBe(true);
    await rtnl.links.set('s0', { up: false });
    expect(show('s0').flags).not.toContain('UP');
  });

  it('mtu, mac, txqlen, alias (and removing the alias)', async () => {
    await rtnl.links.set('s0', { mtu: 1280, mac: '02:00:00:00:05:00', txqlen: 77, alias: 'uplink to lab' });
    expect(show('s0')).toMatchObject({ mtu: 1280, address: '02:00:00:00:05:00', txqlen: 77, ifalias: 'uplink to lab' });
    expect(await rtnl.links.get('s0')).toMatchObject({ mtu: 1280, mac: '02:00:00:00:05:00', txqlen: 77, alias: 'uplink to lab' });
    await rtnl.links.set('s0', { alias: '' });
    expect(show('s0').ifalias).toBeUndefined();
  });

  it('renames, by name and by index', async () => {
    await rtnl.links.set('s1', { name: 's1-renamed' });
    const renamed = show('s1-renamed');
    await rtnl.links.set(renamed.ifindex, { name: 's1' });
    expect(show('s1').ifindex).toBe(renamed.ifindex);
  });

  it('master and nomaster', async () => {
    await rtnl.links.set('s0', { master: 'sbr0' });
    expect(show('s0').master).toBe('sbr0');
    const br = await rtnl.links.get('sbr0');
    expect((await rtnl.links.list({ master: br.index })).map((l) => l.name)).toEqual(['s0']);
    await rtnl.links.set('s0', { master: null });
    expect(show('s0').master).toBeUndefined();
  });

  it('moves a link to another namespace and back', async () => {
    // Bridges are netns-local (the kernel refuses to move them): move a veth end.
    await rtnl.links.create({ kind: 'veth', name: 'mv-br', peer: { name: 'mv-peer' } });
    await rtnl.links.set('mv-br', { netns: other });
    expect(names()).not.toContain('mv-br');
    expect(names(other)).toContain('mv-br');
    using there = Rtnl.open({ netns: other });
    await there.links.set('mv-br', { netns: ns, name: 'mv-br2' });
    expect(names()).toContain('mv-br2');
    expect(names(other)).not.toContain('mv-br');
  });

  it('a namespace that does not exist fails before anything is sent', async () => {
    const err = await rtnl.links.set('s0', { netns: 'nlt-no-such-ns', mtu: 1300 }).catch((e: unknown) => e);
    expect((err as NodeJS.ErrnoException).code).toBe('ENOENT');
    expect(show('s0').mtu).not.toBe(1300);
  });

  it('a kind with nothing to change is a ValidationError', async () => {
    await expect(rtnl.links.set('s0', { kind: 'veth' } as never)).rejects.toMatchObject({ name: 'ValidationError', field: 'kind' });
  });
});

describe('validation: typed errors naming the field, and nothing created', () => {
  const cases: Array<[string, LinkSpec]> = [
    ['name', { kind: 'bridge', name: 'this-name-is-too-long' }],
    ['name', { kind: 'bridge', name: 'bad name' }],
    ['mtu', { kind: 'bridge', name: 'v-mtu', mtu: 0 }],
    ['mac', { kind: 'bridge', name: 'v-mac', mac: '02:00:00:00:00' }],
    ['txqlen', { kind: 'bridge', name: 'v-txq', txqlen: -1 }],
    ['alias', { kind: 'bridge', name: 'v-alias', alias: 'x'.repeat(300) }],
    ['vxlan.id', { kind: 'vxlan', name: 'v-vni', id: 2 ** 24 }],
    ['vxlan.dstPort', { kind: 'vxlan', name: 'v-port', id: 1, dstPort: 0 }],
    ['vxlan.srcPortRange.low', { kind: 'vxlan', name: 'v-sport', id: 1, srcPortRange: { low: -1, high: 10 } }],
    ['vxlan.ttl', { kind: 'vxlan', name: 'v-ttl', id: 1, ttl: 300 }],
    ['vxlan.tos', { kind: 'vxlan', name: 'v-tos', id: 1, tos: 256 }],
    ['vxlan.label', { kind: 'vxlan', name: 'v-label', id: 1, label: 0x100000 }],
    ['vxlan.remote', { kind: 'vxlan', name: 'v-remote', id: 1, remote: '239.0.0.1' }],
    ['vxlan.group', { kind: 'vxlan', name: 'v-group', id: 1, group: '198.51.100.1' }],
    ['vxlan.local', { kind: 'vxlan', name: 'v-local', id: 1, local: 'not-an-ip' }],
    ['vlan.id', { kind: 'vlan', name: 'v-vlan', link: 's0', id: 4095 }],
    ['peer.name', { kind: 'veth', name: 'v-peer', peer: { name: 'x/y' } }],
    ['macvlan.mode', { kind: 'macvlan', name: 'v-mvl', link: 's0', mode: 'hub' as never }],
    ['bridge.priority', { kind: 'bridge', name: 'v-prio', priority: 70000 }],
  ];

  it.each(cases)('%s', async (field, spec) => {
    const before = names();
    const err = await rtnl.links.create(spec).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ValidationError);
    expect((err as ValidationError).field).toBe(field);
    expect(names()).toEqual(before);
  });

  it('a bad bridge-port option leaves the port untouched', async () => {
    await rtnl.links.create({ kind: 'veth', name: 'vp0', master: 'sbr0', peer: { name: 'vp1' } });
    const before = ipJson<unknown[]>(ns, '-d', 'link', 'show', 'dev', 'vp0');
    await expect(rtnl.links.setBridgePort('vp0', { learning: false, cost: 0 })).rejects.toMatchObject({ field: 'bridgePort.cost' });
    expect(ipJson<unknown[]>(ns, '-d', 'link', 'show', 'dev', 'vp0')).toEqual(before);
  });
});
