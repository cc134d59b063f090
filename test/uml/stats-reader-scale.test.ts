// The stats reader at scale on the UML kernel: 1000 services × 4 real servers
// (made with `ipvsadm -R`). Every slot is checked against `ipvsadm -Ln`, the
// cost of a poll is measured and printed (kernel exchanges vs parsing in JS),
// and a poll of 5000 objects still allocates nothing once warm.
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { execFileSync } from 'node:child_process';
import v8 from 'node:v8';
import { performance } from 'node:perf_hooks';
import { StatsReader } from '../../lib/hotpath/stats-reader.js';
import { DESTINATION_GAUGE_STRIDE } from '../../lib/hotpath/ipvs-slots.js';
import { makeNetns, nsExec } from '../helpers/netns.js';

const SERVICES = 1000;
const DESTS = 4;
let ns: string;
let reader: StatsReader;

const vip = (i: number): string => `198.18.${i >> 8}.${i & 255}`;

beforeAll(async () => {
  ns = makeNetns('sr-scale');
  let rules = '';
  for (let i = 0; i < SERVICES; i++) {
    rules += `-A -t ${vip(i)}:80 -s wlc\n`;
    for (let d = 0; d < DESTS; d++) rules += `-a -t ${vip(i)}:80 -r 192.0.2.${10 + d}:8080 -m -w ${(i + d) % 7}\n`;
  }
  execFileSync('ip', ['netns', 'exec', ns, 'ipvsadm', '-R'], { input: rules });
  reader = await StatsReader.open({ netns: ns, links: ['lo'], services: 16, destinations: 16 });
});

afterAll(() => reader?.close());

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[xs.length >> 1]!;

describe(`stats reader with ${SERVICES} services × ${DESTS} real servers`, () => {
  it('fills a slot for each, with the weights ipvsadm shows', () => {
    const t0 = performance.now();
    const r = reader.pollSync();
    const first = performance.now() - t0;
    expect(r.services).toBe(SERVICES);
    expect(r.destinations).toBe(SERVICES * DESTS);
    expect(r.grew).toBe(true); // from 16 slots, without losing any
    const weights = new Map<string, number>();
    let service = '';
    for (const line of nsExec(ns, 'ipvsadm', '-Ln').split('\n').slice(3)) {
      const cols = line.trim().split(/\s+/);
      if (cols[0] === 'TCP') service = cols[1]!;
      else if (cols[0] === '->') weights.set(`${service} ${cols[1]}`, Number(cols[3]));
    }
    expect(weights.size).toBe(SERVICES * DESTS);
    const s = reader.services!;
    const d = reader.destinations!;
    let checked = 0;
    for (let slot = 0; slot < d.table.highWater; slot++) {
      if (d.table.live[slot] !== 1) continue;
      const svc = s.labels[d.service[slot]!]!;
      const key = `${svc.address}:${svc.port} ${d.labels[slot]!.address}:${d.labels[slot]!.port}`;
      expect(d.gauges[slot * DESTINATION_GAUGE_STRIDE]).toBe(weights.get(key));
      checked++;
    }
    expect(checked).toBe(SERVICES * DESTS);
    console.log(`first poll (every slot new: labels decoded, GET_DEST requests built): ${first.toFixed(0)} ms`);
  });

  it('measures a poll: kernel exchanges vs parsing, inline and on the reader thread', async () => {
    for (let i = 0; i < 10; i++) reader.pollSync();
    const wall: number[] = [];
    const kernel: number[] = [];
    for (let i = 0; i < 15; i++) {
      const t0 = performance.now();
      const r = reader.pollSync();
      wall.push(performance.now() - t0);
      kernel.push(r.kernelTime * 1000);
    }
    const asyncWall: number[] = [];
    for (let i = 0; i < 10; i++) {
      const t0 = performance.now();
      await reader.poll();
      asyncWall.push(performance.now() - t0);
    }
    const w = median(wall);
    const k = median(kernel);
    console.log(
      `${SERVICES} services × ${DESTS}: pollSync ${w.toFixed(1)} ms (kernel ${k.toFixed(1)} ms, parsing ${(w - k).toFixed(1)} ms); ` +
        `poll() ${median(asyncWall).toFixed(1)} ms wall, of which only the parsing runs on the event loop. ` +
        `Extrapolated to 10k × 4 (one GET_DEST dump per service, linear): ~${((w * 10) / 1000).toFixed(2)} s per poll in UML.`,
    );
    expect(k).toBeGreaterThan(0);
    expect(k).toBeLessThan(w);
  });

  it('allocates nothing per poll at this size once warm', () => {
    const newSpace = (): number => v8.getHeapSpaceStatistics().find((x) => x.space_name === 'new_space')!.space_used_size;
    for (let i = 0; i < 10; i++) reader.pollSync();
    const empty = newSpace();
    const baseline = newSpace() - empty; // what measuring itself costs
    const before = newSpace();
    for (let i = 0; i < 20; i++) reader.pollSync();
    const bytes = newSpace() - before - baseline;
    console.log(`20 polls of ${SERVICES * (DESTS + 1)} objects: ${bytes} bytes on the young heap`);
    // One object per destination per poll would be 20 × 4000 × 12 bytes = 960,000;
    // one per poll, 240 bytes.
    expect(bytes).toBeLessThan(240);
  });
});
