// nl-lvs on the IPVS cases, as an application would use it: one long-lived
// handle (Ipvs.open({ netns })), warmed up by a first call, then the timed
// operation. Prints one JSON line (see common.mjs).
//
// Warm, as a long-running controller is: the create runs in a process that
// first ran a 2000 × 4 batch in a scratch namespace of its own, and the
// snapshot after one untimed snapshot. Under UML a fresh process's first
// batches pay ~1 s of JIT compilation (1000 × 4: 1172, 768, 422, 226 ms for
// the first four in one process), which a controller pays once at start-up.
//
//   node nl-lvs-ipvs.mjs create   --netns NS --n N --d D   ipvs.batch(ops)
//   node nl-lvs-ipvs.mjs snapshot --netns NS               ipvs.snapshot()
//   node nl-lvs-ipvs.mjs stats    --netns NS --polls P     counters, polled P times
//   node nl-lvs-ipvs.mjs single   --netns NS --k K         K awaited addService calls
//   node nl-lvs-ipvs.mjs conns    --netns NS               for await (ipvs.connections())
//   node nl-lvs-ipvs.mjs apply    --netns NS --n N --d D --change 0|1 --state FILE
//        ipvs.apply(desired): the bulk state (change 0, from empty), or (change 1) an
//        untimed apply of the bulk state (the kernel already holds it; this writes the
//        ownership file, as an agent's earlier apply did), then the timed one of the 1% change
import { performance } from 'node:perf_hooks';
import { getHeapSpaceStatistics } from 'node:v8';
import { PerformanceObserver } from 'node:perf_hooks';
import { parseArgs, loadLibrary, timed, heapAllocated, report, median, round } from './common.mjs';
import { rmSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { ipvsBulkOps, ipvsWarmupOps, IPVS_WARMUP_BATCHES, SINGLE_BASE, ipv4, ipvsState, changedServices } from '../harness/workload.mjs';

const opts = parseArgs(process.argv.slice(2));
const { Ipvs, StatsReader } = await loadLibrary();
const ipvs = Ipvs.open({ netns: opts.netns });
// Warm-up: opens the socket and resolves the generic netlink family once.
await ipvs.info();

const count = (services) => services.reduce((sum, s) => sum + 1 + s.destinations.length, 0);

switch (opts.mode) {
  case 'create': {
    // JIT warm-up in a namespace of our own (deleted after the timed run, so its teardown does not overlap it).
    const scratch = `nlw-${process.pid}`;
    execFileSync('ip', ['netns', 'add', scratch]);
    try {
      execFileSync('ip', ['-n', scratch, 'link', 'set', 'lo', 'up']);
      for (let b = 0; b < IPVS_WARMUP_BATCHES; b++) {
        const warm = Ipvs.open({ netns: scratch });
        await warm.info();
        await warm.batch(ipvsWarmupOps(b, opts.n, opts.d));
        warm.close();
      }
      // The timed run's handle, opened as each warm-up round's was (see IPVS_WARMUP_BATCHES).
      const target = Ipvs.open({ netns: opts.netns });
      await target.info();
      const ops = ipvsBulkOps(opts.n, opts.d);
      const r = await timed(() => target.batch(ops));
      target.close();
      const failed = r.value.filter((x) => !x.ok);
      report({ op_ms: r.op_ms, items: r.value.length, errors: failed.length, first_error: failed[0]?.error?.message, stall_ms: r.stall_ms, eld_max_ms: r.eld_max_ms, minflt: r.minflt, user_ms: r.user_ms, sys_ms: r.sys_ms, via: 'ipvs.batch' });
    } finally {
      execFileSync('ip', ['netns', 'del', scratch]);
    }
    break;
  }
  case 'snapshot': {
    await ipvs.snapshot(); // JIT warm-up
    const r = await timed(() => ipvs.snapshot());
    report({ op_ms: r.op_ms, items: count(r.value), errors: 0, stall_ms: r.stall_ms, eld_max_ms: r.eld_max_ms, minflt: r.minflt, user_ms: r.user_ms, sys_ms: r.sys_ms, via: 'ipvs.snapshot' });
    break;
  }
  case 'stats':
    report(StatsReader ? await statsWithReader() : await statsWithSnapshot());
    break;
  case 'single': {
    let firstCall = 0;
    const times = [];
    let errors = 0;
    // JIT warm-up, untimed, as a live process has had: add and delete a
    // service 600 times, clear of the timed addresses. After 200, TurboFan
    // could still be compiling the batch path (80-160 ms per function on a
    // background thread, which shares UML's one CPU) during the 50 timed
    // calls: 0.62-0.69 ms a call, against 0.27-0.28 ms after 600, for the
    // same code. The first call of a fresh process is reported too (first_ms).
    const first = performance.now();
    for (let i = 0; i < 600; i++) {
      const key = { protocol: 'tcp', address: ipv4(SINGLE_BASE + 1000 + i), port: 80 };
      await ipvs.addService({ ...key, scheduler: 'rr' });
      if (i === 0) firstCall = performance.now() - first;
      await ipvs.deleteService(key);
    }
    // timed() around the whole loop only for the optional profile and stall probe.
    const all = await timed(async () => {
      for (let i = 0; i < (opts.k ?? 50); i++) {
        const t0 = performance.now();
        try {
          await ipvs.addService({ protocol: 'tcp', address: ipv4(SINGLE_BASE + i), port: 80, scheduler: 'rr' });
        } catch {
          errors++;
        }
        times.push(performance.now() - t0);
      }
    });
    report({ op_ms: round(median(times)), items: times.length, errors, min_ms: round(Math.min(...times)), first_ms: round(firstCall), stall_ms: all.stall_ms, eld_max_ms: all.eld_max_ms, via: 'ipvs.addService' });
    break;
  }
  case 'conns': {
    const r = await timed(async () => {
      let n = 0;
      for await (const c of ipvs.connections()) if (c) n++;
      return n;
    });
    report({ op_ms: r.op_ms, items: r.value, errors: 0, stall_ms: r.stall_ms, eld_max_ms: r.eld_max_ms, via: 'ipvs.connections' });
    break;
  }
  case 'apply':
    report(await applyCase());
    break;
  default:
    throw new Error(`unknown mode ${opts.mode}`);
}
ipvs.close();

/** The workload's state (workload.mjs) as a desired state. */
function desiredOf(state) {
  return {
    services: state.map((s) => ({
      protocol: 'tcp',
      address: s.address,
      port: 80,
      scheduler: s.scheduler,
      destinations: s.destinations.map((t) => ({ address: t.address, port: t.port, forward: 'masq', weight: t.weight })),
    })),
  };
}

async function applyCase() {
  // Removed destinations are deleted at once, as `ipvsadm -d` does (the default drains them at weight 0 first).
  const options = { owner: 'bench', stateFile: opts.state, drainTimeout: 0 };
  rmSync(opts.state, { force: true });
  let warmOps;
  if (opts.change === 1) warmOps = (await ipvs.apply(desiredOf(ipvsState(opts.n, opts.d)), options)).operations;
  const desired = desiredOf(ipvsState(opts.n, opts.d, opts.change === 1 ? changedServices(opts.n) : undefined));
  const r = await timed(() => ipvs.apply(desired, options));
  rmSync(opts.state, { force: true });
  const errors = r.value.errors;
  return {
    op_ms: r.op_ms,
    items: r.value.operations,
    warm_ops: warmOps,
    errors: errors.length,
    first_error: errors[0] ? `${errors[0].object}: ${errors[0].error?.message}` : undefined,
    stall_ms: r.stall_ms,
    eld_max_ms: r.eld_max_ms,
    via: 'ipvs.apply',
  };
}

/**
 * The stats reader, as a poller uses it: opened once, polled with the same
 * callback every time (its allocation-free form). The first two polls warm it
 * up (the first learns every service and destination); the next ones are
 * timed. Allocation per poll: the JS heap's growth over consecutive polls
 * with no collection in between (run with --expose-gc and a large young
 * generation).
 */
async function statsWithReader() {
  const reader = await StatsReader.open({ netns: opts.netns, services: 16384, destinations: 65536 });
  let pending;
  let failed;
  let last;
  const done = (err, result) => {
    failed = err ?? failed;
    last = result;
    const resolve = pending;
    pending = undefined;
    resolve();
  };
  const poll = () => new Promise((resolve) => {
    pending = resolve;
    reader.poll(done);
  });
  const t0 = performance.now();
  await poll();
  const firstMs = performance.now() - t0;
  await poll();
  const times = [];
  for (let p = 0; p < (opts.polls ?? 5); p++) {
    const t0 = performance.now();
    await poll();
    times.push(performance.now() - t0);
  }
  if (failed) throw failed;
  const items = last.services + last.destinations;
  const kernelMs = last.kernelTime * 1000;
  // One more, warm poll under the stall probe or the profiler, in the untimed runs that ask for them.
  const stall = process.env.NL_LVS_BENCH_STALL === '1' || process.env.NL_LVS_BENCH_PROFILE ? await timed(poll) : {};
  // Heap growth over 1 and over 3 polls: the difference / 2 is the cost of
  // one poll, free of the measurement's own fixed cost.
  const few = await heapGrowth(1, (next) => reader.poll(next));
  const many = await heapGrowth(3, (next) => reader.poll(next));
  reader.close();
  return {
    op_ms: round(median(times)),
    first_ms: round(firstMs),
    items,
    errors: 0,
    // A few hundred bytes either way is measurement noise: clamp at zero, keep the raw figure.
    alloc_bytes: Math.max(0, Math.round((many.bytes - few.bytes) / 2)),
    alloc_raw_bytes: Math.round((many.bytes - few.bytes) / 2),
    gc_during_measure: few.collections + many.collections,
    kernel_ms: round(kernelMs),
    stall_ms: stall.stall_ms,
    eld_max_ms: stall.eld_max_ms,
    via: 'StatsReader.poll(callback)',
  };
}

/**
 * Bytes allocated in the young generation over k chained steps (no promise;
 * one callback reused), and collections meanwhile. Only the new spaces are
 * counted: old-space sweeping after gc() runs concurrently and would make
 * the total heap shrink under the measurement.
 */
function heapGrowth(k, step) {
  const young = () => {
    let used = 0;
    for (const space of getHeapSpaceStatistics()) if (space.space_name.startsWith('new_')) used += space.space_used_size;
    return used;
  };
  return new Promise((resolve) => {
    globalThis.gc?.();
    let collections = 0;
    const observer = new PerformanceObserver((list) => {
      collections += list.getEntries().length;
    });
    let left = k;
    let before = 0;
    const next = () => {
      if (left-- > 0) {
        step(next);
        return;
      }
      const after = young();
      setImmediate(() => {
        observer.disconnect();
        resolve({ bytes: after - before, collections });
      });
    };
    setImmediate(() => {
      observer.observe({ entryTypes: ['gc'] });
      before = young();
      next();
    });
  });
}

/** Without a stats reader: the snapshot, polled (an earlier library had only this). */
async function statsWithSnapshot() {
  const poll = () => ipvs.snapshot();
  const first = await timed(poll);
  const times = [];
  const allocs = [];
  let collections = 0;
  for (let p = 1; p < (opts.polls ?? 5); p++) {
    const a = await heapAllocated(poll);
    times.push(a.ms);
    allocs.push(a.bytes);
    collections += a.collections;
  }
  const warm = await timed(poll);
  times.push(warm.op_ms);
  return {
    op_ms: round(median(times)),
    first_ms: first.op_ms,
    items: count(warm.value),
    errors: 0,
    alloc_bytes: Math.round(median(allocs)),
    gc_during_measure: collections,
    stall_ms: warm.stall_ms,
    eld_max_ms: warm.eld_max_ms,
    via: 'ipvs.snapshot (no stats reader in this build)',
  };
}
