// Fault injection: a network namespace deleted (`ip netns del`) while sockets
// into it are open. The kernel keeps a namespace alive while a socket holds
// it, so open handles go on working on the detached namespace; what needs the
// name (a new socket, a link moved there, a tap, a /proc table) fails with a
// typed error naming the path. Nothing crashes, nothing leaks.
import { describe, it, expect } from 'vitest';
import { readdirSync } from 'node:fs';
import { Rtnl, Ipvs, PacketTap, NetlinkError, ValidationError } from '../../lib/index.js';
import { makeNetns, deleteNetns, ipIn } from '../helpers/netns.js';
import { settled, IDLE } from '../reliability/internals.js';

const fdCount = (): number => readdirSync('/proc/self/fd').length;

describe('namespace deleted under open sockets', () => {
  it('open handles keep working; new ones fail with ENOENT; close() releases everything', async () => {
    const fds = fdCount();
    const ns = makeNetns('fault-ns');
    ipIn(ns, 'link', 'add', 'br0', 'type', 'bridge');
    const rtnl = Rtnl.open({ netns: ns });
    const stream = rtnl.watch({ topics: ['link'] });
    await stream.whenReady();
    deleteNetns(ns);

    // The socket pins the namespace: reads and writes still work there.
    expect((await rtnl.links.get('br0')).name).toBe('br0');
    await rtnl.links.create({ kind: 'bridge', name: 'after0' });
    const seen = await stream.next();
    expect(seen.value).toMatchObject({ type: 'link', action: 'new', value: { name: 'after0' } });

    // Anything that opens the namespace by name now fails, typed, with the path.
    const opens: Array<() => unknown> = [
      () => Rtnl.open({ netns: ns }),
      () => Ipvs.open({ netns: ns }),
      () => rtnl.watch({ netns: ns } as never),
    ];
    for (const open of opens) {
      let err: unknown;
      try {
        (open() as { close?(): void }).close?.();
      } catch (e) {
        err = e;
      }
      expect(err, 'opening a deleted namespace must fail').toBeDefined();
      expect(err).toMatchObject({ code: 'ENOENT', errno: -2, syscall: 'open' });
      expect((err as Error).message).toContain(`/run/netns/${ns}`);
    }
    expect(() => PacketTap.open({ netns: ns, interface: 'lo' })).toThrow(expect.objectContaining({ code: 'ENOENT', syscall: 'open' }) as never);
    // Moving a link there needs the namespace file: a system error, nothing sent.
    const sends = rtnl.conn.counters.sends;
    await expect(rtnl.links.create({ kind: 'bridge', name: 'moved0', netns: ns })).rejects.toMatchObject({ code: 'ENOENT' });
    expect(rtnl.conn.counters.sends).toBe(sends);
    expect((await rtnl.links.list()).some((l) => l.name === 'moved0')).toBe(false);

    stream.close();
    expect(await settled(rtnl.conn)).toEqual(IDLE);
    rtnl.close();
    await expect(rtnl.links.get('br0')).rejects.toMatchObject({ code: 'ERR_NL_CLOSED' });
    expect(fdCount()).toBe(fds);
  });

  it('a namespace name that never existed, or a path that is not a namespace: typed errors', async () => {
    expect(() => Rtnl.open({ netns: 'nlt-never-there' })).toThrow(expect.objectContaining({ code: 'ENOENT', syscall: 'open' }) as never);
    // A file that is not a namespace: setns says EINVAL.
    expect(() => Rtnl.open({ netns: '/proc/self/status' })).toThrow(expect.objectContaining({ code: 'EINVAL', syscall: 'setns' }) as never);
    expect(() => Rtnl.open({ netns: '../escape' })).toThrow(ValidationError);
    // And a request on a closed handle is a typed error, not a crash.
    const r = Rtnl.open();
    r.close();
    await expect(r.links.list()).rejects.toMatchObject({ code: 'ERR_NL_CLOSED' });
    await expect(r.addresses.add({ dev: 'lo', address: '198.18.0.1/32' })).rejects.toBeInstanceOf(Error);
    expect(NetlinkError).toBeDefined();
  });
});
