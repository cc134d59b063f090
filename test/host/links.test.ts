// The first vertical slice on the real kernel: list and get links inside a
// namespace, checked against `ip -j -d link show`.
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { Rtnl, NetlinkError, ValidationError } from '../../lib/index.js';
import { makeNetns, ipIn, ipJson } from '../helpers/netns.js';

interface IpLink {
  ifindex: number;
  ifname: string;
  mtu: number;
  address: string;
  operstate: string;
  master?: string;
  flags: string[];
  linkinfo?: { info_kind: string };
  stats64?: { rx: { bytes: number; packets: number }; tx: { bytes: number; packets: number } };
}

let ns: string;
let other: string;
let rtnl: Rtnl;

beforeAll(() => {
  ns = makeNetns('links');
  other = makeNetns('links-other');
  ipIn(ns, 'link', 'add', 'br-test', 'type', 'bridge');
  ipIn(ns, 'link', 'add', 'veth-a', 'mtu', '1400', 'type', 'veth', 'peer', 'name', 'veth-b');
  ipIn(ns, 'link', 'set', 'veth-a', 'master', 'br-test');
  ipIn(ns, 'link', 'set', 'veth-a', 'up');
  ipIn(ns, 'link', 'set', 'veth-b', 'up');
  ipIn(ns, 'link', 'set', 'br-test', 'up');
  ipIn(other, 'link', 'add', 'only-other', 'type', 'bridge');
  rtnl = Rtnl.open({ netns: ns });
});

afterAll(() => rtnl?.close());

describe('links in a namespace', () => {
  it('lists exactly the links `ip -j link show` lists, with the same attributes', async () => {
    const links = await rtnl.links.list();
    const oracle = ipJson<IpLink[]>(ns, '-s', '-d', 'link', 'show');
    expect(links.map((l) => l.name).sort()).toEqual(oracle.map((l) => l.ifname).sort());
    for (const o of oracle) {
      const l = links.find((x) => x.name === o.ifname)!;
      expect(l.index).toBe(o.ifindex);
      expect(l.mtu).toBe(o.mtu);
      expect(l.mac).toBe(o.address);
      expect(l.operstate).toBe(o.operstate.toLowerCase());
      expect(l.up).toBe(o.flags.includes('UP'));
      expect(l.kind).toBe(o.linkinfo?.info_kind);
      if (o.master) expect(l.master).toBe(links.find((x) => x.name === o.master)!.index);
      expect(l.stats64).toBeDefined();
    }
  });

  it('sees only its own namespace', async () => {
    const names = (await rtnl.links.list()).map((l) => l.name);
    expect(names).not.toContain('only-other');
    using inOther = Rtnl.open({ netns: other });
    const otherNames = (await inOther.links.list()).map((l) => l.name).sort();
    expect(otherNames).toEqual(['lo', 'only-other']);
  });

  it('filters by kind and by master in the kernel', async () => {
    const veths = await rtnl.links.list({ kind: 'veth' });
    expect(veths.map((l) => l.name).sort()).toEqual(['veth-a', 'veth-b']);
    const br = await rtnl.links.get('br-test');
    const ports = await rtnl.links.list({ master: br.index });
    expect(ports.map((l) => l.name)).toEqual(['veth-a']);
  });

  it('gets one link by name and by index, with stats64 that move', async () => {
    const a = await rtnl.links.get('veth-a');
    expect(a.kind).toBe('veth');
    expect(a.mtu).toBe(1400);
    const again = await rtnl.links.get(a.index);
    expect(again.name).toBe('veth-a');
    // IPv6 discovery keeps sending on the veth: read ours, then the oracle, then ours again.
    const oracle = BigInt(ipJson<IpLink[]>(ns, '-s', 'link', 'show', 'veth-a')[0]!.stats64!.tx.packets);
    const after = (await rtnl.links.get('veth-a')).stats64!.tx_packets;
    expect(a.stats64!.tx_packets <= oracle && oracle <= after).toBe(true);
    expect(typeof a.stats64!.rx_bytes).toBe('bigint');
  });

  it('rejects a missing link with ENODEV, shaped like a SystemError', async () => {
    const err = await rtnl.links.get('no-such-link').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(NetlinkError);
    const e = err as NetlinkError;
    expect(e.code).toBe('ENODEV');
    expect(e.errno).toBe(-19);
    expect(e.syscall).toBe('netlink');
    expect(e.message).toContain('no-such-link');
  });

  it('validates names before anything is sent', async () => {
    await expect(rtnl.links.get('x'.repeat(16))).rejects.toBeInstanceOf(ValidationError);
    await expect(rtnl.links.get('a/b')).rejects.toThrow(/name/);
  });

  it('fails plainly for a namespace that does not exist', () => {
    let err: unknown;
    try {
      Rtnl.open({ netns: 'nlt-does-not-exist-ns' });
    } catch (e) {
      err = e;
    }
    expect((err as NodeJS.ErrnoException).code).toBe('ENOENT');
    expect((err as NodeJS.ErrnoException).syscall).toBe('open');
    expect(() => Rtnl.open({ netns: '../etc' })).toThrow(ValidationError);
  });
});
