// The difference between a desired IPVS state and the kernel's, as the
// fewest ops: pure (no I/O), so it is tested on plain data.
//
// - A service or destination that exists but differs is edited in place
//   (SET_SERVICE / SET_DEST): live connections survive weight, scheduler and
//   flag changes. A changed address, port or protocol is another service: the
//   old one goes (drained like any other), the new one is added.
// - Only owned services are touched (see ownership.ts). Every destination of
//   an owned service is managed.
// - A destination that is no longer wanted is drained: weight 0 first (no new
//   connections), deleted by a later apply once it has no active connection
//   or its drain timeout has passed. A service no longer wanted is drained the
//   same way through its destinations, then deleted.
import type { Destination, ServiceKey, ServiceWithDestinations } from '../families/ipvs/types.js';
import type { IpvsOp } from '../families/ipvs/ops.js';
import { namedFlags, resolveService, serviceKeyText, type Mismatch, type WriteChecks } from '../families/ipvs/validate.js';
import { destinationText, resolveDestination } from '../families/ipvs/validate-destination.js';
import { compareService } from '../families/ipvs/service.js';
import { compareDestination } from '../families/ipvs/destination.js';
import type { Change, Draining, FieldChange } from './report.js';
import type { OwnershipRecord } from './ownership.js';
import { destinationSummary, serviceSummary, type NormalService } from './ipvs-desired.js';

/** One op and the change it makes; `forget` names what leaves the ownership record once it succeeded. */
export interface PlannedStep {
  op: IpvsOp;
  change: Change;
  forget?: { service: string; destination?: string };
}

export interface IpvsPlan {
  steps: PlannedStep[];
  draining: Draining[];
  /**
   * The ownership record to write before sending: new claims and new drains
   * are on file before the kernel changes, so a crash never loses them.
   */
  record: OwnershipRecord;
}

export interface IpvsPlanInput {
  desired: NormalService[];
  kernel: ServiceWithDestinations[];
  record: OwnershipRecord;
  /** ms since the epoch. */
  now: number;
  /** ms; 0: delete at once, no drain. */
  drainTimeout: number;
  checks?: WriteChecks;
}

export const serviceObject = (service: string): string => `service ${service}`;
export const destinationObject = (dest: string, service: string): string => `destination ${dest} in service ${service}`;

function keyOf(s: ServiceWithDestinations): ServiceKey {
  return s.fwmark !== undefined ? { fwmark: s.fwmark, family: s.family } : { protocol: s.protocol, address: s.address, port: s.port };
}

function flagText(bits: unknown, scheduler: string): string {
  if (typeof bits !== 'number') return String(bits);
  const on = Object.entries(namedFlags(bits, scheduler)).filter(([, v]) => v).map(([k]) => k);
  return on.length ? on.join(',') : 'none';
}

/** compare*() mismatches as from → to changes; flag bits by name. */
function fieldChanges(mismatches: Mismatch[], scheduler: { from: string; to: string }): FieldChange[] {
  const out: FieldChange[] = [];
  for (const m of mismatches) {
    const field = m.field.slice(m.field.lastIndexOf('.') + 1);
    if (field !== 'flagBits') {
      out.push({ field, from: m.read, to: m.sent });
      continue;
    }
    // The persistence bit shows as `persistent`; only named flags are worth a line of their own.
    const from = flagText(m.read, scheduler.from);
    const to = flagText(m.sent, scheduler.to);
    if (from !== to) out.push({ field: 'flags', from, to });
  }
  return out;
}

class Planner {
  readonly removeServices: PlannedStep[] = [];
  readonly addServices: PlannedStep[] = [];
  readonly editServices: PlannedStep[] = [];
  readonly addDests: PlannedStep[] = [];
  readonly editDests: PlannedStep[] = [];
  readonly removeDests: PlannedStep[] = [];
  readonly draining: Draining[] = [];
  readonly record: OwnershipRecord;

  constructor(private readonly input: IpvsPlanInput) {
    this.record = { version: 1, owner: input.record.owner, services: [], draining: {}, removing: {} };
  }

  private get now(): number {
    return this.input.now;
  }

  /** Why a drain ends now, or undefined while it goes on. */
  private drainEnd(since: number, active: number): string | undefined {
    if (active === 0) return 'drained';
    if (this.now >= since + this.input.drainTimeout) return 'drain timeout';
    return undefined;
  }

  private zeroWeight(service: ServiceKey, serviceText: string, d: Destination, reason: string): void {
    const text = destinationText(d);
    this.editDests.push({
      op: { op: 'editDestination', service, destination: { address: d.address, port: d.port, weight: 0 } },
      change: { action: 'edit', object: destinationObject(text, serviceText), fields: [{ field: 'weight', from: d.weight, to: 0 }], reason },
    });
  }

  planService(s: NormalService, current: ServiceWithDestinations | undefined): void {
    const text = s.id.text;
    this.record.services.push(text);
    if (current === undefined) {
      this.addServices.push({ op: { op: 'addService', service: s.spec }, change: { action: 'add', object: serviceObject(text), summary: serviceSummary(s.resolved) } });
      for (const d of s.destinations) {
        this.addDests.push({
          op: { op: 'addDestination', service: s.spec, destination: d.spec },
          change: { action: 'add', object: destinationObject(d.text, text), summary: destinationSummary(d.resolved) },
        });
      }
      return;
    }
    const checks = this.input.checks ?? {};
    // A persistence engine is cleared only when the kernel has one (an empty name clears it).
    const spec = { ...s.spec, pe: s.spec.pe ?? (current.pe ? '' : undefined) };
    const resolved = resolveService(spec, s.field, checks, current);
    const diff = compareService(resolved, current, s.field);
    if (diff.length > 0) {
      this.editServices.push({
        op: { op: 'editService', service: spec },
        change: { action: 'edit', object: serviceObject(text), fields: fieldChanges(diff, { from: current.scheduler, to: resolved.scheduler }) },
      });
    }
    const inKernel = new Map(current.destinations.map((d) => [destinationText(d), d]));
    for (const d of s.destinations) {
      const there = inKernel.get(d.text);
      inKernel.delete(d.text);
      if (there === undefined) {
        this.addDests.push({
          op: { op: 'addDestination', service: s.spec, destination: d.spec },
          change: { action: 'add', object: destinationObject(d.text, text), summary: destinationSummary(d.resolved) },
        });
        continue;
      }
      const mismatches = compareDestination(resolveDestination(d.spec, s.id, d.field, there), there, d.field);
      if (mismatches.length > 0) {
        const undrain = this.input.record.draining[text]?.[d.text] !== undefined;
        this.editDests.push({
          op: { op: 'editDestination', service: s.spec, destination: d.spec },
          change: { action: 'edit', object: destinationObject(d.text, text), fields: fieldChanges(mismatches, { from: '', to: '' }), reason: undrain ? 'wanted again: drain cancelled' : undefined },
        });
      }
    }
    for (const d of inKernel.values()) this.drainDestination(s.spec, text, d);
  }

  private drainDestination(service: ServiceKey, serviceText: string, d: Destination): void {
    const text = destinationText(d);
    const object = destinationObject(text, serviceText);
    const remove = (reason?: string): void => {
      this.removeDests.push({
        op: { op: 'deleteDestination', service, destination: { address: d.address, port: d.port } },
        change: { action: 'remove', object, reason },
        forget: { service: serviceText, destination: text },
      });
    };
    if (this.input.drainTimeout === 0) return remove();
    const known = this.input.record.draining[serviceText]?.[text];
    const since = known ?? this.now;
    const end = known !== undefined || d.weight === 0 ? this.drainEnd(since, d.activeConnections) : undefined;
    // Kept on file until the delete succeeds.
    (this.record.draining[serviceText] ??= {})[text] = since;
    if (end !== undefined) return remove(end);
    if (d.weight !== 0) this.zeroWeight(service, serviceText, d, known === undefined ? 'drain started' : 'drain: weight was reset');
    this.draining.push({ object, since, deadline: since + this.input.drainTimeout, activeConnections: d.activeConnections });
  }

  /** An owned service that is no longer wanted: drain its destinations, then delete it. */
  planRemoval(current: ServiceWithDestinations): void {
    const text = serviceKeyText(current);
    const key = keyOf(current);
    const object = serviceObject(text);
    this.record.services.push(text);
    const remove = (reason?: string): void => {
      this.removeServices.push({ op: { op: 'deleteService', service: key }, change: { action: 'remove', object, reason }, forget: { service: text } });
    };
    const dests = current.destinations;
    if (this.input.drainTimeout === 0 || dests.length === 0) return remove();
    const active = dests.reduce((n, d) => n + d.activeConnections, 0);
    const known = this.input.record.removing[text];
    const since = known ?? this.now;
    const idle = known !== undefined || dests.every((d) => d.weight === 0);
    const end = idle ? this.drainEnd(since, active) : undefined;
    this.record.removing[text] = since;
    if (end !== undefined) return remove(end);
    for (const d of dests) if (d.weight !== 0) this.zeroWeight(key, text, d, known === undefined ? 'drain started' : 'drain: weight was reset');
    this.draining.push({ object, since, deadline: since + this.input.drainTimeout, activeConnections: active });
  }

  steps(): PlannedStep[] {
    return [...this.removeServices, ...this.addServices, ...this.editServices, ...this.addDests, ...this.editDests, ...this.removeDests];
  }
}

/** The ops that make the kernel equal to the desired state, for the services this owner may touch. */
export function planIpvs(input: IpvsPlanInput): IpvsPlan {
  const p = new Planner(input);
  const kernel = new Map(input.kernel.map((s) => [serviceKeyText(s), s]));
  const wanted = new Set<string>();
  for (const s of input.desired) {
    wanted.add(s.id.text);
    p.planService(s, kernel.get(s.id.text));
  }
  // Claims on file: services we made or took over. One that is gone from the kernel is forgotten.
  const owned = new Set(input.record.services);
  for (const [text, s] of kernel) if (!wanted.has(text) && owned.has(text)) p.planRemoval(s);
  return { steps: p.steps(), draining: p.draining, record: p.record };
}

/** The record once `steps[i]` succeeded for every i in `succeeded`. */
export function recordAfter(record: OwnershipRecord, steps: readonly PlannedStep[], succeeded: (i: number) => boolean): OwnershipRecord {
  const next: OwnershipRecord = {
    ...record,
    services: [...record.services],
    draining: Object.fromEntries(Object.entries(record.draining).map(([k, v]) => [k, { ...v }])),
    removing: { ...record.removing },
  };
  steps.forEach((step, i) => {
    const f = step.forget;
    if (!f || !succeeded(i)) return;
    if (f.destination !== undefined) {
      delete next.draining[f.service]?.[f.destination];
      return;
    }
    next.services = next.services.filter((s) => s !== f.service);
    delete next.removing[f.service];
    delete next.draining[f.service];
  });
  return next;
}
