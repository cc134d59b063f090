// Overlay.apply(): read what the overlay's devices hold (one link dump, then
// one filtered dump each of the vxlan FDB, the neighbours and the addresses),
// plan the difference (overlay-diff.ts) and send it with rtnl.batch, one
// batch per phase. In steady state with a changed peer set that is ONE batch
// holding only the changed peers' entries. Input is checked in full before anything is read.
import type { RequestOptions, BatchResult } from '../protocol/connection.js';
import type { Rtnl } from '../api/rtnl.js';
import { buildFdbDump, decodeFdb } from '../families/fdb.js';
import { buildNeighbourDump, decodeNeighbour } from '../families/neigh.js';
import { buildAddressDump, decodeAddress } from '../families/addr.js';
import { normalizeOverlay, type NormalOverlay, type OverlayDesired } from './overlay-desired.js';
import { planOverlay, type OverlayCurrent, type OverlayStep } from './overlay-diff.js';
import { emptyReport, type ApplyReport } from './report.js';

export interface OverlayApplyOptions extends RequestOptions {
  /** Plan only: read the kernel, change nothing. */
  dryRun?: boolean;
}

export type OverlayApplyReport = ApplyReport;

/** The kernel's side of the overlay: its links, and the entries of the devices that exist. */
export async function readOverlay(rtnl: Rtnl, want: NormalOverlay, options: RequestOptions = {}): Promise<OverlayCurrent> {
  const links = await rtnl.links.list({ skipStats: true }, options);
  const byName = new Map(links.map((l) => [l.name, l]));
  const cur: OverlayCurrent = { fdb: [], neighbours: [], addresses: [] };
  cur.vxlan = byName.get(want.vxlan.name);
  if (want.bridge) cur.bridge = byName.get(want.bridge.name);
  if (typeof want.vxlan.dev === 'string') cur.devIndex = byName.get(want.vxlan.dev)?.index;
  const l3 = want.bridge ? cur.bridge : cur.vxlan;
  const opts = { signal: options.signal, timeout: options.timeout };
  if (cur.vxlan) {
    const index = cur.vxlan.index;
    cur.fdb = (await rtnl.conn.dump(buildFdbDump(index), decodeFdb, opts)).filter((e) => e.ifindex === index);
  }
  if (l3) {
    const index = l3.index;
    cur.neighbours = (await rtnl.conn.dump(buildNeighbourDump({}, index), decodeNeighbour, opts)).filter((n) => n.ifindex === index);
    if (want.addresses.length > 0) cur.addresses = (await rtnl.conn.dump(buildAddressDump(undefined, index), decodeAddress, opts)).filter((a) => a.ifindex === index);
  }
  return cur;
}

/** Makes the overlay equal to `desired`: devices, port, FDB, neighbour and address entries. */
export async function applyOverlay(rtnl: Rtnl, desired: OverlayDesired, options: OverlayApplyOptions = {}): Promise<OverlayApplyReport> {
  const want = normalizeOverlay(desired);
  const steps = planOverlay(want, await readOverlay(rtnl, want, options));
  const report = emptyReport(options.dryRun === true);
  const listFor = { add: report.added, edit: report.edited, remove: report.removed };
  if (report.dryRun) {
    for (const s of steps) listFor[s.change.action].push(s.change);
    return report;
  }
  for (const phase of [0, 1, 2] as const) {
    const group = steps.filter((s) => s.phase === phase);
    if (group.length === 0) continue;
    if (report.errors.length > 0) {
      // A device that is not there makes every later phase fail: do not try.
      for (const s of group) report.errors.push({ object: s.change.object, action: s.change.action, error: new Error('not attempted: an earlier step failed') });
      continue;
    }
    const results = await runPhase(rtnl, group, options);
    report.operations += group.length;
    results.forEach((r, i) => {
      const { change } = group[i]!;
      if (r.ok) listFor[change.action].push(change);
      else report.errors.push({ object: change.object, action: change.action, error: r.error });
    });
  }
  return report;
}

/** One rtnl.batch; an error before sending (a device name that did not resolve) fails each of its ops. */
async function runPhase(rtnl: Rtnl, group: OverlayStep[], options: RequestOptions): Promise<BatchResult<never>[]> {
  try {
    return await rtnl.batch(group.map((s) => s.op), { signal: options.signal, timeout: options.timeout });
  } catch (err) {
    const error = err instanceof Error ? err : new Error(String(err));
    return group.map(() => ({ ok: false, error }));
  }
}
