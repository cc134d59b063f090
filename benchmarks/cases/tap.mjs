// The packet tap against tcpdump, on the host kernel: both capture the same
// burst of VXLAN-shaped UDP frames on a veth, with the same kernel filter.
import { join } from 'node:path';
import { nlLvs, cli, which } from '../harness/tools.mjs';
import { lastJson } from '../harness/runner.mjs';

export const SIZES = {
  full: { tapFrames: 500_000 },
  quick: { tapFrames: 50_000 },
};

const FILTER = 'udp port 4789';
const CAPTURE_IF = 't0';
const RECEIVER = '192.0.2.1';
// After the burst, before SIGINT: more than tcpdump's 1 s ring block timeout, so a partly filled last block reaches it.
const GRACE_MS = 1500;

/**
 * ctx.ns receives on t0 (where the tools capture); a sender namespace holds
 * the peer t1. The sender's neighbour entry is permanent, so no frame waits
 * for (or is dropped during) ARP resolution.
 */
function veths(ctx) {
  const { bench, ns } = ctx;
  const sender = bench.makeNs('tap-s');
  ctx.extra.push(sender);
  ctx.sender = sender;
  const ip = (...args) => bench.sh('ip', args);
  ip('link', 'add', CAPTURE_IF, 'netns', ns, 'type', 'veth', 'peer', 'name', 't1', 'netns', sender);
  ip('-n', ns, 'addr', 'add', `${RECEIVER}/24`, 'dev', CAPTURE_IF);
  ip('-n', sender, 'addr', 'add', '192.0.2.2/24', 'dev', 't1');
  ip('-n', ns, 'link', 'set', CAPTURE_IF, 'up');
  ip('-n', sender, 'link', 'set', 't1', 'up');
  const mac = JSON.parse(bench.sh('ip', ['-j', '-n', ns, 'link', 'show', CAPTURE_IF]))[0].address;
  ip('-n', sender, 'neigh', 'replace', RECEIVER, 'lladdr', mac, 'dev', 't1', 'nud', 'permanent');
}

/** The burst, sent while the tool captures (benchmarks/floor/udp_burst.c). */
function burst({ bench, sender, params }) {
  return lastJson(bench.sh('ip', ['netns', 'exec', sender, join(bench.bin, 'udp_burst'), RECEIVER, '4789', String(params.tapFrames)]));
}

/**
 * Per run: frames captured per second of the burst, and a time for the
 * runner (lower is better): the burst's duration scaled by sent/captured,
 * i.e. how long capturing every frame takes at that rate.
 */
function rate(counts, r) {
  const sent = r.traffic?.sent;
  const burstMs = r.traffic?.op_ms;
  if (!sent || !burstMs) throw new Error('the traffic did not run');
  const out = { ...counts, sent, burst_ms: burstMs, rate_fps: Math.round(counts.captured / (burstMs / 1000)) };
  if (counts.captured > 0) out.timeMs = (burstMs * sent) / counts.captured;
  return out;
}

/** tcpdump's closing lines on stderr. */
function tcpdumpCounts(stderr) {
  const count = (what) => {
    const m = stderr.match(new RegExp(`(\\d+) packets? ${what}`));
    if (!m) throw new Error(`no "packets ${what}" line from tcpdump`);
    return Number(m[1]);
  };
  return { captured: count('captured'), seen: count('received by filter'), dropped: count('dropped by kernel') };
}

export function tapCases(bench, sizes) {
  const n = sizes.tapFrames;
  const tapRate = {
    id: 'tap-rate',
    title: `packet tap: capture ${n} UDP frames to port 4789 on a veth (filter \`${FILTER}\`)`,
    what: `frames captured ÷ the burst's duration (a C sender in a second namespace pushes ${n} VXLAN-shaped UDP datagrams of 114 bytes on the wire, plain UDP to port 4789 with no vxlan device, with sendmmsg as fast as it can; the burst runs from its first sendmmsg to the return of its last). The capturing process starts before the burst, gets ${GRACE_MS} ms after it to empty its ring, then is stopped with SIGINT; frames the kernel dropped because the ring was full count as not captured. CPU is the capturing process's, start-up included`,
    params: { ...sizes },
    rate: { unit: 'frames/s', items: 'frames' },
    nsTag: 'tap-r',
    graceMs: GRACE_MS,
    setup: veths,
    traffic: burst,
    verify: (_ctx, parsed) => {
      if (parsed.seen !== parsed.sent) return `${parsed.seen} of ${parsed.sent} frames reached the filter`;
      if (parsed.captured + parsed.dropped !== parsed.seen) return `captured ${parsed.captured} + dropped ${parsed.dropped} ≠ ${parsed.seen} seen`;
      return undefined;
    },
    tools: [
      {
        ...nlLvs('nl-lvs-tap.mjs', () => ['capture', '--interface', CAPTURE_IF, '--filter', FILTER], { label: 'nl-lvs PacketTap' }),
        parse: (r) => rate(lastJson(r.stdout), r),
        note: 'default ring: 8 MiB, 10 ms block timeout',
      },
      cli('tcpdump', `tcpdump -w /dev/null`, () => ({ argv: ['tcpdump', '-i', CAPTURE_IF, '-w', '/dev/null', '-n', FILTER] }), {
        unavailable: () => which('tcpdump'),
        parse: (r) => rate(tcpdumpCounts(r.stderr), r),
        note: `\`tcpdump -i IF -w /dev/null -n '${FILTER}'\`: libpcap's default 2 MiB ring, 1 s block timeout`,
      }),
    ],
  };
  return [tapRate];
}
