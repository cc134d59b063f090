// ipvs.apply(desired): one snapshot, the difference (ipvs-diff.ts), one
// ipvs.batch(). Input is checked in full before anything is read or sent;
// the ownership record (ownership.ts) is written before the batch (new claims,
// new drains) and after it (what was deleted), and only when it changes.
import type { RequestOptions } from '../protocol/connection.js';
import { ValidationError } from '../protocol/errors.js';
import type { Ipvs } from '../api/ipvs.js';
import type { ReadBackOption } from '../families/ipvs/ops.js';
import type { WriteChecks } from '../families/ipvs/validate.js';
import { normalizeIpvsInSlices, type IpvsDesiredState } from './ipvs-desired.js';
import { planIpvs, recordAfter } from './ipvs-diff.js';
import { OwnershipStore, checkOwner, defaultStateFile } from './ownership.js';
import { emptyReport, type ApplyReport, type Draining } from './report.js';

export interface IpvsApplyOptions extends RequestOptions, WriteChecks, ReadBackOption {
  /**
   * Who manages these services (default 'default'). Services outside the
   * desired state are removed only when this owner's state file lists them.
   */
  owner?: string;
  /** The ownership and drain record; default /run/nl-lvs/<owner>.json (<owner>@<netns>.json in a namespace). */
  stateFile?: string;
  /**
   * Seconds a removed destination (or service) is drained, weight 0, before
   * it is deleted even with active connections. Default 300; 0 deletes at once.
   */
  drainTimeout?: number;
  /** Plan only: read the kernel and the state file, change neither. */
  dryRun?: boolean;
}

export interface IpvsApplyReport extends ApplyReport {
  /** What is drained now: deleted by a later apply() once idle or at its deadline. */
  draining: Draining[];
}

export const DEFAULT_DRAIN_TIMEOUT = 300;
const MAX_DRAIN_TIMEOUT = 7 * 24 * 3600;

function drainTimeoutMs(v: unknown): number {
  if (v === undefined) return DEFAULT_DRAIN_TIMEOUT * 1000;
  if (typeof v !== 'number' || !Number.isFinite(v) || v < 0 || v > MAX_DRAIN_TIMEOUT) {
    throw new ValidationError('drainTimeout', `seconds from 0 to ${MAX_DRAIN_TIMEOUT}, got ${String(v)}`);
  }
  return Math.round(v * 1000);
}

/** Makes the kernel's IPVS state (the owner's part of it) equal to `desired`. */
export async function applyIpvs(ipvs: Ipvs, desired: IpvsDesiredState, options: IpvsApplyOptions = {}): Promise<IpvsApplyReport> {
  const owner = checkOwner(options.owner ?? 'default');
  const drainTimeout = drainTimeoutMs(options.drainTimeout);
  if (options.stateFile !== undefined && (typeof options.stateFile !== 'string' || options.stateFile === '')) {
    throw new ValidationError('stateFile', `a file path, got ${JSON.stringify(options.stateFile)}`);
  }
  const normal = await normalizeIpvsInSlices(desired, options);
  const store = new OwnershipStore(options.stateFile ?? defaultStateFile(owner, ipvs.netns), owner);
  const dryRun = options.dryRun === true;

  return store.exclusive(async () => {
    const { record, warning } = await store.load();
    const kernel = await ipvs.snapshot({ signal: options.signal, timeout: options.timeout });
    const plan = planIpvs({ desired: normal, kernel, record, now: Date.now(), drainTimeout, checks: options });
    const report: IpvsApplyReport = { ...emptyReport(dryRun), draining: plan.draining };
    if (warning) report.warnings.push(warning);
    const listFor = { add: report.added, edit: report.edited, remove: report.removed };
    if (dryRun) {
      for (const s of plan.steps) listFor[s.change.action].push(s.change);
      return report;
    }

    await store.save(plan.record);
    if (plan.steps.length === 0) return report;
    const results = await ipvs.batch(
      plan.steps.map((s) => s.op),
      { signal: options.signal, timeout: options.timeout, allowUnknownScheduler: options.allowUnknownScheduler, readBack: options.readBack },
    );
    report.operations = plan.steps.length;
    results.forEach((r, i) => {
      const { change } = plan.steps[i]!;
      if (r.ok) listFor[change.action].push(change);
      else report.errors.push({ object: change.object, action: change.action, error: r.error });
    });
    await store.save(recordAfter(plan.record, plan.steps, (i) => results[i]!.ok));
    return report;
  });
}
