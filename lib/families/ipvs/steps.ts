// IPVS ops checked and turned into steps: every op's keys and every add are
// validated before anything is read or sent (a bad op anywhere means a
// ValidationError and nothing sent), and each step knows its command, its
// objects and, only when an error asks, its text.
import { MessageWriter, type MessageLabel, type MessageSource } from '../../codec/writer.js';
import { NetlinkError, ValidationError, errnoCode, errorUnderField, showValue } from '../../protocol/errors.js';
import {
  IPVS_CMD_NEW_SERVICE, IPVS_CMD_SET_SERVICE, IPVS_CMD_DEL_SERVICE, IPVS_CMD_NEW_DEST, IPVS_CMD_SET_DEST,
  IPVS_CMD_DEL_DEST, IPVS_CMD_ZERO, IPVS_CMD_FLUSH,
} from '../../uapi/ip_vs.js';
import type { IpvsOp } from './ops.js';
import { beginIpvs, serviceNeedsReadBack, writeServiceNest } from './service.js';
import { destinationNeedsReadBack, writeDestinationNest } from './destination.js';
import { ServiceIds, plainService, resolveService, type ResolvedService, type ServiceId, type WriteChecks } from './validate.js';
import { destinationId, plainDestination, resolveDestination, type DestinationId, type ResolvedDestination } from './validate-destination.js';

const OPS = new Set(['addService', 'editService', 'deleteService', 'addDestination', 'editDestination', 'deleteDestination', 'zero', 'flush']);

/**
 * One op, checked. Its text ("add destination …") and its field names
 * ("ops[7].destination") are built only when asked for (errors, read-back),
 * so checking 50k good ops builds no strings.
 */
export class Step implements MessageLabel {
  /** The whole object sent by NEW/SET commands. */
  fullService?: ResolvedService;
  fullDest?: ResolvedDestination;
  /** Decided without asking the kernel (an edit of something the state read says is absent). */
  local?: Error;

  constructor(
    readonly cmd: number,
    /** The op's index in the caller's array; -1 for a single call (fields named without "ops[i]."). */
    readonly index: number,
    readonly service?: ServiceId,
    readonly dest?: DestinationId,
  ) {}

  /** What the field names of this op's message start with: "ops[7]." (undefined for a single call). */
  get fieldPrefix(): string | undefined {
    return this.index < 0 ? undefined : `ops[${this.index}].`;
  }

  /** The op's object as the caller named it: "ops[7].service", "ops[7].destination". */
  get field(): string {
    if (this.cmd === IPVS_CMD_FLUSH) return '';
    const name = this.cmd === IPVS_CMD_NEW_DEST || this.cmd === IPVS_CMD_SET_DEST || this.cmd === IPVS_CMD_DEL_DEST ? 'destination' : 'service';
    return (this.fieldPrefix ?? '') + name;
  }

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

function fullStep(cmd: number, index: number, service: ResolvedService | undefined, dest: ResolvedDestination | undefined, serviceId?: ServiceId): Step {
  const step = new Step(cmd, index, service?.id ?? serviceId, dest?.id);
  step.fullService = service;
  step.fullDest = dest;
  return step;
}

export function localError(errno: number, what: string, reason: string): NetlinkError {
  return new NetlinkError({ errno, operation: what, reason });
}

/** The kernel's errno for one step, in the step's words. */
export function describeError(step: Step, errno: number): string | undefined {
  const { cmd, service: s, dest: d, fullService: full } = step;
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

/** Ops checked per event-loop turn. */
const CHECK_SLICE = 4096;
/** Batches up to this many ops keep their steps: one chunk of messages holds them all anyway. */
const KEEP_UP_TO = 2048;

/**
 * A batch whose ops all passed their checks. Edits need every step at once
 * (the state read, and what earlier ops of the batch make), a read-back needs
 * the last write of each object, and a short batch loses nothing by keeping
 * them: those keep their steps (`kept`). A long batch of plain adds and
 * deletes needs none of that: each op is encoded as it is checked
 * (`encoded`), and its step is dropped. Kept, each step is copied by every
 * scavenge until promoted, and writing it later made it a second time: under
 * UML that was most of a 50k-op create's JS time.
 */
export class CheckedBatch {
  constructor(
    private readonly ops: readonly IpvsOp[],
    private readonly single: boolean,
    private readonly checks: WriteChecks,
    private readonly ids: ServiceIds,
    /** Every step, when kept; see above. */
    readonly kept: Step[] | undefined,
    /** Every op's message, when the steps are not kept. */
    readonly encoded: EncodedOps | undefined,
  ) {}

  get length(): number {
    return this.ops.length;
  }

  /**
   * Step `i`: kept, or made again from the op (for an error's text and field
   * names only: what was sent is what was checked). An op the caller has
   * since broken gives a step with that error as its local one.
   */
  at(i: number): Step {
    if (this.kept !== undefined) return this.kept[i]!;
    this.ids.forgetLast();
    try {
      return checkOp(this.ops[i]!, this.single ? -1 : i, this.checks, this.ids);
    } catch (err) {
      const step = new Step(0, this.single ? -1 : i);
      step.local = (this.single ? err : errorUnderField(err, `ops[${i}]`)) as Error;
      return step;
    }
  }
}

/** Initial room per encoded op: an add of a service or destination with IPv6 addresses takes about 150 bytes. */
const ENCODED_OP_BYTES = 160;

/**
 * The messages of a long plain batch, one per op, written as the ops are
 * checked: one buffer, the offset of each message, no field names and no
 * object per op. The family id is not known while checking (nothing is sent
 * until every op passed), so chunk() writes it into each message's type.
 */
export class EncodedOps {
  private readonly w: MessageWriter;
  /** starts[i]: where op i's message begins; starts[count]: the end of the last. Sized for every op of the batch. */
  private readonly starts: Int32Array;
  private count = 0;

  constructor(ops: number) {
    this.w = new MessageWriter(Math.max(4096, ops * ENCODED_OP_BYTES), { fieldNames: false });
    this.starts = new Int32Array(ops + 1);
  }

  /** Op `count`'s message (ops are added in order, each once). */
  add(step: Step): void {
    // starts[count] is already where this message begins: 0, or the end of the one before.
    writeStepMessage(this.w, 0, step);
    this.ended();
  }

  /** Op `count`'s message when it adds `dest` to `service`: what add() writes for its step, with no step made. */
  addDestination(service: ServiceId, dest: ResolvedDestination): void {
    beginIpvs(this.w, 0, IPVS_CMD_NEW_DEST);
    writeServiceNest(this.w, service, 'service');
    writeDestinationNest(this.w, dest, 'destination');
    this.ended();
  }

  /** Op `count`'s message when it adds `service`, as addDestination(). */
  addService(service: ResolvedService): void {
    beginIpvs(this.w, 0, IPVS_CMD_NEW_SERVICE);
    writeServiceNest(this.w, service, 'service');
    this.ended();
  }

  private ended(): void {
    this.w.endUnrecorded();
    this.count++;
    this.starts[this.count] = this.w.length;
  }

  /**
   * Ops [from, to) as messages for Connection.batch, with `familyId` in their
   * type. `stepAt` makes an op's step again when its record is asked for (an error).
   */
  chunk(from: number, to: number, familyId: number, stepAt: (i: number) => Step): MessageSource {
    const bytes = this.w.view();
    const starts = this.starts;
    for (let i = from; i < to; i++) bytes.writeUInt16LE(familyId, starts[i]! + 4);
    return {
      count: to - from,
      view: () => bytes,
      startOf: (k) => starts[from + k]!,
      lengthOf: (k) => starts[from + k + 1]! - starts[from + k]!,
      message: (k) => {
        // Written once more, alone, with its field names: the same bytes, so the kernel's offsets name the same fields.
        const step = stepAt(from + k);
        const one = new MessageWriter(256);
        // An op the caller broke after it was checked (and sent as checked) is named by its place.
        if (step.local) return one.begin(0, 0).end(`ops[${from + k}]`);
        writeStepMessage(one, familyId, step);
        return one.endLabelled(step);
      },
    };
  }
}

/** One step's message, not ended; its fields are named "service.…" / "destination.…" (under the step's prefix, "ops[7]."). */
export function writeStepMessage(w: MessageWriter, familyId: number, step: Step): void {
  beginIpvs(w, familyId, step.cmd);
  if (step.fullService) writeServiceNest(w, step.fullService, 'service');
  else if (step.service) writeServiceNest(w, step.service, 'service');
  if (step.fullDest) writeDestinationNest(w, step.fullDest, 'destination');
  else if (step.dest) writeDestinationNest(w, step.dest, 'destination');
}

/**
 * Checks every op's keys and every add (nothing read or sent yet); a bad op
 * is a ValidationError naming its field. `keep`: keep the steps whatever the
 * batch (a read-back of every write needs them).
 */
export async function checkOps(ops: readonly IpvsOp[], single: boolean, checks: WriteChecks, keep = false): Promise<CheckedBatch> {
  if (!Array.isArray(ops)) throw new ValidationError('ops', 'an array of operations');
  const ids = new ServiceIds();
  let kept = keep || ops.length <= KEEP_UP_TO ? new Array<Step>(ops.length) : undefined;
  let encoded = kept === undefined ? new EncodedOps(ops.length) : undefined;
  for (let i = 0; i < ops.length; i++) {
    // Let the event loop run between slices: checking 50k ops in one go blocked it for ~1 s under UML.
    if (i > 0 && i % CHECK_SLICE === 0) {
      await new Promise<void>((resolve) => setImmediate(resolve));
      ids.forgetLast();
    }
    let step: Step;
    try {
      // The common adds of a long plain batch, written straight from the op (see plainService, plainDestination).
      if (encoded !== undefined && encodePlainAdd(ops[i]!, ids, encoded)) continue;
      step = checkOp(ops[i]!, single ? -1 : i, checks, ids);
    } catch (err) {
      // Checked under plain names ("service.port"); only a bad op pays for "ops[7].".
      throw single ? err : errorUnderField(err, `ops[${i}]`);
    }
    if (kept !== undefined) kept[i] = step;
    else if (encoded !== undefined && (isEdit(step) || needsReadBack(step))) encoded = undefined;
    else encoded?.add(step);
  }
  if (kept === undefined && encoded === undefined) {
    // A long batch with edits or risky writes after all: make every step again, and keep them.
    const remade = new CheckedBatch(ops, single, checks, ids, undefined, undefined);
    kept = new Array<Step>(ops.length);
    for (let i = 0; i < ops.length; i++) kept[i] = remade.at(i);
  }
  return new CheckedBatch(ops, single, checks, ids, kept, encoded);
}

/**
 * Writes `op` into `encoded` when it is a plain add (plainService,
 * plainDestination), in the order checkOp() checks it; false, with nothing
 * written, for anything else.
 */
function encodePlainAdd(op: IpvsOp, ids: ServiceIds, encoded: EncodedOps): boolean {
  if (typeof op !== 'object' || op === null) return false;
  if (op.op === 'addDestination') {
    const service = ids.get(op.service, 'service');
    const dest = plainDestination(op.destination, service);
    if (dest === undefined) return false;
    encoded.addDestination(service, dest);
    return true;
  }
  if (op.op === 'addService') {
    const service = plainService(op.service, ids.get(op.service, 'service'));
    if (service === undefined) return false;
    encoded.addService(service);
    return true;
  }
  return false;
}

/** A write the kernel may have trimmed silently (attributes an old kernel ignores): read it back. */
export function needsReadBack(step: Step): boolean {
  if (step.fullService) return serviceNeedsReadBack(step.fullService);
  return step.fullDest !== undefined && destinationNeedsReadBack(step.fullDest, step.service!);
}

function checkOp(op: IpvsOp, i: number, checks: WriteChecks, ids: ServiceIds): Step {
  if (typeof op !== 'object' || op === null || !OPS.has(op.op)) {
    throw new ValidationError('op', `one of ${[...OPS].join(', ')}, got ${showValue((op as { op?: unknown } | null)?.op)}`);
  }
  switch (op.op) {
    case 'addService': {
      const full = resolveService(op.service, 'service', checks, undefined, ids.get(op.service, 'service'));
      return fullStep(IPVS_CMD_NEW_SERVICE, i, full, undefined);
    }
    case 'editService':
      return new Step(IPVS_CMD_SET_SERVICE, i, ids.get(op.service, 'service'));
    case 'deleteService':
      return new Step(IPVS_CMD_DEL_SERVICE, i, ids.get(op.service, 'service'));
    case 'addDestination': {
      const s = ids.get(op.service, 'service');
      return fullStep(IPVS_CMD_NEW_DEST, i, undefined, resolveDestination(op.destination, s, 'destination'), s);
    }
    case 'editDestination': {
      const s = ids.get(op.service, 'service');
      return new Step(IPVS_CMD_SET_DEST, i, s, destinationId(op.destination, s, 'destination'));
    }
    case 'deleteDestination': {
      const s = ids.get(op.service, 'service');
      return new Step(IPVS_CMD_DEL_DEST, i, s, destinationId(op.destination, s, 'destination'));
    }
    case 'zero':
      return new Step(IPVS_CMD_ZERO, i, op.service === undefined ? undefined : ids.get(op.service, 'service'));
    case 'flush':
      return new Step(IPVS_CMD_FLUSH, i);
    default:
      throw new ValidationError('op', 'unknown operation');
  }
}

export const isEdit = (step: Step): boolean => step.cmd === IPVS_CMD_SET_SERVICE || step.cmd === IPVS_CMD_SET_DEST;
