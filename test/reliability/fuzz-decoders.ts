// The decoder fuzzer: real kernel bytes (test/reliability/corpus.ts), mutated,
// and messages made from nothing, fed to every decoder. The contract checked:
// a decoder returns a value (or undefined) or throws a DecodeError; anything
// else (a RangeError from reading past a buffer, a TypeError, a hang) is a
// failure, recorded with the bytes that caused it.
//
// As a script (the 10^6 run; see docs/RELIABILITY.md):
//   NL_RUN=fuzz-decoders npx vite-node test/reliability/fuzz-decoders.ts -- [iterations] [seed]
import { performance } from 'node:perf_hooks';
import { DecodeError } from '../../lib/protocol/errors.js';
import { forEachMessage, type Message } from '../../lib/protocol/message.js';
import { AttrTable } from '../../lib/codec/reader.js';
import { decodeLink } from '../../lib/families/link/link.js';
import { decodeAddress } from '../../lib/families/addr.js';
import { decodeRoute } from '../../lib/families/route.js';
import { decodeNeighbour } from '../../lib/families/neigh.js';
import { decodeFdb } from '../../lib/families/fdb.js';
import { decodeEvent, type WatchTopic } from '../../lib/api/events.js';
import { decodeService } from '../../lib/families/ipvs/service.js';
import { destinationDecoder } from '../../lib/families/ipvs/destination.js';
import { decodeDaemon } from '../../lib/families/ipvs/daemon.js';
import { genlAttrs } from '../../lib/families/genl.js';
import { decodeFrame } from '../../lib/hotpath/decode/frame.js';
import { parseConnections } from '../../lib/families/ipvs/connection-table.js';
import {
  IFINFOMSG_LEN, IFADDRMSG_LEN, RTMSG_LEN, NDMSG_LEN, RTM_NEWLINK, RTM_DELLINK, RTM_NEWADDR, RTM_NEWROUTE,
  RTM_NEWNEIGH, RTM_GETNEIGH, RTM_DELNEIGH,
} from '../../lib/uapi/rtnetlink.js';
import { GENL_HDRLEN } from '../../lib/uapi/genetlink.js';
import { loadCorpus, type Seed, type SeedKind } from './corpus.js';
import { Rng, mutate, mutateValues, fixLength, randomMessage } from './mutate.js';

const ALL_TOPICS: ReadonlySet<WatchTopic> = new Set(['link', 'address', 'route', 'neighbour', 'fdb']);

type MessageDecoder = (msg: Message) => unknown;

/** The decoders each kind of netlink seed is fed to. */
const NETLINK: Partial<Record<SeedKind, { type: number[]; header: number; decoders: Record<string, MessageDecoder> }>> = {
  link: { type: [RTM_NEWLINK, RTM_DELLINK], header: IFINFOMSG_LEN, decoders: { decodeLink, decodeEvent: (m) => decodeEvent(m, ALL_TOPICS) } },
  address: { type: [RTM_NEWADDR], header: IFADDRMSG_LEN, decoders: { decodeAddress, decodeEvent: (m) => decodeEvent(m, ALL_TOPICS) } },
  route: { type: [RTM_NEWROUTE], header: RTMSG_LEN, decoders: { decodeRoute, decodeEvent: (m) => decodeEvent(m, ALL_TOPICS) } },
  neighbour: {
    type: [RTM_NEWNEIGH, RTM_GETNEIGH],
    header: NDMSG_LEN,
    decoders: { decodeNeighbour, decodeEvent: (m) => decodeEvent(m, ALL_TOPICS) },
  },
  fdb: { type: [RTM_NEWNEIGH, RTM_DELNEIGH, RTM_GETNEIGH], header: NDMSG_LEN, decoders: { decodeFdb, decodeEvent: (m) => decodeEvent(m, ALL_TOPICS) } },
  service: { type: [0x1c], header: GENL_HDRLEN, decoders: { decodeService } },
  destination: { type: [0x1c], header: GENL_HDRLEN, decoders: { decodeDestination4: destinationDecoder(4), decodeDestination6: destinationDecoder(6) } },
  daemon: { type: [0x1c], header: GENL_HDRLEN, decoders: { decodeDaemon: (m) => decodeDaemon(genlAttrs(m)) } },
};

/** Every attribute, recursively, as a nested table where it parses as one: forEachMessage + AttrTable alone. */
function walkAttributes(t: AttrTable, depth: number): number {
  let n = 0;
  for (const a of t.each()) {
    n++;
    if (depth > 0 && a.data.length >= 4) {
      try {
        n += walkAttributes(new AttrTable(a.data, 0, a.data.length), depth - 1);
      } catch (err) {
        if (!(err instanceof DecodeError)) throw err;
      }
    }
  }
  return n;
}

export interface Failure {
  decoder: string;
  seed: string;
  error: string;
  hex: string;
}

export interface FuzzReport {
  iterations: number;
  /** Decoder calls made (one input feeds several decoders). */
  calls: number;
  /** Calls that returned (a value or undefined). */
  returned: number;
  /** Calls that threw a DecodeError, by message pattern (numbers and quoted text replaced). */
  decodeErrors: Map<string, number>;
  decodeErrorCount: number;
  /** Anything but a value or a DecodeError. */
  failures: Failure[];
  failureCount: number;
  /** The slowest single call, in milliseconds (a hang would show here). */
  slowestMs: number;
  elapsedMs: number;
  byDecoder: Map<string, number>;
  returnedByDecoder: Map<string, number>;
}

function pattern(message: string): string {
  return message
    .replace(/"(?:[^"\\]|\\.)*"/g, '"…"')
    .replace(/-?\d+/g, 'N');
}

export interface FuzzOptions {
  iterations: number;
  seed?: number;
  /** Failures kept with their bytes (all are counted). */
  keepFailures?: number;
  onProgress?: (done: number, report: FuzzReport) => void;
}

export function runDecoderFuzz(options: FuzzOptions): FuzzReport {
  const rng = new Rng(options.seed ?? 1);
  const corpus = loadCorpus();
  const byKind = new Map<SeedKind, Seed[]>();
  for (const s of corpus) byKind.set(s.kind, [...(byKind.get(s.kind) ?? []), s]);
  const allBytes = corpus.map((s) => s.bytes);
  const keep = options.keepFailures ?? 20;
  const report: FuzzReport = {
    iterations: 0, calls: 0, returned: 0, decodeErrors: new Map(), decodeErrorCount: 0, failures: [], failureCount: 0,
    slowestMs: 0, elapsedMs: 0, byDecoder: new Map(), returnedByDecoder: new Map(),
  };
  const started = performance.now();

  const call = (decoder: string, seed: string, input: Buffer, fn: () => unknown): void => {
    report.calls++;
    report.byDecoder.set(decoder, (report.byDecoder.get(decoder) ?? 0) + 1);
    const t0 = performance.now();
    try {
      fn();
      report.returned++;
      report.returnedByDecoder.set(decoder, (report.returnedByDecoder.get(decoder) ?? 0) + 1);
    } catch (err) {
      if (err instanceof DecodeError) {
        report.decodeErrorCount++;
        const p = pattern(err.message);
        report.decodeErrors.set(p, (report.decodeErrors.get(p) ?? 0) + 1);
      } else {
        report.failureCount++;
        if (report.failures.length < keep) {
          const e = err as Error;
          report.failures.push({ decoder, seed, error: `${e?.name}: ${e?.message}`, hex: input.subarray(0, 2048).toString('hex') });
        }
      }
    }
    const dt = performance.now() - t0;
    if (dt > report.slowestMs) report.slowestMs = dt;
  };

  const kinds = [...byKind.keys()];
  for (let i = 0; i < options.iterations; i++) {
    report.iterations++;
    const kind = rng.pick(kinds);
    const seeds = byKind.get(kind)!;
    const seed = rng.pick(seeds);
    const spec = NETLINK[kind];
    let input: Buffer;
    let origin = seed.name;
    if (spec && rng.chance(0.15)) {
      input = randomMessage(rng, rng.pick(spec.type), spec.header);
      origin = `random ${kind} message`;
    } else if (spec && rng.chance(0.5)) {
      input = mutateValues(rng, seed.bytes, 16 + spec.header);
    } else {
      input = mutate(rng, seed.bytes, allBytes);
      if (spec && rng.chance(0.7)) input = fixLength(input);
      // Now and then several messages in one datagram, as dumps arrive.
      if (spec && rng.chance(0.1)) input = Buffer.concat([input, fixLength(mutate(rng, rng.pick(seeds).bytes, allBytes))]);
    }
    if (spec) {
      if (spec.type.length > 1 && input.length >= 6 && rng.chance(0.3)) input.writeUInt16LE(rng.pick(spec.type), 4);
      for (const [name, decode] of Object.entries(spec.decoders)) {
        call(name, origin, input, () => forEachMessage(input, (m) => void decode(m)));
      }
      call('forEachMessage+AttrTable', origin, input, () =>
        forEachMessage(input, (m) => void walkAttributes(new AttrTable(m.buf, Math.min(m.offset + spec.header, m.end), m.end), 6)),
      );
    } else if (kind === 'frame') {
      call('decodeFrame', origin, input, () => decodeFrame(input, rng.chance(0.2) ? { vxlanPorts: [4789, 8472, rng.u32() & 0xffff] } : {}));
    } else {
      call('parseConnections', origin, input, () => parseConnections(input));
    }
    if (options.onProgress && (i + 1) % 100_000 === 0) {
      report.elapsedMs = performance.now() - started;
      options.onProgress(i + 1, report);
    }
  }
  report.elapsedMs = performance.now() - started;
  return report;
}

export function formatReport(r: FuzzReport): string {
  const lines = [
    `${r.iterations} inputs, ${r.calls} decoder calls in ${(r.elapsedMs / 1000).toFixed(1)} s`,
    `returned: ${r.returned}; DecodeError: ${r.decodeErrorCount} (${r.decodeErrors.size} distinct messages); other errors: ${r.failureCount}`,
    `slowest call: ${r.slowestMs.toFixed(2)} ms`,
    `calls by decoder (returned/called): ${[...r.byDecoder].map(([k, v]) => `${k} ${r.returnedByDecoder.get(k) ?? 0}/${v}`).join(', ')}`,
    'DecodeError messages (count, pattern):',
    ...[...r.decodeErrors].sort((a, b) => b[1] - a[1]).map(([p, n]) => `  ${n}\t${p}`),
  ];
  for (const f of r.failures) lines.push(`FAILURE ${f.decoder} (${f.seed}): ${f.error}\n  ${f.hex}`);
  return lines.join('\n');
}

// Run as a script: the long fuzz.
// (vite-node drops the script from argv, so the script says who it is.)
if (process.env.NL_RUN === 'fuzz-decoders') {
  const args = process.argv.slice(2).filter((a) => a !== '--');
  const iterations = Number(args[0] ?? 1_000_000);
  const seed = Number(args[1] ?? Date.now() & 0xffff);
  console.log(`decoder fuzz: ${iterations} inputs, seed ${seed}`);
  const report = runDecoderFuzz({
    iterations,
    seed,
    onProgress: (done, r) => console.log(`  ${done} inputs, ${r.decodeErrorCount} DecodeErrors, ${r.failureCount} failures, ${(r.elapsedMs / 1000).toFixed(0)} s`),
  });
  console.log(formatReport(report));
  process.exitCode = report.failureCount === 0 ? 0 : 1;
}
