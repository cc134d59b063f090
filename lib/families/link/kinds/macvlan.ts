// macvlan (kind "macvlan"): a MAC-addressed child of a lower link (the
// link's IFLA_LINK). Attributes from drivers/net/macvlan.c (macvlan_policy /
// macvlan_fill_info): MODE u32, FLAGS u16, MACADDR_MODE u32 with
// MACADDR_DATA (a nest of MACADDR entries) for source mode, BC_QUEUE_LEN u32,
// BC_CUTOFF s32; MACADDR_COUNT and BC_QUEUE_LEN_USED are reported only.
import { ValidationError } from '../../../protocol/errors.js';
import { macToBytes, bytesToMac } from '../../../codec/address.js';
import { checkBool, checkOneOf, keyOf, type LinkRef } from '../common.js';
import { writeFields, readFields, typesOf, type FieldDef } from '../fields.js';
import { registerKind, type LinkKind, type UnknownAttributes } from './registry.js';
import {
  IFLA_MACVLAN_MODE, IFLA_MACVLAN_FLAGS, IFLA_MACVLAN_MACADDR_MODE, IFLA_MACVLAN_MACADDR, IFLA_MACVLAN_MACADDR_DATA,
  IFLA_MACVLAN_MACADDR_COUNT, IFLA_MACVLAN_BC_QUEUE_LEN, IFLA_MACVLAN_BC_QUEUE_LEN_USED, IFLA_MACVLAN_BC_CUTOFF,
  MACVLAN_MODE_PRIVATE, MACVLAN_MODE_VEPA, MACVLAN_MODE_BRIDGE, MACVLAN_MODE_PASSTHRU, MACVLAN_MODE_SOURCE,
  MACVLAN_MACADDR_SET, MACVLAN_FLAG_NOPROMISC, MACVLAN_FLAG_NODST,
} from '../../../uapi/if_link.js';

export type MacvlanMode = 'private' | 'vepa' | 'bridge' | 'passthru' | 'source';
const MODES: Record<MacvlanMode, number> = {
  private: MACVLAN_MODE_PRIVATE,
  vepa: MACVLAN_MODE_VEPA,
  bridge: MACVLAN_MODE_BRIDGE,
  passthru: MACVLAN_MODE_PASSTHRU,
  source: MACVLAN_MODE_SOURCE,
};

interface MacvlanScalars {
  /** Broadcast/multicast queue length. */
  bcQueueLen?: number;
  /** Queue broadcast only above this many macvlans (-1: never; kernel default 1). */
  bcCutoff?: number;
}

const SCALARS: readonly FieldDef<keyof MacvlanScalars>[] = [
  { key: 'bcQueueLen', type: IFLA_MACVLAN_BC_QUEUE_LEN, codec: 'u32' },
  { key: 'bcCutoff', type: IFLA_MACVLAN_BC_CUTOFF, codec: 's32' },
];

export interface MacvlanOptions extends MacvlanScalars {
  /** The lower link, by name or ifindex. */
  link: LinkRef;
  mode?: MacvlanMode;
  /**
   * Passthru only: leave the lower link's promiscuity alone. `nopromisc` and
   * `nodst` share one attribute: giving either sends both (a missing one as false).
   */
  nopromisc?: boolean;
  /** Source mode only: do not also deliver by destination MAC. */
  nodst?: boolean;
  /** Source mode: the allowed source MACs (replaces the list). */
  sourceMacs?: string[];
}

export interface MacvlanInfo extends MacvlanScalars, UnknownAttributes {
  mode?: MacvlanMode;
  nopromisc?: boolean;
  nodst?: boolean;
  /** Raw IFLA_MACVLAN_FLAGS. */
  flags?: number;
  sourceMacs?: string[];
  /** How many source MACs the kernel holds. */
  sourceMacCount?: number;
  bcQueueLenUsed?: number;
}

export const macvlanKind: LinkKind<Partial<MacvlanOptions>, MacvlanInfo> = {
  kind: 'macvlan',
  changeable: true,
  encode(w, o, _refs, mode) {
    if (mode === 'create' && o.link === undefined) throw new ValidationError('link', 'a macvlan link needs its lower link');
    if (o.mode !== undefined) {
      const m = checkOneOf(o.mode, 'macvlan.mode', Object.keys(MODES) as MacvlanMode[]);
      w.attrU32(IFLA_MACVLAN_MODE, MODES[m], 'macvlan.mode');
    }
    if (o.nopromisc !== undefined || o.nodst !== undefined) {
      let flags = 0;
      if (o.nopromisc !== undefined && checkBool(o.nopromisc, 'macvlan.nopromisc')) flags |= MACVLAN_FLAG_NOPROMISC;
      if (o.nodst !== undefined && checkBool(o.nodst, 'macvlan.nodst')) flags |= MACVLAN_FLAG_NODST;
      w.attrU16(IFLA_MACVLAN_FLAGS, flags, o.nopromisc !== undefined ? 'macvlan.nopromisc' : 'macvlan.nodst');
    }
    writeFields(w, SCALARS, o, 'macvlan.');
    if (o.sourceMacs !== undefined) {
      if (!Array.isArray(o.sourceMacs)) throw new ValidationError('macvlan.sourceMacs', 'must be an array of MAC addresses');
      const macs = o.sourceMacs.map((m, i) => macToBytes(m, `macvlan.sourceMacs[${i}]`));
      w.attrU32(IFLA_MACVLAN_MACADDR_MODE, MACVLAN_MACADDR_SET, 'macvlan.sourceMacs');
      const at = w.nest(IFLA_MACVLAN_MACADDR_DATA, 'macvlan.sourceMacs');
      macs.forEach((mac, i) => w.attrBytes(IFLA_MACVLAN_MACADDR, mac, `macvlan.sourceMacs[${i}]`));
      w.endNest(at);
    }
  },
  decode(t) {
    const info: MacvlanInfo = {};
    const mode = t.u32(IFLA_MACVLAN_MODE);
    if (mode !== undefined) {
      const m = keyOf(MODES, mode);
      if (m) info.mode = m;
    }
    const flags = t.u16(IFLA_MACVLAN_FLAGS);
    if (flags !== undefined) {
      info.flags = flags;
      info.nopromisc = (flags & MACVLAN_FLAG_NOPROMISC) !== 0;
      info.nodst = (flags & MACVLAN_FLAG_NODST) !== 0;
    }
    readFields(t, SCALARS, info);
    const count = t.u32(IFLA_MACVLAN_MACADDR_COUNT);
    if (count !== undefined) info.sourceMacCount = count;
    const used = t.u32(IFLA_MACVLAN_BC_QUEUE_LEN_USED);
    if (used !== undefined) info.bcQueueLenUsed = used;
    const list = t.nested(IFLA_MACVLAN_MACADDR_DATA);
    if (list) {
      info.sourceMacs = [];
      for (const a of list.each()) if (a.type === IFLA_MACVLAN_MACADDR) info.sourceMacs.push(bytesToMac(a.data));
    }
    const unknown = t.unknown(KNOWN);
    if (unknown) info.unknown = unknown;
    return info;
  },
};

const KNOWN = typesOf(
  SCALARS,
  IFLA_MACVLAN_MODE, IFLA_MACVLAN_FLAGS, IFLA_MACVLAN_MACADDR_COUNT, IFLA_MACVLAN_BC_QUEUE_LEN_USED, IFLA_MACVLAN_MACADDR_DATA,
);

registerKind(macvlanKind);
