// dummy links exist only in the UML kernel here (the host has no dummy
// module). Lean on purpose: UML is slow for syscalls.
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { Rtnl, Dummy, ValidationError } from '../../lib/index.js';
import { makeNetns, ipIn, ipJson } from '../helpers/netns.js';

interface IpLink {
  ifindex: number;
  ifname: string;
  mtu: number;
  address: string;
  flags: string[];
  linkinfo?: { info_kind: string };
}

let ns: string;
let rtnl: Rtnl;
/** What a fresh namespace holds here: lo plus the tunnel modules' fallback devices (tunl0, gre0, ...). */
let baseline: string[];

const names = (): string[] => ipJson<IpLink[]>(ns, 'link', 'show').map((l) => l.ifname).sort();

beforeAll(() => {
  ns = makeNetns('link-dummy');
  baseline = names();
  rtnl = Rtnl.open({ netns: ns });
});

afterAll(() => rtnl?.close());

describe('dummy', () => {
  it('creates, reads back, lists, changes and deletes a dummy link', async () => {
    const link = await Dummy.create(rtnl, { name: 'd0', mtu: 9000, mac: '02:00:00:00:0d:00', up: true });
    const ip = ipJson<IpLink[]>(ns, '-d', 'link', 'show', 'dev', 'd0')[0]!;
    expect(ip).toMatchObject({ ifindex: link.index, mtu: 9000, address: '02:00:00:00:0d:00', linkinfo: { info_kind: 'dummy' } });
    expect(ip.flags).toContain('UP');
    expect(link).toMatchObject({ kind: 'dummy', mtu: 9000, mac: '02:00:00:00:0d:00', up: true });

    ipIn(ns, 'link', 'add', 'd1', 'type', 'dummy');
    expect((await Dummy.list(rtnl)).map((l) => l.name).sort()).toEqual(['d0', 'd1']);

    await rtnl.links.set('d1', { name: 'd1-new', mtu: 1280, alias: 'spare' });
    expect(await Dummy.get(rtnl, 'd1-new')).toMatchObject({ mtu: 1280, alias: 'spare' });

    await Dummy.delete(rtnl, 'd0');
    await rtnl.links.delete('d1-new');
    expect(names()).toEqual(baseline);
  });

  it('rejects bad input before anything is created', async () => {
    await expect(Dummy.create(rtnl, { name: 'd2', mac: '02:00' })).rejects.toMatchObject({ name: 'ValidationError', field: 'mac' });
    await expect(rtnl.links.set('lo', { kind: 'dummy' } as never)).rejects.toBeInstanceOf(ValidationError);
    expect(names()).toEqual(baseline);
  });
});
