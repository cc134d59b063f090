// Fuzzes the protocol core's receive path: mutated kernel replies, acks and
// errors (with random extended-ack TLVs) fed to a real Connection as if its
// socket had read them, aimed at requests and dumps it is waiting on. The
// contract: nothing but a DecodeError escapes the receive path (anything else
// would reach the native callback and end the process), every call settles
// with a typed error or a value, and nothing is left pending.
// The socket is real (NETLINK_ROUTE, no privilege needed) but sends nothing:
// its send is replaced, so no kernel state is touched.
import { Connection, type BatchResult } from '../../lib/protocol/connection.js';
import { MessageWriter } from '../../lib/codec/writer.js';
import { DecodeError, NetlinkError, DumpInterruptedError, TimeoutError, SocketClosedError } from '../../lib/protocol/errors.js';
import { decodeLink } from '../../lib/families/link/link.js';
import { NETLINK_ROUTE, NLMSG_ERROR, NLMSG_DONE, NLMSG_NOOP, NLMSG_OVERRUN, NLM_F_REQUEST, NLM_F_ACK, NLM_F_DUMP, NLM_F_MULTI, NLM_F_DUMP_INTR, NLM_F_CAPPED, NLM_F_ACK_TLVS, NLMSGERR_ATTR_MSG, NLMSGERR_ATTR_OFFS, NLMSGERR_ATTR_MISS_TYPE } from '../../lib/uapi/netlink.js';
import { RTM_GETLINK, RTM_NEWLINK, IFINFOMSG_LEN } from '../../lib/uapi/rtnetlink.js';
import { loadCorpus } from './corpus.js';
import { Rng, mutate, mutateValues, fixLength } from './mutate.js';

/** The parts of Connection this harness reaches into: what the socket would hand it. */
interface ConnectionInternals {
  pending: { size: number; all(): Array<{ seq: number }> };
  dumps: { running: number; queue: unknown[] };
  transport: { send(data: Uint8Array, operation: string): void };
  onDatagram(batch: Buffer, start: number, end: number, truncated: boolean): void;
}

export interface DispatchReport {
  datagrams: number;
  calls: number;
  /** How the calls ended: 'ok', or the error class of a failed message. */
  outcomes: Map<string, number>;
  /** Errors that escaped the receive path, or calls that ended with an untyped error. */
  failures: string[];
  /** Requests still pending after close(). */
  leaked: number;
}

const TYPED = [NetlinkError, DecodeError, DumpInterruptedError, TimeoutError, SocketClosedError];

function tlv(type: number, payload: Buffer): Buffer {
  const b = Buffer.alloc((4 + payload.length + 3) & ~3);
  b.writeUInt16LE(4 + payload.length, 0);
  b.writeUInt16LE(type, 2);
  payload.copy(b, 4);
  return b;
}

/** An NLMSG_ERROR (ack or error) or NLMSG_DONE, well or badly formed, with or without extack TLVs. */
function controlMessage(rng: Rng, type: number): Buffer {
  const errno = rng.chance(0.5) ? 0 : -(1 + rng.below(133));
  const parts: Buffer[] = [];
  const head = Buffer.alloc(4);
  head.writeInt32LE(rng.chance(0.05) ? rng.u32() | 0 : errno);
  parts.push(head);
  let flags = 0;
  if (type === NLMSG_ERROR) {
    // The echoed request header (and maybe its payload).
    const echoed = Buffer.alloc(16 + (rng.chance(0.5) ? IFINFOMSG_LEN : 0));
    echoed.writeUInt32LE(rng.chance(0.9) ? echoed.length : rng.u32(), 0);
    if (echoed.length === 16) flags |= NLM_F_CAPPED;
    parts.push(echoed);
  }
  if (rng.chance(0.6)) {
    flags |= NLM_F_ACK_TLVS;
    if (rng.chance(0.6)) parts.push(tlv(NLMSGERR_ATTR_MSG, Buffer.from(rng.chance(0.8) ? 'Unknown device type\0' : rng.bytes(rng.below(40)))));
    if (rng.chance(0.5)) {
      const offs = Buffer.alloc(rng.chance(0.9) ? 4 : rng.below(4));
      if (offs.length === 4) offs.writeUInt32LE(rng.chance(0.8) ? rng.below(64) : rng.u32());
      parts.push(tlv(NLMSGERR_ATTR_OFFS, offs));
    }
    if (rng.chance(0.2)) parts.push(tlv(NLMSGERR_ATTR_MISS_TYPE, rng.bytes(rng.pick([0, 2, 4]))));
  }
  if (rng.chance(0.1)) flags = rng.u32() & 0xffff;
  let body = Buffer.concat(parts);
  if (rng.chance(0.15)) body = body.subarray(0, rng.below(body.length + 1));
  const msg = Buffer.alloc(16 + body.length);
  msg.writeUInt32LE(msg.length, 0);
  msg.writeUInt16LE(type, 4);
  msg.writeUInt16LE(flags, 6);
  body.copy(msg, 16);
  return msg;
}

export async function runDispatchFuzz(options: { iterations: number; seed?: number }): Promise<DispatchReport> {
  const rng = new Rng(options.seed ?? 1);
  const links = loadCorpus().filter((s) => s.kind === 'link').map((s) => s.bytes);
  const report: DispatchReport = { datagrams: 0, calls: 0, outcomes: new Map(), failures: [], leaked: 0 };
  const conn = new Connection(NETLINK_ROUTE, { receiveBuffer: 0, timeout: 0 });
  const inner = conn as unknown as ConnectionInternals;
  inner.transport.send = () => {};
  const outcome = (key: string): void => void report.outcomes.set(key, (report.outcomes.get(key) ?? 0) + 1);
  const judge = (err: unknown, where: string): void => {
    if (TYPED.some((T) => err instanceof T)) outcome((err as Error).name);
    else if (report.failures.length < 20) report.failures.push(`${where}: ${String(err)}`);
    else report.failures.length++;
  };
  const settled: Array<Promise<void>> = [];

  const startCall = (): void => {
    report.calls++;
    if (rng.chance(0.3)) {
      const w = new MessageWriter(64);
      w.begin(RTM_GETLINK, NLM_F_REQUEST | NLM_F_DUMP).zeros(IFINFOMSG_LEN).end('fuzz dump');
      settled.push(conn.dump(w, decodeLink, { retries: rng.below(2) }).then(() => outcome('ok'), (e: unknown) => judge(e, 'dump')));
    } else {
      const w = new MessageWriter(256);
      const n = 1 + rng.below(4);
      for (let i = 0; i < n; i++) w.begin(RTM_GETLINK, NLM_F_REQUEST | NLM_F_ACK).zeros(IFINFOMSG_LEN).end(`fuzz request ${i}`);
      settled.push(
        conn.batch(w, { decode: decodeLink, stopOnError: rng.chance(0.3) }).then(
          (results: BatchResult<unknown>[]) => {
            for (const r of results) r.ok ? outcome('ok') : r.skipped ? outcome('skipped') : judge(r.error, 'batch result');
          },
          (e: unknown) => judge(e, 'batch'),
        ),
      );
    }
  };

  for (let i = 0; i < options.iterations; i++) {
    if (inner.pending.size === 0 && inner.dumps.queue.length === 0) {
      startCall();
      // Let the call register its sequence numbers (a dump waits a turn for its slot).
      await new Promise((r) => setImmediate(r));
    }
    const seqs = inner.pending.all().map((p) => p.seq);
    // A dump that failed early still holds the socket's dump slot until its NLMSG_DONE comes, as the kernel always sends one.
    if (inner.dumps.running >= 0) seqs.push(inner.dumps.running);
    const parts: Buffer[] = [];
    for (let n = 1 + rng.below(3); n > 0; n--) {
      const roll = rng.below(10);
      let m: Buffer;
      if (roll < 4) m = controlMessage(rng, rng.chance(0.7) ? NLMSG_ERROR : NLMSG_DONE);
      else if (roll < 8) m = fixLength(rng.chance(0.5) ? mutateValues(rng, rng.pick(links), 16 + IFINFOMSG_LEN) : mutate(rng, rng.pick(links), links));
      else {
        m = Buffer.alloc(16 + rng.below(8));
        m.writeUInt32LE(rng.chance(0.9) ? m.length : rng.u32(), 0);
        m.writeUInt16LE(rng.pick([NLMSG_NOOP, NLMSG_OVERRUN, RTM_NEWLINK, rng.u32() & 0xffff]), 4);
      }
      if (m.length >= 16) {
        if (m.readUInt16LE(4) === RTM_NEWLINK && rng.chance(0.5)) m.writeUInt16LE(NLM_F_MULTI | (rng.chance(0.1) ? NLM_F_DUMP_INTR : 0), 6);
        m.writeUInt32LE(seqs.length > 0 && rng.chance(0.9) ? rng.pick(seqs) : rng.u32(), 8);
        m.writeUInt32LE(rng.chance(0.9) ? 0 : rng.chance(0.5) ? conn.portId : rng.u32(), 12);
      }
      parts.push(m);
    }
    report.datagrams++;
    try {
      // At an offset inside a larger batch, as the transport hands datagrams over.
      const datagram = Buffer.concat(parts);
      const lead = rng.chance(0.5) ? 8 : 0;
      inner.onDatagram(Buffer.concat([Buffer.alloc(lead, 0xee), datagram, Buffer.alloc(8, 0xee)]), lead, lead + datagram.length, rng.chance(0.03));
    } catch (err) {
      if (!(err instanceof DecodeError)) judge(err, 'receive path');
    }
    if ((i & 63) === 0) await new Promise((r) => setImmediate(r));
  }
  conn.close();
  await Promise.all(settled);
  report.leaked = inner.pending.size;
  return report;
}

// Run as a script: NL_RUN=fuzz-dispatch npx vite-node test/reliability/fuzz-dispatch.ts -- [datagrams] [seed]
// (vite-node drops the script from argv, so the script says who it is.)
if (process.env.NL_RUN === 'fuzz-dispatch') {
  const args = process.argv.slice(2).filter((a) => a !== '--');
  const iterations = Number(args[0] ?? 200_000);
  const seed = Number(args[1] ?? 1);
  const started = Date.now();
  const r = await runDispatchFuzz({ iterations, seed });
  const outcomes = [...r.outcomes].map(([k, v]) => `${k} ${v}`).join(', ');
  console.log(`receive-path fuzz: ${r.datagrams} datagrams, ${r.calls} calls (${outcomes}), ${r.failures.length} untyped errors, ${r.leaked} left pending, ${((Date.now() - started) / 1000).toFixed(1)} s`);
  for (const f of r.failures) console.log(`FAILURE ${f}`);
  process.exitCode = r.failures.length === 0 && r.leaked === 0 ? 0 : 1;
}
