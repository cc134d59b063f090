// 802.1Q / 802.1ad VLAN links (the 8021q module exists only in the UML kernel
// here), checked against `ip -d -j link show`; plus the bridge VLAN options
// the host kernel was built without.
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { Rtnl, Vlan, Bridge, ValidationError } from '../../lib/index.js';
import { makeNetns, ipIn, ipJson } from '../helpers/netns.js';

interface IpLink {
  ifindex: number;
  ifname: string;
  link?: string;
  linkinfo: { info_kind: string; info_data: Record<string, unknown> };
}

let ns: string;
let rtnl: Rtnl;

beforeAll(() => {
  ns = makeNetns('link-vlan');
  ipIn(ns, 'link', 'add', 'eth0', 'type', 'veth', 'peer', 'name', 'eth1');
  rtnl = Rtnl.open({ netns: ns });
});

afterAll(() => rtnl?.close());

const ipShow = (name: string): IpLink => ipJson<IpLink[]>(ns, '-d', 'link', 'show', 'dev', name)[0]!;

describe('vlan', () => {
  it('created by the library (802.1ad, flags, QoS maps), read back by ip; then changed', async () => {
    const link = await Vlan.create(rtnl, {
      name: 'eth0.100', link: 'eth0', id: 100, protocol: '802.1ad', reorderHdr: false, gvrp: true, looseBinding: true,
      ingressQos: [{ from: 1, to: 2 }], egressQos: [{ from: 3, to: 4 }, { from: 5, to: 6 }],
    });
    expect(link.info).toMatchObject({ id: 100, protocol: '802.1ad', reorderHdr: false, gvrp: true, looseBinding: true });
    const ip = ipShow('eth0.100');
    expect(ip.link).toBe('eth0');
    expect(ip.linkinfo.info_data).toMatchObject({
      protocol: '802.1ad', id: 100, flags: ['GVRP', 'LOOSE_BINDING'],
      ingress_qos: [{ from: 1, to: 2 }], egress_qos: [{ from: 3, to: 4 }, { from: 5, to: 6 }],
    });
    // Flags left out keep their value: only the flags given go in the mask.
    await Vlan.set(rtnl, 'eth0.100', { reorderHdr: true, ingressQos: [{ from: 7, to: 7 }] });
    const after = await Vlan.get(rtnl, 'eth0.100');
    expect(after.info).toMatchObject({ reorderHdr: true, gvrp: true, looseBinding: true });
    expect(after.info.ingressQos).toEqual(expect.arrayContaining([{ from: 1, to: 2 }, { from: 7, to: 7 }]));
    expect(ipShow('eth0.100').linkinfo.info_data.flags).toEqual(['REORDER_HDR', 'GVRP', 'LOOSE_BINDING']);
  });

  it('created by ip, read by the library', async () => {
    ipIn(ns, 'link', 'add', 'link', 'eth1', 'name', 'eth1.7', 'type', 'vlan', 'id', '7', 'mvrp', 'on', 'egress-qos-map', '2:5');
    const link = await Vlan.get(rtnl, 'eth1.7');
    expect(link.info).toEqual({
      id: 7, protocol: '802.1Q', flags: 0x9, reorderHdr: true, gvrp: false, looseBinding: false, mvrp: true, bridgeBinding: false,
      egressQos: [{ from: 2, to: 5 }],
    });
    expect(link.link).toBe(ipShow('eth1').ifindex);
  });

  it('a VLAN id out of range is a ValidationError and nothing is created', async () => {
    const err = await Vlan.create(rtnl, { name: 'eth0.4095', link: 'eth0', id: 4095 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ValidationError);
    expect((err as ValidationError).field).toBe('vlan.id');
    expect(ipJson<IpLink[]>(ns, 'link', 'show').map((l) => l.ifname)).not.toContain('eth0.4095');
  });
});

describe('bridge VLAN options', () => {
  it('vlan filtering, protocol, default PVID and VLAN stats, read back by ip', async () => {
    const br = await Bridge.create(rtnl, { name: 'brv', vlanFiltering: true, vlanProtocol: '802.1ad', defaultPvid: 10, vlanStatsEnabled: true });
    expect(br.info).toMatchObject({ vlanFiltering: true, vlanProtocol: '802.1ad', defaultPvid: 10, vlanStatsEnabled: true });
    expect(ipShow('brv').linkinfo.info_data).toMatchObject({ vlan_filtering: 1, vlan_protocol: '802.1ad', vlan_default_pvid: 10, vlan_stats_enabled: 1 });
    await Bridge.set(rtnl, 'brv', { vlanProtocol: '802.1Q', defaultPvid: 1 });
    expect(ipShow('brv').linkinfo.info_data).toMatchObject({ vlan_protocol: '802.1Q', vlan_default_pvid: 1, vlan_filtering: 1 });
  });
});
