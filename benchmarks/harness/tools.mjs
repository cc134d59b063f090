// The tools under comparison, as descriptors the runner understands:
//   command(ctx) -> { argv, input?, env?, ns? }   (ns: null = run in the caller's namespace)
//   parse(result, ctx) -> { op_ms?, items?, errors?, timeMs?, ... }
//   timed: 'op'   the program reports its operation's own time (libraries, floor)
//          'wall' the whole process is timed (command-line tools)
//   unavailable(bench) -> reason string when the tool cannot run here
import { existsSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { lastJson } from './runner.mjs';

const HERE = dirname(fileURLToPath(import.meta.url));
export const BENCH_DIR = dirname(HERE);
const TOOLS = join(BENCH_DIR, 'tools');

const json = (r) => lastJson(r.stdout);
const missing = (path, what) => (existsSync(path) ? undefined : `${what} not built (${path})`);

/** nl-lvs through its public API, in a Node process of its own. */
export function nlLvs(script, args, { label = 'nl-lvs', nodeFlags = [] } = {}) {
  return {
    id: 'nl-lvs',
    label,
    kind: 'library',
    timed: 'op',
    primary: true,
    unavailable: (b) => missing(join(b.pkg, 'dist', 'index.js'), 'the nl-lvs build'),
    // The library enters the namespace itself (the `netns` option), as applications use it.
    command: ({ bench, ns, params }) => ({
      ns: null,
      argv: [process.execPath, ...nodeFlags, join(TOOLS, script), ...args(params), '--netns', ns],
      env: { NL_LVS_BENCH_PKG: bench.pkg },
    }),
    parse: json,
  };
}

/**
 * The C floor as nl-lvs's batches put it on the wire: only the last message
 * of each sendmsg asks for an ack (a failing one is answered all the same).
 * The plain floor, like every peer, asks for an ack per message.
 */
export const ONE_ACK_FLOOR = { id: 'floor-1ack', label: 'C floor (libnl), one ack per send' };

/** A C floor program (benchmarks/floor), run inside the namespace. */
export function floor(program, args, { id = 'floor', label = 'C floor (libnl)' } = {}) {
  return {
    id,
    label,
    kind: 'floor',
    timed: 'op',
    unavailable: (b) => missing(join(b.bin, program), 'the C floor'),
    command: ({ bench, params }) => ({ argv: [join(bench.bin, program), ...args(params)] }),
    parse: json,
  };
}

/**
 * The JS floor (tools/js-floor.mjs): the same input objects and the same
 * native socket as nl-lvs, with the messages written by hand and the acks only
 * counted, asking for acks as nl-lvs does. The least any Node.js library
 * pays: how much of nl-lvs's distance to the C floor is Node's own.
 */
export function jsFloor(args) {
  return {
    id: 'js-floor',
    label: 'JS floor (Node.js, raw socket)',
    kind: 'floor',
    timed: 'op',
    unavailable: (b) => missing(join(b.pkg, 'dist', 'transport', 'native.js'), 'the nl-lvs build'),
    command: ({ bench, ns, params }) => ({
      ns: null,
      argv: [process.execPath, join(TOOLS, 'js-floor.mjs'), ...args(params), '--netns', ns],
      env: { NL_LVS_BENCH_PKG: bench.pkg },
    }),
    parse: json,
  };
}

/** The vishvananda/netlink Go program, built once with `go build`. */
export function vishvananda(args) {
  return {
    id: 'vishvananda',
    label: 'vishvananda/netlink (Go)',
    kind: 'peer',
    timed: 'op',
    unavailable: (b) => missing(join(b.bin, 'vishvananda-bench'), 'the Go peer'),
    command: ({ bench, params }) => ({ argv: [join(bench.bin, 'vishvananda-bench'), ...args(params)] }),
    parse: json,
  };
}

let pyroute2Checked;
function pyroute2Missing() {
  if (pyroute2Checked === undefined) {
    const r = spawnSync('/usr/bin/python3', ['-c', 'import pyroute2'], { stdio: 'ignore' });
    pyroute2Checked = r.status === 0 ? '' : 'python3-pyroute2 is not installed';
  }
  return pyroute2Checked || undefined;
}

/** pyroute2 as a Python script with IPRoute (Debian's python3 + python3-pyroute2). */
export function pyroute2(args) {
  return {
    id: 'pyroute2',
    label: 'pyroute2 (Python)',
    kind: 'peer',
    timed: 'op',
    unavailable: pyroute2Missing,
    command: ({ params }) => ({ argv: ['/usr/bin/python3', join(BENCH_DIR, 'peers', 'pyroute2', 'bench.py'), ...args(params)] }),
    parse: json,
  };
}

/** A command-line tool, timed as a whole process. */
export function cli(id, label, command, { parse, unavailable, note } = {}) {
  return { id, label, kind: 'cli', timed: 'wall', command, parse, unavailable, note };
}

export function which(program) {
  const r = spawnSync('sh', ['-c', `command -v ${program}`], { encoding: 'utf8' });
  return r.status === 0 ? undefined : `${program} is not installed`;
}
