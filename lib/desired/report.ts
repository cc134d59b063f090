// What an apply() did or would do, in a shape shared by the IPVS and overlay
// appliers, the agent's log and formatPlan(): every change names its object
// the way the command-line tools do ("service 198.51.100.1:80/tcp",
// "fdb 00:00:00:00:00:00 dst 198.51.100.2 on vxlan0").

/** One field that an edit changes. */
export interface FieldChange {
  field: string;
  from: unknown;
  to: unknown;
}

export type ChangeAction = 'add' | 'edit' | 'remove';

export interface Change {
  action: ChangeAction;
  /** "service 198.51.100.1:80/tcp", "destination 192.0.2.10:80 in service 198.51.100.1:80/tcp", "link vxlan0". */
  object: string;
  /** For adds: the settings, as a short text ("rr", "masq weight 1"). */
  summary?: string;
  /** For edits: what changes. */
  fields?: FieldChange[];
  /** Why, when the change itself says it: "drain started", "drained", "drain timeout". */
  reason?: string;
}

/** An object being drained: no new connections, deleted once idle or at its deadline. */
export interface Draining {
  object: string;
  /** When the drain started (ms since the epoch). */
  since: number;
  /** When it is deleted whatever its connections (ms since the epoch). */
  deadline: number;
  activeConnections: number;
}

export interface ChangeError {
  object: string;
  action: ChangeAction;
  error: Error;
}

/** The common part of every apply() report. */
export interface ApplyReport {
  /** True when nothing was sent: the report is the plan. */
  dryRun: boolean;
  added: Change[];
  edited: Change[];
  removed: Change[];
  /** Kernel messages sent (0 when the kernel already matched, and in dry runs). */
  operations: number;
  errors: ChangeError[];
  /** Things worth a look that did not stop the apply (a lost state file...). */
  warnings: string[];
  draining?: Draining[];
}

function show(v: unknown): string {
  if (v === undefined || v === null || v === '') return '(none)';
  return typeof v === 'object' ? JSON.stringify(v) : String(v);
}

/** "weight 1 → 0, scheduler wlc → rr". */
export function formatFields(fields: readonly FieldChange[]): string {
  return fields.map((f) => `${f.field} ${show(f.from)} → ${show(f.to)}`).join(', ');
}

/** One printable line for a change: "+ service …", "~ destination … weight 1 → 0", "- …". */
export function formatChange(c: Change): string {
  const mark = c.action === 'add' ? '+' : c.action === 'edit' ? '~' : '-';
  const detail = c.action === 'add' ? c.summary : c.action === 'edit' ? formatFields(c.fields ?? []) : undefined;
  return `${mark} ${c.object}${detail ? ` ${detail}` : ''}${c.reason ? ` (${c.reason})` : ''}`;
}

/**
 * The report as lines a person reads: removals, additions, edits, then what
 * is still draining and what failed. An empty array means nothing to do.
 */
export function formatPlan(report: ApplyReport, now = Date.now()): string[] {
  const lines = [...report.removed, ...report.added, ...report.edited].map(formatChange);
  for (const d of report.draining ?? []) {
    const left = Math.max(0, Math.ceil((d.deadline - now) / 1000));
    lines.push(`= ${d.object} draining: ${d.activeConnections} active connection${d.activeConnections === 1 ? '' : 's'}, removed at the latest in ${left} s`);
  }
  for (const e of report.errors) lines.push(`! ${e.action} ${e.object}: ${e.error.message}`);
  for (const w of report.warnings) lines.push(`! ${w}`);
  return lines;
}

/** An empty report to fill. */
export function emptyReport(dryRun: boolean): ApplyReport {
  return { dryRun, added: [], edited: [], removed: [], operations: 0, errors: [], warnings: [] };
}
