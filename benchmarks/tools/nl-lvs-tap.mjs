// nl-lvs on the packet tap case, as an application would use it: a PacketTap
// on one interface of a namespace, with a tcpdump filter, read batch by batch
// until SIGINT (how the harness stops tcpdump too). Every frame is counted
// and its captured bytes summed (tcpdump -w /dev/null writes each one out).
// Prints "listening on IF" on stderr once the tap is open (the harness waits
// for it, as for tcpdump's own line), then one JSON line (see common.mjs).
//
//   node nl-lvs-tap.mjs capture --netns NS --interface IF --filter EXPR
import { parseArgs, loadLibrary, timed, report } from './common.mjs';

const opts = parseArgs(process.argv.slice(2));
if (opts.mode !== 'capture') throw new Error(`unknown mode ${opts.mode}`);
const { PacketTap } = await loadLibrary();
const tap = PacketTap.open({ interface: opts.interface, netns: opts.netns, filter: opts.filter });

let stats;
process.once('SIGINT', () => {
  // Counters first: close() ends the iteration below.
  stats = tap.stats();
  tap.close();
});
process.stderr.write(`listening on ${opts.interface}\n`);

let frames = 0;
let bytes = 0;
// The process's CPU includes Node's start-up; the capture loop's own is reported beside it.
const cpu0 = process.cpuUsage();
// timed() only for the optional CPU profile and stall probe (extra runs); the case measures the traffic.
const r = await timed(async () => {
  for await (const batch of tap) {
    frames += batch.length;
    for (const frame of batch) bytes += frame.data.length;
  }
});
stats ??= tap.stats();
const cpu = process.cpuUsage(cpu0);
report({
  capture_cpu_ms: (cpu.user + cpu.system) / 1000,
  captured: frames,
  bytes,
  seen: Number(stats.seen),
  dropped: Number(stats.dropped),
  op_ms: r.op_ms,
  stall_ms: r.stall_ms,
  eld_max_ms: r.eld_max_ms,
  errors: 0,
  via: 'PacketTap (for await of batches)',
});
