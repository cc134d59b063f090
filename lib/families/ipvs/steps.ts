// IPVS ops checked and turned into steps: every op's keys and every add are
// validated before anything is read or sent (a bad op anywhere means a
// ValidationError and nothing sent), and each step knows its command, its
// objects and, only when an error asks, its text.
import { MessageChunk } from '../../codec/chunk.js';
import { MessageWriter, type MessageLabel, type MessageSource, type WrittenMessage } from '../../codec/writer.js';
import { NetlinkError, ValidationError, errnoCode, errorUnderField, showValue } from '../../protocol/errors.js';
import {
  IPVS_CMD_NEW_SERVICE, IPVS_CMD_SET_SERVICE, IPVS_CMD_DEL_SERVICE, IPVS_CMD_NEW_DEST, IPVS_CMD_SET_DEST,
  IPVS_CMD_DEL_DEST, IPVS_CMD_ZERO, IPVS_CMD_FLUSH,
} from '../../uapi/ip_vs.js';
import type { IpvsOp } from './ops.js';
import { beginIpvs, serviceNeedsReadBack, writeServiceNest } from './service.js';
import { destinationNeedsReadBack, writeDestinationNest } from './destination.js';
import { SCHEDULERS, ServiceIds, plainService, plainServiceKey, plainServiceKeyOf, plainServiceOf, resolveService, type ResolvedService, type ServiceId, type WriteChecks } from './validate.js';
import { destinationId, plainDestination, plainDestinationOf, resolveDestination, type DestinationId, type ResolvedDestination } from './validate-destination.js';

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

/** Ops written and sent per Connection.batch (ops.ts): about the ack window, so a chunk goes out in one go. */
export const ENCODED_CHUNK = 2048;
/** Room for a chunk's messages: an add with IPv6 addresses takes about 150 bytes. */
const CHUNK_OP_BYTES = 160;
const OP_WRITTEN = 0;
const OP_PLAIN_SERVICE = 1;
const OP_PLAIN_DESTINATION = 2;

/**
 * A long plain batch, checked and ready to write, with no object per op. The
 * common adds (plainService, plainDestination) are kept as columns of numbers
 * (the service key and the IPv4 address as their bits, no id object per service),
 * and written a chunk at a time into one reused buffer; any
 * other op is written in full as it is checked. Keeping every message instead
 * (~110 bytes an op, 5.5 MB for 10k x 4) cost its fresh pages: under UML,
 * touching 5.5 MB of new memory took 186-268 ms. The family id is not known
 * while checking (nothing is sent until every op passed); chunk() writes it.
 */
export class EncodedOps {
  private readonly kind: Uint8Array;
  // The service of a plain add (plainServiceKey): protocol, address bits, port.
  private readonly serviceProtocol: Uint8Array;
  private readonly serviceAddress: Int32Array;
  private readonly servicePort: Uint16Array;
  /** A plain service's scheduler, as an index in SCHEDULERS. */
  private readonly scheduler: Uint8Array;
  // A plain destination's fields. Memory touched costs its pages (a fault
  // each, ~150 µs under UML), so the common values are kept as zero, and the
  // columns that hold only them are never made: forward 0 is masq,
  // weightLess1 is weight - 1, thresholds are usually 0. With all 13 columns
  // made up front, checking 10k × 4 touched 1.8 MB (~440 faults, host).
  private readonly address: Int32Array;
  private readonly port: Uint16Array;
  private forward?: Uint8Array;
  private weightLess1?: Int32Array;
  private upper?: Int32Array;
  private lower?: Uint32Array;
  /** The ops that are not plain adds, written in full, and where each one is in it (made on the first). */
  private readonly written = new MessageWriter(4096, { fieldNames: false });
  private writtenFrom?: Int32Array;
  private writtenTo?: Int32Array;
  private readonly source: EncodedChunk;
  private count = 0;

  constructor(
    private readonly ops: number,
    chunk: number,
  ) {
    this.kind = new Uint8Array(ops);
    this.serviceProtocol = new Uint8Array(ops);
    this.serviceAddress = new Int32Array(ops);
    this.servicePort = new Uint16Array(ops);
    this.scheduler = new Uint8Array(ops);
    this.address = new Int32Array(ops);
    this.port = new Uint16Array(ops);
    this.source = new EncodedChunk(this, Math.min(ops, chunk));
  }

  /** Op `count`, written in full (ops are added in order, each once). */
  add(step: Step): void {
    const i = this.count++;
    this.kind[i] = OP_WRITTEN;
    (this.writtenFrom ??= new Int32Array(this.ops))[i] = this.written.length;
    writeStepMessage(this.written, 0, step);
    this.written.endUnrecorded();
    (this.writtenTo ??= new Int32Array(this.ops))[i] = this.written.length;
  }

  /** Op `count` when it adds `dest` (from plainDestination) to `service`. */
  addDestination(service: ServiceId, dest: ResolvedDestination): void {
    const i = this.count++;
    this.kind[i] = OP_PLAIN_DESTINATION;
    this.setService(i, service);
    this.address[i] = dest.id.ipv4Bits!;
    this.port[i] = dest.id.port;
    if (dest.forward !== 0) (this.forward ??= new Uint8Array(this.ops))[i] = dest.forward;
    if (dest.weight !== 1) (this.weightLess1 ??= new Int32Array(this.ops))[i] = dest.weight - 1;
    if (dest.upperThreshold !== 0) (this.upper ??= new Int32Array(this.ops))[i] = dest.upperThreshold;
    if (dest.lowerThreshold !== 0) (this.lower ??= new Uint32Array(this.ops))[i] = dest.lowerThreshold;
  }

  /** Op `count` when it adds `service` (from plainService). */
  addService(service: ResolvedService): void {
    const i = this.count++;
    this.kind[i] = OP_PLAIN_SERVICE;
    this.setService(i, service.id);
    this.scheduler[i] = (SCHEDULERS as readonly string[]).indexOf(service.scheduler);
  }

  private setService(i: number, id: ServiceId): void {
    this.serviceProtocol[i] = id.protocol;
    this.serviceAddress[i] = id.ipv4Bits!;
    this.servicePort[i] = id.port;
  }

  private serviceOf(i: number): ServiceId {
    return plainServiceKeyOf(this.serviceProtocol[i]!, this.serviceAddress[i]!, this.servicePort[i]!);
  }

  /** Writes op i into `w` as its step would be written, family id included (for EncodedChunk). */
  write(w: MessageWriter, i: number, familyId: number): void {
    switch (this.kind[i]) {
      case OP_PLAIN_SERVICE:
        beginIpvs(w, familyId, IPVS_CMD_NEW_SERVICE);
        writeServiceNest(w, plainServiceOf(this.serviceOf(i), SCHEDULERS[this.scheduler[i]!]!), 'service');
        w.endUnrecorded();
        return;
      case OP_PLAIN_DESTINATION: {
        beginIpvs(w, familyId, IPVS_CMD_NEW_DEST);
        writeServiceNest(w, this.serviceOf(i), 'service');
        const forward = this.forward === undefined ? 0 : this.forward[i]!;
        const weight = this.weightLess1 === undefined ? 1 : this.weightLess1[i]! + 1;
        const upper = this.upper === undefined ? 0 : this.upper[i]!;
        const lower = this.lower === undefined ? 0 : this.lower[i]!;
        const dest = plainDestinationOf(this.port[i]!, this.address[i]!, forward, weight, upper, lower);
        writeDestinationNest(w, dest, 'destination');
        w.endUnrecorded();
        return;
      }
      default: {
        const at = w.length;
        w.bytes(this.written.view().subarray(this.writtenFrom![i]!, this.writtenTo![i]!));
        w.view().writeUInt16LE(familyId, at + 4);
      }
    }
  }

  /**
   * Ops [from, to) as messages for Connection.batch, written into the one
   * chunk buffer (so the chunk before must be answered first). `stepAt` makes
   * an op's step again when its record is asked for (an error).
   */
  chunk(from: number, to: number, familyId: number, stepAt: (i: number) => Step): MessageSource {
    return this.source.fill(from, to, familyId, stepAt);
  }
}

/** The chunk EncodedOps.chunk() wrote, as Connection.batch reads it (see MessageChunk). */
class EncodedChunk extends MessageChunk {
  private familyId = 0;
  private stepAt: (i: number) => Step = () => new Step(0, 0);

  constructor(
    private readonly ops: EncodedOps,
    size: number,
  ) {
    super(size, CHUNK_OP_BYTES);
  }

  fill(from: number, to: number, familyId: number, stepAt: (i: number) => Step): this {
    this.familyId = familyId;
    this.stepAt = stepAt;
    return this.fillRange(from, to);
  }

  protected writeEntry(w: MessageWriter, i: number): void {
    this.ops.write(w, i, this.familyId);
  }

  /** Message k written once more, alone, with its field names: the same bytes, so the kernel's offsets name the same fields. */
  message(k: number): WrittenMessage {
    const step = this.stepAt(this.from + k);
    const one = new MessageWriter(256);
    // An op the caller broke after it was checked (and sent as checked) is named by its place.
    if (step.local) return one.begin(0, 0).end(`ops[${this.from + k}]`);
    writeStepMessage(one, this.familyId, step);
    one.endLabelled(step);
    return one.message(0);
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
  let encoded = kept === undefined ? new EncodedOps(ops.length, ENCODED_CHUNK) : undefined;
  for (let i = 0; i < ops.length; i++) {
    // Let the event loop run between slices: checking 50k ops in one go blocked it for ~1 s under UML.
    if (i > 0 && i % CHECK_SLICE === 0) {
      await new Promise<void>((resolve) => setImmediate(resolve));
      ids.forgetLast();
    }
    let step: Step;
    try {
      // The common adds of a long plain batch, written straight from the op (see plainService, plainDestination).
      if (encoded !== undefined && encodePlainAdd(ops[i]!, encoded)) continue;
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
function encodePlainAdd(op: IpvsOp, encoded: EncodedOps): boolean {
  if (typeof op !== 'object' || op === null) return false;
  if (op.op === 'addDestination') {
    const service = plainServiceKey(op.service);
    const dest = service && plainDestination(op.destination, service);
    if (!dest) return false;
    encoded.addDestination(service, dest);
    return true;
  }
  if (op.op === 'addService') {
    const id = plainServiceKey(op.service);
    const service = id && plainService(op.service, id);
    if (!service) return false;
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
