// macvlan round trips on the real kernel (lower links are veths in this
// file's own namespace), checked against `ip -d -j link show`.
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { Rtnl, Macvlan, type MacvlanMode } from '../../lib/index.js';
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
  ns = makeNetns('link-macvlan');
  for (const n of ['l0', 'l1', 'l2', 'l3']) ipIn(ns, 'link', 'add', n, 'type', 'veth', 'peer', 'name', `${n}x`);
  rtnl = Rtnl.open({ netns: ns });
});

afterAll(() => rtnl?.close());

const ipShow = (name: string): IpLink => ipJson<IpLink[]>(ns, '-d', 'link', 'show', 'dev', name)[0]!;

describe('macvlan', () => {
  it.each<MacvlanMode>(['private', 'vepa', 'bridge'])('mode %s, created by the library', async (mode) => {
    const link = await Macvlan.create(rtnl, { name: `mv-${mode}`, link: 'l0', mode, mac: '02:00:00:00:00:0b' });
    expect(link.info.mode).toBe(mode);
    expect(link.link).toBe(ipShow('l0').ifindex);
    const ip = ipShow(`mv-${mode}`);
    expect(ip.link).toBe('l0');
    expect(ip.linkinfo.info_data.mode).toBe(mode);
    await rtnl.links.delete(`mv-${mode}`);
  });

  it('passthru with nopromisc', async () => {
    const link = await Macvlan.create(rtnl, { name: 'mv-pt', link: 'l1', mode: 'passthru', nopromisc: true });
    expect(link.info).toMatchObject({ mode: 'passthru', nopromisc: true, nodst: false });
    expect(ipShow('mv-pt').linkinfo.info_data).toMatchObject({ mode: 'passthru', nopromisc: true });
  });

  it('source mode with its MAC list, then the list replaced', async () => {
    const link = await Macvlan.create(rtnl, { name: 'mv-src', link: 'l2', mode: 'source', nodst: true, sourceMacs: ['02:00:00:00:01:01', '02:00:00:00:01:02'] });
    expect(link.info).toMatchObject({ mode: 'source', nodst: true, sourceMacCount: 2 });
    expect([...link.info.sourceMacs!].sort()).toEqual(['02:00:00:00:01:01', '02:00:00:00:01:02']);
    const ip = ipShow('mv-src').linkinfo.info_data;
    expect(ip).toMatchObject({ mode: 'source', macaddr_count: 2 });
    expect([...(ip.macaddr_data as string[])].sort()).toEqual(['02:00:00:00:01:01', '02:00:00:00:01:02']);
    await Macvlan.set(rtnl, 'mv-src', { sourceMacs: ['02:00:00:00:01:03'] });
    expect((await Macvlan.get(rtnl, 'mv-src')).info.sourceMacs).toEqual(['02:00:00:00:01:03']);
    expect(ipShow('mv-src').linkinfo.info_data.macaddr_data).toEqual(['02:00:00:00:01:03']);
  });

  it('created by ip, read by the library; mode changed by the library', async () => {
    ipIn(ns, 'link', 'add', 'link', 'l3', 'name', 'mv-ip', 'type', 'macvlan', 'mode', 'vepa', 'bcqueuelen', '500');
    const link = await Macvlan.get(rtnl, 'mv-ip');
    const ip = ipShow('mv-ip').linkinfo.info_data;
    expect(link.info).toMatchObject({ mode: ip.mode, bcQueueLen: ip.bcqueuelen, bcQueueLenUsed: ip.usedbcqueuelen, sourceMacCount: ip.macaddr_count ?? 0 });
    expect(link.info.bcQueueLen).toBe(500);
    await Macvlan.set(rtnl, 'mv-ip', { mode: 'private' });
    expect(ipShow('mv-ip').linkinfo.info_data.mode).toBe('private');
  });
});
