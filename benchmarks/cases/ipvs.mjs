// IPVS cases, inside the user-mode-linux kernel (the host has no IPVS). UML
// makes every syscall and process start slow, so tools are compared there by
// ratio only.
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { nlLvs, floor, jsFloor, vishvananda, cli, which, ONE_ACK_FLOOR } from '../harness/tools.mjs';
import { median } from '../harness/runner.mjs';
import { ipvsadmRestore, ipvsadmCommands, writeText, ipv4, SINGLE_BASE } from '../harness/workload.mjs';

export const SIZES = {
  // perOpLimit: one ipvsadm process costs ~50 ms under UML, so 200 processes
  // give a steady rate within the time budget. 100k connections: reading
  // /proc/net/ip_vs_conn is quadratic in the kernel (each read() returns at
  // most a page and restarts the walk from the first entry).
  full: { services: 10_000, dests: 4, perOpLimit: 200, single: 50, polls: 5, flowSources: 4, flowPorts: 25_000 },
  quick: { services: 1000, dests: 4, perOpLimit: 50, single: 20, polls: 3, flowSources: 1, flowPorts: 5000 },
};

/** Services and destinations in /proc/net/ip_vs of the namespace. */
function ipvsCount({ bench, ns }) {
  const text = bench.sh('ip', ['netns', 'exec', ns, 'cat', '/proc/net/ip_vs']);
  let services = 0;
  let dests = 0;
  for (const line of text.split('\n')) {
    if (/^(TCP|UDP|SCTP|FWM) /.test(line)) services++;
    else if (line.startsWith('  -> ') && !line.includes('RemoteAddress')) dests++;
  }
  return { services, dests };
}

/** The bulk state, made by the floor (untimed setup for the read cases). */
export function fillIpvs({ bench, ns, params }) {
  bench.sh('ip', ['netns', 'exec', ns, join(bench.bin, 'ipvs_floor'), 'create', String(params.services), String(params.dests)]);
}

/** ipvsadm's listing rows: services and destinations. */
const listingItems = (r) => ({ items: r.stdout.split('\n').filter((l) => /^(TCP|UDP|SCTP|FWM) /.test(l) || (l.startsWith('  -> ') && !l.includes('RemoteAddress'))).length });

/**
 * nl-ipvsadm, the library's drop-in CLI: run from the private build when its
 * launcher exists (bin/nl-ipvsadm.js, copied next to dist/ by run.sh).
 */
export function nlIpvsadm(id, label, args, { input, parse } = {}) {
  return cli(id, label, ({ bench }) => ({ argv: [process.execPath, join(bench.pkg, 'bin', 'nl-ipvsadm.js'), ...args(bench)], input: input?.(bench) }), {
    unavailable: (b) => (existsSync(join(b.pkg, 'bin', 'nl-ipvsadm.js')) ? undefined : 'nl-ipvsadm is not built yet (bin/nl-ipvsadm.js)'),
    parse,
  });
}

export function ipvsCases(bench, sizes) {
  const { services: n, dests: d } = sizes;
  const total = n + n * d;
  const restore = writeText(join(bench.work, 'ipvs-restore.txt'), ipvsadmRestore(n, d));
  const restoreText = readFileSync(restore, 'utf8');
  // One ipvsadm process per operation: the first perOpLimit operations, as a shell script.
  const perOp = ipvsadmCommands(n, d, sizes.perOpLimit);
  const perOpScript = writeText(join(bench.work, 'ipvs-per-op.sh'), perOp.map((a) => `ipvsadm ${a.join(' ')}`).join('\n') + '\n');
  const perOpObjects = { services: perOp.filter((a) => a[0] === '-A').length, dests: perOp.filter((a) => a[0] === '-a').length };
  const params = { ...sizes };

  const create = {
    id: 'ipvs-create',
    title: `IPVS bulk create: ${n} TCP services × ${d} masq destinations (${total} operations)`,
    what: 'all operations, from the first message to the last ack',
    params,
    verify: (ctx, _parsed, tool) => {
      const want = tool.id === 'ipvsadm-per-op' ? perOpObjects : { services: n, dests: n * d };
      const got = ipvsCount(ctx);
      return got.services === want.services && got.dests === want.dests ? undefined : `kernel has ${got.services} services / ${got.dests} destinations, expected ${want.services} / ${want.dests}`;
    },
    tools: [
      nlLvs('nl-lvs-ipvs.mjs', (p) => ['create', '--n', String(p.services), '--d', String(p.dests)]),
      nlIpvsadm('nl-ipvsadm-R', 'nl-ipvsadm -R (file on stdin)', () => ['-R'], { input: () => restoreText }),
      cli('ipvsadm-R', 'ipvsadm -R (file on stdin)', () => ({ argv: ['ipvsadm', '-R'], input: restoreText }), { unavailable: () => which('ipvsadm') }),
      cli('ipvsadm-per-op', `ipvsadm, one process per operation (first ${perOp.length}, extrapolated)`, () => ({ argv: ['sh', perOpScript] }), {
        unavailable: () => which('ipvsadm'),
        // The time for all operations, at the measured rate.
        parse: (r) => ({ timeMs: (r.wallMs * total) / perOp.length, measured_ops: perOp.length, measured_ms: r.wallMs }),
      }),
      floor('ipvs_floor', (p) => ['create', String(p.services), String(p.dests)]),
      floor('ipvs_floor', (p) => ['create', String(p.services), String(p.dests), 'one-ack'], ONE_ACK_FLOOR),
      jsFloor((p) => ['ipvs-create', '--n', String(p.services), '--d', String(p.dests)]),
    ],
  };

  const expectTotal = (_ctx, parsed) => (parsed.items === total ? undefined : `read ${parsed.items} services + destinations, expected ${total}`);

  const snapshot = {
    id: 'ipvs-snapshot',
    title: `IPVS snapshot: ${n} services × ${d} destinations, with stats`,
    what: 'one full listing with counters, every object decoded',
    params,
    setup: fillIpvs,
    verify: expectTotal,
    tools: [
      nlLvs('nl-lvs-ipvs.mjs', () => ['snapshot']),
      nlIpvsadm('nl-ipvsadm-Ln-stats', 'nl-ipvsadm -Ln --stats', () => ['-Ln', '--stats'], { parse: listingItems }),
      cli('ipvsadm-Ln-stats', 'ipvsadm -Ln --stats', () => ({ argv: ['ipvsadm', '-Ln', '--stats'] }), { unavailable: () => which('ipvsadm'), parse: listingItems }),
      floor('ipvs_floor', () => ['snapshot']),
    ],
  };

  const k = sizes.single;
  const singleFile = join(bench.work, 'ipvs-single.jsonl');
  const singleScript = writeText(
    join(bench.work, 'ipvs-single.sh'),
    Array.from({ length: k }, (_, i) => `${join(bench.bin, 'runwall')} -a -o ${singleFile} -- ipvsadm -A -t ${ipv4(SINGLE_BASE + i)}:80 -s rr`).join('\n') + '\n',
  );
  const single = {
    id: 'ipvs-single',
    title: `IPVS single operation: add one service (median of ${k} calls)`,
    what: 'one call on a live handle, or one ipvsadm process',
    params,
    verify: (ctx) => {
      const got = ipvsCount(ctx);
      return got.services === k ? undefined : `kernel has ${got.services} services, expected ${k}`;
    },
    tools: [
      nlLvs('nl-lvs-ipvs.mjs', (p) => ['single', '--k', String(p.single)]),
      cli('ipvsadm-spawn', 'spawning ipvsadm -A', () => {
        rmSync(singleFile, { force: true });
        return { argv: ['sh', singleScript] };
      }, {
        unavailable: () => which('ipvsadm'),
        parse: () => {
          const runs = readFileSync(singleFile, 'utf8').trim().split('\n').map((l) => JSON.parse(l));
          return { timeMs: median(runs.map((x) => x.wall_ms)), items: runs.length, errors: runs.filter((x) => x.status !== 0).length };
        },
      }),
      floor('ipvs_floor', (p) => ['single', String(p.single)]),
    ],
  };

  const polls = sizes.polls;
  const stats = {
    id: 'ipvs-stats',
    title: `IPVS stats poll: counters of ${n} services × ${d} destinations (median of ${polls} polls in one process)`,
    what: 'one poll of every counter, in a process that polls repeatedly',
    params,
    setup: fillIpvs,
    verify: (ctx, parsed, tool) => (tool.id === 'proc-ip-vs' ? (parsed.items === n * d ? undefined : `read ${parsed.items} real servers, expected ${n * d}`) : expectTotal(ctx, parsed)),
    tools: [
      nlLvs('nl-lvs-ipvs.mjs', (p) => ['stats', '--polls', String(p.polls)], { nodeFlags: ['--expose-gc', '--max-semi-space-size=64'] }),
      floor('ipvs_floor', (p) => ['stats', String(p.polls)]),
      { ...vishvananda((p) => ['ipvs-proc', String(p.polls)]), id: 'proc-ip-vs', label: '/proc/net/ip_vs parsed as node_exporter does (Go)', note: 'has no per-destination byte or packet counters' },
    ],
  };

  const flows = sizes.flowSources * sizes.flowPorts;
  const conns = {
    id: 'ipvs-conns',
    title: `IPVS connection table: ${flows} UDP connections`,
    what: 'every entry of /proc/net/ip_vs_conn read and decoded',
    params,
    setup: (ctx) => makeConnections(ctx, sizes),
    verify: (_ctx, parsed) => (parsed.items >= flows ? undefined : `read ${parsed.items} connections, expected ${flows}`),
    tools: [
      nlLvs('nl-lvs-ipvs.mjs', () => ['conns']),
      cli('ipvsadm-Lcn', 'ipvsadm -Lcn', () => ({ argv: ['ipvsadm', '-Lcn'] }), {
        unavailable: () => which('ipvsadm'),
        parse: (r) => ({ items: r.stdout.split('\n').filter((l) => /^UDP /.test(l)).length }),
      }),
    ],
  };

  // The single operation first, in a fresh guest: after the bulk cases (each
  // tearing down namespaces of 50k IPVS objects) its runs were 2-3x slower at
  // times, from background work in the guest, whatever the library did.
  return [single, create, snapshot, stats, conns];
}

/**
 * A director namespace (ctx.ns) with a UDP service in masq mode, a client
 * namespace sending one datagram per flow (distinct source address/port),
 * and a real-server namespace behind the director. IPVS makes one connection
 * entry per flow; the UDP timeout is raised so none expire during the run.
 */
function makeConnections(ctx, sizes) {
  const { bench, ns } = ctx;
  const client = bench.makeNs('conn-c');
  const server = bench.makeNs('conn-r');
  ctx.extra.push(client, server);
  const ip = (...args) => bench.sh('ip', args);
  ip('link', 'add', 'd0', 'netns', ns, 'type', 'veth', 'peer', 'name', 'c0', 'netns', client);
  ip('link', 'add', 'd1', 'netns', ns, 'type', 'veth', 'peer', 'name', 'r0', 'netns', server);
  ip('-n', ns, 'addr', 'add', '203.0.113.1/24', 'dev', 'd0');
  ip('-n', ns, 'addr', 'add', '192.0.2.1/24', 'dev', 'd1');
  ip('-n', ns, 'addr', 'add', '198.51.100.1/32', 'dev', 'lo');
  ip('-n', ns, 'link', 'set', 'd0', 'up');
  ip('-n', ns, 'link', 'set', 'd1', 'up');
  ip('-n', client, 'addr', 'add', '203.0.113.2/24', 'dev', 'c0');
  ip('-n', client, 'link', 'set', 'c0', 'up');
  ip('-n', client, 'route', 'add', '198.51.100.0/24', 'via', '203.0.113.1');
  ip('-n', server, 'addr', 'add', '192.0.2.10/24', 'dev', 'r0');
  ip('-n', server, 'link', 'set', 'r0', 'up');
  const inNs = (...args) => bench.sh('ip', ['netns', 'exec', ns, ...args]);
  inNs('sysctl', '-qw', 'net.ipv4.ip_forward=1');
  inNs('ipvsadm', '--set', '900', '120', '3600');
  inNs('ipvsadm', '-A', '-u', '198.51.100.1:53', '-s', 'rr');
  inNs('ipvsadm', '-a', '-u', '198.51.100.1:53', '-r', '192.0.2.10:53', '-m');
  bench.sh('ip', ['netns', 'exec', client, join(bench.bin, 'udp_flows'), '198.51.100.1', '53', '203.0.113.10', String(sizes.flowSources), String(sizes.flowPorts)]);
}
