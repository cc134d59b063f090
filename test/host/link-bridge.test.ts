// Bridges and bridge ports on the real kernel: options set by the library
// read back by `ip -d -j link show` and `bridge -d -j link show`, and options
// set by ip read back by the library.
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { Rtnl, Bridge, NetlinkError, type BridgeInfo, type BridgePortInfo } from '../../lib/index.js';
import { makeNetns, ipIn, ipJson, sh } from '../helpers/netns.js';

type Data = Record<string, unknown>;
interface IpLink {
  ifindex: number;
  ifname: string;
  master?: string;
  linkinfo: { info_kind?: string; info_data?: Data; info_slave_kind?: string; info_slave_data?: Data };
}

let ns: string;
let rtnl: Rtnl;

beforeAll(() => {
  ns = makeNetns('link-bridge');
  rtnl = Rtnl.open({ netns: ns });
});

afterAll(() => rtnl?.close());

const ipShow = (name: string): IpLink => ipJson<IpLink[]>(ns, '-d', 'link', 'show', 'dev', name)[0]!;
const num = (v: unknown): number => (typeof v === 'string' ? parseInt(v, 16) : (v as number));
const bool = (v: unknown): boolean => v === true || v === 1;
/** ip prints bridge ids with unpadded hex bytes ("8000.2:0:..."); compare in that form. */
const ipStyleId = (id: string | undefined): string | undefined =>
  id?.replace(/\.(.*)$/, (_, mac: string) => `.${mac.split(':').map((b) => parseInt(b, 16).toString(16)).join(':')}`);

/** The bridge settings `ip -d -j` prints, in the library's terms. */
function bridgeFromIp(d: Data): Partial<BridgeInfo> {
  return {
    forwardDelayCs: num(d.forward_delay),
    helloTimeCs: num(d.hello_time),
    maxAgeCs: num(d.max_age),
    ageingTimeCs: num(d.ageing_time),
    stpState: num(d.stp_state),
    priority: num(d.priority),
    vlanFiltering: bool(d.vlan_filtering),
    rootPort: num(d.root_port),
    rootPathCost: num(d.root_path_cost),
    topologyChange: bool(d.topology_change),
    topologyChangeDetected: bool(d.topology_change_detected),
    groupFwdMask: num(d.group_fwd_mask),
    groupAddr: d.group_addr as string,
    mcastSnooping: bool(d.mcast_snooping),
    noLinkLocalLearn: bool(d.no_linklocal_learn),
    mcastVlanSnooping: bool(d.mcast_vlan_snooping),
    mcastRouter: num(d.mcast_router),
    mcastQueryUseIfaddr: bool(d.mcast_query_use_ifaddr),
    mcastQuerier: bool(d.mcast_querier),
    mcastHashElasticity: num(d.mcast_hash_elasticity),
    mcastHashMax: num(d.mcast_hash_max),
    mcastLastMemberCount: num(d.mcast_last_member_cnt),
    mcastStartupQueryCount: num(d.mcast_startup_query_cnt),
    mcastLastMemberIntervalCs: num(d.mcast_last_member_intvl),
    mcastMembershipIntervalCs: num(d.mcast_membership_intvl),
    mcastQuerierIntervalCs: num(d.mcast_querier_intvl),
    mcastQueryIntervalCs: num(d.mcast_query_intvl),
    mcastQueryResponseIntervalCs: num(d.mcast_query_response_intvl),
    mcastStartupQueryIntervalCs: num(d.mcast_startup_query_intvl),
    mcastStatsEnabled: bool(d.mcast_stats_enabled),
    mcastIgmpVersion: num(d.mcast_igmp_version),
    mcastMldVersion: num(d.mcast_mld_version),
    nfCallIptables: bool(d.nf_call_iptables),
    nfCallIp6tables: bool(d.nf_call_ip6tables),
    nfCallArptables: bool(d.nf_call_arptables),
    bridgeId: d.bridge_id as string,
    rootId: d.root_id as string,
  };
}

function pickLike<T extends object>(mine: T, like: Partial<T>): Partial<T> {
  const out: Partial<T> = {};
  for (const k of Object.keys(like) as (keyof T)[]) out[k] = mine[k];
  return out;
}

async function expectBridgeSameAsIp(name: string): Promise<BridgeInfo> {
  const br = await Bridge.get(rtnl, name);
  const ip = bridgeFromIp(ipShow(name).linkinfo.info_data!);
  const mine = { ...br.info!, bridgeId: ipStyleId(br.info!.bridgeId), rootId: ipStyleId(br.info!.rootId) };
  expect(pickLike(mine, ip)).toEqual(ip);
  return br.info!;
}

/** The port settings `ip -d -j` prints in info_slave_data, in the library's terms. */
function portFromIp(d: Data): Partial<BridgePortInfo> {
  return {
    state: d.state as BridgePortInfo['state'],
    priority: num(d.priority),
    cost: num(d.cost),
    hairpin: bool(d.hairpin),
    guard: bool(d.guard),
    rootBlock: bool(d.root_block),
    fastLeave: bool(d.fastleave),
    learning: bool(d.learning),
    flood: bool(d.flood),
    id: num(d.id),
    no: num(d.no),
    designatedPort: num(d.designated_port),
    designatedCost: num(d.designated_cost),
    topologyChangeAck: bool(d.topology_change_ack),
    configPending: bool(d.config_pending),
    proxyArp: bool(d.proxy_arp),
    proxyArpWifi: bool(d.proxy_arp_wifi),
    mcastRouter: num(d.multicast_router),
    mcastFlood: bool(d.mcast_flood),
    bcastFlood: bool(d.bcast_flood),
    mcastToUnicast: bool(d.mcast_to_unicast),
    neighSuppress: bool(d.neigh_suppress),
    groupFwdMask: num(d.group_fwd_mask_str),
    vlanTunnel: bool(d.vlan_tunnel),
    isolated: bool(d.isolated),
    locked: bool(d.locked),
    bridgeId: d.bridge_id as string,
    rootId: d.root_id as string,
  };
}

async function expectPortSameAsIp(name: string): Promise<BridgePortInfo> {
  const port = await Bridge.getPort(rtnl, name);
  const ip = ipShow(name);
  expect(ip.linkinfo.info_slave_kind).toBe('bridge');
  const expected = portFromIp(ip.linkinfo.info_slave_data!);
  const mine = { ...port.slaveInfo!, bridgeId: ipStyleId(port.slaveInfo!.bridgeId), rootId: ipStyleId(port.slaveInfo!.rootId) };
  expect(pickLike(mine, expected)).toEqual(expected);
  return port.slaveInfo!;
}

describe('bridge options', () => {
  it('created by the library with options, read back by ip', async () => {
    const br = await Bridge.create(rtnl, {
      name: 'br0', stp: true, forwardDelayCs: 400, helloTimeCs: 300, maxAgeCs: 1200, ageingTimeCs: 6000, priority: 4096,
      defaultPvid: 7, mcastSnooping: false, groupFwdMask: 8, mcastQuerier: true, mcastIgmpVersion: 3, mcastMldVersion: 2,
      mcastLastMemberCount: 3, mcastQueryIntervalCs: 10000, noLinkLocalLearn: true, mcastStatsEnabled: true,
    });
    expect(br.info).toMatchObject({ stp: true, forwardDelayCs: 400, helloTimeCs: 300, maxAgeCs: 1200, ageingTimeCs: 6000, priority: 4096 });
    const info = await expectBridgeSameAsIp('br0');
    expect(info).toMatchObject({ mcastSnooping: false, groupFwdMask: 8, mcastQuerier: true, mcastIgmpVersion: 3, mcastMldVersion: 2, noLinkLocalLearn: true });
    expect(ipShow('br0').linkinfo.info_data).toMatchObject({ forward_delay: 400, stp_state: 1, priority: 4096, mcast_snooping: 0 });
  });

  it('created by ip with options, read by the library', async () => {
    ipIn(ns, 'link', 'add', 'br1', 'type', 'bridge', 'forward_delay', '500', 'hello_time', '100', 'max_age', '800', 'ageing_time', '2000',
      'priority', '100', 'stp_state', '0', 'mcast_router', '2', 'mcast_hash_max', '1024', 'mcast_startup_query_count', '5',
      'nf_call_iptables', '1', 'mcast_vlan_snooping', '0', 'group_address', '01:80:c2:00:00:0a');
    const info = await expectBridgeSameAsIp('br1');
    expect(info).toMatchObject({ stp: false, forwardDelayCs: 500, helloTimeCs: 100, maxAgeCs: 800, ageingTimeCs: 2000, priority: 100, mcastRouter: 2, groupAddr: '01:80:c2:00:00:0a' });
  });

  it('changed later; options left out stay as they were', async () => {
    await Bridge.set(rtnl, 'br1', { stp: true, priority: 8192, ageingTimeCs: 9000, mcastSnooping: false, up: true });
    const info = await expectBridgeSameAsIp('br1');
    expect(info).toMatchObject({ stp: true, priority: 8192, ageingTimeCs: 9000, mcastSnooping: false, forwardDelayCs: 500, mcastRouter: 2 });
    expect((await rtnl.links.get('br1')).up).toBe(true);
  });

  it('flushes the FDB on request', async () => {
    await expect(Bridge.set(rtnl, 'br1', { fdbFlush: true })).resolves.toBeUndefined();
  });
});

describe('bridge ports', () => {
  beforeAll(async () => {
    await rtnl.links.create({ kind: 'veth', name: 'p0', up: true, peer: { name: 'p0x' } });
    await rtnl.links.create({ kind: 'veth', name: 'p1', up: true, peer: { name: 'p1x' } });
    await rtnl.links.set('p0x', { up: true });
    await rtnl.links.set('p1x', { up: true });
    await Bridge.create(rtnl, { name: 'brp', up: true });
  });

  it('addPort / removePort / show, like brctl', async () => {
    await Bridge.addPort(rtnl, 'brp', 'p0');
    await Bridge.addPort(rtnl, 'brp', 'p1');
    expect(ipShow('p0').master).toBe('brp');
    const shown = await Bridge.show(rtnl);
    const brp = shown.find((b) => b.bridge.name === 'brp')!;
    expect(brp.ports.map((p) => p.name)).toEqual(['p0', 'p1']);
    expect(brp.ports[0]!.slaveInfo).toMatchObject({ learning: true, flood: true });
    expect(shown.map((b) => b.bridge.name)).toEqual(expect.arrayContaining(['br0', 'br1', 'brp']));
    const err = await Bridge.removePort(rtnl, 'br0', 'p1').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(NetlinkError);
    expect(err).toMatchObject({ code: 'EINVAL' });
    expect(ipShow('p1').master).toBe('brp');
    await Bridge.removePort(rtnl, 'brp', 'p1');
    expect(ipShow('p1').master).toBeUndefined();
    await Bridge.addPort(rtnl, 'brp', 'p1');
  });

  it('port options set by the library, read back by ip and by `bridge link`', async () => {
    await rtnl.links.setBridgePort('p0', { learning: false, flood: false, hairpin: true, isolated: true, neighSuppress: true, cost: 77, priority: 9, bcastFlood: false, mcastToUnicast: true, guard: true, rootBlock: true, fastLeave: true, proxyArp: true, groupFwdMask: 8 });
    const info = await expectPortSameAsIp('p0');
    expect(info).toMatchObject({ learning: false, flood: false, hairpin: true, isolated: true, neighSuppress: true, cost: 77, priority: 9 });
    const bridgeTool = JSON.parse(sh('bridge', ['-n', ns, '-d', '-j', 'link', 'show', 'dev', 'p0']))[0];
    expect(bridgeTool).toMatchObject({ learning: false, flood: false, hairpin: true, isolated: true, neigh_suppress: true, cost: 77, priority: 9, bcast_flood: false, mcast_to_unicast: true });
  });

  it('port options set by ip, read by the library', async () => {
    ipIn(ns, 'link', 'set', 'dev', 'p1', 'type', 'bridge_slave', 'learning', 'off', 'flood', 'off', 'hairpin', 'on', 'isolated', 'on', 'neigh_suppress', 'on', 'cost', '123', 'priority', '33', 'mcast_flood', 'off', 'locked', 'on');
    const info = await expectPortSameAsIp('p1');
    expect(info).toMatchObject({ learning: false, flood: false, hairpin: true, isolated: true, neighSuppress: true, cost: 123, priority: 33, mcastFlood: false, locked: true });
  });

  it('state and backup port', async () => {
    // The STP state is the caller's to set only while the bridge runs no STP (and the kernel's
    // state selection turns blocking back to forwarding then, so 'learning' is what sticks).
    await rtnl.links.setBridgePort('p1', { state: 'learning', backupPort: 'p0' });
    let info = await expectPortSameAsIp('p1');
    expect(info.state).toBe('learning');
    expect(info.backupPort).toBe(ipShow('p0').ifindex);
    await rtnl.links.setBridgePort('p1', { state: 'forwarding', backupPort: null });
    info = (await Bridge.getPort(rtnl, 'p1')).slaveInfo!;
    expect(info.state).toBe('forwarding');
    expect(info.backupPort).toBeUndefined();
  });

  it('a link without a master has no bridge-port settings to change', async () => {
    await rtnl.links.create({ kind: 'veth', name: 'lone0', peer: { name: 'lone1' } });
    const err = await rtnl.links.setBridgePort('lone0', { learning: false }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(NetlinkError);
    expect((err as NetlinkError).errno).toBe(-95);
  });
});
