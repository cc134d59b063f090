// Every IPVS write, alone or thousands at once. Ops are checked first (a bad
// one throws a ValidationError and nothing is sent), edits are merged with the
// current state, then the messages are encoded and sent in chunks of a few
// thousand (one Connection.batch each: few sendmsg calls, one ack per op,
// results in order), so a 50k-op batch never blocks the event loop for long.
//
// Edits: the kernel wants a whole service (scheduler, flags, timeout, netmask)
// or a whole destination (forward, weight, thresholds; tunnel fields it resets
// when left out), so an edit is merged with the object's current state: read
// once per batch (one batched GET_SERVICE for the services edited, one
// GET_DEST dump per service whose destinations are edited), unless an earlier
// op of the same batch made or removed that object. The merge assumes earlier
// ops of the batch succeed.
import { constants } from 'node:os';
import { MessageWriter, type MessageLabel } from '../../codec/writer.js';
import type { BatchOptions, Describe, RequestOptions } from '../../protocol/connection.js';
import { NetlinkError, ValidationError, errnoCode, showValue } from '../../protocol/errors.js';
import {
  IPVS_CMD_NEW_SERVICE, IPVS_CMD_SET_SERVICE, IPVS_CMD_DEL_SERVICE, IPVS_CMD_NEW_DEST, IPVS_CMD_SET_DEST,
  IPVS_CMD_DEL_DEST, IPVS_CMD_ZERO, IPVS_CMD_FLUSH,
} from '../../uapi/ip_vs.js';
import type { IpvsFamily } from './family.js';
import { asService, beginIpvs, compareService, decodeService, serviceNeedsReadBack, writeGetService, writeServiceNest } from './service.js';
import { asDestination, compareDestination, destinationNeedsReadBack, dumpDestinations, writeDestinationNest } from './destination.js';
import type { DumpPool } from './snapshot.js';
import type { Destination, DestinationSpec, Service, ServiceKey, ServiceSpec } from './types.js';
import {
  IpvsReadBackError, ServiceIds, destinationId, destinationText, resolveDestination, resolveService,
  type DestinationId, type ResolvedDestination, type ResolvedService, type ServiceId, type WriteChecks,
} from './validate.js';

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
const CHUNK = 2048;
const OK: IpvsOpResult = Object.freeze({ ok: true });

const OPS = new Set(['addService', 'editService', 'deleteService', 'addDestination', 'editDestination', 'deleteDestination', 'zero', 'flush']);

/** One op, checked. Its text ("add destination …") is built only when asked for (errors). */
class Step implements MessageLabel {
  /** The whole object sent by NEW/SET commands. */
  fullService?: ResolvedService;
  fullDest?: ResolvedDestination;
  /** Decided without asking the kernel (an edit of something the state read says is absent). */
  local?: Error;

  constructor(
    readonly cmd: number,
    readonly field: string,
    readonly service?: ServiceId,
    readonly dest?: DestinationId,
  ) {}

  get what(): string {
    const s = this.service?.text;
    const d = this.dest?.text;
    switch (this.cmd) {
      case IPVS_CMD_NEW_SERVICE: return `add service ${s}`;
      case IPVS_CMD_SET_SERVICE: return `edit service ${s}`;
      case IPVS_CMD_DEL_SERVICE: return `delete service ${s}`;
      case IPVS_CMD_NEW_DEST: return `add destination ${d} to service ${s}`;
      case IPVS_CMD_SET_DEST: return `edit destination ${d} in service ${s}`;
      case IPVS_CMD_DEL_DEST: return `delete destination ${d} from service ${s}`;
      case IPVS_CMD_ZERO: return s ? `zero counters of service ${s}` : 'zero all IPVS counters';
      default: return 'flush IPVS services';
    }
  }
}

function fullStep(cmd: number, field: string, service: ResolvedService | undefined, dest: ResolvedDestination | undefined, serviceId?: ServiceId): Step {
  const step = new Step(cmd, field, service?.id ?? serviceId, dest?.id);
  step.fullService = service;
  step.fullDest = dest;
  return step;
}

function localError(errno: number, what: string, reason: string): NetlinkError {
  return new NetlinkError({ errno, operation: what, reason });
}

/** The kernel's errno for one step, in the step's words. */
function describeError(step: Step, errno: number): string | undefined {
  const { cmd, service: s, dest: d, fullService: full } = step;
  {
    switch (errnoCode(errno)) {
      case 'EPERM':
        return 'permission denied: IPVS commands need CAP_NET_ADMIN';
      case 'ESRCH':
        return s ? `no such service ${s.text}` : undefined;
      case 'EEXIST':
        if (cmd === IPVS_CMD_NEW_SERVICE) return `service ${s!.text} already exists`;
        if (cmd === IPVS_CMD_NEW_DEST) return `destination ${d!.text} already exists in service ${s!.text}`;
        return undefined;
      case 'ENOENT':
        if (full) return `scheduler ${showValue(full.scheduler)}${full.pe ? ` or persistence engine ${showValue(full.pe)}` : ''} not found (is its ip_vs_ module available?)`;
        if (d) return `no such destination ${d.text} in service ${s!.text}`;
        return undefined;
      case 'EINVAL':
        if (cmd === IPVS_CMD_NEW_DEST) return `the kernel refused destination ${d!.text} (not a unicast address?)`;
        return undefined;
      case 'EAFNOSUPPORT':
        return 'this kernel has no IPv6 support for IPVS';
      default:
        return undefined;
    }
  }
}

/** Checks every op's keys and every add (nothing read or sent yet). */
function checkOps(ops: readonly IpvsOp[], single: boolean, checks: WriteChecks): Step[] {
  if (!Array.isArray(ops)) throw new ValidationError('ops', 'an array of operations');
  const ids = new ServiceIds();
  const serviceId = (key: ServiceKey, field: string): ServiceId => ids.get(key, field);
  return ops.map((op, i): Step => {
    const p = single ? '' : `ops[${i}].`;
    if (typeof op !== 'object' || op === null || !OPS.has(op.op)) {
      throw new ValidationError(`${p}op`, `one of ${[...OPS].join(', ')}, got ${showValue((op as { op?: unknown } | null)?.op)}`);
    }
    const sf = `${p}service`;
    const df = `${p}destination`;
    switch (op.op) {
      case 'addService': {
        const full = resolveService(op.service, sf, checks, undefined, serviceId(op.service, sf));
        return fullStep(IPVS_CMD_NEW_SERVICE, sf, full, undefined);
      }
      case 'editService': {
        const id = serviceId(op.service, sf);
        return new Step(IPVS_CMD_SET_SERVICE, sf, id);
      }
      case 'deleteService': {
        const id = serviceId(op.service, sf);
        return new Step(IPVS_CMD_DEL_SERVICE, sf, id);
      }
      case 'addDestination': {
        const s = serviceId(op.service, sf);
        const full = resolveDestination(op.destination, s, df);
        return fullStep(IPVS_CMD_NEW_DEST, df, undefined, full, s);
      }
      case 'editDestination': {
        const s = serviceId(op.service, sf);
        const d = destinationId(op.destination, s, df);
        return new Step(IPVS_CMD_SET_DEST, df, s, d);
      }
      case 'deleteDestination': {
        const s = serviceId(op.service, sf);
        const d = destinationId(op.destination, s, df);
        return new Step(IPVS_CMD_DEL_DEST, df, s, d);
      }
      case 'zero': {
        const s = op.service === undefined ? undefined : serviceId(op.service, sf);
        return new Step(IPVS_CMD_ZERO, sf, s);
      }
      case 'flush':
        return new Step(IPVS_CMD_FLUSH, '');
      default:
        throw new ValidationError(`${p}op`, 'unknown operation');
    }
  });
}

/**
 * What the batch believes exists, op after op: services and destinations
 * known present (an object), known absent (null) or not known (undefined).
 */
class State {
  private readonly services = new Map<string, Service | null>();
  private readonly dests = new Map<string, Map<string, Destination | null>>();
  /** Services whose whole destination list is known. */
  private readonly fullLists = new Set<string>();
  private flushed = false;

  service(text: string): Service | null | undefined {
    const s = this.services.get(text);
    return s !== undefined ? s : this.flushed ? null : undefined;
  }
  destination(service: string, dest: string): Destination | null | undefined {
    const d = this.dests.get(service)?.get(dest);
    if (d !== undefined) return d;
    return this.fullLists.has(service) || this.flushed || this.services.get(service) === null ? null : undefined;
  }
  knowsService(text: string): boolean {
    return this.service(text) !== undefined;
  }
  knowsDestination(service: string, dest: string): boolean {
    return this.destination(service, dest) !== undefined;
  }
  setService(text: string, s: Service | null, list?: Destination[]): void {
    this.services.set(text, s);
    if (s === null || list !== undefined) {
      this.dests.set(text, new Map((list ?? []).map((d) => [destinationText(d), d])));
      this.fullLists.add(text);
    }
  }
  setDestination(service: string, dest: string, d: Destination | null): void {
    let m = this.dests.get(service);
    if (m === undefined) this.dests.set(service, (m = new Map()));
    m.set(dest, d);
  }
  flush(): void {
    this.services.clear();
    this.dests.clear();
    this.fullLists.clear();
    this.flushed = true;
  }
  /** Applies a step's effect, assuming it succeeds. */
  apply(step: Step): void {
    const s = step.service?.text ?? '';
    const d = step.dest?.text ?? '';
    switch (step.cmd) {
      case IPVS_CMD_NEW_SERVICE:
        this.setService(s, asService(step.fullService!), []);
        break;
      case IPVS_CMD_SET_SERVICE:
        if (step.fullService) this.services.set(s, asService(step.fullService));
        break;
      case IPVS_CMD_DEL_SERVICE:
        this.setService(s, null);
        break;
      case IPVS_CMD_NEW_DEST:
      case IPVS_CMD_SET_DEST:
        if (step.fullDest) this.setDestination(s, d, asDestination(step.fullDest));
        break;
      case IPVS_CMD_DEL_DEST:
        this.setDestination(s, d, null);
        break;
      case IPVS_CMD_FLUSH:
        this.flush();
    }
  }
}

/** The current state of the objects the edits need, read in as few requests as possible. */
async function loadState(ctx: IpvsContext, familyId: number, steps: Step[], options: RequestOptions): Promise<State> {
  const state = new State();
  // Walk the ops to learn which edits touch objects no earlier op decided.
  const probe = new State();
  const services = new Map<string, ServiceId>();
  const lists = new Map<string, ServiceId>();
  for (const step of steps) {
    const s = step.service;
    if ((step.cmd === IPVS_CMD_SET_SERVICE || step.cmd === IPVS_CMD_SET_DEST) && s && !probe.knowsService(s.text)) services.set(s.text, s);
    if (step.cmd === IPVS_CMD_SET_DEST && s && !probe.knowsDestination(s.text, step.dest!.text)) lists.set(s.text, s);
    if (step.cmd === IPVS_CMD_SET_SERVICE || step.cmd === IPVS_CMD_SET_DEST) continue;
    probe.apply(step);
  }
  if (services.size === 0 && lists.size === 0) return state;

  const conn = ctx.family.conn;
  const w = new MessageWriter(services.size * 64);
  const ids = [...services.values()];
  for (const id of ids) writeGetService(w, familyId, id);
  const [got, destLists] = await Promise.all([
    conn.batch(w, { signal: options.signal, timeout: options.timeout, decode: decodeService }),
    ctx.pool.map([...lists.values()], options, `read destinations of ${lists.size} services`, (c, id, each) => dumpDestinations(c, familyId, id, each)),
  ]);
  got.forEach((r, i) => {
    if (r.ok) state.setService(ids[i]!.text, r.replies[0] ?? null);
    else if (r.error instanceof NetlinkError && r.error.code === 'ESRCH') state.setService(ids[i]!.text, null);
    else throw r.error;
  });
  [...lists.values()].forEach((id, i) => {
    // An empty dump also answers for a service that does not exist: trust it only for one that does.
    const s = state.service(id.text);
    if (s) state.setService(id.text, s, destLists[i]!);
  });
  return state;
}

/** Merges each edit with the state before it; an edit of a known-absent object fails locally. */
function resolveEdits(steps: Step[], ops: readonly IpvsOp[], state: State, checks: WriteChecks): void {
  steps.forEach((step, i) => {
    const op = ops[i]!;
    const s = step.service;
    if (op.op === 'editService') {
      const current = state.service(s!.text);
      if (current === null) step.local = localError(constants.errno.ESRCH, step.what, `no such service ${s!.text}`);
      else step.fullService = resolveService(op.service, step.field, checks, current);
    } else if (op.op === 'editDestination') {
      const current = state.destination(s!.text, step.dest!.text);
      if (state.service(s!.text) === null) step.local = localError(constants.errno.ESRCH, step.what, `no such service ${s!.text}`);
      else if (current === null) step.local = localError(constants.errno.ENOENT, step.what, `no such destination ${step.dest!.text} in service ${s!.text}`);
      else step.fullDest = resolveDestination(op.destination, s!, step.field, current);
    }
    if (!step.local) state.apply(step);
  });
}

const isEdit = (step: Step): boolean => step.cmd === IPVS_CMD_SET_SERVICE || step.cmd === IPVS_CMD_SET_DEST;

/** One step's message; its fields are named "service.…" / "destination.…" under `fieldPrefix` ("ops[7]."). */
function writeStep(w: MessageWriter, familyId: number, step: Step, fieldPrefix: string | undefined): void {
  beginIpvs(w, familyId, step.cmd);
  if (step.fullService) writeServiceNest(w, step.fullService, 'service');
  else if (step.service) writeServiceNest(w, step.service, 'service');
  if (step.fullDest) writeDestinationNest(w, step.fullDest, 'destination');
  else if (step.dest) writeDestinationNest(w, step.dest, 'destination');
  w.endLabelled(step, fieldPrefix);
}

/**
 * Runs `ops` in order; one result per op. Throws (before sending anything) a
 * ValidationError for bad input, or a kernel error from reading state for edits.
 */
export async function runOps(ctx: IpvsContext, ops: readonly IpvsOp[], options: IpvsBatchOptions = {}, single = false): Promise<IpvsOpResult[]> {
  const steps = checkOps(ops, single, options);
  if (steps.length === 0) return [];
  const familyId = await ctx.family.familyId(options);
  // Without edits nothing needs the current state (a bulk create reads nothing).
  if (steps.some(isEdit)) resolveEdits(steps, ops, await loadState(ctx, familyId, steps, options), options);

  // With stopOnError nothing goes past the first op already known to fail.
  const firstLocal = options.stopOnError ? steps.findIndex((s) => s.local) : -1;
  const last = firstLocal >= 0 ? firstLocal : steps.length;
  const results: IpvsOpResult[] = new Array(steps.length);
  let failed = false;
  // One buffer for every chunk: each chunk is answered before the next is written.
  const w = new MessageWriter(Math.max(256, Math.min(last, CHUNK) * 160));
  for (let from = 0; from < last && !(failed && options.stopOnError); from += CHUNK) {
    const to = Math.min(last, from + CHUNK);
    w.reset();
    const sent: number[] = [];
    for (let i = from; i < to; i++) {
      if (steps[i]!.local) continue;
      writeStep(w, familyId, steps[i]!, single ? undefined : `ops[${i}].`);
      sent.push(i);
    }
    if (sent.length === 0) continue;
    const replies = await ctx.family.conn.batch(w, {
      signal: options.signal,
      timeout: options.timeout,
      stopOnError: options.stopOnError,
      describe: (errno, _what, k) => describeError(steps[sent[k]!]!, errno),
    });
    for (let k = 0; k < sent.length; k++) {
      const r = replies[k]!;
      results[sent[k]!] = r.ok ? OK : r.skipped ? { ok: false, error: r.error, skipped: true } : { ok: false, error: r.error };
      if (!r.ok) failed = true;
    }
  }
  for (let i = 0; i < steps.length; i++) {
    if (results[i] !== undefined) continue;
    const step = steps[i]!;
    // A step never sent: its own local error, or skipped after an earlier failure (stopOnError).
    if (step.local && (i < last || (i === firstLocal && !failed))) results[i] = { ok: false, error: step.local };
    else results[i] = { ok: false, skipped: true, error: new Error(`${step.what}: not sent, an earlier operation failed`) };
  }
  if (options.readBack !== false) await readBack(ctx, familyId, steps, results, options);
  return results;
}

/** Reads back the objects whose write may have been silently trimmed; a difference turns that op's result into an IpvsReadBackError. */
async function readBack(ctx: IpvsContext, familyId: number, steps: Step[], results: IpvsOpResult[], options: IpvsBatchOptions): Promise<void> {
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
    const risky = step.fullService ? serviceNeedsReadBack(step.fullService) : step.fullDest ? destinationNeedsReadBack(step.fullDest, step.service!) : false;
    if ((step.fullService || step.fullDest) && (options.readBack === true || risky)) check.push(i);
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
