// The `bridge fdb` model on the real kernel, checked both ways against
// `bridge -j fdb show`: what the library writes bridge reads, and what bridge
// writes the library reads identically.
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { Rtnl, NetlinkError, ValidationError, type FdbEntry } from '../../lib/index.js';
import { makeNetns, ipIn, sh } from '../helpers/netns.js';

interface BridgeFdb {
  mac: string;
  ifname?: string;
  dst?: string;
  vlan?: number;
  port?: number;
  vni?: number;
  src_vni?: number;
  viaIf?: string;
  nhid?: number;
  flags: string[];
  master?: string;
  state: string;
}

let ns: string;
let rtnl: Rtnl;

function bridgeFdb(...args: string[]): BridgeFdb[] {
  const out = sh('bridge', ['-n', ns, '-j', 'fdb', 'show', ...args]);
  return out.trim() === '' ? [] : (JSON.parse(out) as BridgeFdb[]);
}
function bridgeCmd(...args: string[]): void {
  sh('bridge', ['-n', ns, ...args]);
}

/** The fields `bridge -j fdb show` prints, computed from a decoded entry. */
function asBridgeJson(e: FdbEntry, filteredByDev: boolean): BridgeFdb {
  const flags: string[] = [];
  if (e.self) flags.push('self');
  if (e.router) flags.push('router');
  if (e.externLearn) flags.push('extern_learn');
  if (e.offloaded) flags.push('offload');
  if (e.master) flags.push('master');
  if (e.sticky) flags.push('sticky');
  const o: BridgeFdb = { mac: e.mac, flags, state: e.state === 'dynamic' ? '' : e.state };
  if (!filteredByDev && e.ifindex) o.ifname = e.dev;
  if (e.dst !== undefined) o.dst = e.dst;
  if (e.vlan !== undefined) o.vlan = e.vlan;
  if (e.port !== undefined) o.port = e.port;
  if (e.vni !== undefined) o.vni = e.vni;
  if (e.srcVni !== undefined) o.src_vni = e.srcVni;
  if (e.via !== undefined) o.viaIf = e.via;
  if (e.nhid !== undefined) o.nhid = e.nhid;
  if (e.bridge !== undefined) o.master = e.bridge;
  return o;
}

const key = (o: BridgeFdb): string => JSON.stringify([o.mac, o.ifname ?? '', o.dst ?? '', o.vlan ?? 0, o.flags.join(',')]);
const sorted = (l: BridgeFdb[]): BridgeFdb[] => [...l].sort((a, b) => key(a).localeCompare(key(b)));

beforeAll(() => {
  ns = makeNetns('fdb');
  // This kernel's bridge has no VLAN filtering (CONFIG_BRIDGE_VLAN_FILTERING): NDA_VLAN entries cannot be made here.
  ipIn(ns, 'link', 'add', 'br0', 'type', 'bridge');
  ipIn(ns, 'link', 'add', 'pa', 'type', 'veth', 'peer', 'name', 'pb');
  ipIn(ns, 'link', 'set', 'pa', 'master', 'br0');
  ipIn(ns, 'link', 'add', 'vx42', 'type', 'vxlan', 'id', '42', 'dstport', '4789', 'local', '192.0.2.1', 'nolearning');
  ipIn(ns, 'link', 'add', 'vx6', 'type', 'vxlan', 'id', '6', 'dstport', '4789', 'local', '2001:db8::1', 'nolearning');
  ipIn(ns, 'link', 'add', 'vxe', 'type', 'vxlan', 'external', 'dstport', '4790');
  ipIn(ns, 'link', 'add', 'uplink', 'type', 'veth', 'peer', 'name', 'uplink-peer');
  // No learning on the port: learned entries would race between our dump and bridge's.
  ipIn(ns, 'link', 'set', 'pa', 'type', 'bridge_slave', 'learning', 'off');
  ipIn(ns, 'link', 'set', 'br0', 'type', 'bridge', 'ageing_time', '100000');
  // No IPv6 link-local addresses: each one's solicited-node group adds a 33:33:ff:… entry
  // to the device's FDB when DAD starts, which could land between our dump and bridge's.
  for (const l of ['br0', 'pa', 'pb', 'vx42', 'vx6', 'vxe', 'uplink', 'uplink-peer']) ipIn(ns, 'link', 'set', l, 'addrgenmode', 'none');
  for (const l of ['br0', 'pa', 'pb', 'vx42', 'vx6', 'vxe', 'uplink', 'uplink-peer']) ipIn(ns, 'link', 'set', l, 'up');
  ipIn(ns, 'nexthop', 'add', 'id', '1', 'via', '192.0.2.2', 'fdb');
  ipIn(ns, 'nexthop', 'add', 'id', '10', 'group', '1', 'fdb');
  rtnl = Rtnl.open({ netns: ns });
});
afterAll(() => rtnl?.close());

describe('fdb: library writes, bridge reads', () => {
  it('vxlan entries with dst, port, vni, via; add then EEXIST', async () => {
    await rtnl.fdb.add({ dev: 'vx42', mac: '02:00:00:00:00:01', dst: '198.51.100.1', port: 4790, vni: 4242, via: 'uplink' });
    const e = bridgeFdb('dev', 'vx42').find((x) => x.mac === '02:00:00:00:00:01')!;
    expect(e).toEqual({ mac: '02:00:00:00:00:01', dst: '198.51.100.1', port: 4790, vni: 4242, viaIf: 'uplink', flags: ['self'], state: 'permanent' });
    const err = (await rtnl.fdb.add({ dev: 'vx42', mac: '02:00:00:00:00:01', dst: '198.51.100.1' }).catch((x: unknown) => x)) as NetlinkError;
    expect(err).toBeInstanceOf(NetlinkError);
    expect(err.code).toBe('EEXIST');
    expect(err.message).toContain('fdb entry 02:00:00:00:00:01 dst 198.51.100.1 on vx42 already exists');
  });

  it('IPv6 remote, and replace changes it', async () => {
    await rtnl.fdb.add({ dev: 'vx6', mac: '02:00:00:00:00:02', dst: '2001:db8::2' });
    expect(bridgeFdb('dev', 'vx6').find((x) => x.mac === '02:00:00:00:00:02')!.dst).toBe('2001:db8::2');
    await rtnl.fdb.replace({ dev: 'vx6', mac: '02:00:00:00:00:02', dst: '2001:db8::3' });
    const after = bridgeFdb('dev', 'vx6').filter((x) => x.mac === '02:00:00:00:00:02');
    expect(after.map((x) => x.dst)).toEqual(['2001:db8::3']);
  });

  it('src_vni on a collect-metadata vxlan', async () => {
    await rtnl.fdb.add({ dev: 'vxe', mac: '02:00:00:00:00:03', dst: '198.51.100.3', vni: 77, srcVni: 77 });
    expect(bridgeFdb('dev', 'vxe')).toContainEqual({ mac: '02:00:00:00:00:03', dst: '198.51.100.3', vni: 77, src_vni: 77, flags: ['self'], state: 'permanent' });
  });

  it('nhid (fdb nexthop group)', async () => {
    await rtnl.fdb.add({ dev: 'vx42', mac: '02:00:00:00:00:04', nhid: 10 });
    expect(bridgeFdb('dev', 'vx42')).toContainEqual({ mac: '02:00:00:00:00:04', nhid: 10, flags: ['self'], state: 'permanent' });
  });

  it('bridge master entries: static, dynamic, sticky, extern_learn', async () => {
    await rtnl.fdb.add({ dev: 'pa', mac: '02:00:00:00:01:01', master: true, state: 'static' });
    await rtnl.fdb.add({ dev: 'pa', mac: '02:00:00:00:01:02', master: true, state: 'dynamic' });
    await rtnl.fdb.add({ dev: 'pa', mac: '02:00:00:00:01:03', master: true, state: 'static', sticky: true });
    await rtnl.fdb.add({ dev: 'pa', mac: '02:00:00:00:01:04', master: true, state: 'static', externLearn: true });
    // The bridge reports its entries with NDA_MASTER, not the NTF_MASTER bit.
    const got = bridgeFdb('dev', 'pa');
    expect(got).toContainEqual({ mac: '02:00:00:00:01:01', flags: [], master: 'br0', state: 'static' });
    expect(got).toContainEqual({ mac: '02:00:00:00:01:02', flags: [], master: 'br0', state: '' });
    expect(got).toContainEqual({ mac: '02:00:00:00:01:03', flags: ['sticky'], master: 'br0', state: 'static' });
    expect(got.find((x) => x.mac === '02:00:00:00:01:04')!.flags).toEqual(['extern_learn']);
  });

  it('append builds a remote list on the all-zero MAC; delete of one remote leaves the others', async () => {
    // vxlan appends remotes only to the all-zero and multicast MACs.
    const zero = '00:00:00:00:00:00';
    for (const dst of ['198.51.100.10', '198.51.100.11', '198.51.100.12']) await rtnl.fdb.append({ dev: 'vx42', mac: zero, dst });
    await rtnl.fdb.delete({ dev: 'vx42', mac: zero, dst: '198.51.100.11' });
    const dsts = bridgeFdb('dev', 'vx42').filter((x) => x.mac === zero).map((x) => x.dst).sort();
    expect(dsts).toEqual(['198.51.100.10', '198.51.100.12']);
    // vxlan answers 0 for a remote that is not in the list of an existing MAC; ENOENT only once the MAC is gone.
    for (const dst of ['198.51.100.10', '198.51.100.12']) await rtnl.fdb.delete({ dev: 'vx42', mac: zero, dst });
    const err = (await rtnl.fdb.delete({ dev: 'vx42', mac: zero, dst: '198.51.100.11' }).catch((x: unknown) => x)) as NetlinkError;
    expect(err.code).toBe('ENOENT');
    expect(err.message).toContain(`no fdb entry ${zero} dst 198.51.100.11 on vx42`);
  });
});

describe('fdb: bridge writes, library reads identically', () => {
  it('every entry of every device, and filtered by device and by bridge in the kernel', async () => {
    bridgeCmd('fdb', 'add', '02:00:00:00:02:01', 'dev', 'vx42', 'dst', '203.0.113.1', 'port', '8472', 'vni', '99', 'via', 'uplink', 'self', 'permanent');
    bridgeCmd('fdb', 'append', '00:00:00:00:00:00', 'dev', 'vx42', 'dst', '203.0.113.2', 'self', 'permanent');
    bridgeCmd('fdb', 'append', '00:00:00:00:00:00', 'dev', 'vx6', 'dst', '2001:db8::7', 'self', 'permanent');
    bridgeCmd('fdb', 'add', '02:00:00:00:02:02', 'dev', 'pa', 'master', 'static');
    bridgeCmd('fdb', 'add', '02:00:00:00:02:03', 'dev', 'pa', 'master', 'dynamic', 'sticky');
    bridgeCmd('fdb', 'add', '02:00:00:00:02:04', 'dev', 'vxe', 'dst', '203.0.113.4', 'src_vni', '5', 'vni', '6', 'self');

    const all = await rtnl.fdb.list();
    expect(sorted(all.map((e) => asBridgeJson(e, false)))).toEqual(sorted(bridgeFdb()));

    for (const dev of ['vx42', 'vx6', 'pa', 'vxe', 'br0']) {
      const mine = await rtnl.fdb.list({ dev });
      expect(mine.every((e) => e.dev === dev)).toBe(true);
      expect(sorted(mine.map((e) => asBridgeJson(e, true)))).toEqual(sorted(bridgeFdb('dev', dev)));
    }
    const onBridge = await rtnl.fdb.list({ bridge: 'br0' });
    expect(sorted(onBridge.map((e) => asBridgeJson(e, false)))).toEqual(sorted(bridgeFdb('br', 'br0')));
    expect(onBridge.some((e) => e.dev === 'vx42')).toBe(false);
  });
});

describe('fdb validation', () => {
  it('names the bad field and sends nothing', async () => {
    const before = bridgeFdb('dev', 'vx42').length;
    const cases: Array<[Parameters<Rtnl['fdb']['add']>[0], string]> = [
      [{ dev: 'vx42', mac: '02:00:00:00:00' }, 'mac'],
      [{ dev: 'vx42', mac: '02:00:00:00:00:99', dst: '198.51.100.300' }, 'dst'],
      [{ dev: 'vx42', mac: '02:00:00:00:00:99', vni: 1 << 24 }, 'vni'],
      [{ dev: 'vx42', mac: '02:00:00:00:00:99', srcVni: -1 }, 'srcVni'],
      [{ dev: 'vx42', mac: '02:00:00:00:00:99', port: 65536 }, 'port'],
      [{ dev: 'vx42', mac: '02:00:00:00:00:99', vlan: 4095 }, 'vlan'],
      [{ dev: 'vx42', mac: '02:00:00:00:00:99', vlan: 0 }, 'vlan'],
      [{ dev: 'vx42', mac: '02:00:00:00:00:99', nhid: 10, dst: '198.51.100.1' }, 'nhid'],
      [{ dev: 'vx42', mac: '02:00:00:00:00:99', state: 'stale' as 'static' }, 'state'],
      [{ dev: 'bad/name', mac: '02:00:00:00:00:99' }, 'dev'],
    ];
    for (const [spec, field] of cases) {
      const err = await rtnl.fdb.add(spec).catch((e: unknown) => e);
      expect(err, JSON.stringify(spec)).toBeInstanceOf(ValidationError);
      expect((err as ValidationError).field).toBe(field);
    }
    expect(bridgeFdb('dev', 'vx42').length).toBe(before);
    const nodev = (await rtnl.fdb.add({ dev: 'nope0', mac: '02:00:00:00:00:99' }).catch((e: unknown) => e)) as NetlinkError;
    expect(nodev.code).toBe('ENODEV');
    expect(nodev.field).toBe('dev');
  });
});
