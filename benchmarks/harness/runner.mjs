// The measuring loop. For every case: R rounds; in each round every tool runs
// once, in an order rotated by the round number (so no tool always goes first
// or last), each in a FRESH network namespace prepared by the case's untimed
// setup. Every process runs under `runwall` (benchmarks/floor/runwall.c):
// wall time from fork to reap, and peak RSS from wait4's rusage.
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { closeSync, existsSync, openSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { summarizeProfile } from './profile.mjs';

export class Bench {
  /**
   * @param {object} o
   * @param {string} o.bin      where the C, Go and helper programs are built
   * @param {string} o.work     scratch directory for input files and results
   * @param {string} o.pkg      the private build of nl-lvs (dist/ + build/)
   * @param {number} o.runs     rounds per case
   * @param {boolean} o.quick
   * @param {(line: string) => void} o.log
   */
  constructor(o) {
    Object.assign(this, o);
    this.namespaces = new Set();
    this.inUml = process.env.NL_LVS_UML === '1';
    process.once('exit', () => {
      for (const ns of this.namespaces) spawnSync('ip', ['netns', 'del', ns], { stdio: 'ignore' });
    });
  }

  sh(cmd, args, input) {
    return execFileSync(cmd, args, { encoding: 'utf8', input, stdio: ['pipe', 'pipe', 'pipe'], maxBuffer: 1 << 28 });
  }

  /** A fresh namespace with lo up (IPVS rejects masq destinations without a local table). */
  makeNs(tag) {
    const name = `nlb-${tag}-${randomBytes(3).toString('hex')}`;
    this.sh('ip', ['netns', 'add', name]);
    this.namespaces.add(name);
    this.sh('ip', ['-n', name, 'link', 'set', 'lo', 'up']);
    return name;
  }

  deleteNs(name) {
    spawnSync('ip', ['netns', 'del', name], { stdio: 'ignore' });
    this.namespaces.delete(name);
  }

  /**
   * Waits until the CPU is mostly idle: a deleted namespace is torn down by
   * kernel workers after `ip netns del` returns, and that work must not land
   * in the next tool's time. Gives up after `maxMs` (other work on the host).
   */
  settle(maxMs = this.inUml ? 4000 : 1500) {
    const sample = () => {
      const f = readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1).map(Number);
      return { idle: f[3] + (f[4] ?? 0), total: f.reduce((a, b) => a + b, 0) };
    };
    const deadline = Date.now() + maxMs;
    let a = sample();
    while (Date.now() < deadline) {
      sleep(100);
      const b = sample();
      const idle = (b.idle - a.idle) / Math.max(1, b.total - a.total);
      if (idle > (this.inUml ? 0.9 : 0.6)) return;
      a = b;
    }
  }

  /**
   * Runs argv (inside `ns` via `ip netns exec`, unless ns is null) under
   * runwall. The time of `ip netns exec` itself is not counted.
   */
  exec(ns, argv, { input, env, timeoutMs = 600_000 } = {}) {
    const wallFile = join(this.work, `runwall-${process.pid}.json`);
    rmSync(wallFile, { force: true });
    const runwall = [join(this.bin, 'runwall'), '-o', wallFile, '--', ...argv];
    const full = ns === null ? runwall : ['ip', 'netns', 'exec', ns, ...runwall];
    const r = spawnSync(full[0], full.slice(1), {
      input,
      encoding: 'utf8',
      maxBuffer: 1 << 28,
      timeout: timeoutMs,
      env: { ...process.env, ...env },
    });
    let wall = {};
    try {
      wall = JSON.parse(readFileSync(wallFile, 'utf8'));
    } catch {
      // runwall never finished (timeout, or it could not start)
    }
    return {
      status: r.error ? -1 : (wall.status ?? r.status),
      error: r.error?.message,
      stdout: r.stdout ?? '',
      stderr: r.stderr ?? '',
      wallMs: wall.wall_ms,
      rssKb: wall.maxrss_kb,
      userMs: wall.user_ms,
      sysMs: wall.sys_ms,
    };
  }

  /**
   * For capture cases: starts argv (in `ns`, under runwall) in the
   * background, waits until its stderr matches `ready`, runs `traffic()`
   * (synchronously, to the end), waits `graceMs` for the program to take the
   * last frames from its ring, then stops it with SIGINT, as a user stops
   * tcpdump. Returns what exec() returns, plus `traffic` (what traffic() returned).
   */
  execWithTraffic(ns, argv, { env, ready = /listening on/, traffic, graceMs = 1500, timeoutMs = 20_000 }) {
    const base = join(this.work, `capture-${process.pid}`);
    const files = { wall: `${base}.wall.json`, out: `${base}.out`, err: `${base}.err` };
    for (const f of Object.values(files)) rmSync(f, { force: true });
    const runwall = [join(this.bin, 'runwall'), '-o', files.wall, '--', ...argv];
    const full = ns === null ? runwall : ['ip', 'netns', 'exec', ns, ...runwall];
    const out = openSync(files.out, 'w');
    const err = openSync(files.err, 'w');
    // Not awaited: the harness is synchronous, and runwall reports through its file.
    const child = spawn(full[0], full.slice(1), { stdio: ['ignore', out, err], env: { ...process.env, ...env }, detached: true });
    child.unref();
    closeSync(out);
    closeSync(err);
    const text = (f) => (existsSync(f) ? readFileSync(f, 'utf8') : '');
    const waitFor = (test, ms) => {
      const deadline = Date.now() + ms;
      while (!test()) {
        if (Date.now() > deadline) return false;
        sleep(20);
      }
      return true;
    };
    // `ip netns exec` execs runwall (same pid); the program is runwall's only child.
    const program = () => Number(text(`/proc/${child.pid}/task/${child.pid}/children`).trim().split(/\s+/)[0]) || undefined;
    const kill = (signal) => {
      const pid = program();
      if (pid) {
        try {
          process.kill(pid, signal);
        } catch {
          // already gone
        }
      }
    };
    let trafficResult;
    let problem;
    try {
      if (!waitFor(() => ready.test(text(files.err)) || existsSync(files.wall), 10_000)) throw new Error('the capturing program never became ready');
      if (existsSync(files.wall)) throw new Error('the capturing program exited before the traffic');
      trafficResult = traffic();
      sleep(graceMs);
      kill('SIGINT');
      if (!waitFor(() => existsSync(files.wall) && text(files.wall).endsWith('\n'), timeoutMs)) {
        kill('SIGKILL');
        waitFor(() => existsSync(files.wall), 5000);
        throw new Error(`did not stop within ${timeoutMs} ms of SIGINT`);
      }
    } catch (e) {
      problem = e.message;
      kill('SIGKILL');
      waitFor(() => existsSync(files.wall), 5000);
    }
    let wall = {};
    try {
      wall = JSON.parse(text(files.wall));
    } catch {
      // runwall never finished
    }
    return {
      status: problem ? -1 : (wall.status ?? -1),
      error: problem,
      stdout: text(files.out),
      stderr: text(files.err),
      wallMs: wall.wall_ms,
      rssKb: wall.maxrss_kb,
      userMs: wall.user_ms,
      sysMs: wall.sys_ms,
      traffic: trafficResult,
    };
  }

  /** Runs one case: rounds x tools, fresh namespace each time. */
  runCase(c) {
    const tools = c.tools.filter((t) => {
      const why = t.unavailable?.(this);
      if (why) this.log(`  - ${c.id}: ${t.label}: skipped (${why})`);
      return !why;
    });
    const skipped = c.tools.filter((t) => !tools.includes(t)).map((t) => ({ id: t.id, label: t.label, reason: t.unavailable(this) }));
    const results = new Map(tools.map((t) => [t.id, []]));
    const rounds = c.runs ?? this.runs;
    this.log(`• ${c.id}: ${c.title} (${rounds} rounds × ${tools.length} tools)`);
    for (let round = 0; round < rounds; round++) {
      const order = tools.map((_, i) => tools[(i + round) % tools.length]);
      for (const tool of order) {
        const ns = this.makeNs(c.nsTag ?? c.id.slice(0, 8));
        // Setups that need more namespaces (the connection-table topology) add them to ctx.extra.
        const ctx = { bench: this, ns, params: c.params, round, extra: [] };
        let run;
        try {
          c.setup?.(ctx);
          this.settle();
          run = this.runTool(c, tool, ctx);
        } catch (err) {
          run = { ok: false, problem: `setup or run failed: ${err.message?.split('\n')[0]}` };
        } finally {
          for (const other of ctx.extra) this.deleteNs(other);
          this.deleteNs(ns);
        }
        results.get(tool.id).push(run);
        const shown = run.ok ? `${fmt(run.timeMs)} ms` : `FAILED: ${run.problem}`;
        this.log(`  ${c.id} round ${round + 1}: ${tool.label}: ${shown}`);
      }
      this.settle();
    }
    const profiles = this.profile ? this.profileCase(c, tools) : {};
    return {
      id: c.id,
      title: c.title,
      what: c.what,
      params: c.params,
      primary: c.primary,
      rate: c.rate,
      skipped,
      tools: tools.map((t) => ({ id: t.id, label: t.label, kind: t.kind, timed: t.timed, note: t.note, runs: results.get(t.id), stall: profiles[t.id]?.stall, profile: profiles[t.id]?.profile })),
    };
  }

  /**
   * Two more, untimed runs of each nl-lvs tool: one with the event-loop
   * stall probe, one with a CPU profile of its operation.
   */
  profileCase(c, tools) {
    const out = {};
    for (const tool of tools.filter((t) => t.primary)) {
      const file = join(this.work, `profile-${c.id}.cpuprofile`);
      rmSync(file, { force: true });
      const stall = this.extraRun(c, tool, { NL_LVS_BENCH_STALL: '1' }, (r) => lastJson(r.stdout));
      const profile = this.extraRun(c, tool, { NL_LVS_BENCH_PROFILE: file }, () => summarizeProfile(file));
      out[tool.id] = { stall, profile };
      if (stall) this.log(`  ${c.id}: ${tool.label}: longest event-loop stall ${fmt(stall.stall_ms)} ms of ${fmt(stall.op_ms)} ms`);
      if (profile) this.log(`  ${c.id}: ${tool.label}: profile: ${profile.top.slice(0, 3).map((r) => `${r.fn} ${fmt(r.self_ms)} ms`).join(', ')}`);
    }
    return out;
  }

  extraRun(c, tool, env, read) {
    const ns = this.makeNs('extra');
    const ctx = { bench: this, ns, params: c.params, round: -1, extra: [] };
    try {
      c.setup?.(ctx);
      this.settle();
      const spec = tool.command(ctx);
      const where = spec.ns === undefined ? ns : spec.ns;
      const opts = { input: spec.input, env: { ...spec.env, ...env } };
      const r = c.traffic ? this.execWithTraffic(where, spec.argv, { ...opts, ready: tool.ready, graceMs: c.graceMs, traffic: () => c.traffic(ctx) }) : this.exec(where, spec.argv, opts);
      if (r.status !== 0) throw new Error(`exit ${r.status}: ${r.stderr.trim().split('\n').pop()}`);
      return read(r);
    } catch (err) {
      this.log(`  ${c.id}: extra run of ${tool.label} (${Object.keys(env).join(', ')}) failed: ${err.message.split('\n')[0]}`);
      return undefined;
    } finally {
      for (const other of ctx.extra) this.deleteNs(other);
      this.deleteNs(ns);
    }
  }

  runTool(c, tool, ctx) {
    const spec = tool.command(ctx);
    const where = spec.ns === undefined ? ctx.ns : spec.ns;
    const opts = { input: spec.input, env: spec.env, timeoutMs: spec.timeoutMs };
    // Capture cases (c.traffic): the tool runs while the case makes traffic.
    const r = c.traffic ? this.execWithTraffic(where, spec.argv, { ...opts, ready: tool.ready, graceMs: c.graceMs, traffic: () => c.traffic(ctx) }) : this.exec(where, spec.argv, opts);
    let parsed = {};
    let problem;
    if (r.status !== 0) problem = `exit ${r.status}${r.error ? ` (${r.error})` : ''}: ${(r.stderr || r.stdout).trim().split('\n').slice(-2).join(' | ').slice(0, 300)}`;
    try {
      parsed = tool.parse ? tool.parse(r, ctx) : {};
    } catch (err) {
      problem ??= `cannot read its output: ${err.message}`;
    }
    if (!problem && parsed.errors) problem = `${parsed.errors} operations failed: ${parsed.first_error ?? ''}`;
    if (!problem && c.verify) problem = c.verify(ctx, parsed, tool);
    // What is compared: the operation's own time where the program reports
    // one (libraries, floor), else the whole process (command-line tools).
    const timeMs = parsed.timeMs ?? (tool.timed === 'op' ? parsed.op_ms : r.wallMs);
    return { ok: !problem && Number.isFinite(timeMs), problem: problem ?? (Number.isFinite(timeMs) ? undefined : 'no time measured'), timeMs, wallMs: r.wallMs, rssKb: r.rssKb, userMs: r.userMs, sysMs: r.sysMs, ...strip(parsed) };
  }
}

/** The last line of stdout that is a JSON object. */
export function lastJson(text) {
  const lines = text.trim().split('\n');
  for (let i = lines.length - 1; i >= 0; i--) {
    const l = lines[i].trim();
    if (l.startsWith('{')) return JSON.parse(l);
  }
  throw new Error('no JSON line in the output');
}

function strip(parsed) {
  const { timeMs, ...rest } = parsed;
  return rest;
}

function sleep(ms) {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

export function fmt(ms) {
  if (!Number.isFinite(ms)) return '—';
  return ms >= 100 ? ms.toFixed(0) : ms >= 10 ? ms.toFixed(1) : ms >= 1 ? ms.toFixed(2) : ms.toFixed(3);
}

export function median(values) {
  const s = values.filter(Number.isFinite).sort((a, b) => a - b);
  if (s.length === 0) return NaN;
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
}
