// Fault injection: ENOBUFS on an event socket. A tiny receive buffer and a
// burst of changes make the kernel drop notifications; the stream must say
// so (an `overrun` event) and resync until its view equals a fresh dump —
// every run. npm test does 10 runs; scripts/reliability/faults.sh does 100
// (FAULT_RUNS=100).
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { Rtnl } from '../../lib/index.js';
import type { EventStream, RtnlEvent } from '../../lib/api/events.js';
import type { RtnlOperation } from '../../lib/api/batch.js';
import { makeNetns } from '../helpers/netns.js';

const RUNS = Number(process.env.FAULT_RUNS ?? 10);
let ns: string;
let rtnl: Rtnl;
let writer: Rtnl;

beforeAll(() => {
  ns = makeNetns('fault-ev');
  rtnl = Rtnl.open({ netns: ns });
  writer = Rtnl.open({ netns: ns });
});
afterAll(() => {
  rtnl?.close();
  writer?.close();
});

/** The next event, or undefined when none comes within `ms`. */
async function nextWithin(stream: EventStream, ms: number): Promise<RtnlEvent | undefined> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<undefined>((r) => (timer = setTimeout(() => r(undefined), ms)));
  const r = await Promise.race([stream.next(), timeout]);
  clearTimeout(timer);
  return r === undefined || r.done ? undefined : r.value;
}

const linkKey = (l: { index: number; name: string; mtu?: number }): string => `${l.index}:${l.name}:${l.mtu}`;
const addrKey = (a: { ifindex: number; address: string; prefix: number }): string => `${a.ifindex}:${a.address}/${a.prefix}`;

async function kernelState(): Promise<{ links: string[]; addresses: string[] }> {
  const links = (await rtnl.links.list({ skipStats: true })).map(linkKey).sort();
  const addresses = (await rtnl.addresses.list()).map(addrKey).sort();
  return { links, addresses };
}

function viewState(stream: EventStream): { links: string[]; addresses: string[] } {
  return {
    links: (stream.view('link') as Array<{ index: number; name: string; mtu?: number }>).map(linkKey).sort(),
    addresses: (stream.view('address') as Array<{ ifindex: number; address: string; prefix: number }>).map(addrKey).sort(),
  };
}

/** One burst: create (even runs) or delete (odd runs) `n` bridges and 200 addresses; MTU changes on new bridges. */
function burst(run: number, n: number): RtnlOperation[] {
  const ops: RtnlOperation[] = [];
  const prefix = `fe${run % 2}`;
  if (run % 2 === 0) {
    for (let i = 0; i < n; i++) ops.push({ op: 'link.create', kind: 'bridge', name: `${prefix}x${i}` });
    for (let i = 0; i < n; i++) ops.push({ op: 'link.set', link: `${prefix}x${i}`, changes: { mtu: 1400 + (i % 50) } });
  } else {
    for (let i = 0; i < n; i++) ops.push({ op: 'link.delete', link: `fe0x${i}` });
  }
  // Address notifications are small and cheap to make: many of them, on top.
  for (let i = 0; i < 200; i++) ops.push({ op: run % 2 === 0 ? 'address.add' : 'address.delete', dev: 'lo', address: `198.18.${run % 2 === 0 ? run % 250 : (run - 1) % 250}.${i + 1}/32` });
  return ops;
}

describe(`ENOBUFS on an event socket (${RUNS} runs)`, () => {
  it('every run reports an overrun and resyncs to exactly the kernel state', async () => {
    let overruns = 0;
    let converged = 0;
    const lag: number[] = [];
    for (let run = 0; run < RUNS; run++) {
      const stream = rtnl.watch({ topics: ['link', 'address'], receiveBuffer: 4096 });
      try {
        await stream.whenReady();
        const results = await writer.batch(burst(run, 30));
        expect(results.filter((r) => !r.ok)).toEqual([]);
        // Changes keep coming while the resync runs.
        const during = writer.batch([{ op: 'address.add', dev: 'lo', address: `2001:db8:${run.toString(16)}::1/128` }]);
        let sawOverrun = false;
        const started = Date.now();
        for (;;) {
          const e = await nextWithin(stream, 200);
          if (e?.type === 'overrun') sawOverrun = true;
          if (e === undefined || e.type === 'resynced') {
            await during;
            const [view, kernel] = [viewState(stream), await kernelState()];
            if (JSON.stringify(view) === JSON.stringify(kernel)) break;
          }
          if (Date.now() - started > 60_000) throw new Error(`run ${run}: the view did not converge within 60 s`);
        }
        lag.push(Date.now() - started);
        if (sawOverrun) overruns++;
        converged++;
      } finally {
        stream.close();
      }
    }
    expect(overruns).toBe(RUNS);
    expect(converged).toBe(RUNS);
    console.log(`ENOBUFS: ${overruns}/${RUNS} overruns reported, ${converged}/${RUNS} resynced to the kernel state; slowest ${Math.max(...lag)} ms`);
  }, 600_000);
});
