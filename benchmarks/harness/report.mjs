// Turns the JSON results of one run into BENCHMARKS.md (or a quick summary).
//
//   node benchmarks/harness/report.mjs --dir RUNDIR [--write BENCHMARKS.md] [--quick]
//
// --quick prints the summary and exits 1 when nl-lvs is slower than
// `ipvsadm -R` on the (small) IPVS bulk create: the CI gate.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fmt, median } from './runner.mjs';

const argv = process.argv.slice(2);
const option = (name) => {
  const i = argv.indexOf(name);
  return i >= 0 ? argv[i + 1] : undefined;
};
const dir = option('--dir');
const quick = argv.includes('--quick');
const docs = ['rtnl', 'ipvs'].map((s) => join(dir, `${s}.json`)).filter(existsSync).map((f) => JSON.parse(readFileSync(f, 'utf8')));
if (docs.length === 0) {
  console.error(`report: no results in ${dir}`);
  process.exit(2);
}
const cases = new Map(docs.flatMap((d) => d.cases.map((c) => [c.id, { ...c, doc: d }])));

function maxOf(values) {
  const xs = values.filter(Number.isFinite);
  return xs.length ? Math.max(...xs) : NaN;
}

/** Median time, range, RSS and extra fields of one tool in one case. */
function stats(c, toolId) {
  const t = c?.tools.find((x) => x.id === toolId);
  if (!t) return undefined;
  const ok = t.runs.filter((r) => r.ok);
  const times = ok.map((r) => r.timeMs);
  return {
    tool: t,
    ok: ok.length,
    failed: t.runs.length - ok.length,
    problem: t.runs.find((r) => !r.ok)?.problem,
    median: median(times),
    min: -maxOf(times.map((x) => -x)),
    max: maxOf(times),
    wall: median(ok.map((r) => r.wallMs)),
    rssKb: maxOf(ok.map((r) => r.rssKb)),
    stall: t.stall,
    alloc: median(ok.map((r) => r.alloc_bytes)),
    // Capture cases (c.rate): frames per second, drops and the process's CPU.
    rate: median(ok.map((r) => r.rate_fps)),
    rateMin: -maxOf(ok.map((r) => -r.rate_fps)),
    rateMax: maxOf(ok.map((r) => r.rate_fps)),
    dropped: median(ok.map((r) => r.dropped)),
    cpuMs: median(ok.map((r) => r.userMs + r.sysMs)),
    captureCpuMs: median(ok.map((r) => r.capture_cpu_ms)),
    via: ok[0]?.via ?? t.runs[0]?.via,
    firstMs: median(ok.map((r) => r.first_ms)),
    minflt: median(ok.map((r) => r.minflt)),
    // CPU time of the operation alone (in-process tools and the C floor): user is the tool's own work, system mostly the kernel's.
    opUserMs: median(ok.map((r) => r.user_ms)),
    opSysMs: median(ok.map((r) => r.sys_ms)),
  };
}

// The targets of the issue. speed-up = peer's median / nl-lvs's; floor ratio = nl-lvs's / floor's.
const TARGETS = [
  { case: 'ipvs-create', peer: 'ipvsadm-R', speedup: 12, text: 'IPVS bulk create ≥ 12× faster than `ipvsadm -R`' },
  { case: 'ipvs-create', peer: 'floor', floor: 1.15, text: 'IPVS bulk create ≤ 1.15× the C floor' },
  { case: 'ipvs-create', peer: 'floor-1ack', floor: 1.15, text: "IPVS bulk create ≤ 1.15× the C floor on nl-lvs's wire protocol (one ack per sendmsg)" },
  { case: 'ipvs-snapshot', peer: 'ipvsadm-Ln-stats', speedup: 3, text: 'IPVS snapshot ≥ 3× faster than `ipvsadm -Ln --stats`' },
  { case: 'ipvs-snapshot', peer: 'floor', floor: 1.15, text: 'IPVS snapshot ≤ 1.15× the C floor' },
  { case: 'ipvs-single', peer: 'ipvsadm-spawn', speedup: 100, text: 'single operation ≥ 100× faster than spawning ipvsadm' },
  ...['fdb-create', 'fdb-delete'].flatMap((id) => {
    const what = id === 'fdb-create' ? 'FDB bulk add' : 'FDB bulk delete';
    return [
      { case: id, peer: 'bridge-batch', speedup: 1, text: `${what} at least as fast as \`bridge -batch\`` },
      { case: id, peer: 'pyroute2', speedup: 5, text: `${what} ≥ 5× faster than pyroute2` },
      { case: id, peer: 'vishvananda', speedup: 2, text: `${what} ≥ 2× faster than vishvananda/netlink` },
      { case: id, peer: 'floor', floor: 1.15, text: `${what} ≤ 1.15× the C floor` },
      { case: id, peer: 'floor-1ack', floor: 1.15, text: `${what} ≤ 1.15× the C floor on nl-lvs's wire protocol (one ack per sendmsg)` },
    ];
  }),
  { case: 'ipvs-stats', alloc: 1024, text: 'stats poll: 0 JS allocations (young-generation growth per poll ≤ 1 KiB, i.e. measurement noise)' },
  { case: 'ipvs-stats', peer: 'floor', floor: 1.2, text: 'stats poll ≤ 1.2× the C floor' },
  // No numeric target in the issues for these: the ratio is reported, not judged.
  { case: 'ipvs-apply-empty', peer: 'ipvsadm-R', ratio: true, text: 'IPVS `apply()` from empty vs `ipvsadm -R` of the same state (issue #8)' },
  { case: 'ipvs-apply-1pct', peer: 'ipvsadm-C-R', ratio: true, text: 'IPVS `apply()` of a 1% change vs `ipvsadm -C` + `ipvsadm -R` of the whole new state (issue #8)' },
  { case: 'ipvs-apply-1pct', peer: 'ipvsadm-R-diff', ratio: true, text: 'IPVS `apply()` of a 1% change vs `ipvsadm -R` of only the edit commands, written by hand (issue #8)' },
  { case: 'tap-rate', peer: 'tcpdump', rate: true, text: 'packet tap frames/s vs `tcpdump -w /dev/null` on the same traffic (issue #6)' },
];

function evaluate(t) {
  const c = cases.get(t.case);
  const me = stats(c, 'nl-lvs');
  if (!c || !me) return { measured: 'not run', met: undefined };
  if (!Number.isFinite(me.median)) return { measured: `nl-lvs failed: ${me.problem ?? 'no result'}`, met: false };
  if (t.alloc !== undefined) {
    const a = me.alloc;
    return Number.isFinite(a) ? { measured: `${bytes(a)} per poll (${me.via})`, met: a <= t.alloc } : { measured: 'not measured', met: undefined };
  }
  const peer = stats(c, t.peer);
  if (!peer || !Number.isFinite(peer.median)) return { measured: `${t.peer}: ${peer ? `failed (${peer.problem})` : 'not run'}`, met: undefined };
  if (t.rate) {
    const x = me.rate / peer.rate;
    return { measured: `${x.toFixed(2)}× tcpdump's rate (${perSecond(me.rate)} vs ${perSecond(peer.rate)} frames/s; dropped ${me.dropped} vs ${peer.dropped}; process CPU ${fmt(me.cpuMs)} vs ${fmt(peer.cpuMs)} ms)`, met: undefined };
  }
  if (t.ratio) {
    const x = peer.median / me.median;
    const how = x >= 1 ? `${x.toFixed(x >= 10 ? 0 : 2)}× faster` : `${(1 / x).toFixed(1 / x >= 10 ? 0 : 2)}× slower`;
    return { measured: `nl-lvs ${how} (${fmt(me.median)} ms vs ${fmt(peer.median)} ms)`, met: undefined };
  }
  if (t.speedup !== undefined) {
    const x = peer.median / me.median;
    return { measured: `${x.toFixed(x >= 10 ? 0 : 2)}× (${fmt(me.median)} ms vs ${fmt(peer.median)} ms)`, met: x >= t.speedup };
  }
  const x = me.median / peer.median;
  return { measured: `${x.toFixed(2)}× the floor (${fmt(me.median)} ms vs ${fmt(peer.median)} ms)`, met: x <= t.floor };
}

const bytes = (n) => (Math.abs(n) >= 2 ** 20 ? `${(n / 2 ** 20).toFixed(1)} MiB` : Math.abs(n) >= 1024 ? `${(n / 1024).toFixed(1)} KiB` : `${Math.round(n)} B`);
const mib = (kb) => (Number.isFinite(kb) ? (kb / 1024).toFixed(kb < 10240 ? 1 : 0) : '—');
const mark = (met) => (met === undefined ? '—' : met ? '✅ met' : '❌ missed');

/** How nl-lvs compares with one row: a ratio to a floor (`floorName`), else faster or slower. */
function relation(me, s, floorName) {
  if (!Number.isFinite(me?.median) || !Number.isFinite(s.median)) return '—';
  if (floorName) return `nl-lvs = ${(me.median / s.median).toFixed(2)}× ${floorName}`;
  const x = s.median / me.median;
  return x >= 1 ? `nl-lvs ${x.toFixed(x >= 10 ? 0 : 2)}× faster` : `nl-lvs ${(1 / x).toFixed(2)}× slower`;
}

const FLOOR_NAMES = { floor: 'floor', 'floor-1ack': 'one-ack floor', 'js-floor': 'JS floor' };

const perSecond = (x) => (Number.isFinite(x) ? Math.round(x).toLocaleString('en-US') : '—');

/** A capture case: frames per second of the traffic, drops, CPU; higher rate first. */
function rateTable(c) {
  const me = stats(c, 'nl-lvs');
  const rows = c.tools.map((t) => stats(c, t.id)).sort((a, b) => (b.rate || 0) - (a.rate || 0));
  const lines = [
    `### ${c.title}`,
    '',
    `Measured: ${c.what}. Median of ${c.doc.runs} rounds; each run in a fresh pair of network namespaces.`,
    '',
    `| Tool | Captured (${c.rate.unit}) | Range | Compared | Dropped by the kernel | CPU of the process (user+sys) | Peak RSS (MiB) | Notes |`,
    '|---|---:|---:|---|---:|---:|---:|---|',
  ];
  for (const s of rows) {
    const t = s.tool;
    const notes = [];
    if (t.id === 'nl-lvs' && s.via) notes.push(`\`${s.via}\``);
    if (Number.isFinite(s.captureCpuMs)) notes.push(`CPU of the capture loop alone (no start-up): ${fmt(s.captureCpuMs)} ms`);
    if (t.note) notes.push(t.note);
    if (s.failed) notes.push(`${s.failed} failed run(s): ${s.problem}`);
    const x = me && Number.isFinite(me.rate) && Number.isFinite(s.rate) ? me.rate / s.rate : NaN;
    const compared = t.id === 'nl-lvs' || !Number.isFinite(x) ? '—' : `nl-lvs = ${x.toFixed(2)}× its rate`;
    lines.push(
      `| ${t.label} | ${perSecond(s.rate)} | ${perSecond(s.rateMin)}–${perSecond(s.rateMax)} | ${compared} | ${Number.isFinite(s.dropped) ? s.dropped : '—'} | ${fmt(s.cpuMs)} ms | ${mib(s.rssKb)} | ${notes.join('; ')} |`,
    );
  }
  for (const sk of c.skipped ?? []) lines.push(`| ${sk.label} | — | — | — | — | — | — | skipped: ${sk.reason} |`);
  lines.push(...profileLines(c));
  return lines.join('\n');
}

function caseTable(c) {
  if (c.rate) return rateTable(c);
  const me = stats(c, 'nl-lvs');
  const rows = c.tools.map((t) => stats(c, t.id)).sort((a, b) => (a.median || Infinity) - (b.median || Infinity));
  const lines = [
    `### ${c.title}`,
    '',
    `Timed: ${c.what}. Median of ${c.doc.runs} rounds; each run in a fresh network namespace.`,
    '',
    '| Tool | Timed as | Median | Range | Compared | Peak RSS (MiB) | Notes |',
    '|---|---|---:|---:|---|---:|---|',
  ];
  for (const s of rows) {
    const t = s.tool;
    const notes = [];
    if (t.id === 'nl-lvs' && s.via) notes.push(`\`${s.via}\``);
    if (s.stall) notes.push(`longest event-loop stall ${fmt(s.stall.stall_ms)} ms (extra run)`);
    if (Number.isFinite(s.alloc)) notes.push(`JS heap +${bytes(s.alloc)}/poll`);
    if (Number.isFinite(s.firstMs)) notes.push(`first call of a fresh process: ${fmt(s.firstMs)} ms`);
    if (Number.isFinite(s.minflt)) notes.push(`${fmt(s.minflt)} page faults during the operation (median)`);
    if (Number.isFinite(s.opUserMs)) notes.push(`CPU during the operation: user ${fmt(s.opUserMs)} ms, system ${fmt(s.opSysMs)} ms (medians)`);
    if (t.id === 'ipvsadm-per-op') {
      const r = t.runs.find((x) => x.ok);
      if (r) notes.push(`${r.measured_ops} ops measured (${fmt(r.measured_ms)} ms), scaled to all`);
    }
    if (t.note) notes.push(t.note);
    if (s.failed) notes.push(`${s.failed} failed run(s): ${s.problem}`);
    const timedAs = t.timed === 'op' ? 'the call, in-process' : 'whole process';
    lines.push(
      `| ${t.label} | ${timedAs} | ${fmt(s.median)} ms | ${fmt(s.min)}–${fmt(s.max)} | ${t.id === 'nl-lvs' ? '—' : relation(me, s, FLOOR_NAMES[t.id])} | ${mib(s.rssKb)} | ${notes.join('; ')} |`,
    );
  }
  for (const sk of c.skipped ?? []) lines.push(`| ${sk.label} | — | — | — | — | — | skipped: ${sk.reason} |`);
  lines.push(...profileLines(c));
  return lines.join('\n');
}

/** The CPU profile of nl-lvs in one more run of the case, when there is one. */
function profileLines(c) {
  const prof = c.tools.find((t) => t.id === 'nl-lvs')?.profile;
  if (!prof) return [];
  const lines = ['', `<details><summary>Where nl-lvs spends this operation (CPU profile of one more run: ${fmt(prof.total_ms)} ms sampled, ${fmt(prof.idle_ms)} ms idle waiting for the kernel, ${fmt(prof.gc_ms)} ms GC)</summary>`, ''];
  lines.push('| Function (self time) | ms | share |', '|---|---:|---:|');
  for (const r of prof.top.slice(0, 10)) lines.push(`| \`${r.fn}\` | ${fmt(r.self_ms)} | ${(r.share * 100).toFixed(1)}% |`);
  lines.push('', '</details>');
  return lines;
}

function machineTable() {
  const host = docs.find((d) => d.suite === 'rtnl')?.machine;
  const uml = docs.find((d) => d.suite === 'ipvs')?.machine;
  const row = (name, f) => `| ${name} | ${host ? f(host) : '—'} | ${uml ? f(uml) : '—'} |`;
  const v = (m) => m.versions ?? {};
  return [
    '| | rtnetlink cases (host) | IPVS cases (user-mode Linux guest) |',
    '|---|---|---|',
    row('kernel (uname -r)', (m) => `${m.kernel}${m.uml ? ' (UML)' : ''}`),
    row('CPUs (nproc)', (m) => m.nproc),
    row('CPU model', (m) => m.cpu),
    row('memory', (m) => `${(m.memory_mib / 1024).toFixed(1)} GiB`),
    row('Node.js', (m) => m.node),
    row('ipvsadm / iproute2', (m) => `${v(m).ipvsadm ?? '—'} / ${v(m).iproute2 ?? '—'}`),
    row('pyroute2 / vishvananda-netlink / libnl', (m) => `${v(m).pyroute2 ?? '—'} / ${v(m).go_netlink ?? '—'} / ${v(m).libnl ?? '—'}`),
    row('tcpdump', (m) => v(m).tcpdump ?? '—'),
    `| date | ${docs.find((d) => d.suite === 'rtnl')?.date ?? '—'} | ${docs.find((d) => d.suite === 'ipvs')?.date ?? '—'} |`,
  ].join('\n');
}

/**
 * For each missed target, where nl-lvs's time went beyond the peer's or the
 * floor's, from the case's CPU profile: time idle waiting for the kernel
 * (what the kernel itself costs, which the floor also pays), GC, and the
 * heaviest JS functions. Data, so a reader can judge what is left to win.
 */
function missedLines(targets) {
  const out = [];
  const seen = new Set();
  for (const t of targets) {
    if (t.met !== false || seen.has(t.case)) continue;
    seen.add(t.case);
    const c = cases.get(t.case);
    const me = stats(c, 'nl-lvs');
    // The floor the missed target names (the one-ack floor for a batch), else the C floor.
    const floor = stats(c, t.floor !== undefined ? t.peer : 'floor');
    const floorName = floor?.tool.label ?? 'the C floor';
    const prof = c?.tools.find((x) => x.id === 'nl-lvs')?.profile;
    if (!me || !prof) continue;
    const js = prof.total_ms - prof.idle_ms - prof.gc_ms;
    const top = prof.top.filter((r) => r.fn !== '(garbage collector)').slice(0, 3).map((r) => `\`${r.fn}\` ${fmt(r.self_ms)} ms`).join(', ');
    const floorPart = floor && Number.isFinite(floor.median) ? `; ${floorName} takes ${fmt(floor.median)} ms for all of it` : '';
    const cpuPart = Number.isFinite(me.opUserMs) && floor && Number.isFinite(floor.opUserMs)
      ? ` CPU during the operation (medians): nl-lvs user ${fmt(me.opUserMs)} ms and system ${fmt(me.opSysMs)} ms, ${floorName} user ${fmt(floor.opUserMs)} ms and system ${fmt(floor.opSysMs)} ms.`
      : '';
    // The least a Node.js client pays for the same input: what of the gap is Node's own.
    const jsFloor = stats(c, 'js-floor');
    const jsPart = jsFloor && Number.isFinite(jsFloor.median) && floor && Number.isFinite(floor.median)
      ? ` The JS floor, a Node.js client that reads the same op objects, writes the messages by hand and only counts the acks, takes ${fmt(jsFloor.median)} ms: ${(jsFloor.median / floor.median).toFixed(2)}× ${floorName}, with nl-lvs ${(me.median / jsFloor.median).toFixed(2)}× the JS floor.`
      : '';
    out.push(
      `- ${c.title}: nl-lvs ${fmt(me.median)} ms${floorPart}. In the profiled run (${fmt(prof.total_ms)} ms sampled, profiler overhead included): ` +
        `${fmt(prof.idle_ms)} ms waiting for the kernel, ${fmt(prof.gc_ms)} ms garbage collection, ${fmt(js)} ms running JS and native calls (heaviest: ${top}).` + cpuPart + jsPart,
    );
  }
  // A speed-up over a peer is bounded by the floor's own: say how close to the floor it asks for.
  for (const t of targets) {
    if (t.met !== false || t.speedup === undefined) continue;
    const c = cases.get(t.case);
    const floor = stats(c, 'floor');
    const peer = stats(c, t.peer);
    if (!floor || !peer || !Number.isFinite(floor.median) || !Number.isFinite(peer.median)) continue;
    const floorSpeedup = peer.median / floor.median;
    out.push(
      `- ${t.text}: the C floor itself is ${floorSpeedup.toFixed(2)}× faster than ${c.tools.find((x) => x.id === t.peer)?.label ?? t.peer} in this run (${fmt(floor.median)} ms vs ${fmt(peer.median)} ms), ` +
        `so ${t.speedup}× asks nl-lvs to stay within ${(floorSpeedup / t.speedup).toFixed(2)}× of the floor.`,
    );
  }
  return out;
}

function stallLines() {
  const out = [];
  for (const id of ['ipvs-snapshot', 'ipvs-create', 'fdb-create', 'ipvs-apply-empty', 'ipvs-apply-1pct']) {
    const s = stats(cases.get(id), 'nl-lvs');
    if (s?.stall) out.push(`- ${cases.get(id).title}: longest stall ${fmt(s.stall.stall_ms)} ms during an operation of ${fmt(s.stall.op_ms)} ms (\`monitorEventLoopDelay\` max ${fmt(s.stall.eld_max_ms)} ms).`);
  }
  return out;
}

function document() {
  const targets = TARGETS.map((t) => ({ ...t, ...evaluate(t) }));
  const seconds = docs.reduce((a, d) => a + (d.seconds ?? 0), 0);
  return [
    '# Benchmarks',
    '',
    `Generated by \`npm run bench\` (benchmarks/run.sh) from a real run on this machine; do not edit by hand. Measuring took ${Math.round(seconds / 60)} min.`,
    '',
    '## Machine',
    '',
    machineTable(),
    '',
    '## Targets',
    '',
    '| Target | Measured | |',
    '|---|---|---|',
    ...targets.map((t) => `| ${t.text} | ${t.measured} | ${mark(t.met)} |`),
    '',
    ...(() => {
      const missed = missedLines(targets);
      return missed.length === 0 ? [] : [
        '## Where the missed targets lose their time',
        '',
        'From each case\'s CPU profile (details under its table). Time waiting for the kernel is the kernel\'s own work, which the floor pays too; the rest is what nl-lvs adds: JS work per message (encoding and checking, decoding into objects, one promise per request or batch, an event-loop turn per dump part) and the garbage it leaves, which user-mode Linux makes dearer (every fresh page a fault, every clock read a syscall). The floor is a C program that builds each message in place and reads into one buffer; a library that hands back JS objects per service and destination cannot drop to it, and these lines show by how much each part keeps it away. Where the case has one, the JS floor says how close Node.js itself can come: what lies between it and nl-lvs is the library\'s own work.',
        '',
        ...missed,
        '',
      ];
    })(),
    '## Event-loop stalls',
    '',
    'The longest time the Node.js event loop could not run anything else while nl-lvs worked: the largest gap between the ticks of a 1 ms interval timer, in one extra, untimed run of the case (the probe reads the clock every millisecond, which costs a syscall under UML, so it stays out of the timed runs):',
    '',
    ...stallLines(),
    '',
    '## Method',
    '',
    '- Every tool does the same work on the same kernel (benchmarks/harness/workload.mjs defines it once; the C, Go and Python programs compute the same addresses).',
    '- Each run gets a fresh network namespace, prepared by an untimed setup (IPVS keeps deleted destinations in a trash list that makes re-adding after a flush O(n²); a fresh namespace avoids it). After setup, and after each namespace is deleted, the harness waits for the CPU to go idle, so namespace teardown does not land in the next measurement.',
    `- Runs alternate between tools: in round r the tool order is rotated by r. ${docs[0].runs} rounds; the tables show medians.`,
    '- Libraries (nl-lvs, pyroute2, vishvananda/netlink) and the C floor report the time of the operation itself, measured inside the process after the socket is open and warmed by one request: what a long-running program pays. For the same reason nl-lvs is measured with the JIT warm, as a long-running agent runs (Go and C are compiled ahead of time): the IPVS create in a process that first ran three rounds of its own steps in a scratch namespace (see below), the snapshot after one untimed snapshot, the single operation after 600 untimed adds and deletes of other services (after 200, TurboFan was at times still compiling on UML\'s one CPU during the timed calls, which then took 2.4× as long; the first call of the fresh process is shown beside it; this case runs first in the guest, since after the bulk cases its runs were 2–3× slower at times from the guest\'s background work). Under UML a fresh process\'s first 1000 × 4 batches took 1172, 768, 422 and 226 ms: compilation a controller pays once at start-up; `nl-ipvsadm -R` shows the cold cost, start-up included. The FDB cases run after the same operations (10k added, listed and deleted, twice) on a scratch veth, whose address list holds them: on the host that took a 50k add from 424–433 ms cold to 366–374 ms, the process\'s user time from 138–172 to 38–70 ms. Not on a scratch vxlan: after that churn the kernel\'s own work on the timed adds grew (system time 251–287 to 340–384 ms) by more than the warm JIT saved, likely the per-CPU dst cache each vxlan remote allocates. The link dump runs after three untimed dumps of the same links; the link creates run in a fresh process with no warm-up. Command-line tools (ipvsadm, bridge, ip, nl-ipvsadm) are timed as whole processes, as scripts and controllers that shell out pay them. Peak RSS is the whole process\'s, from wait4.',
    '- Peers run as their users run them: `ipvsadm -R` with the file on stdin, `bridge -batch FILE`, `ip -batch FILE`, pyroute2 as a Python script with `IPRoute` (one call per object), vishvananda/netlink as a Go program built once with `go build` (package functions, one call per object), each inside the namespace with `ip netns exec`. nl-lvs enters the namespace itself (`netns` option).',
    '- The C floor (benchmarks/floor) builds messages with libnl, sends up to 256 per sendmsg and reads acks and dumps with recvmmsg: roughly what the kernel itself costs. Like every peer it asks for an ack per message. nl-lvs\'s batches ask for one per sendmsg (only the last message of a send sets NLM_F_ACK; the kernel answers a failing message with its error all the same, before that ack), which spares the kernel making and queueing an ack per operation: the batch cases also show the C floor doing the same ("one ack per send"), and judge nl-lvs against both.',
    '- The JS floor (benchmarks/tools/js-floor.mjs; FDB add and delete, IPVS bulk create) is the least a Node.js library can do: it reads the same op objects nl-lvs is given, writes the C floor\'s bytes by hand into one reused buffer, sends them 256 per sendmsg on nl-lvs\'s native socket, asking for one ack per sendmsg as nl-lvs does, and only counts the acks (no validation, no result per operation, no error texts). Warmed as nl-lvs is. Its distance to the C floor is Node\'s own; nl-lvs\'s distance to it is what the library adds.',
    '- Page faults (minor faults during the timed operation: `process.resourceUsage()` in the JS tools, `getrusage` in the C floor) are shown per tool. Under user-mode Linux a fault costs ~150 µs, against ~1.4 µs on this machine\'s own kernel (one byte written per page of a fresh 64 MiB buffer, three runs each), so in the IPVS cases the fresh pages an operation touches weigh more than its CPU.',
    '- The IPVS bulk create warms up with three rounds in a scratch namespace, each the timed run\'s own steps on a handle of its own: open it, resolve the family, run a 2000 × D batch, close it. With one batch, 24 functions were still being compiled by TurboFan during the timed run (~150 ms of it under UML); with batches on one handle, the timed handle\'s first request deoptimized the receive path (V8 had not seen it: feedback is allocated after a function\'s first calls). The JS floor warms up the same way.',
    '- Every in-process tool (nl-lvs, the JS floor) pauses 200 ms before its timed operation, so that it starts on a settled process rather than in the same tick as its warm-up and the building of its input: the compile jobs and GC work those leave ran on into the timed window, on UML\'s one CPU (the create: 380–540 ms started at once, 290–390 ms after a pause, one boot).',
    '- IPVS exists only in the user-mode Linux kernel here (scripts/uml/run.sh): syscalls and process starts are far slower there, so compare IPVS tools by ratio, not by absolute time.',
    '- Event-loop stalls come from a separate, untimed run with a 1 ms interval timer: the largest gap between its ticks. `monitorEventLoopDelay` is shown beside it but misses a stall that starts the moment it is enabled (its first interval is not recorded), such as the synchronous start of a batch.',
    '- Each case shows a CPU profile of nl-lvs from one more run (self time per function, of the operation only): where a target is missed, that is where the time goes. Native calls appear under the JS function or class that made them (`send`, `NativeDumpChannel`); a synchronous sendmsg includes the kernel\'s work on every message it carries.',
    '- The packet tap case is measured differently: the capturing program (nl-lvs\'s `PacketTap`, or tcpdump) starts in the receiving namespace before the traffic, a C sender in a second namespace pushes a fixed burst through a veth pair, and the program is stopped with SIGINT once it has had time to empty its ring. The rate is frames captured ÷ the duration of the burst (as the sender measured it), the same clock for every tool; frames the kernel dropped count as not captured. CPU and peak RSS are the capturing process\'s.',
    '- Timing assertions live here, never in the test suite.',
    '',
    '## Results',
    '',
    ...[...cases.values()].map(caseTable).flatMap((t) => [t, '']),
  ].join('\n');
}

if (quick) {
  for (const c of cases.values()) console.log(`\n${caseTable(c)}`);
  const c = cases.get('ipvs-create');
  const me = stats(c, 'nl-lvs');
  const peer = stats(c, 'ipvsadm-R');
  console.log('');
  if (!me || !peer || !Number.isFinite(me.median) || !Number.isFinite(peer.median)) {
    console.log(`quick gate: FAILED: the IPVS bulk create did not produce both times (nl-lvs: ${me?.problem ?? 'missing'}; ipvsadm -R: ${peer?.problem ?? 'missing'})`);
    process.exit(1);
  }
  const verdict = me.median <= peer.median;
  console.log(`quick gate: nl-lvs ${fmt(me.median)} ms vs ipvsadm -R ${fmt(peer.median)} ms on ${c.title}: ${verdict ? 'passed' : 'FAILED (nl-lvs is slower)'}`);
  process.exit(verdict ? 0 : 1);
}

const text = document();
const target = option('--write');
if (target) {
  writeFileSync(target, `${text}\n`);
  console.log(`wrote ${target}`);
} else {
  console.log(text);
}
