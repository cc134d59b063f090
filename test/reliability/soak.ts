// Soak: N operations against the kernel in a namespace (link get, address
// add+delete, fdb add+delete, a dump now and then), many in flight at once,
// checking that file descriptors stay flat and memory does not grow.
// Also the GC check: sockets dropped without close() give their fds back.
// Run with --expose-gc (scripts/reliability/soak.sh; the host test runs 10^4):
//   node --expose-gc node_modules/vite-node/vite-node.mjs test/reliability/soak.ts -- soak NETNS OPS
//   node --expose-gc node_modules/vite-node/vite-node.mjs test/reliability/soak.ts -- gc NETNS HANDLES
// Prints one JSON line with the figures.
import { readdirSync } from 'node:fs';
import { getHeapStatistics } from 'node:v8';
import { Rtnl } from '../../lib/index.js';

const gc = (globalThis as { gc?: () => void }).gc;
if (gc === undefined) throw new Error('run with --expose-gc');
const fds = (): number => readdirSync('/proc/self/fd').length;

async function collect(): Promise<void> {
  // Weak callbacks and finalizers run over a few turns.
  for (let i = 0; i < 4; i++) {
    gc!();
    await new Promise((r) => setImmediate(r));
  }
}

async function soak(ns: string, total: number): Promise<Record<string, number>> {
  const rtnl = Rtnl.open({ netns: ns });
  await rtnl.links.create({ kind: 'bridge', name: 'soakbr0' });
  const WORKERS = 32;
  let done = 0;
  let failures = 0;
  let fdMax = 0;
  const step = async (w: number, i: number): Promise<void> => {
    const k = i % 7;
    const mac = `02:00:00:${(w & 0xff).toString(16).padStart(2, '0')}:00:01`;
    const address = `198.18.${w}.1/32`;
    if (k <= 2) await rtnl.links.get(k === 0 ? 'lo' : 'soakbr0');
    else if (k === 3) await rtnl.addresses.add({ dev: 'lo', address });
    else if (k === 4) await rtnl.addresses.delete({ dev: 'lo', address });
    else if (k === 5) await rtnl.fdb.add({ dev: 'soakbr0', mac, self: true });
    else await rtnl.fdb.delete({ dev: 'soakbr0', mac, self: true });
  };
  // Each worker's place in its add/delete cycle, kept across runs.
  const position = new Array<number>(WORKERS).fill(0);
  const errors = new Map<string, number>();
  const run = async (count: number): Promise<void> => {
    let next = 0;
    await Promise.all(
      Array.from({ length: WORKERS }, async (_, w) => {
        while (next < count) {
          next++;
          try {
            await step(w, position[w]++);
          } catch (err) {
            failures++;
            const code = String((err as { code?: string }).code);
            errors.set(code, (errors.get(code) ?? 0) + 1);
          }
          done++;
          if ((done & 1023) === 0) {
            fdMax = Math.max(fdMax, fds());
            if (done % 50_000 === 0) await rtnl.links.list({ skipStats: true });
          }
        }
      }),
    );
  };
  // RSS in MiB after each tenth of the run, from a collected heap: a leak climbs
  // steadily, allocator and JIT warm-up level off.
  const samples: number[] = [];
  const heapTotals: number[] = [];
  const v8Malloced: number[] = [];
  const started = Date.now();
  // Warm up (JIT, pools, first allocations), then measure from a collected heap.
  // (Node 26 grows its heap reservations over the first few thousand operations, then levels off.)
  const warm = Math.max(5000, Math.floor(total / 10));
  // Full collections during warm-up too: the first few make V8 (Node 26 more than 20) grow
  // its own bookkeeping, which then stays; that is not the soak's doing.
  for (let part = 0; part < 5; part++) {
    await run(Math.floor(warm / 5));
    await collect();
  }
  const fdStart = fds();
  const rssStart = process.memoryUsage().rss;
  const heapStart = process.memoryUsage().heapUsed;
  const rest = total - warm;
  for (let part = 0; part < 10; part++) {
    await run(Math.floor(rest / 10) + (part === 9 ? rest % 10 : 0));
    await collect();
    const m = process.memoryUsage();
    samples.push(Math.round((m.rss / 2 ** 20) * 10) / 10);
    heapTotals.push(Math.round((m.heapTotal / 2 ** 20) * 10) / 10);
    v8Malloced.push(Math.round((getHeapStatistics().malloced_memory / 2 ** 20) * 10) / 10);
  }
  const rssEnd = process.memoryUsage().rss;
  const heapEnd = process.memoryUsage().heapUsed;
  const fdEnd = fds();
  await rtnl.links.delete('soakbr0');
  await rtnl.addresses.flush({ dev: 'lo', family: 4 });
  rtnl.close();
  if (errors.size > 0) console.error(`failures by code: ${JSON.stringify(Object.fromEntries(errors))}`);
  return {
    ops: done, failures, fdStart, fdEnd, fdMax, rssStart, rssEnd, rssGrowthPercent: ((rssEnd - rssStart) / rssStart) * 100,
    heapStart, heapEnd, external: process.memoryUsage().external, arrayBuffers: process.memoryUsage().arrayBuffers,
    seconds: (Date.now() - started) / 1000, rssSamplesMiB: samples as never, heapTotalSamplesMiB: heapTotals as never, v8MallocedSamplesMiB: v8Malloced as never,
  };
}

async function dropped(ns: string, handles: number): Promise<Record<string, number>> {
  await collect();
  const before = fds();
  let open = 0;
  (() => {
    // Opened and forgotten: no close(), no reference kept.
    for (let i = 0; i < handles; i++) {
      const r = Rtnl.open({ netns: ns });
      if (r.conn.portId > 0) open++;
    }
  })();
  const peak = fds();
  await collect();
  const after = fds();
  return { handles, open, before, peak, after };
}

const args = process.argv.slice(2).filter((a) => a !== '--');
const [mode, ns, n] = [args[0], args[1]!, Number(args[2])];
const result = mode === 'gc' ? await dropped(ns, n || 1000) : await soak(ns, n || 1_000_000);
console.log(JSON.stringify(result));
