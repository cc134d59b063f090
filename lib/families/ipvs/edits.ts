// Edits: the kernel wants a whole service (scheduler, flags, timeout, netmask)
// or a whole destination (forward, weight, thresholds; tunnel fields it resets
// when left out), so an edit is merged with the object's current state: read
// once per batch (one batched GET_SERVICE for the services edited, one
// GET_DEST dump per service whose destinations are edited), unless an earlier
// op of the same batch made or removed that object. The merge assumes earlier
// ops of the batch succeed.
import { constants } from 'node:os';
import { MessageWriter } from '../../codec/writer.js';
import type { RequestOptions } from '../../protocol/connection.js';
import { NetlinkError } from '../../protocol/errors.js';
import {
  IPVS_CMD_NEW_SERVICE, IPVS_CMD_SET_SERVICE, IPVS_CMD_DEL_SERVICE, IPVS_CMD_NEW_DEST, IPVS_CMD_SET_DEST,
  IPVS_CMD_DEL_DEST, IPVS_CMD_FLUSH,
} from '../../uapi/ip_vs.js';
import type { IpvsContext, IpvsOp } from './ops.js';
import { asService, decodeService, writeGetService } from './service.js';
import { asDestination, dumpDestinations } from './destination.js';
import { localError, type Step } from './steps.js';
import type { Destination, Service } from './types.js';
import { resolveService, type ServiceId, type WriteChecks } from './validate.js';
import { destinationText, resolveDestination } from './validate-destination.js';


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
export async function loadState(ctx: IpvsContext, familyId: number, steps: Step[], options: RequestOptions): Promise<State> {
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
export function resolveEdits(steps: Step[], ops: readonly IpvsOp[], state: State, checks: WriteChecks): void {
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

