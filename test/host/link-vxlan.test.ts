// VXLAN round trips on the real kernel: what the library creates, `ip -d -j
// link show` reads back the same; what `ip link add ... type vxlan` creates,
// the library reads the same.
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { Rtnl, Vxlan, NetlinkError, ValidationError, type VxlanInfo } from '../../lib/index.js';
import { makeNetns, ipIn, ipJson } from '../helpers/netns.js';

type IpVxlanData = Record<string, unknown> & { port_range: { low: number; high: number } };
interface IpLink {
  ifindex: number;
  ifname: string;
  linkinfo: { info_kind: string; info_data: IpVxlanData };
}

let ns: string;
let rtnl: Rtnl;

beforeAll(() => {
  ns = makeNetns('link-vxlan');
  ipIn(ns, 'link', 'add', 'under0', 'type', 'veth', 'peer', 'name', 'under1');
  rtnl = Rtnl.open({ netns: ns });
});

afterAll(() => rtnl?.close());

const ipShow = (name: string): IpLink => ipJson<IpLink[]>(ns, '-d', 'link', 'show', 'dev', name)[0]!;
const hex = (v: unknown): number => (v === undefined ? 0 : parseInt(String(v), 16));

/** `ip -j`'s vxlan info_data in the library's terms (iproute2 6.1 leaves some keys out when false or zero). */
function fromIp(d: IpVxlanData, indexOf: (name: string) => number): VxlanInfo {
  const tos = hex(d.tos);
  const info: VxlanInfo = {
    id: d.id as number,
    dstPort: d.port as number,
    srcPortRange: d.port_range,
    ttl: d.ttl === undefined ? 'inherit' : (d.ttl as number),
    tos: tos === 1 ? 'inherit' : tos,
    df: d.df as VxlanInfo['df'],
    label: hex(d.label),
    learning: d.learning as boolean,
    proxy: d.proxy === true,
    rsc: d.rsc === true,
    l2miss: d.l2miss === true,
    l3miss: d.l3miss === true,
    ageing: d.ageing as number,
    limit: (d.limit as number | undefined) ?? 0,
    udpCsum: d.udp_csum as boolean,
    udp6ZeroCsumTx: d.udp_zero_csum6_tx as boolean,
    udp6ZeroCsumRx: d.udp_zero_csum6_rx as boolean,
    remcsumTx: d.remcsum_tx === true,
    remcsumRx: d.remcsum_rx === true,
    gbp: d.gbp === true,
    gpe: d.gpe === true,
    external: d.external === true,
    vnifilter: d.vnifilter === true,
  };
  const remote = d.remote ?? d.remote6;
  const group = d.group ?? d.group6;
  const local = d.local ?? d.local6;
  if (remote !== undefined) info.remote = remote as string;
  if (group !== undefined) info.group = group as string;
  if (local !== undefined) info.local = local as string;
  if (d.link !== undefined) info.dev = indexOf(d.link as string);
  return info;
}

/** The library's info with absent flags read as false, for comparison with fromIp(). */
function comparable(i: VxlanInfo): VxlanInfo {
  const { unknown, reservedBits, labelPolicy, localbypass, mcRoute, ...rest } = i;
  void unknown, reservedBits, labelPolicy, localbypass, mcRoute;
  return { ...rest, gbp: i.gbp === true, gpe: i.gpe === true, vnifilter: i.vnifilter === true };
}

async function expectSameAsIp(name: string): Promise<VxlanInfo> {
  const link = await Vxlan.get(rtnl, name);
  const indexOf = (n: string): number => ipShow(n).ifindex;
  expect(comparable(link.info!)).toEqual(fromIp(ipShow(name).linkinfo.info_data, indexOf));
  return link.info!;
}

describe('vxlan created by the library, read back by ip', () => {
  it('IPv4 unicast with many options', async () => {
    const link = await Vxlan.create(rtnl, {
      name: 'vx4', id: 4242, remote: '198.51.100.7', local: '192.0.2.1', dev: 'under0', dstPort: 4789,
      srcPortRange: { low: 20000, high: 30000 }, ttl: 17, tos: 0x28, df: 'set', learning: false, proxy: true, rsc: true,
      l2miss: true, l3miss: true, ageing: 120, limit: 64, udpCsum: false, gbp: true,
    });
    expect(link.kind).toBe('vxlan');
    const info = await expectSameAsIp('vx4');
    expect(info).toMatchObject({ id: 4242, remote: '198.51.100.7', local: '192.0.2.1', dstPort: 4789, ttl: 17, tos: 0x28, gbp: true, learning: false });
    expect(info.dev).toBe(ipShow('under0').ifindex);
  });

  it('IPv6 multicast group with flow label, ttl/tos inherit and zero UDP checksums', async () => {
    await Vxlan.create(rtnl, {
      name: 'vx6', id: 66, group: 'ff05::66', local: '2001:db8::1', dev: 'under0', dstPort: 4790, label: 0x12345,
      ttl: 'inherit', tos: 'inherit', udp6ZeroCsumTx: true, udp6ZeroCsumRx: true, remcsumTx: true, remcsumRx: true,
    });
    const info = await expectSameAsIp('vx6');
    expect(info).toMatchObject({ group: 'ff05::66', label: 0x12345, ttl: 'inherit', tos: 'inherit' });
    expect(ipShow('vx6').linkinfo.info_data.group6).toBe('ff05::66');
  });

  it('flow-based (external) with VNI filtering, and with GPE', async () => {
    await Vxlan.create(rtnl, { name: 'vxe', id: 0, external: true, vnifilter: true, dstPort: 4791 });
    expect(await expectSameAsIp('vxe')).toMatchObject({ external: true, vnifilter: true, learning: true });
    await Vxlan.create(rtnl, { name: 'vxg', id: 0, external: true, gpe: true, learning: false, dstPort: 4792 });
    expect(await expectSameAsIp('vxg')).toMatchObject({ external: true, gpe: true });
  });

  it('attributes left out are not sent: the kernel defaults stand (learning on, port 8472)', async () => {
    const link = await Vxlan.create(rtnl, { name: 'vxd', id: 7 });
    expect(link.info).toMatchObject({ learning: true, dstPort: 8472, udpCsum: true, ageing: 300, ttl: 0, df: 'unset' });
    await expectSameAsIp('vxd');
  });

  // label policy (6.5), localbypass (6.6) and reserved bits (6.11) are newer than the UML kernel (6.1).
  it.skipIf(process.env.NL_LVS_UML === '1')('newer attributes the host kernel has: label policy, localbypass, mc_route', async () => {
    const link = await Vxlan.create(rtnl, { name: 'vxn', id: 8, local: '2001:db8::8', dstPort: 4795, labelPolicy: 'inherit', localbypass: false });
    expect(link.info).toMatchObject({ labelPolicy: 'inherit', localbypass: false });
    expect(link.info.reservedBits).toHaveLength(8);
  });
});

describe('vxlan created by ip, read by the library', () => {
  const cases: Array<[string, string[]]> = [
    ['ip4', ['id', '100', 'remote', '203.0.113.9', 'local', '198.51.100.1', 'dev', 'under1', 'dstport', '4789', 'srcport', '5000', '6000', 'ttl', '64', 'tos', '0x10', 'df', 'inherit', 'nolearning', 'proxy', 'l2miss', 'l3miss', 'rsc', 'ageing', '60', 'maxaddress', '10', 'noudpcsum', 'gbp']],
    ['ip6', ['id', '101', 'remote', '2001:db8::99', 'local', '2001:db8::1', 'dstport', '4800', 'flowlabel', '0xbeef', 'ttl', 'inherit', 'udp6zerocsumtx', 'udp6zerocsumrx', 'remcsumtx', 'remcsumrx']],
    ['ipmc', ['id', '102', 'group', '239.1.1.1', 'dev', 'under0', 'dstport', '4801', 'tos', 'inherit']],
    ['ipext', ['external', 'dstport', '4802', 'nolearning']],
  ];

  it.each(cases)('%s', async (name, args) => {
    ipIn(ns, 'link', 'add', name, 'type', 'vxlan', ...args);
    await expectSameAsIp(name);
  });

  it('lists vxlans only (filtered in the kernel)', async () => {
    const names = (await Vxlan.list(rtnl)).map((l) => l.name);
    expect(names).toEqual(expect.arrayContaining(['vx4', 'vx6', 'ip4', 'ipext']));
    expect(names).not.toContain('under0');
  });
});

describe('changing a vxlan', () => {
  it('changes what the kernel allows (learning, ageing, remote)', async () => {
    await Vxlan.create(rtnl, { name: 'vxc', id: 300, remote: '198.51.100.20', dstPort: 4810 });
    await Vxlan.set(rtnl, 'vxc', { learning: false, ageing: 45, remote: '198.51.100.21' });
    const d = ipShow('vxc').linkinfo.info_data;
    expect(d).toMatchObject({ learning: false, ageing: 45, remote: '198.51.100.21' });
    await expectSameAsIp('vxc');
  });

  it('what the kernel cannot change is its error, with its extended ack', async () => {
    const err = await Vxlan.set(rtnl, 'vxc', { dstPort: 4811 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(NetlinkError);
    expect((err as NetlinkError).errno).toBe(-95);
    expect((err as NetlinkError).extack).toMatch(/cannot change port/i);
  });

  it('an extended ack that points at an attribute names the caller\'s field', async () => {
    // vxlan's changelink refuses IFLA_MTU next to vxlan settings (set the MTU on its own instead).
    const err = await Vxlan.set(rtnl, 'vxc', { learning: true, mtu: 1400 }).catch((e: unknown) => e);
    expect(err).toMatchObject({ field: 'mtu', extack: 'Cannot change mtu' });
    await rtnl.links.set('vxc', { mtu: 1400 });
    expect((await rtnl.links.get('vxc')).mtu).toBe(1400);
  });

  it('a duplicate VNI on the same port is EEXIST with the kernel\'s reason', async () => {
    const err = await Vxlan.create(rtnl, { name: 'vxdup', id: 300, dstPort: 4810 }).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'EEXIST' });
    expect((err as NetlinkError).extack).toMatch(/VNI already exists/);
  });

  it('Vxlan.get refuses a link of another kind', async () => {
    await expect(Vxlan.get(rtnl, 'under0')).rejects.toBeInstanceOf(ValidationError);
  });
});
