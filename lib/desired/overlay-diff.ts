// The difference between a desired overlay and the kernel's, as rtnl.batch
// operations in three phases (a link must exist before another names it):
//   0: the bridge;  1: the vxlan device (and its port);  2: FDB, neighbour and address entries.
// Pure: tested on plain data. Only what differs is touched: when the peer
// set changes, only the entries of the peers that changed.
// The overlay's devices belong to it: every permanent FDB entry with a remote
// on the vxlan device and every permanent neighbour on the overlay device is
// managed (added, replaced or removed); learned entries are left to the kernel.
import type { RtnlOperation } from '../api/batch.js';
import type { Link } from '../families/link/link.js';
import type { VxlanInfo } from '../families/link/kinds/index.js';
import type { FdbEntry } from '../families/fdb.js';
import type { Neighbour } from '../families/neigh.js';
import type { Address } from '../families/addr.js';
import { ipFamily } from '../codec/address.js';
import { ValidationError } from '../protocol/errors.js';
import { NUD_PERMANENT } from '../uapi/neighbour.js';
import type { Change, FieldChange } from './report.js';
import { ZERO_MAC, fdbKey, type NormalOverlay } from './overlay-desired.js';

/** What the kernel has now. */
export interface OverlayCurrent {
  bridge?: Link;
  vxlan?: Link;
  /** The ifindex of `vxlan.dev` when it was given by name (undefined: no such link). */
  devIndex?: number;
  /** Entries of the vxlan device. */
  fdb: FdbEntry[];
  /** Entries and addresses of the overlay device (the bridge, else the vxlan device). */
  neighbours: Neighbour[];
  addresses: Address[];
}

export interface OverlayStep {
  phase: 0 | 1 | 2;
  op: RtnlOperation;
  change: Change;
}

/** VXLAN settings the kernel changes on a live device (vxlan_nl2conf); any other change recreates it. */
const IN_PLACE = new Set(['learning', 'ageing', 'ttl', 'tos', 'df', 'label', 'local']);

function same(a: unknown, b: unknown): boolean {
  const norm = (v: unknown): unknown => (v instanceof Uint8Array ? Buffer.from(v).toString('hex') : v);
  return JSON.stringify(norm(a)) === JSON.stringify(norm(b));
}

/** "vxlan id 42 dstPort 4789 learning false master br0". */
function linkSummary(spec: Record<string, unknown>): string {
  const skip = new Set(['kind', 'name', 'up']);
  const parts = [String(spec.kind)];
  for (const [k, v] of Object.entries(spec)) if (!skip.has(k) && v !== undefined) parts.push(`${k} ${typeof v === 'object' ? JSON.stringify(v) : String(v)}`);
  return parts.join(' ');
}

function conflict(field: string, link: Link, kind: string): never {
  throw new ValidationError(field, `link ${link.name} exists and is ${link.kind ? `a ${link.kind}` : 'not a virtual link'}, not a ${kind}`);
}

/** up, mtu and mac of an existing link: one link.set when any differs. */
function commonChanges(link: Link, want: { mtu?: number; mac?: string }, master?: { name: string; index?: number }): { changes: Record<string, unknown>; fields: FieldChange[] } {
  const changes: Record<string, unknown> = {};
  const fields: FieldChange[] = [];
  if (!link.up) {
    changes.up = true;
    fields.push({ field: 'up', from: false, to: true });
  }
  if (want.mtu !== undefined && link.mtu !== want.mtu) {
    changes.mtu = want.mtu;
    fields.push({ field: 'mtu', from: link.mtu, to: want.mtu });
  }
  if (want.mac !== undefined && link.mac !== want.mac) {
    changes.mac = want.mac;
    fields.push({ field: 'mac', from: link.mac, to: want.mac });
  }
  if (master !== undefined && (master.index === undefined || link.master !== master.index)) {
    changes.master = master.name;
    fields.push({ field: 'master', from: link.master, to: master.name });
  }
  return { changes, fields };
}

/** The operations that make the kernel's overlay equal to `want`. */
export function planOverlay(want: NormalOverlay, cur: OverlayCurrent): OverlayStep[] {
  const steps: OverlayStep[] = [];
  const linkObject = (name: string): string => `link ${name}`;

  // Phase 0: the bridge.
  let bridgeIsNew = false;
  if (want.bridge) {
    const b = want.bridge;
    if (cur.bridge && cur.bridge.kind !== 'bridge') conflict('bridge.name', cur.bridge, 'bridge');
    if (!cur.bridge) {
      bridgeIsNew = true;
      steps.push({ phase: 0, op: { op: 'link.create', ...b.spec }, change: { action: 'add', object: linkObject(b.name), summary: linkSummary(b.spec as unknown as Record<string, unknown>) } });
    } else {
      const { changes, fields } = commonChanges(cur.bridge, b);
      if (fields.length) steps.push({ phase: 0, op: { op: 'link.set', link: b.name, changes }, change: { action: 'edit', object: linkObject(b.name), fields } });
    }
  }

  // Phase 1: the vxlan device, recreated when a setting cannot change in place.
  const v = want.vxlan;
  const have = cur.vxlan;
  if (have && have.kind !== 'vxlan') conflict('vxlan.name', have, 'vxlan');
  let vxlanIsNew = !have;
  if (have) {
    const info = (have.info ?? {}) as VxlanInfo & Record<string, unknown>;
    const inPlace: Record<string, unknown> = {};
    const fields: FieldChange[] = [];
    const fixed: string[] = [];
    for (const [k, value] of Object.entries(v.options)) {
      if (value === undefined || same(info[k], value)) continue;
      fields.push({ field: k, from: info[k], to: value });
      const familyChange = k === 'local' && info.local !== undefined && ipFamily(info.local, 'vxlan.local') !== ipFamily(value as string, 'vxlan.local');
      const inherit = k === 'ttl' && (value === 'inherit' || info.ttl === 'inherit');
      if (IN_PLACE.has(k) && !familyChange && !inherit) inPlace[k] = value;
      else fixed.push(k);
    }
    if (v.dev !== undefined) {
      const index = typeof v.dev === 'number' ? v.dev : cur.devIndex;
      if (index === undefined || info.dev !== index) fixed.push('dev');
    }
    if (fixed.length > 0) {
      vxlanIsNew = true;
      steps.push({ phase: 1, op: { op: 'link.delete', link: v.name }, change: { action: 'remove', object: linkObject(v.name), reason: `recreated: ${fixed.join(', ')} cannot change in place` } });
    } else {
      if (fields.length) steps.push({ phase: 1, op: { op: 'link.set', link: v.name, changes: { kind: 'vxlan', ...inPlace } }, change: { action: 'edit', object: linkObject(v.name), fields } });
      // Common attributes go in a message of their own: vxlan refuses IFLA_MTU next to its own settings.
      const master = want.bridge ? { name: want.bridge.name, index: bridgeIsNew ? undefined : cur.bridge?.index } : undefined;
      const common = commonChanges(have, v, master);
      if (common.fields.length) steps.push({ phase: 1, op: { op: 'link.set', link: v.name, changes: common.changes }, change: { action: 'edit', object: linkObject(v.name), fields: common.fields } });
    }
  }
  if (vxlanIsNew) {
    steps.push({ phase: 1, op: { op: 'link.create', ...v.spec }, change: { action: 'add', object: linkObject(v.name), summary: linkSummary(v.spec as unknown as Record<string, unknown>) } });
  }

  // Phase 2: entries. A device made now has none.
  const l3IsNew = want.bridge ? bridgeIsNew : vxlanIsNew;
  const fdbNow = vxlanIsNew ? [] : cur.fdb.filter((e) => e.self && e.dst !== undefined && (e.stateBits & NUD_PERMANENT) !== 0);
  const neighNow = l3IsNew ? [] : cur.neighbours.filter((n) => !n.proxy && (n.stateBits & NUD_PERMANENT) !== 0);
  const addrNow = new Set(l3IsNew ? [] : cur.addresses.map((a) => `${a.address}/${a.prefix}`));
  const fdbObject = (mac: string, dst: string): string => `fdb ${mac} dst ${dst} on ${v.name}`;
  const neighObject = (dst: string): string => `neighbour ${dst} on ${want.l3}`;

  const adds: OverlayStep[] = [];
  const haveFdb = new Set<string>();
  for (const e of fdbNow) {
    const key = fdbKey(e.mac, e.dst!);
    haveFdb.add(key);
    if (!want.fdb.has(key)) steps.push({ phase: 2, op: { op: 'fdb.delete', dev: v.name, mac: e.mac, dst: e.dst }, change: { action: 'remove', object: fdbObject(e.mac, e.dst!) } });
  }
  for (const f of want.fdb.values()) {
    if (haveFdb.has(f.key)) continue;
    // The all-zero MAC holds one remote per peer (append); a peer's own MAC has one remote (replace).
    const op = f.mac === ZERO_MAC ? 'fdb.append' : 'fdb.replace';
    adds.push({ phase: 2, op: { op, dev: v.name, mac: f.mac, dst: f.dst }, change: { action: 'add', object: fdbObject(f.mac, f.dst) } });
  }
  const haveNeigh = new Map(neighNow.map((n) => [n.dst, n]));
  for (const n of neighNow) {
    if (!want.neighbours.has(n.dst)) steps.push({ phase: 2, op: { op: 'neighbour.delete', dev: want.l3, dst: n.dst }, change: { action: 'remove', object: neighObject(n.dst) } });
  }
  for (const n of want.neighbours.values()) {
    const there = haveNeigh.get(n.dst);
    if (there?.lladdr === n.lladdr) continue;
    const op: RtnlOperation = { op: 'neighbour.replace', dev: want.l3, dst: n.dst, lladdr: n.lladdr, state: 'permanent' };
    const change: Change = there
      ? { action: 'edit', object: neighObject(n.dst), fields: [{ field: 'lladdr', from: there.lladdr, to: n.lladdr }] }
      : { action: 'add', object: neighObject(n.dst), summary: `lladdr ${n.lladdr}` };
    adds.push({ phase: 2, op, change });
  }
  for (const a of want.addresses) {
    if (!addrNow.has(a.text)) adds.push({ phase: 2, op: { op: 'address.add', dev: want.l3, address: a.address, prefix: a.prefix }, change: { action: 'add', object: `address ${a.text} on ${want.l3}` } });
  }
  return [...steps, ...adds];
}
