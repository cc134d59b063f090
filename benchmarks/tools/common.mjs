// Shared by the nl-lvs tool programs: argument parsing, loading the library
// under test, the event-loop stall probe and the one-line JSON report.
import { monitorEventLoopDelay, performance, PerformanceObserver } from 'node:perf_hooks';
import { getHeapStatistics } from 'node:v8';
import { Session } from 'node:inspector/promises';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

/** `--key value` pairs after the mode; numbers become numbers. */
export function parseArgs(argv) {
  const [mode, ...rest] = argv;
  const opts = { mode };
  for (let i = 0; i < rest.length; i += 2) {
    const key = rest[i].replace(/^--/, '');
    const value = rest[i + 1];
    opts[key] = value !== undefined && /^\d+$/.test(value) ? Number(value) : value;
  }
  return opts;
}

/** The library under test: the private build made by benchmarks/run.sh (NL_LVS_BENCH_PKG). */
export async function loadLibrary(sub = 'dist/index.js') {
  const pkg = process.env.NL_LVS_BENCH_PKG;
  if (!pkg) throw new Error('NL_LVS_BENCH_PKG is not set: run through benchmarks/run.sh');
  return import(pathToFileURL(join(pkg, sub)).href);
}

/**
 * Watches the event loop while an operation runs: a 1 ms interval timer
 * records the longest gap between its ticks (the longest time the loop could
 * not run anything else), and monitorEventLoopDelay gives a second opinion.
 */
export function startStallProbe() {
  const histogram = monitorEventLoopDelay({ resolution: 1 });
  histogram.enable();
  let last = performance.now();
  let longest = 0;
  const timer = setInterval(() => {
    const now = performance.now();
    if (now - last > longest) longest = now - last;
    last = now;
  }, 1);
  return {
    stop() {
      clearInterval(timer);
      histogram.disable();
      const now = performance.now();
      if (now - last > longest) longest = now - last;
      return { stall_ms: round(longest), eld_max_ms: round(histogram.max / 1e6), eld_p99_ms: round(histogram.percentile(99) / 1e6) };
    },
  };
}

/**
 * With NL_LVS_BENCH_PROFILE=FILE, a CPU profile of the timed operation alone
 * (not of start-up or warm-up) is written there, for the report's
 * "where the time goes" tables.
 */
async function startProfile() {
  const file = process.env.NL_LVS_BENCH_PROFILE;
  if (!file) return async () => {};
  const session = new Session();
  session.connect();
  await session.post('Profiler.enable');
  await session.post('Profiler.setSamplingInterval', { interval: 200 });
  await session.post('Profiler.start');
  return async () => {
    const { profile } = await session.post('Profiler.stop');
    writeFileSync(file, JSON.stringify(profile));
    session.disconnect();
  };
}

const NO_PROBE = { stop: () => ({}) };
/** The pause before each timed operation (see timed). */
const SETTLE_MS = 200;

/**
 * Times one async operation. The stall probe runs only when asked
 * (NL_LVS_BENCH_STALL=1, a separate untimed run): its timer reads the clock
 * every millisecond, which is a real syscall under user-mode Linux.
 */
export async function timed(fn) {
  // The operation starts on a settled process, as a controller's request does,
  // not in the same tick as its warm-up and the building of its input: the
  // compile jobs and GC work those leave behind ran on in the timed window,
  // on UML's one CPU. Started at once, the 10k × 4 create took 380–540 ms,
  // against 290–390 ms after a 100 ms pause (3 runs each, one boot).
  await new Promise((resolve) => setTimeout(resolve, SETTLE_MS));
  const stopProfile = await startProfile();
  const probe = process.env.NL_LVS_BENCH_STALL === '1' ? startStallProbe() : NO_PROBE;
  const r0 = process.resourceUsage();
  const t0 = performance.now();
  let value;
  try {
    value = await fn();
  } catch (err) {
    probe.stop();
    throw err;
  }
  const op_ms = performance.now() - t0;
  const r1 = process.resourceUsage();
  const stall = probe.stop();
  await stopProfile();
  // Fresh pages the operation touched: each one is a fault, and under UML a dear one.
  // User time is the tool's own work; system time is mostly the kernel's, the same for every tool.
  const cpu = { user_ms: round((r1.userCPUTime - r0.userCPUTime) / 1000), sys_ms: round((r1.systemCPUTime - r0.systemCPUTime) / 1000) };
  return { value, op_ms: round(op_ms), minflt: r1.minorPageFault - r0.minorPageFault, ...cpu, ...stall };
}

/**
 * Bytes of JS heap one call allocates. Needs --expose-gc and a young
 * generation big enough that no collection runs during the call
 * (--max-semi-space-size); a collection during the call is reported, since
 * the difference is then meaningless.
 */
export async function heapAllocated(fn) {
  let collections = 0;
  const observer = new PerformanceObserver((list) => {
    collections += list.getEntries().length;
  });
  observer.observe({ entryTypes: ['gc'] });
  globalThis.gc?.();
  await new Promise((r) => setImmediate(r));
  collections = 0;
  const before = getHeapStatistics().used_heap_size;
  const t0 = performance.now();
  const value = await fn();
  const ms = performance.now() - t0;
  const after = getHeapStatistics().used_heap_size;
  await new Promise((r) => setImmediate(r));
  observer.disconnect();
  return { value, ms, bytes: after - before, collections };
}

export const round = (x) => Math.round(x * 1000) / 1000;

export function report(result) {
  const rss = process.resourceUsage().maxRSS;
  process.stdout.write(`${JSON.stringify({ ...result, self_maxrss_kb: rss })}\n`);
}

export function median(values) {
  const s = [...values].sort((a, b) => a - b);
  return s.length === 0 ? NaN : s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
}
