// Ipvs.batch on the UML kernel: thousands of ops in a few sendmsg calls with
// one result per op, failures confined to their op, validation before any
// send, and edits merged with state read once up front.
import { describe, it, expect, beforeAll, afterAll, beforeEach } from 'vitest';
import { Ipvs, NetlinkError, ValidationError, type IpvsOp, type ServiceKey } from '../../lib/index.js';
import { makeNetns, nsExec, ipIn } from '../helpers/netns.js';

let ns: string;
let ipvs: Ipvs;

const adm = (...args: string[]): string => nsExec(ns, 'ipvsadm', ...args);
const saved = (): string[] => adm('-Sn').split('\n').filter((l) => l !== '').sort();
const key = (i: number): ServiceKey => ({ protocol: 'tcp', address: `198.18.${i >> 8}.${i & 255}`, port: 80 });

/** 2000 services, each with two destinations: 6000 ops. */
function bigBatch(): IpvsOp[] {
  const ops: IpvsOp[] = [];
  for (let i = 0; i < 2000; i++) {
    ops.push({ op: 'addService', service: { ...key(i), scheduler: 'rr' } });
    ops.push({ op: 'addDestination', service: key(i), destination: { address: '192.0.2.10', weight: 2 } });
    ops.push({ op: 'addDestination', service: key(i), destination: { address: '192.0.2.11', forward: 'masq', port: 8080 } });
  }
  return ops;
}

beforeAll(() => {
  ns = makeNetns('ipvs-batch');
  ipIn(ns, 'link', 'add', 'd0', 'type', 'dummy');
  ipIn(ns, 'link', 'set', 'd0', 'up');
  ipIn(ns, 'addr', 'add', '192.0.2.1/24', 'dev', 'd0');
  ipvs = Ipvs.open({ netns: ns });
});

afterAll(() => ipvs?.close());

beforeEach(async () => {
  await ipvs.flush();
});

describe('Ipvs.batch', () => {
  it('2000 services × 2 destinations in one call: every op ok, a handful of sendmsg calls, ipvsadm sees them all', async () => {
    const ops = bigBatch();
    await ipvs.info(); // resolve the family first, so the counters below are the batch alone
    const before = { ...ipvs.conn.counters };
    const results = await ipvs.batch(ops);
    expect(results).toHaveLength(ops.length);
    expect(results.every((r) => r.ok)).toBe(true);
    expect(ipvs.conn.counters.messages - before.messages).toBe(ops.length);
    // 16 KiB per sendmsg (~150 operations each), never one sendmsg per operation.
    expect(ipvs.conn.counters.sends - before.sends).toBeLessThanOrEqual(ops.length / 100);
    // And one ack per sendmsg, not one per operation.
    expect(ipvs.conn.counters.datagrams - before.datagrams).toBeLessThanOrEqual(ipvs.conn.counters.sends - before.sends);

    const lines = saved();
    expect(lines).toHaveLength(6000);
    expect(lines).toContain('-A -t 198.18.7.207:80 -s rr');
    expect(lines).toContain('-a -t 198.18.7.207:80 -r 192.0.2.10:80 -g -w 2');
    expect(lines).toContain('-a -t 198.18.7.207:80 -r 192.0.2.11:8080 -m -w 1');
    const snap = await ipvs.snapshot();
    expect(snap).toHaveLength(2000);
    expect(snap.every((s) => s.destinations.length === 2)).toBe(true);
  });

  it('a failing op in the middle gets its own error; the others still go through', async () => {
    const ops = bigBatch().slice(0, 300);
    ops.splice(150, 0, { op: 'addService', service: key(10) }); // a duplicate
    // Another last: the last message of its sendmsg, the one that asks for the send's ack.
    ops.push({ op: 'addService', service: key(20) });
    const results = await ipvs.batch(ops);
    const failed = results.flatMap((r, i) => (r.ok ? [] : [i]));
    expect(failed).toEqual([150, 301]);
    const r = results[150]!;
    expect(!r.ok && r.error).toBeInstanceOf(NetlinkError);
    expect(!r.ok && (r.error as NetlinkError).code).toBe('EEXIST');
    expect(!r.ok && r.error.message).toMatch(/service 198\.18\.0\.10:80\/tcp already exists \(EEXIST\)$/);
    expect(saved()).toHaveLength(300);
  });

  it('stopOnError: nothing is sent after a failure (what shared its sendmsg still runs: the kernel goes on)', async () => {
    const ops = bigBatch().slice(0, 30);
    ops.splice(10, 0, { op: 'addDestination', service: key(1), destination: { address: '192.0.2.10' } }); // duplicate destination
    const results = await ipvs.batch(ops, { stopOnError: true });
    expect(results.slice(0, 10).every((r) => r.ok)).toBe(true);
    const bad = results[10]!;
    expect(!bad.ok && (bad.error as NetlinkError).code).toBe('EEXIST');
    expect(!bad.ok && bad.error.message).toMatch(/destination 192\.0\.2\.10:80 already exists in service 198\.18\.0\.1:80\/tcp/);
    const after = results.slice(11);
    expect(after.every((r) => r.ok || r.skipped)).toBe(true);
    expect(saved().length).toBe(10 + after.filter((r) => r.ok).length);

    // An edit of a service the state read says is missing fails before sending: the rest is skipped.
    await ipvs.flush();
    const r2 = await ipvs.batch([
      { op: 'addService', service: key(1) },
      { op: 'editService', service: { ...key(999), scheduler: 'rr' } },
      { op: 'addService', service: key(2) },
    ], { stopOnError: true });
    expect(r2[0]!.ok).toBe(true);
    expect(!r2[1]!.ok && (r2[1]!.error as NetlinkError).code).toBe('ESRCH');
    expect(!r2[2]!.ok && r2[2]!.skipped).toBe(true);
    expect(saved()).toEqual(['-A -t 198.18.0.1:80 -s wlc']);
  });

  // Past one chunk (2048 ops) a plain batch keeps no steps: each chunk's are made again as it is written.
  it('a long batch: a failure in a later chunk gets its own error; with stopOnError the rest is skipped, each in its own words', async () => {
    const ops = bigBatch();
    ops.splice(5000, 0, { op: 'addService', service: key(10) }); // a duplicate, in the third chunk
    const results = await ipvs.batch(ops);
    expect(results.flatMap((r, i) => (r.ok ? [] : [i]))).toEqual([5000]);
    const dup = results[5000]!;
    expect(!dup.ok && dup.error.message).toMatch(/service 198\.18\.0\.10:80\/tcp already exists \(EEXIST\)$/);
    expect(saved()).toHaveLength(6000);

    await ipvs.flush();
    const stopped = await ipvs.batch(ops, { stopOnError: true });
    expect(stopped.slice(0, 5000).every((r) => r.ok)).toBe(true);
    expect(!stopped[5000]!.ok && (stopped[5000]!.error as NetlinkError).code).toBe('EEXIST');
    // Only what shared the failing op's sendmsg (at most 256 messages) ran after it.
    expect(stopped.slice(5001).filter((r) => r.ok).length).toBeLessThan(256);
    const last = stopped[6000]!;
    expect(!last.ok && last.skipped && last.error.message).toBe('add destination 192.0.2.11:8080 to service 198.18.7.207:80/tcp: not sent, an earlier operation failed');
  });

  it('a long batch with an edit keeps its steps, and the edit merges with the add made earlier in it', async () => {
    const ops = bigBatch();
    ops.push({ op: 'editDestination', service: key(1999), destination: { address: '192.0.2.11', port: 8080, weight: 7 } });
    const results = await ipvs.batch(ops);
    expect(results.every((r) => r.ok)).toBe(true);
    expect(saved()).toContain('-a -t 198.18.7.207:80 -r 192.0.2.11:8080 -m -w 7');
  });

  it('a long batch sends its ops as they were checked: changing one afterwards changes nothing', async () => {
    const ops = bigBatch();
    const running = ipvs.batch(ops);
    // Checked and encoded already (the first slice is checked before batch() returns).
    ops[100] = { op: 'addDestination', service: key(33), destination: { address: '192.0.2.10', weight: -1 } };
    const results = await running;
    expect(results.every((r) => r.ok)).toBe(true);
    expect(saved()).toContain('-a -t 198.18.0.33:80 -r 192.0.2.10:80 -g -w 2');
  });

  it('a long batch of every plain kind (fwmark, IPv6, deletes, zero) leaves what the same ops one by one would', async () => {
    const ops: IpvsOp[] = bigBatch().slice(0, 2100);
    ops.push(
      { op: 'addService', service: { fwmark: 7, scheduler: 'wlc' } },
      { op: 'addDestination', service: { fwmark: 7 }, destination: { address: '192.0.2.20', weight: 3 } },
      { op: 'addService', service: { protocol: 'udp', address: '2001:db8::1', port: 53, scheduler: 'sh', flags: { shPort: true } } },
      { op: 'addDestination', service: { protocol: 'udp', address: '2001:db8::1', port: 53 }, destination: { address: '2001:db8::10', forward: 'masq', port: 5353 } },
      { op: 'deleteDestination', service: key(5), destination: { address: '192.0.2.11', port: 8080 } },
      { op: 'deleteService', service: key(6) },
      { op: 'zero' },
    );
    const results = await ipvs.batch(ops);
    expect(results.flatMap((r, i) => (r.ok ? [] : [i]))).toEqual([]);
    const lines = saved();
    expect(lines).toContain('-A -f 7 -s wlc');
    expect(lines).toContain('-a -f 7 -r 192.0.2.20:0 -g -w 3');
    expect(lines).toContain('-A -u [2001:db8::1]:53 -s sh -b sh-port');
    expect(lines).toContain('-a -u [2001:db8::1]:53 -r [2001:db8::10]:5353 -m -w 1');
    expect(lines).not.toContain('-a -t 198.18.0.5:80 -r 192.0.2.11:8080 -m -w 1');
    expect(lines.some((l) => l.includes('198.18.0.6:80'))).toBe(false);
    expect(lines).toHaveLength(2100 - 1 - 3 + 4);
  });

  it('a validation error in op #1500 sends nothing', async () => {
    const ops = bigBatch();
    ops[1500] = { op: 'addDestination', service: key(500), destination: { address: '192.0.2.10', weight: -5 } };
    const before = ipvs.conn.counters.sends;
    const err = await ipvs.batch(ops).then(() => undefined, (e: unknown) => e);
    expect(err).toBeInstanceOf(ValidationError);
    expect((err as ValidationError).field).toBe('ops[1500].destination.weight');
    expect(ipvs.conn.counters.sends).toBe(before);
    expect(saved()).toEqual([]);
  });

  it('edits merge with the state read once up front; objects made earlier in the batch need no read', async () => {
    await ipvs.batch(bigBatch().slice(0, 30)); // services 0..9
    const before = { ...ipvs.conn.counters };
    const results = await ipvs.batch([
      { op: 'addService', service: { ...key(100), scheduler: 'sh', persistent: 30 } },
      { op: 'editService', service: { ...key(100), flags: { shPort: true } } },
      { op: 'addDestination', service: key(100), destination: { address: '192.0.2.12', forward: 'tunnel', tunnel: { type: 'gue', port: 6080 } } },
      { op: 'editDestination', service: key(100), destination: { address: '192.0.2.12', weight: 9 } },
    ]);
    expect(results.every((r) => r.ok)).toBe(true);
    // Four writes, plus one read-back dump for the gue tunnel: no state read.
    expect(ipvs.conn.counters.messages - before.messages).toBe(5);
    expect(saved()).toContain('-A -t 198.18.0.100:80 -s sh -p 30 -b sh-port');
    expect(saved()).toContain('-a -t 198.18.0.100:80 -r 192.0.2.12:80 -i -w 9 --tun-type gue --tun-port 6080 --tun-nocsum');

    // Edits of objects that existed before the batch: their fields left out stay.
    const edits: IpvsOp[] = [];
    for (let i = 0; i < 10; i++) {
      edits.push({ op: 'editService', service: { ...key(i), persistent: 60 } });
      edits.push({ op: 'editDestination', service: key(i), destination: { address: '192.0.2.11', port: 8080, weight: 0 } });
    }
    edits.push({ op: 'editDestination', service: key(1), destination: { address: '192.0.2.99', weight: 1 } });
    edits.push({ op: 'editService', service: { ...key(999), scheduler: 'rr' } });
    const r2 = await ipvs.batch(edits);
    expect(r2.slice(0, 20).every((r) => r.ok)).toBe(true);
    const [noDest, noService] = r2.slice(20);
    expect(!noDest!.ok && (noDest!.error as NetlinkError).code).toBe('ENOENT');
    expect(!noDest!.ok && noDest!.error.message).toMatch(/no such destination 192\.0\.2\.99:80 in service 198\.18\.0\.1:80\/tcp/);
    expect(!noService!.ok && (noService!.error as NetlinkError).code).toBe('ESRCH');
    const lines = saved();
    expect(lines).toContain('-A -t 198.18.0.3:80 -s rr -p 60');
    expect(lines).toContain('-a -t 198.18.0.3:80 -r 192.0.2.11:8080 -m -w 0');
    expect(lines).toContain('-a -t 198.18.0.3:80 -r 192.0.2.10:80 -g -w 2');
  });

  it('readBack: true reads every add and edit back; on this kernel nothing differs', async () => {
    const ops: IpvsOp[] = [
      { op: 'addService', service: { ...key(1), scheduler: 'sh', persistent: 60, netmask: '255.255.255.0', flags: { shPort: true, onePacket: true } } },
      { op: 'addService', service: { protocol: 'udp', address: '2001:db8::1', port: 53, scheduler: 'mh', persistent: 30, netmask: 64, pe: 'sip', flags: { mhFallback: true } } },
      { op: 'addService', service: { fwmark: 4, family: 6 } },
      { op: 'addDestination', service: key(1), destination: { address: '192.0.2.10', forward: 'tunnel', weight: 0, tunnel: { type: 'gue', port: 6080, checksum: 'remcsum' } } },
      { op: 'addDestination', service: key(1), destination: { address: '2001:db8::10', forward: 'tunnel', upperThreshold: 9, lowerThreshold: 3 } },
      { op: 'addDestination', service: key(1), destination: { address: '192.0.2.11', forward: 'local' } },
      { op: 'addDestination', service: { fwmark: 4, family: 6 }, destination: { address: '2001:db8::12', forward: 'masq', port: 8080 } },
      { op: 'editService', service: { ...key(1), scheduler: 'rr' } },
      { op: 'editDestination', service: key(1), destination: { address: '192.0.2.10', tunnel: { type: 'gre', checksum: 'csum' } } },
    ];
    // One socket only, so that its counters see every request.
    using one = Ipvs.open({ netns: ns, dumpSockets: 0 });
    await one.info();
    const before = one.conn.counters.messages;
    const results = await one.batch(ops, { readBack: true });
    expect(results.filter((r) => !r.ok)).toEqual([]);
    // 9 writes; then one GET_SERVICE per service written and one GET_DEST dump per service with destinations written.
    expect(one.conn.counters.messages - before).toBe(9 + 3 + 2);
    expect(saved()).toContain('-a -t 198.18.0.1:80 -r 192.0.2.10:80 -i -w 0 --tun-type gre --tun-csum');
  });

  it('zero, delete and flush ops', async () => {
    await ipvs.batch(bigBatch().slice(0, 9));
    const results = await ipvs.batch([
      { op: 'zero', service: key(0) },
      { op: 'zero' },
      { op: 'deleteDestination', service: key(0), destination: { address: '192.0.2.10' } },
      { op: 'deleteService', service: key(1) },
    ]);
    expect(results.every((r) => r.ok)).toBe(true);
    expect(saved()).toEqual([
      '-A -t 198.18.0.0:80 -s rr',
      '-A -t 198.18.0.2:80 -s rr',
      '-a -t 198.18.0.0:80 -r 192.0.2.11:8080 -m -w 1',
      '-a -t 198.18.0.2:80 -r 192.0.2.10:80 -g -w 2',
      '-a -t 198.18.0.2:80 -r 192.0.2.11:8080 -m -w 1',
    ]);
    const flushed = await ipvs.batch([{ op: 'flush' }, { op: 'addService', service: key(5) }]);
    expect(flushed.every((r) => r.ok)).toBe(true);
    expect(saved()).toEqual(['-A -t 198.18.0.5:80 -s wlc']);
  });
});
