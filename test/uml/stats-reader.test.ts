// The stats reader on the UML kernel (IPVS): counters move when HTTP requests
// go through a NAT virtual service (test/helpers/lvs-topology.ts) and match
// `ipvsadm -Ln --stats --exact`; services and real servers that come and go
// between polls are reported and their slots reused; and a poll allocates
// nothing once warm (10,000 polls, measured on the V8 heap).
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import v8 from 'node:v8';
import { PerformanceObserver, performance } from 'node:perf_hooks';
import { Ipvs, type ServiceKey } from '../../lib/index.js';
import { StatsReader, type PollResult } from '../../lib/hotpath/stats-reader.js';
import { IPVS_STRIDE, IPVS_RATE_STRIDE, DESTINATION_GAUGE_STRIDE } from '../../lib/hotpath/ipvs-slots.js';
import { LINK_COUNTERS, LINK_STRIDE } from '../../lib/hotpath/link-slots.js';
import { ipJson, nsExec } from '../helpers/netns.js';
import { buildNatTopology, httpGets, eventually, type NatTopology } from '../helpers/lvs-topology.js';

let t: NatTopology;
let ipvs: Ipvs;
let reader: StatsReader;
const web: ServiceKey = { protocol: 'tcp', address: '203.0.113.100', port: 80 };

/** `ipvsadm -Ln --stats --exact` in the director: "TCP 203.0.113.100:80" / "-> 192.0.2.11:80" → five counters. */
function ipvsadmStats(): Map<string, bigint[]> {
  const rows = new Map<string, bigint[]>();
  for (const line of nsExec(t.director, 'ipvsadm', '-Ln', '--stats', '--exact').split('\n').slice(3)) {
    const cols = line.trim().split(/\s+/);
    if (cols.length === 7) rows.set(`${cols[0]} ${cols[1]}`, cols.slice(2).map(BigInt));
  }
  return rows;
}

/** The live slot whose labels match. */
function serviceSlot(address: string, port: number): number {
  const s = reader.services!;
  for (let slot = 0; slot < s.table.highWater; slot++) {
    const l = s.labels[slot];
    if (s.table.live[slot] === 1 && l?.address === address && l.port === port) return slot;
  }
  return -1;
}

const five = (a: BigUint64Array, slot: number): bigint[] => [...a.subarray(slot * IPVS_STRIDE, slot * IPVS_STRIDE + 5)];

beforeAll(async () => {
  t = await buildNatTopology('sr');
  ipvs = Ipvs.open({ netns: t.director });
  await ipvs.addService({ ...web, scheduler: 'rr' });
  await ipvs.addDestination(web, { address: t.realAIp, forward: 'masq' });
  await ipvs.addDestination(web, { address: t.realBIp, forward: 'masq', weight: 3 });
  reader = await StatsReader.open({ netns: t.director, links: ['ext0', 'br-rs'] });
});

afterAll(() => {
  reader?.close();
  ipvs?.close();
});

describe('stats reader on real traffic', () => {
  it('reads counters that move with HTTP requests through the VIP and match ipvsadm --stats --exact', async () => {
    const first = reader.pollSync();
    expect(first.services).toBe(1);
    expect(first.destinations).toBe(2);
    const answers = await httpGets(t.client, `http://${t.vip}/`, 4);
    expect(answers.every((a) => a.server !== undefined)).toBe(true);
    // The kernel folds its per-CPU counters into what it reports every 2 s.
    await eventually(() => {
      reader.pollSync();
      const slot = serviceSlot(t.vip, 80);
      expect(reader.services!.counters[slot * IPVS_STRIDE]).toBe(4n);
      const oracle = ipvsadmStats();
      expect(five(reader.services!.counters, slot)).toEqual(oracle.get(`TCP ${t.vip}:80`));
      const d = reader.destinations!;
      let seen = 0;
      for (let ds = 0; ds < d.table.highWater; ds++) {
        if (d.table.live[ds] !== 1) continue;
        seen++;
        const l = d.labels[ds]!;
        expect(l.service).toBe(slot);
        expect(five(d.counters, ds)).toEqual(oracle.get(`-> ${l.address}:${l.port}`));
        expect(d.counters[ds * IPVS_STRIDE]).toBe(2n); // round robin: two each
        expect(d.gauges[ds * DESTINATION_GAUGE_STRIDE]).toBe(l.address === t.realBIp ? 3 : 1);
      }
      expect(seen).toBe(2);
      // NAT: the replies come back through the director.
      expect(reader.services!.counters[slot * IPVS_STRIDE + 2]).toBeGreaterThan(0n);
    }, 15_000);
  });

  it('reads link stats64 of the chosen links as `ip -s link` does', async () => {
    expect([...reader.links.names]).toEqual(['ext0', 'br-rs']);
    await eventually(() => {
      reader.pollSync();
      const ip = ipJson<Array<{ stats64: { rx: { bytes: number; packets: number }; tx: { bytes: number; packets: number } } }>>(t.director, '-s', 'link', 'show', 'ext0')[0]!.stats64;
      const field = (name: (typeof LINK_COUNTERS)[number]): bigint => reader.links.counters[LINK_COUNTERS.indexOf(name)]!;
      expect([field('rx_packets'), field('rx_bytes'), field('tx_packets'), field('tx_bytes')]).toEqual(
        [ip.rx.packets, ip.rx.bytes, ip.tx.packets, ip.tx.bytes].map(BigInt),
      );
      expect(field('rx_packets')).toBeGreaterThan(0n);
    });
    expect(reader.links.present[1]).toBe(1);
    expect(reader.links.counters[LINK_STRIDE + LINK_COUNTERS.indexOf('rx_packets')]).toBeGreaterThan(0n);
  });

  it('computes per-second rates between polls', async () => {
    const slot = serviceSlot(t.vip, 80);
    const counters = reader.services!.counters;
    reader.pollSync();
    const start = counters[slot * IPVS_STRIDE]!;
    let previous = start;
    await httpGets(t.client, `http://${t.vip}/`, 2);
    const deadline = Date.now() + 10_000;
    let sawRate = false;
    while (counters[slot * IPVS_STRIDE] !== start + 2n && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 300));
      const r = reader.pollSync();
      const now = counters[slot * IPVS_STRIDE]!;
      // Each poll's rate is the change since the previous poll over the time between them.
      expect(r.elapsed).toBeGreaterThan(0.2);
      expect(reader.services!.rates[slot * IPVS_RATE_STRIDE]).toBeCloseTo(Number(now - previous) / r.elapsed, 6);
      if (now > previous) sawRate = true;
      previous = now;
    }
    expect(counters[slot * IPVS_STRIDE]).toBe(start + 2n);
    expect(sawRate).toBe(true);
  });
});

describe('services and real servers that come and go', () => {
  const extra: ServiceKey = { protocol: 'udp', address: '203.0.113.100', port: 53 };
  const other: ServiceKey = { protocol: 'udp', address: '203.0.113.100', port: 54 };

  it('are listed as added and removed, and a freed slot is reused only by a later poll, with a new generation', async () => {
    reader.pollSync();
    await ipvs.addService({ ...extra, scheduler: 'rr' });
    await ipvs.addDestination(extra, { address: t.realAIp, forward: 'masq' });
    let r: PollResult = reader.pollSync();
    const s = reader.services!;
    const d = reader.destinations!;
    expect(r.changed).toBe(true);
    expect(s.table.addedCount).toBe(1);
    const slot = s.table.added[0]!;
    expect(s.labels[slot]).toMatchObject({ protocol: 'udp', port: 53, scheduler: 'rr' });
    expect(d.table.addedCount).toBe(1);
    const destSlot = d.table.added[0]!;
    expect(d.service[destSlot]).toBe(slot);
    const generation = s.table.generation[slot]!;

    r = reader.pollSync();
    expect(r.changed).toBe(false);

    // Deleted and another one added before the next poll: the deleted one is
    // removed in this poll, and its slot is not given to the new one yet.
    await ipvs.deleteService(extra);
    await ipvs.addService({ ...other, scheduler: 'wrr' });
    r = reader.pollSync();
    expect([...s.table.removed.subarray(0, s.table.removedCount)]).toEqual([slot]);
    expect(s.labels[slot]).toMatchObject({ port: 53 }); // still readable after removal
    expect([...d.table.removed.subarray(0, d.table.removedCount)]).toEqual([destSlot]);
    expect(s.table.addedCount).toBe(1);
    const otherSlot = s.table.added[0]!;
    expect(otherSlot).not.toBe(slot);
    expect(r.services).toBe(2);

    // The next newcomer takes the freed slot.
    await ipvs.addService({ ...extra, port: 55, scheduler: 'rr' });
    r = await reader.poll();
    expect(r).toBe(reader.result);
    expect([...s.table.added.subarray(0, s.table.addedCount)]).toEqual([slot]);
    expect(s.table.generation[slot]).toBe(generation + 1);
    expect(s.labels[slot]).toMatchObject({ port: 55 });
    expect(r.services).toBe(3);

    await ipvs.deleteService(other);
    await ipvs.deleteService({ ...extra, port: 55 });
    r = reader.pollSync();
    expect(r.services).toBe(1);
    expect(s.table.removedCount).toBe(2);
  });
});

describe('allocation', () => {
  const newSpace = (): number => v8.getHeapSpaceStatistics().find((s) => s.space_name === 'new_space')!.space_used_size;

  /**
   * Bytes allocated on the young heap by `work`. A GC during the work would
   * hide allocations, so a run that saw one is repeated (up to 5 times).
   */
  async function measure(work: () => void | Promise<void>): Promise<{ bytes: number; gcs: number }> {
    let result = { bytes: 0, gcs: 0 };
    for (let attempt = 0; attempt < 5; attempt++) {
      const gcs: number[] = [];
      const observer = new PerformanceObserver((list) => gcs.push(...list.getEntries().map((e) => e.startTime)));
      observer.observe({ entryTypes: ['gc'] });
      const empty = newSpace();
      const baseline = newSpace() - empty; // what measuring itself costs
      const from = performance.now();
      const before = newSpace();
      await work();
      const after = newSpace();
      const to = performance.now();
      await new Promise((r) => setTimeout(r, 100));
      observer.disconnect();
      result = { bytes: after - before - baseline, gcs: gcs.filter((at) => at >= from && at <= to).length };
      if (result.gcs === 0) break;
    }
    return result;
  }

  it('pollSync() allocates nothing after warm-up: 10,000 polls, no GC, no young-heap growth', async () => {
    for (let i = 0; i < 5000; i++) reader.pollSync();
    const { bytes, gcs } = await measure(() => {
      for (let i = 0; i < 10_000; i++) reader.pollSync();
    });
    console.log(`pollSync: ${bytes} bytes on the young heap over 10,000 polls, ${gcs} GCs`);
    expect(gcs).toBe(0);
    // The smallest JS object takes 12 bytes, so one allocation per poll would
    // show as 120,000 bytes; what is left (a few KB) is one-off (V8 tiering up).
    expect(bytes).toBeLessThan(12_000);
    expect(reader.result.services).toBe(1);
  });

  it('poll(callback) allocates only what Node costs per native completion, whatever the table size', async () => {
    let left = 0;
    let finished: () => void = () => {};
    const done = (err: Error | null): void => {
      if (err) throw err;
      if (--left > 0) reader.poll(done);
      else finished();
    };
    const run = (n: number): Promise<void> =>
      new Promise((resolve) => {
        finished = resolve;
        left = n;
        reader.poll(done);
      });
    await run(2000);
    const { bytes, gcs } = await measure(() => run(2000));
    console.log(`poll(callback): ${(bytes / 2000).toFixed(1)} bytes per poll, ${gcs} GCs`);
    expect(gcs).toBe(0);
    // Three exchanges per poll (links, services, destinations); Node makes ~56
    // bytes each time native code calls into JS from the event loop.
    expect(bytes / 2000).toBeLessThan(400);
  });
});
