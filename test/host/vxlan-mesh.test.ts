// An agent-style VXLAN mesh, as flannel or an EVPN-less overlay agent builds
// it: three hosts on one underlay segment (a bridge sw0 in a fourth "switch"
// namespace, a veth to each host), vxlan42 with learning off and no default
// remote, and head-end replication: one all-zero-MAC FDB entry per remote
// VTEP, appended through one rtnl.batch per host. Built by the library only;
// `ping` and `bridge` are the oracles. Also listed in the uml project (6.1).
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { Rtnl, Bridge, Vxlan, type BatchResult } from '../../lib/index.js';
import { makeNetns, ipJson, sh } from '../helpers/netns.js';
import { openHost, cable, buildVtep, ping, VXLAN, type OverlayHost, type BridgeFdbJson } from '../helpers/overlay-topology.js';

const ZERO = '00:00:00:00:00:00';
const SWITCH = 'sw0';

let sw: Rtnl;
const hosts: OverlayHost[] = [];
const appended: BatchResult<never>[][] = [];

const others = (h: OverlayHost): OverlayHost[] => hosts.filter((o) => o !== h);
const fdbShow = (h: OverlayHost): BridgeFdbJson[] => JSON.parse(sh('bridge', ['-n', h.ns, '-j', 'fdb', 'show', 'dev', VXLAN])) as BridgeFdbJson[];
/** The remotes a host's vxlan42 sends to, as `bridge fdb` shows them. */
const remotesShown = (h: OverlayHost): BridgeFdbJson[] => fdbShow(h).filter((e) => e.dst !== undefined);

beforeAll(async () => {
  const swNs = makeNetns('vxm-sw');
  sw = Rtnl.open({ netns: swNs });
  await Bridge.create(sw, { name: SWITCH, up: true });
  for (const i of [1, 2, 3]) {
    const host = openHost(makeNetns(`vxm-h${i}`), 'eth0', `198.51.100.${i}`, `192.0.2.${i}`);
    hosts.push(host);
    await cable(sw, `port${i}`, { ns: host.ns, rtnl: host.rtnl, name: host.underlay }, SWITCH);
    await buildVtep(host, { learning: false });
  }
  // What an agent does when it learns of its peers: one append per remote, one batch per host.
  for (const host of hosts) {
    appended.push(await host.rtnl.batch(others(host).map((o) => ({ op: 'fdb.append' as const, dev: VXLAN, mac: ZERO, dst: o.local }))));
  }
});

afterAll(() => {
  for (const h of hosts) h.rtnl.close();
  sw?.close();
});

describe('agent-style VXLAN mesh (learning off, head-end replication)', () => {
  it('every host lists exactly its two remotes, as all-zero-MAC entries; the library reads the same', async () => {
    for (const [i, host] of hosts.entries()) {
      expect(appended[i]!.map((r) => r.ok)).toEqual([true, true]);
      const shown = remotesShown(host);
      expect(shown.map((e) => e.dst).sort()).toEqual(others(host).map((o) => o.local).sort());
      for (const e of shown) expect(e).toMatchObject({ mac: ZERO, flags: ['self'], state: 'permanent' });

      const mine = (await host.rtnl.fdb.list({ dev: VXLAN })).filter((e) => e.dst !== undefined);
      expect(mine.map((e) => ({ mac: e.mac, dst: e.dst, self: e.self, state: e.state })).sort((a, b) => (a.dst! < b.dst! ? -1 : 1)))
        .toEqual(shown.map((e) => ({ mac: e.mac, dst: e.dst, self: true, state: 'permanent' })).sort((a, b) => (a.dst! < b.dst! ? -1 : 1)));

      const vxlan = await Vxlan.get(host.rtnl, VXLAN);
      expect(vxlan.info.learning).toBe(false);
      expect(vxlan.info.remote).toBeUndefined();
      const [ip] = ipJson<Array<{ linkinfo: { info_data: Record<string, unknown> } }>>(host.ns, '-d', 'link', 'show', 'dev', VXLAN);
      expect(ip!.linkinfo.info_data).toMatchObject({ id: 42, learning: false, local: host.local, port: 4789 });
    }
  });

  it('every overlay address reaches every other', async () => {
    const pairs = hosts.flatMap((from) => others(from).map((to) => [from, to] as const));
    const outs = await Promise.all(pairs.map(([from, to]) => ping(from.ns, to.overlay, 2)));
    for (const out of outs) expect(out).toMatch(/2 packets transmitted, 2 received/);
    // Learning is off: the traffic added no remotes of its own.
    for (const host of hosts) expect(remotesShown(host)).toHaveLength(2);
  });

  it('withdrawing one remote (delete by mac + dst) cuts exactly that path; appending it again restores it', async () => {
    const [h1, h2, h3] = hosts as [OverlayHost, OverlayHost, OverlayHost];
    await h1.rtnl.fdb.delete({ dev: VXLAN, mac: ZERO, dst: h3.local });
    expect(remotesShown(h1).map((e) => e.dst)).toEqual([h2.local]);
    // h1's ARP for h3 now goes to h2 only. Forget what h1 learned, so it has to ask.
    sh('ip', ['-n', h1.ns, 'neigh', 'flush', 'dev', 'vbr0']);
    await expect(ping(h1.ns, h3.overlay, 1, 1)).rejects.toMatchObject({ stdout: expect.stringMatching(/1 packets transmitted, 0 received/) });
    expect(await ping(h1.ns, h2.overlay, 1)).toMatch(/1 received/);

    const [result] = await h1.rtnl.batch([{ op: 'fdb.append', dev: VXLAN, mac: ZERO, dst: h3.local }]);
    expect(result!.ok).toBe(true);
    expect(await ping(h1.ns, h3.overlay, 1)).toMatch(/1 received/);
  });
});
