// Overlay.apply() on the host kernel: a 3-host VXLAN mesh over an underlay
// switch, traffic across it, then a changed peer set that touches only the
// entries of the peers that changed (checked with `bridge -j fdb show`, with
// the kernel's own notifications, and with the report).
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { Overlay, Rtnl, formatPlan, ValidationError, type OverlayDesired, type RtnlEvent } from '../../lib/index.js';
import { NUD_PERMANENT } from '../../lib/uapi/neighbour.js';
import { makeNetns, ipIn, nsExec, sh } from '../helpers/netns.js';

interface Host {
  ns: string;
  rtnl: Rtnl;
  underlay: string;
  overlayIp: string;
  mac: string;
}

let sw: string;
const hosts: Host[] = [];

function veth(a: string, ifA: string, b: string, ifB: string): void {
  ipIn(a, 'link', 'add', ifA, 'type', 'veth', 'peer', 'name', ifB, 'netns', b);
  ipIn(a, 'link', 'set', ifA, 'up');
  ipIn(b, 'link', 'set', ifB, 'up');
}

const peerOf = (h: Host) => ({ underlay: h.underlay, overlayIp: h.overlayIp, mac: h.mac });

function desired(h: Host, peers: Host[]): OverlayDesired {
  return {
    vxlan: { name: 'vxlan0', id: 42, local: h.underlay, dev: 'eth0', dstPort: 4789, learning: false },
    bridge: { name: 'br0', mac: h.mac },
    addresses: [`${h.overlayIp}/24`],
    peers: peers.map(peerOf),
  };
}

interface BridgeFdb {
  mac: string;
  dst?: string;
  flags?: string[];
  state?: string;
}
/** `bridge -j fdb show dev vxlan0` in a host: its remotes as "mac dst". */
function fdbShow(h: Host): string[] {
  const out = JSON.parse(sh('bridge', ['-n', h.ns, '-j', 'fdb', 'show', 'dev', 'vxlan0'])) as BridgeFdb[];
  return out.filter((e) => e.dst !== undefined).map((e) => `${e.mac} ${e.dst}`).sort();
}

const ping = (h: Host, ip: string): string => nsExec(h.ns, 'ping', '-c', '1', '-W', '3', ip);

beforeAll(() => {
  sw = makeNetns('ovl-sw');
  ipIn(sw, 'link', 'add', 'ul0', 'type', 'bridge');
  ipIn(sw, 'link', 'set', 'ul0', 'up');
  for (let i = 1; i <= 4; i++) {
    const ns = makeNetns(`ovl-h${i}`);
    veth(sw, `p${i}`, ns, 'eth0');
    ipIn(sw, 'link', 'set', `p${i}`, 'master', 'ul0');
    ipIn(ns, 'addr', 'add', `198.51.100.${i}/24`, 'dev', 'eth0');
    hosts.push({ ns, rtnl: Rtnl.open({ netns: ns }), underlay: `198.51.100.${i}`, overlayIp: `192.0.2.${i}`, mac: `02:00:00:00:00:0${i}` });
  }
});
afterAll(() => {
  for (const h of hosts) h.rtnl.close();
});

describe('Overlay.apply()', () => {
  it('builds a 3-host mesh: devices, port, replication and MAC entries, ARP entries', async () => {
    const [h1, h2, h3] = hosts as [Host, Host, Host, Host];
    const mesh = [h1, h2, h3];
    const dry = await Overlay.apply(h1.rtnl, desired(h1, [h2, h3]), { dryRun: true });
    expect(formatPlan(dry)).toEqual([
      '+ link br0 bridge mac 02:00:00:00:00:01',
      '+ link vxlan0 vxlan id 42 local 198.51.100.1 dev eth0 dstPort 4789 learning false master br0',
      '+ fdb 00:00:00:00:00:00 dst 198.51.100.2 on vxlan0',
      '+ fdb 02:00:00:00:00:02 dst 198.51.100.2 on vxlan0',
      '+ fdb 00:00:00:00:00:00 dst 198.51.100.3 on vxlan0',
      '+ fdb 02:00:00:00:00:03 dst 198.51.100.3 on vxlan0',
      '+ neighbour 192.0.2.2 on br0 lladdr 02:00:00:00:00:02',
      '+ neighbour 192.0.2.3 on br0 lladdr 02:00:00:00:00:03',
      '+ address 192.0.2.1/24 on br0',
    ]);
    expect(ipIn(h1.ns, 'link', 'show')).not.toContain('vxlan0');

    for (const h of mesh) {
      const report = await Overlay.apply(h.rtnl, desired(h, mesh.filter((x) => x !== h)));
      expect(report.errors).toEqual([]);
      expect(report.operations).toBe(9);
    }
    expect(fdbShow(h1)).toEqual(['00:00:00:00:00:00 198.51.100.2', '00:00:00:00:00:00 198.51.100.3', '02:00:00:00:00:02 198.51.100.2', '02:00:00:00:00:03 198.51.100.3']);
    const link = JSON.parse(ipIn(h1.ns, '-d', '-j', 'link', 'show', 'vxlan0'))[0];
    expect(link).toMatchObject({ master: 'br0', linkinfo: { info_kind: 'vxlan', info_data: { id: 42, local: '198.51.100.1', port: 4789, learning: false } } });
    const neigh = JSON.parse(ipIn(h1.ns, '-j', 'neigh', 'show', 'dev', 'br0')) as Array<{ dst: string; lladdr: string; state: string[] }>;
    expect(neigh.map((n) => `${n.dst} ${n.lladdr} ${n.state.join()}`).sort()).toEqual(['192.0.2.2 02:00:00:00:00:02 PERMANENT', '192.0.2.3 02:00:00:00:00:03 PERMANENT']);
    // Traffic crosses the overlay both ways.
    expect(ping(h1, '192.0.2.2')).toContain('1 received');
    expect(ping(h3, '192.0.2.1')).toContain('1 received');
  });

  it('a second apply sends nothing', async () => {
    const [h1, h2, h3] = hosts as [Host, Host, Host, Host];
    for (const h of [h1, h2, h3]) {
      const report = await Overlay.apply(h.rtnl, desired(h, [h1, h2, h3].filter((x) => x !== h)));
      expect(report).toMatchObject({ operations: 0, added: [], edited: [], removed: [], errors: [] });
    }
  });

  it('a changed peer set touches only the entries of the peers that changed', async () => {
    const [h1, h2, h3, h4] = hosts as [Host, Host, Host, Host];
    await Overlay.apply(h4.rtnl, desired(h4, [h1, h2]));
    const h2Entries = fdbShow(h1).filter((l) => l.endsWith('198.51.100.2'));

    // Every FDB and neighbour notification h1's kernel sends while the peer set changes.
    const ac = new AbortController();
    const stream = h1.rtnl.watch({ topics: ['fdb', 'neighbour'], resync: false, signal: ac.signal });
    const seen: string[] = [];
    const collecting = (async () => {
      for await (const e of stream as AsyncIterable<RtnlEvent>) {
        if (e.type === 'fdb' && e.value.dst) seen.push(`${e.action} fdb ${e.value.mac} ${e.value.dst}`);
        // Neighbour entries the overlay manages are permanent; others (ARP learning) come and go.
        if (e.type === 'neighbour' && (e.action === 'del' || e.value.stateBits & NUD_PERMANENT)) seen.push(`${e.action} neigh ${e.value.dst}`);
      }
    })().catch(() => undefined);

    const report = await Overlay.apply(h1.rtnl, desired(h1, [h2, h4]));
    expect(report.errors).toEqual([]);
    expect(report.removed.map((c) => c.object).sort()).toEqual([
      'fdb 00:00:00:00:00:00 dst 198.51.100.3 on vxlan0',
      'fdb 02:00:00:00:00:03 dst 198.51.100.3 on vxlan0',
      'neighbour 192.0.2.3 on br0',
    ]);
    expect(report.added.map((c) => c.object).sort()).toEqual([
      'fdb 00:00:00:00:00:00 dst 198.51.100.4 on vxlan0',
      'fdb 02:00:00:00:00:04 dst 198.51.100.4 on vxlan0',
      'neighbour 192.0.2.4 on br0',
    ]);
    expect(report.edited).toEqual([]);
    expect(report.operations).toBe(6);

    await new Promise((r) => setTimeout(r, 300));
    ac.abort();
    await collecting;
    // Nothing about h2 went by: its entries were not touched.
    expect(seen.filter((s) => s.includes('198.51.100.2') || s.includes('192.0.2.2'))).toEqual([]);
    expect(new Set(seen)).toEqual(new Set([
      'del fdb 00:00:00:00:00:00 198.51.100.3', 'del fdb 02:00:00:00:00:03 198.51.100.3', 'del neigh 192.0.2.3',
      'new fdb 00:00:00:00:00:00 198.51.100.4', 'new fdb 02:00:00:00:00:04 198.51.100.4', 'new neigh 192.0.2.4',
    ]));
    expect(fdbShow(h1).filter((l) => l.endsWith('198.51.100.2'))).toEqual(h2Entries);
    expect(fdbShow(h1)).toEqual(['00:00:00:00:00:00 198.51.100.2', '00:00:00:00:00:00 198.51.100.4', '02:00:00:00:00:02 198.51.100.2', '02:00:00:00:00:04 198.51.100.4']);
    expect(ping(h1, '192.0.2.4')).toContain('1 received');
  });

  it('repairs what someone else removed, and only that', async () => {
    const [h1, h2, , h4] = hosts as [Host, Host, Host, Host];
    sh('bridge', ['-n', h1.ns, 'fdb', 'del', '00:00:00:00:00:00', 'dev', 'vxlan0', 'dst', '198.51.100.4']);
    ipIn(h1.ns, 'neigh', 'del', '192.0.2.2', 'dev', 'br0');
    const report = await Overlay.apply(h1.rtnl, desired(h1, [h2, h4]));
    expect(formatPlan(report)).toEqual(['+ fdb 00:00:00:00:00:00 dst 198.51.100.4 on vxlan0', '+ neighbour 192.0.2.2 on br0 lladdr 02:00:00:00:00:02']);
  });

  it('changes a vxlan setting in place, and recreates the device for one that cannot change', async () => {
    const [h1, h2, , h4] = hosts as [Host, Host, Host, Host];
    const d = desired(h1, [h2, h4]);
    const learning = await Overlay.apply(h1.rtnl, { ...d, vxlan: { ...d.vxlan, learning: true } });
    expect(formatPlan(learning)).toEqual(['~ link vxlan0 learning false → true']);
    const index = JSON.parse(ipIn(h1.ns, '-j', 'link', 'show', 'vxlan0'))[0].ifindex;

    const recreated = await Overlay.apply(h1.rtnl, { ...d, vxlan: { ...d.vxlan, id: 43 } });
    expect(recreated.errors).toEqual([]);
    expect(recreated.removed.map((c) => [c.object, c.reason])).toEqual([['link vxlan0', 'recreated: id cannot change in place']]);
    // The new device has every entry again, and is the bridge's port.
    expect(fdbShow(h1)).toHaveLength(4);
    const link = JSON.parse(ipIn(h1.ns, '-d', '-j', 'link', 'show', 'vxlan0'))[0];
    expect(link.ifindex).not.toBe(index);
    expect(link).toMatchObject({ master: 'br0', linkinfo: { info_data: { id: 43, learning: false } } });
    expect((await Overlay.apply(h1.rtnl, { ...d, vxlan: { ...d.vxlan, id: 43 } })).operations).toBe(0);
  });

  it('refuses bad input, and a name taken by another kind of link, before changing anything', async () => {
    const [h1, h2] = hosts as [Host, Host, Host, Host];
    const d = desired(h1, [h2]);
    const bad = (x: OverlayDesired) => Overlay.apply(h1.rtnl, x);
    await expect(bad({ ...d, peers: [{ underlay: '198.51.100.300' }] })).rejects.toThrow(/peers\[0\]\.underlay/);
    await expect(bad({ ...d, peers: [peerOf(h2), peerOf(h2)] })).rejects.toThrow(ValidationError);
    await expect(bad({ ...d, vxlan: { ...d.vxlan, id: 1 << 24 } })).rejects.toThrow(/vxlan\.id/);
    await expect(bad({ ...d, vxlan: { ...d.vxlan, name: 'eth0' } })).rejects.toThrow(/vxlan\.name: link eth0 exists and is a veth, not a vxlan/);
    expect(fdbShow(h1)).toHaveLength(4);
  });
});
