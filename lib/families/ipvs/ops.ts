// Every IPVS write, alone or thousands at once. Ops are checked first
// (steps.ts: a bad one throws a ValidationError and nothing is sent), edits
// are merged with the current state (edits.ts), then the messages are encoded
// (a long plain batch's as its ops are checked: EncodedOps in steps.ts) and
// sent in chunks of a few thousand (one Connection.batch each: few
// sendmsg calls, one ack per op, results in order), so a 50k-op batch never
// blocks the event loop for long.
import { MessageWriter } from '../../codec/writer.js';
import type { BatchOptions, BatchResult, RequestOptions } from '../../protocol/connection.js';
import { IPVS_CMD_FLUSH } from '../../uapi/ip_vs.js';
import type { IpvsFamily } from './family.js';
import { compareService, decodeService, writeGetService } from './service.js';
import { compareDestination, dumpDestinations } from './destination.js';
import { loadState, resolveEdits } from './edits.js';
import type { DumpPool } from './snapshot.js';
import { ENCODED_CHUNK, checkOps, describeError, isEdit, needsReadBack, writeStepMessage, type CheckedBatch, type EncodedOps, type Step } from './steps.js';
import type { DestinationSpec, ServiceKey, ServiceSpec } from './types.js';
import { IpvsReadBackError, type ServiceId, type WriteChecks } from './validate.js';
import { destinationText } from './validate-destination.js';

/** A destination's identity; the port defaults to the service's. */
export interface DestinationKey {
  address: string;
  port?: number;
}

export type IpvsOp =
  | { op: 'addService'; service: ServiceSpec }
  | { op: 'editService'; service: ServiceSpec }
  | { op: 'deleteService'; service: ServiceKey }
  | { op: 'addDestination'; service: ServiceKey; destination: DestinationSpec }
  | { op: 'editDestination'; service: ServiceKey; destination: DestinationSpec }
  | { op: 'deleteDestination'; service: ServiceKey; destination: DestinationKey }
  | { op: 'zero'; service?: ServiceKey }
  | { op: 'flush' };

export type IpvsOpResult = { ok: true } | { ok: false; error: Error; /** Not sent: an earlier op failed (stopOnError). */ skipped?: boolean };

export interface ReadBackOption {
  /**
   * Read written objects back and report an IpvsReadBackError when the kernel
   * did not keep what it was sent (old kernels ignore attributes they do not
   * know). Default: only for writes with tunnel options, a persistence engine
   * or mixed address families; true: every add/edit; false: never.
   */
  readBack?: boolean;
}

export interface IpvsWriteOptions extends RequestOptions, WriteChecks, ReadBackOption {}
export interface IpvsBatchOptions extends BatchOptions, WriteChecks, ReadBackOption {}

/** What the ops need: the family (and its socket) and sockets for parallel dumps. */
export interface IpvsContext {
  family: IpvsFamily;
  pool: DumpPool;
}

// Ops encoded and sent per Connection.batch: the ack window, so a chunk goes
// out in one go, and the event loop runs between chunks.
const CHUNK = ENCODED_CHUNK;
const OK: IpvsOpResult = Object.freeze({ ok: true });

/**
 * Runs `ops` in order; one result per op. Throws (before sending anything) a
 * ValidationError for bad input, or a kernel error from reading state for edits.
 */
export async function runOps(ctx: IpvsContext, ops: readonly IpvsOp[], options: IpvsBatchOptions = {}, single = false): Promise<IpvsOpResult[]> {
  const batch = await checkOps(ops, single, options, options.readBack === true);
  if (batch.length === 0) return [];
  const familyId = await ctx.family.familyId(options);
  // Steps are kept whenever there are edits (see CheckedBatch); a bulk create reads nothing.
  const kept = batch.kept;
  if (kept?.some(isEdit)) resolveEdits(kept, ops, await loadState(ctx, familyId, kept, options), options);

  const results = batch.encoded
    ? await sendEncoded(ctx, batch, batch.encoded, familyId, options)
    : await sendSteps(ctx, kept!, familyId, options);
  // Without kept steps nothing needs a read-back (checkOps keeps them when something does).
  if (options.readBack !== false && kept) await readBack(ctx, familyId, kept, results, options);
  return results;
}

/** What a result of Connection.batch means for its op. */
function resultOf(r: BatchResult<never>): IpvsOpResult {
  return r.ok ? OK : r.skipped ? { ok: false, error: r.error, skipped: true } : { ok: false, error: r.error };
}

/** A long plain batch: its messages, encoded as they were checked, a chunk per Connection.batch. */
async function sendEncoded(ctx: IpvsContext, batch: CheckedBatch, encoded: EncodedOps, familyId: number, options: IpvsBatchOptions): Promise<IpvsOpResult[]> {
  // Filled in order by push: optimized code allocates `new Array(n)` inline only
  // for small n, and a 50k batch after smaller ones deoptimized this function
  // ("out of bounds", --trace-deopt), recompiled during the batch.
  const results: IpvsOpResult[] = [];
  const stepAt = (i: number): Step => batch.at(i);
  let failed = false;
  let from = 0;
  for (; from < batch.length && !(failed && options.stopOnError); from += CHUNK) {
    const to = Math.min(batch.length, from + CHUNK);
    const first = from;
    const replies = await ctx.family.conn.batch(encoded.chunk(from, to, familyId, stepAt), {
      signal: options.signal,
      timeout: options.timeout,
      stopOnError: options.stopOnError,
      describe: (errno, _what, k) => describeError(stepAt(first + k), errno),
      // One ack per sendmsg (see BatchCallOptions.ackPerSend): a batch holds no
      // daemon command, the only IPVS handlers that answer EINTR with nothing.
      ackPerSend: true,
    });
    for (let k = 0; k < replies.length; k++) {
      results.push(resultOf(replies[k]!));
      if (!replies[k]!.ok) failed = true;
    }
  }
  // Chunks never sent (stopOnError, after a failure).
  for (let i = from; i < batch.length; i++) results.push({ ok: false, skipped: true, error: new Error(`${textOf(batch, i)}: not sent, an earlier operation failed`) });
  return results;
}

/** What op `i` does, for an error; an op the caller broke since it was checked is named by its place. */
function textOf(batch: CheckedBatch, i: number): string {
  const step = batch.at(i);
  return step.local ? `ops[${i}]` : step.what;
}

/** Kept steps (edits, read-backs, short batches): written a chunk at a time, local failures reported in place. */
async function sendSteps(ctx: IpvsContext, kept: Step[], familyId: number, options: IpvsBatchOptions): Promise<IpvsOpResult[]> {
  // With stopOnError nothing goes past the first op already known to fail.
  const firstLocal = options.stopOnError ? kept.findIndex((s) => s.local) : -1;
  const last = firstLocal >= 0 ? firstLocal : kept.length;
  const results: IpvsOpResult[] = new Array(kept.length);
  let failed = false;
  // One buffer for every chunk: each chunk is answered before the next is written.
  const w = new MessageWriter(Math.max(256, Math.min(last, CHUNK) * 160));
  for (let from = 0; from < last && !(failed && options.stopOnError); from += CHUNK) {
    const to = Math.min(last, from + CHUNK);
    w.reset();
    const sent: Step[] = [];
    for (let i = from; i < to; i++) {
      const step = kept[i]!;
      if (step.local) continue; // reported below
      writeStepMessage(w, familyId, step);
      w.endLabelled(step);
      sent.push(step);
    }
    if (sent.length === 0) continue;
    const replies = await ctx.family.conn.batch(w, {
      signal: options.signal,
      timeout: options.timeout,
      stopOnError: options.stopOnError,
      describe: (errno, _what, k) => describeError(sent[k]!, errno),
      ackPerSend: true, // as sendEncoded
    });
    for (let k = 0; k < sent.length; k++) {
      results[opIndex(sent[k]!)] = resultOf(replies[k]!);
      if (!replies[k]!.ok) failed = true;
    }
  }
  for (let i = 0; i < kept.length; i++) {
    if (results[i] !== undefined) continue;
    const step = kept[i]!;
    // A step never sent: its own local error, or skipped after an earlier failure (stopOnError).
    if (step.local && (i < last || (i === firstLocal && !failed))) results[i] = { ok: false, error: step.local };
    else results[i] = { ok: false, skipped: true, error: new Error(`${step.what}: not sent, an earlier operation failed`) };
  }
  return results;
}

/** The op's position in the caller's array (a single call has one op). */
const opIndex = (step: Step): number => (step.index < 0 ? 0 : step.index);

/** Reads back the objects whose write may have been silently trimmed; a difference turns that op's result into an IpvsReadBackError. */
async function readBack(ctx: IpvsContext, familyId: number, steps: Step[], results: IpvsOpResult[], options: IpvsBatchOptions): Promise<void> {
  // The usual batch has nothing risky: one pass, no keys built (the map below cost ~0.3 s of a 50k bulk create under UML).
  if (options.readBack !== true && !steps.some((step, i) => results[i]!.ok && needsReadBack(step))) return;
  // Only the last successful write of each object says what it should hold now.
  const lastWrite = new Map<string, number>();
  steps.forEach((step, i) => {
    if (!results[i]!.ok) return;
    if (step.cmd === IPVS_CMD_FLUSH) lastWrite.clear();
    else if (step.service) lastWrite.set(step.dest ? `${step.service.text}|${step.dest.text}` : step.service.text, i);
  });
  const check: number[] = [];
  for (const i of lastWrite.values()) {
    const step = steps[i]!;
    if ((step.fullService || step.fullDest) && (options.readBack === true || needsReadBack(step))) check.push(i);
  }
  if (check.length === 0) return;

  const svcChecks = check.filter((i) => steps[i]!.fullService);
  const destServices = new Map<string, ServiceId>();
  for (const i of check) if (steps[i]!.fullDest) destServices.set(steps[i]!.service!.text, steps[i]!.service!);
  const w = new MessageWriter(svcChecks.length * 64);
  for (const i of svcChecks) writeGetService(w, familyId, steps[i]!.service!);
  const destIds = [...destServices.values()];
  const [got, lists] = await Promise.all([
    ctx.family.conn.batch(w, { signal: options.signal, timeout: options.timeout, decode: decodeService }),
    ctx.pool.map(destIds, options, `read back destinations of ${destIds.length} services`, (c, id, each) => dumpDestinations(c, familyId, id, each)),
  ]);
  const byService = new Map(destIds.map((id, k) => [id.text, lists[k]!]));
  svcChecks.forEach((i, k) => {
    const r = got[k]!;
    const diff = compareService(steps[i]!.fullService!, r.ok ? r.replies[0] : undefined, steps[i]!.field);
    if (diff.length > 0) results[i] = { ok: false, error: new IpvsReadBackError(steps[i]!.what, diff) };
  });
  for (const i of check) {
    const step = steps[i]!;
    if (!step.fullDest) continue;
    const read = byService.get(step.service!.text)!.find((x) => destinationText(x) === step.dest!.text);
    const diff = compareDestination(step.fullDest, read, step.field);
    if (diff.length > 0) results[i] = { ok: false, error: new IpvsReadBackError(step.what, diff) };
  }
}

/** One op; its error (kernel, validation or read-back) is thrown. */
export async function runOne(ctx: IpvsContext, op: IpvsOp, options: IpvsWriteOptions = {}): Promise<void> {
  const [result] = await runOps(ctx, [op], { ...options, stopOnError: true }, true);
  if (result && !result.ok) throw result.error;
}
