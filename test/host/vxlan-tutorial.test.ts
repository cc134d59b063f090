// The VXLAN tutorial end to end, through the library only: two hosts
// (namespaces) on a veth underlay (198.51.100.0/24), and on each a bridge vbr0
// holding the overlay address (192.0.2.0/24) with vxlan42 (unicast remote =
// the other host) as its port. `ping` makes the traffic; `ip`, `bridge` and
// the decoded capture are the oracles. Runs on the host kernel (6.18) and,
// listed in the uml project, on the UML kernel (6.1).
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { Bridge, Vxlan, PacketTap, type FdbEntry } from '../../lib/index.js';
import { makeNetns, ipJson, sh } from '../helpers/netns.js';
import {
  openHost, cable, buildVtep, ping, collect, sleep, BRIDGE, VXLAN, VNI, VXLAN_PORT,
  type OverlayHost, type BridgeFdbJson,
} from '../helpers/overlay-topology.js';

interface IpLink {
  ifindex: number;
  ifname: string;
  mtu: number;
  address: string;
  master?: string;
  operstate: string;
  linkinfo: { info_kind: string; info_data: Record<string, unknown> };
}

interface BridgeLinkJson {
  ifname: string;
  master: string;
  state: string;
  priority: number;
  cost: number;
}

let A: OverlayHost;
let B: OverlayHost;

beforeAll(async () => {
  A = openHost(makeNetns('vxt-a'), 'veth0', '198.51.100.1', '192.0.2.1');
  B = openHost(makeNetns('vxt-b'), 'veth0', '198.51.100.2', '192.0.2.2');
  await cable(A.rtnl, A.underlay, { ns: B.ns, rtnl: B.rtnl, name: B.underlay });
  await buildVtep(A, { remote: B.local });
  await buildVtep(B, { remote: A.local });
});

afterAll(() => {
  A?.rtnl.close();
  B?.rtnl.close();
});

describe('the VXLAN tutorial, built by the library', () => {
  it('the far overlay address answers; the underlay carries ICMP inside UDP 4789, flags 0x08, vni 42', async () => {
    const tap = PacketTap.open({ netns: A.ns, interface: A.underlay, filter: `udp port ${VXLAN_PORT}` });
    const collecting = collect(tap);
    const out = await ping(A.ns, B.overlay, 3);
    expect(out).toMatch(/3 packets transmitted, 3 received/);
    await sleep(200); // a few block timeouts: the last partly filled ring block is retired
    tap.close();
    const frames = await collecting;

    expect(frames.length).toBeGreaterThanOrEqual(6);
    for (const f of frames) {
      expect(f.layers.udp?.destinationPort).toBe(VXLAN_PORT);
      expect(f.layers.vxlan).toMatchObject({ flags: 0x08, vniValid: true, vni: VNI });
    }
    const echoes = (kind: 'request' | 'reply') => frames.filter((f) => f.layers.vxlan?.inner.icmp?.echo === kind);
    const requests = echoes('request');
    const replies = echoes('reply');
    expect(requests.map((f) => f.layers.vxlan!.inner.icmp!.sequence)).toEqual([1, 2, 3]);
    expect(replies.map((f) => f.layers.vxlan!.inner.icmp!.sequence)).toEqual([1, 2, 3]);
    for (const f of requests) {
      expect(f.layers.ip).toMatchObject({ source: A.local, destination: B.local });
      expect(f.layers.vxlan!.inner.ip).toMatchObject({ source: A.overlay, destination: B.overlay });
    }
    for (const f of replies) {
      expect(f.layers.ip).toMatchObject({ source: B.local, destination: A.local });
      expect(f.layers.vxlan!.inner.ip).toMatchObject({ source: B.overlay, destination: A.overlay });
    }
    expect(tap.stats().dropped).toBe(0n);
  });

  it('`ip -d link show vxlan42` agrees with Vxlan.get and links.get', async () => {
    for (const [host, peer] of [[A, B], [B, A]] as const) {
      const lib = await Vxlan.get(host.rtnl, VXLAN);
      const generic = await host.rtnl.links.get(VXLAN);
      // Same link, same decoding; only the traffic counters and the bridge port's
      // running STP timers (slaveInfo.*TimerCs) may move between the two reads.
      const still = (l: typeof lib): object => ({ ...l, stats64: undefined, slaveInfo: undefined });
      expect(still(generic)).toEqual(still(lib));
      expect(generic.slaveKind).toBe(lib.slaveKind);
      const underlay = await host.rtnl.links.get(host.underlay);
      expect(lib.info).toMatchObject({ id: VNI, local: host.local, remote: peer.local, dstPort: VXLAN_PORT, dev: underlay.index });

      const [ip] = ipJson<IpLink[]>(host.ns, '-d', 'link', 'show', 'dev', VXLAN);
      expect(ip).toMatchObject({
        ifindex: lib.index, ifname: lib.name, mtu: lib.mtu, address: lib.mac, master: BRIDGE,
        operstate: lib.operstate.toUpperCase(),
      });
      expect(ip!.linkinfo.info_kind).toBe('vxlan');
      expect(ip!.linkinfo.info_data).toMatchObject({
        id: lib.info.id, local: lib.info.local, remote: lib.info.remote, port: lib.info.dstPort, link: host.underlay,
        learning: lib.info.learning, ageing: lib.info.ageing, ttl: lib.info.ttl, df: lib.info.df, udp_csum: lib.info.udpCsum,
      });
      // Left out by the caller, so the kernel defaults stand.
      expect(lib.info).toMatchObject({ learning: true, ageing: 300 });
    }
  });

  it('`brctl show`: Bridge.show lists vbr0 with its port vxlan42, as `bridge link` does', async () => {
    for (const host of [A, B]) {
      const shown = await Bridge.show(host.rtnl);
      expect(shown.map((s) => [s.bridge.name, s.ports.map((p) => p.name)])).toEqual([[BRIDGE, [VXLAN]]]);
      const port = shown[0]!.ports[0]!;
      expect(port.master).toBe(shown[0]!.bridge.index);

      const oracle = ipJson<Array<{ ifname: string }>>(host.ns, 'link', 'show', 'master', BRIDGE);
      expect(oracle.map((l) => l.ifname)).toEqual([VXLAN]);
      const bridgeLinks = JSON.parse(sh('bridge', ['-n', host.ns, '-j', 'link', 'show'])) as BridgeLinkJson[];
      expect(bridgeLinks).toEqual([
        expect.objectContaining({
          ifname: VXLAN, master: BRIDGE, state: port.slaveInfo.state, priority: port.slaveInfo.priority, cost: port.slaveInfo.cost,
        }),
      ]);
      expect(port.slaveInfo.state).toBe('forwarding');
    }
  });

  it('`bridge fdb show dev vxlan42` agrees with rtnl.fdb.list({ dev: "vxlan42" })', async () => {
    // Traffic first, so both tables hold learned entries as well as the static ones.
    await ping(A.ns, B.overlay, 1);
    for (const [host, peer] of [[A, B], [B, A]] as const) {
      const lib = await host.rtnl.fdb.list({ dev: VXLAN });
      const oracle = JSON.parse(sh('bridge', ['-n', host.ns, '-j', 'fdb', 'show', 'dev', VXLAN])) as BridgeFdbJson[];
      expect(lib.map(asBridgeJson).sort(byKey)).toEqual(oracle.map(normalise).sort(byKey));

      // The default destination the vxlan device got from `remote`, in its own table.
      expect(lib).toContainEqual(expect.objectContaining({
        mac: '00:00:00:00:00:00', dst: peer.local, self: true, state: 'permanent', via: host.underlay,
      }));
      // The peer's bridge MAC, learned by the vxlan device (learning is on) behind the peer's VTEP...
      const peerBridge = await peer.rtnl.links.get(BRIDGE);
      expect(lib).toContainEqual(expect.objectContaining({ mac: peerBridge.mac, dst: peer.local, self: true }));
      // ...and by the bridge on its port vxlan42.
      expect(lib).toContainEqual(expect.objectContaining({ mac: peerBridge.mac, bridge: BRIDGE, self: false }));
    }
  });
});

/** A library entry in `bridge -j fdb show`'s terms (iproute2 bridge/fdb.c). */
function asBridgeJson(e: FdbEntry): BridgeFdbJson {
  const flags = [
    [e.self, 'self'], [e.router, 'router'], [e.externLearn, 'extern_learn'], [e.offloaded, 'offload'],
    [e.master, 'master'], [e.sticky, 'sticky'],
  ].filter(([on]) => on).map(([, name]) => name as string);
  return {
    mac: e.mac,
    ...(e.dst === undefined ? {} : { dst: e.dst }),
    ...(e.via === undefined ? {} : { viaIf: e.via }),
    ...(e.bridge === undefined ? {} : { master: e.bridge }),
    ...(e.vlan === undefined ? {} : { vlan: e.vlan }),
    flags,
    // bridge prints nothing for a reachable (dynamic) entry.
    state: e.state === 'dynamic' ? '' : e.state,
  };
}

/** Only the fields asBridgeJson produces (bridge also prints ifname, timers, ...). */
function normalise(j: BridgeFdbJson): BridgeFdbJson {
  const { mac, dst, viaIf, master, vlan, flags, state } = j;
  return {
    mac,
    ...(dst === undefined ? {} : { dst }),
    ...(viaIf === undefined ? {} : { viaIf }),
    ...(master === undefined ? {} : { master }),
    ...(vlan === undefined ? {} : { vlan }),
    flags: flags.filter((f) => f !== 'locked'),
    state,
  };
}

const key = (e: BridgeFdbJson): string => `${e.mac} ${e.dst ?? ''} ${e.master ?? ''} ${e.flags.join(',')}`;
const byKey = (a: BridgeFdbJson, b: BridgeFdbJson): number => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0);
