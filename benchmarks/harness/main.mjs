// Runs one suite of cases and writes its results as JSON.
//
//   node benchmarks/harness/main.mjs rtnl|ipvs --out FILE [--quick] [--runs N] [--only id,id] [--no-profile]
//
// benchmarks/run.sh calls it on the host (rtnl) and inside UML (ipvs), with
// NL_LVS_BENCH_BIN (C/Go/helper programs), NL_LVS_BENCH_PKG (the private
// nl-lvs build) and NL_LVS_BENCH_WORK (scratch) set.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { execFileSync } from 'node:child_process';
import { Bench } from './runner.mjs';
import { rtnlCases, SIZES as RTNL_SIZES } from '../cases/rtnl.mjs';
import { ipvsCases, SIZES as IPVS_SIZES } from '../cases/ipvs.mjs';
import { tapCases, SIZES as TAP_SIZES } from '../cases/tap.mjs';
import { ipvsApplyCases } from '../cases/ipvs-apply.mjs';

const argv = process.argv.slice(2);
const suite = argv[0];
const flag = (name) => argv.includes(name);
const option = (name, fallback) => {
  const i = argv.indexOf(name);
  return i >= 0 ? argv[i + 1] : fallback;
};
const quick = flag('--quick');
const out = option('--out');
if (!['rtnl', 'ipvs'].includes(suite) || !out) {
  console.error('usage: main.mjs rtnl|ipvs --out FILE [--quick] [--runs N] [--only id,id] [--no-profile]');
  process.exit(2);
}
const env = (name) => {
  const v = process.env[name];
  if (!v) throw new Error(`${name} is not set: run through benchmarks/run.sh`);
  return v;
};

const bench = new Bench({
  bin: env('NL_LVS_BENCH_BIN'),
  pkg: env('NL_LVS_BENCH_PKG'),
  work: env('NL_LVS_BENCH_WORK'),
  runs: Number(option('--runs', '5')),
  quick,
  profile: !flag('--no-profile'),
  log: (line) => console.log(line),
});
mkdirSync(bench.work, { recursive: true });

const mode = quick ? 'quick' : 'full';
// The packet tap case runs with the host-kernel (rtnl) suite.
const sizes = suite === 'rtnl' ? { ...RTNL_SIZES[mode], ...TAP_SIZES[mode] } : IPVS_SIZES[mode];
let cases = suite === 'rtnl' ? [...rtnlCases(bench, sizes), ...tapCases(bench, sizes)] : [...ipvsCases(bench, sizes), ...ipvsApplyCases(bench, sizes)];
const only = option('--only');
if (only) cases = cases.filter((c) => only.split(',').includes(c.id));

const started = new Date();
const t0 = Date.now();
const results = [];
for (const c of cases) {
  results.push(bench.runCase(c));
  // Results so far survive an interrupted run.
  write();
}
console.log(`${suite}: ${cases.length} cases in ${((Date.now() - t0) / 1000).toFixed(0)} s`);

function machine() {
  const sh = (cmd, args) => {
    try {
      return execFileSync(cmd, args, { encoding: 'utf8' }).trim();
    } catch {
      return undefined;
    }
  };
  return {
    kernel: sh('uname', ['-r']),
    uml: bench.inUml,
    nproc: cpus().length,
    // Under UML /proc/cpuinfo names no model: the guest's one CPU is a host thread.
    cpu: bench.inUml ? "one UML CPU (a thread of the host's)" : (readFileSync('/proc/cpuinfo', 'utf8').match(/model name\s*:\s*(.*)/)?.[1] ?? cpus()[0]?.model),
    memory_mib: Math.round(totalmem() / 2 ** 20),
    node: process.version,
    versions: {
      ipvsadm: sh('dpkg-query', ['-W', '-f=${Version}', 'ipvsadm']),
      iproute2: sh('dpkg-query', ['-W', '-f=${Version}', 'iproute2']),
      pyroute2: sh('dpkg-query', ['-W', '-f=${Version}', 'python3-pyroute2']),
      go_netlink: sh('dpkg-query', ['-W', '-f=${Version}', 'golang-github-vishvananda-netlink-dev']),
      libnl: sh('dpkg-query', ['-W', '-f=${Version}', 'libnl-3-dev']),
      tcpdump: sh('dpkg-query', ['-W', '-f=${Version}', 'tcpdump']),
    },
  };
}

function write() {
  const doc = {
    suite,
    quick,
    runs: bench.runs,
    date: started.toISOString(),
    seconds: Math.round((Date.now() - t0) / 1000),
    machine: machine(),
    sizes,
    cases: results,
  };
  writeFileSync(out, JSON.stringify(doc, null, 1));
}
