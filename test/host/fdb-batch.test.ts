// rtnl.batch on the real kernel: head-end replication (200 all-zero-MAC
// remotes in one batch), mixed operations with per-operation results in
// order, stopOnError, and validation that sends nothing at all.
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { Rtnl, NetlinkError, ValidationError, type RtnlOperation } from '../../lib/index.js';
import { makeNetns, ipIn, ipJson, sh } from '../helpers/netns.js';

interface BridgeFdb {
  mac: string;
  dst?: string;
  flags: string[];
  state: string;
}

let ns: string;
let rtnl: Rtnl;
const ZERO = '00:00:00:00:00:00';

function fdbOf(dev: string): BridgeFdb[] {
  const out = sh('bridge', ['-n', ns, '-j', 'fdb', 'show', 'dev', dev]);
  return out.trim() === '' ? [] : (JSON.parse(out) as BridgeFdb[]);
}
const remote = (i: number): string => `198.18.${i >> 8}.${(i & 0xff) + 1}`;

beforeAll(() => {
  ns = makeNetns('fdbbatch');
  ipIn(ns, 'link', 'add', 'vxlan42', 'type', 'vxlan', 'id', '42', 'dstport', '4789', 'local', '192.0.2.1', 'nolearning');
  ipIn(ns, 'link', 'add', 'vbr0', 'type', 'bridge');
  ipIn(ns, 'link', 'set', 'vxlan42', 'up');
  ipIn(ns, 'link', 'set', 'vbr0', 'up');
  rtnl = Rtnl.open({ netns: ns });
});
afterAll(() => rtnl?.close());

describe('head-end replication', () => {
  it('200 all-zero-MAC appends with distinct dst in one batch, in a couple of sendmsg calls', async () => {
    const ops: RtnlOperation[] = Array.from({ length: 200 }, (_, i) => ({ op: 'fdb.append', dev: 'vxlan42', mac: ZERO, dst: remote(i), self: true, state: 'permanent' }));
    const sendsBefore = rtnl.conn.counters.sends;
    const results = await rtnl.batch(ops);
    // One get for the one device name, then 200 messages in 16 KiB sendmsg chunks (~12 KiB here).
    expect(rtnl.conn.counters.sends - sendsBefore).toBeLessThanOrEqual(3);
    expect(results).toHaveLength(200);
    expect(results.every((r) => r.ok)).toBe(true);
    const shown = fdbOf('vxlan42').filter((e) => e.mac === ZERO);
    expect(shown).toHaveLength(200);
    expect(new Set(shown.map((e) => e.dst))).toEqual(new Set(ops.map((_, i) => remote(i))));
    expect(shown.every((e) => e.state === 'permanent' && e.flags.includes('self'))).toBe(true);
    // The library reads the same 200.
    const mine = (await rtnl.fdb.list({ dev: 'vxlan42' })).filter((e) => e.mac === ZERO);
    expect(new Set(mine.map((e) => e.dst))).toEqual(new Set(shown.map((e) => e.dst)));
  });

  it('deleting one (mac + dst) removes only that remote', async () => {
    await rtnl.fdb.delete({ dev: 'vxlan42', mac: ZERO, dst: remote(77) });
    const dsts = fdbOf('vxlan42').filter((e) => e.mac === ZERO).map((e) => e.dst);
    expect(dsts).toHaveLength(199);
    expect(dsts).not.toContain(remote(77));
    expect(dsts).toContain(remote(76));
    expect(dsts).toContain(remote(78));
  });
});

describe('mixed batches', () => {
  it('one result per operation, in order; a failure in the middle does not stop the rest', async () => {
    const results = await rtnl.batch([
      { op: 'address.add', dev: 'vbr0', address: '192.0.2.10/24' },
      { op: 'address.add', dev: 'vbr0', address: '192.0.2.10/24' }, // EEXIST
      { op: 'route.add', dst: '198.51.100.0/24', gateway: '192.0.2.244' },
      { op: 'neighbour.add', dev: 'vbr0', dst: '192.0.2.50', lladdr: '02:00:00:00:00:50' },
      { op: 'fdb.add', dev: 'vxlan42', mac: '02:00:00:00:00:60', dst: '198.51.100.60' },
    ]);
    expect(results.map((r) => r.ok)).toEqual([true, false, true, true, true]);
    const failed = results[1] as { ok: false; error: NetlinkError };
    expect(failed.error).toBeInstanceOf(NetlinkError);
    expect(failed.error.code).toBe('EEXIST');
    // The kernel's extack ("ipv4: Address already assigned") leads the message; the operation names the object.
    expect(failed.error.message).toContain('add address 192.0.2.10/24 on vbr0');
    expect(failed.error.extack).toMatch(/already/i);
    const routes = ipJson<Array<{ dst: string; gateway?: string }>>(ns, 'route', 'show', '198.51.100.0/24');
    expect(routes).toEqual([expect.objectContaining({ dst: '198.51.100.0/24', gateway: '192.0.2.244' })]);
    expect(ipJson<Array<{ dst: string; lladdr: string }>>(ns, 'neigh', 'show', 'dev', 'vbr0')).toContainEqual(
      expect.objectContaining({ dst: '192.0.2.50', lladdr: '02:00:00:00:00:50' }),
    );
    expect(fdbOf('vxlan42').some((e) => e.mac === '02:00:00:00:00:60')).toBe(true);
  });

  it('stopOnError: nothing after the first failure is sent', async () => {
    const results = await rtnl.batch(
      [
        { op: 'address.add', dev: 'vbr0', address: '192.0.2.11/24' },
        { op: 'address.add', dev: 'vbr0', address: '192.0.2.11/24' }, // EEXIST
        { op: 'address.add', dev: 'vbr0', address: '192.0.2.12/24' },
        { op: 'fdb.add', dev: 'vxlan42', mac: '02:00:00:00:00:61', dst: '198.51.100.61' },
      ],
      { stopOnError: true },
    );
    expect(results.map((r) => r.ok)).toEqual([true, false, false, false]);
    expect(results.map((r) => (r.ok ? undefined : r.skipped === true))).toEqual([undefined, false, true, true]);
    const addrs = ipJson<Array<{ addr_info: Array<{ local: string }> }>>(ns, 'addr', 'show', 'dev', 'vbr0')[0]!.addr_info.map((a) => a.local);
    expect(addrs).toContain('192.0.2.11');
    expect(addrs).not.toContain('192.0.2.12');
    expect(fdbOf('vxlan42').some((e) => e.mac === '02:00:00:00:00:61')).toBe(false);
  });

  it('a validation error in any operation sends nothing, and names the operation and field', async () => {
    const before = { fdb: fdbOf('vxlan42').length, addr: sh('ip', ['-n', ns, 'addr', 'show', 'dev', 'vbr0']) };
    const sends = rtnl.conn.counters.sends;
    const ops: RtnlOperation[] = [
      { op: 'address.add', dev: 'vbr0', address: '192.0.2.13/24' },
      { op: 'fdb.append', dev: 'vxlan42', mac: ZERO, dst: '198.51.100.99' },
      { op: 'fdb.append', dev: 'vxlan42', mac: ZERO, dst: '198.51.100.98', vni: 1 << 24 },
    ];
    const err = (await rtnl.batch(ops).catch((e: unknown) => e)) as ValidationError;
    expect(err).toBeInstanceOf(ValidationError);
    expect(err.field).toBe('ops[2].vni');
    const bad: RtnlOperation[] = [{ op: 'route.add', dst: '198.51.100.0/33' }];
    expect(((await rtnl.batch(bad).catch((e: unknown) => e)) as ValidationError).field).toBe('ops[0].dst');
    const unknownOp = [{ op: 'link.teleport', name: 'x' }] as unknown as RtnlOperation[];
    expect(((await rtnl.batch(unknownOp).catch((e: unknown) => e)) as ValidationError).field).toBe('ops[0].op');
    expect(rtnl.conn.counters.sends).toBe(sends);
    // An unknown device name is found before sending too.
    const nodev = (await rtnl.batch([ops[0]!, { op: 'fdb.append', dev: 'nope0', mac: ZERO, dst: '198.51.100.97' }]).catch((e: unknown) => e)) as NetlinkError;
    expect(nodev).toBeInstanceOf(NetlinkError);
    expect(nodev.code).toBe('ENODEV');
    expect(nodev.field).toBe('ops[1].dev');
    expect(fdbOf('vxlan42').length).toBe(before.fdb);
    expect(sh('ip', ['-n', ns, 'addr', 'show', 'dev', 'vbr0'])).toBe(before.addr);
  });

  it('link operations go in the same batch, one result each', async () => {
    const results = await rtnl.batch([
      { op: 'link.create', name: 'vbr1', kind: 'bridge' },
      { op: 'link.create', name: 'vbr0', kind: 'bridge' }, // EEXIST
      { op: 'link.create', name: 'vx43', kind: 'vxlan', id: 43, dstPort: 4789, up: true },
      { op: 'link.set', link: 'vbr1', changes: { up: true, mtu: 1400 } },
      { op: 'fdb.append', dev: 'vxlan42', mac: ZERO, dst: '198.51.100.250' },
      { op: 'link.delete', link: 'vbr1' },
    ] as RtnlOperation[]);
    expect(results.map((r) => r.ok)).toEqual([true, false, true, true, true, true]);
    expect(((results[1] as { error: NetlinkError }).error).code).toBe('EEXIST');
    const links = ipJson<Array<{ ifname: string; mtu: number }>>(ns, 'link', 'show');
    expect(links.map((l) => l.ifname)).toContain('vx43');
    expect(links.map((l) => l.ifname)).not.toContain('vbr1');
    expect(fdbOf('vxlan42').some((e) => e.dst === '198.51.100.250')).toBe(true);
    const bad = (await rtnl.batch([{ op: 'link.create', name: 'x'.repeat(16), kind: 'bridge' }] as RtnlOperation[]).catch((e: unknown) => e)) as ValidationError;
    expect(bad).toBeInstanceOf(ValidationError);
    expect(bad.field).toBe('ops[0].name');
  });
});

describe('long batches (written and sent a chunk of 2048 operations at a time)', () => {
  const mac = (i: number): string => `02:00:5e:00:${((i >> 8) & 0xff).toString(16).padStart(2, '0')}:${(i & 0xff).toString(16).padStart(2, '0')}`;
  const dst = (i: number): string => `198.19.${i >> 8}.${i & 0xff}`;
  const adds = (n: number, dev = 'vxlan42'): RtnlOperation[] =>
    Array.from({ length: n }, (_, i) => ({ op: 'fdb.add', dev, mac: mac(i), dst: dst(i), self: true, state: 'permanent' }) as RtnlOperation);
  const ours = (): BridgeFdb[] => fdbOf('vxlan42').filter((e) => e.mac.startsWith('02:00:5e:'));

  it('5000 adds with failures in the first and last chunks: one result each, in order, and every other entry made', async () => {
    const ops = adds(5000);
    // An entry already there fails with EEXIST wherever it sits; its neighbours go on. 255 and
    // 2047 are the last of a sendmsg (256 messages each), the one that asks for the send's ack.
    const existing = [10, 255, 256, 2047, 4500, 4999];
    for (const i of existing) await rtnl.fdb.add({ dev: 'vxlan42', mac: mac(i), dst: dst(i) });
    const before = { ...rtnl.conn.counters };
    const results = await rtnl.batch(ops);
    expect(results).toHaveLength(5000);
    const failed = results.flatMap((r, i) => (r.ok ? [] : [i]));
    expect(failed).toEqual(existing);
    // One ack per sendmsg and one error per failure, not an ack per operation.
    expect(rtnl.conn.counters.datagrams - before.datagrams).toBeLessThanOrEqual(rtnl.conn.counters.sends - before.sends + existing.length);
    expect((results[4500] as { error: NetlinkError }).error.code).toBe('EEXIST');
    expect((results[4500] as { error: NetlinkError }).error.message).toContain(`add fdb entry ${mac(4500)} dst ${dst(4500)}`);
    expect(ours()).toHaveLength(5000);
    const deleted = await rtnl.batch(ops.map((o) => ({ ...o, op: 'fdb.delete' }) as RtnlOperation));
    expect(deleted.every((r) => r.ok)).toBe(true);
    expect(ours()).toHaveLength(0);
  });

  it('a device name missing only in the last chunk fails the batch before the first chunk is sent', async () => {
    const ops = adds(4100);
    ops[4099] = { ...ops[4099]!, dev: 'nope1' } as RtnlOperation;
    const sends = rtnl.conn.counters.sends;
    const err = (await rtnl.batch(ops).catch((e: unknown) => e)) as NetlinkError;
    expect(err).toBeInstanceOf(NetlinkError);
    expect(err.code).toBe('ENODEV');
    expect(err.field).toBe('ops[4099].dev');
    // Only the lookups of the two names were sent.
    expect(rtnl.conn.counters.sends - sends).toBeLessThanOrEqual(2);
    expect(ours()).toHaveLength(0);
  });
});
