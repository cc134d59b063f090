// 802.1Q / 802.1ad VLAN (kind "vlan"), a child of the link's IFLA_LINK.
// Attributes from net/8021q/vlan_netlink.c (vlan_policy / vlan_fill_info):
// ID u16 (host order, 0-4094), PROTOCOL be16, FLAGS {flags, mask} (only the
// flags the caller set go in the mask), EGRESS_QOS / INGRESS_QOS nests of
// struct ifla_vlan_qos_mapping {u32 from; u32 to}.
import { ValidationError } from '../../../protocol/errors.js';
import { checkBool, checkInt, checkOneOf, keyOf, type LinkRef } from '../common.js';
import { VLAN_PROTOCOLS, MAX_VLAN_ID, type VlanProtocol } from './bridge.js';
import { registerKind, type LinkKind, type UnknownAttributes } from './registry.js';
import type { MessageWriter } from '../../../codec/writer.js';
import type { AttrTable } from '../../../codec/reader.js';
import {
  IFLA_VLAN_ID, IFLA_VLAN_FLAGS, IFLA_VLAN_EGRESS_QOS, IFLA_VLAN_INGRESS_QOS, IFLA_VLAN_PROTOCOL, IFLA_VLAN_QOS_MAPPING,
  VLAN_FLAG_REORDER_HDR, VLAN_FLAG_GVRP, VLAN_FLAG_LOOSE_BINDING, VLAN_FLAG_MVRP, VLAN_FLAG_BRIDGE_BINDING,
} from '../../../uapi/if_link.js';

export type { VlanProtocol } from './bridge.js';

/** 802.1p priorities are 3 bits. */
const MAX_PCP = 7;

interface VlanFlags {
  /** Reorder the header so the VLAN device looks like Ethernet (kernel default on). */
  reorderHdr?: boolean;
  gvrp?: boolean;
  /** Do not follow the lower link's operstate. */
  looseBinding?: boolean;
  mvrp?: boolean;
  /** Follow only the bridge VLAN's state. */
  bridgeBinding?: boolean;
}

const FLAGS: Record<keyof VlanFlags, number> = {
  reorderHdr: VLAN_FLAG_REORDER_HDR,
  gvrp: VLAN_FLAG_GVRP,
  looseBinding: VLAN_FLAG_LOOSE_BINDING,
  mvrp: VLAN_FLAG_MVRP,
  bridgeBinding: VLAN_FLAG_BRIDGE_BINDING,
};

/** One priority mapping: ingress maps a VLAN PCP (0-7) to an skb priority; egress the reverse. */
export interface VlanQosMapping {
  from: number;
  to: number;
}

export interface VlanOptions extends VlanFlags {
  /** The lower link, by name or ifindex. */
  link: LinkRef;
  /** VLAN id, 0 to 4094. */
  id: number;
  /** Default 802.1Q. */
  protocol?: VlanProtocol;
  /** VLAN PCP (0-7) → skb priority. */
  ingressQos?: VlanQosMapping[];
  /** skb priority → VLAN PCP (0-7). */
  egressQos?: VlanQosMapping[];
}

export interface VlanInfo extends VlanFlags, UnknownAttributes {
  id?: number;
  protocol?: VlanProtocol;
  /** Raw ifla_vlan_flags.flags. */
  flags?: number;
  ingressQos?: VlanQosMapping[];
  egressQos?: VlanQosMapping[];
}

function writeQos(w: MessageWriter, type: number, list: unknown, field: string, fromMax: number, toMax: number): void {
  if (!Array.isArray(list)) throw new ValidationError(field, 'must be an array of { from, to }');
  const entries = list.map((m: VlanQosMapping, i) => {
    if (typeof m !== 'object' || m === null) throw new ValidationError(`${field}[${i}]`, 'must be { from, to }');
    return [checkInt(m.from, `${field}[${i}].from`, 0, fromMax), checkInt(m.to, `${field}[${i}].to`, 0, toMax)] as const;
  });
  const at = w.nest(type, field);
  for (const [from, to] of entries) {
    const b = Buffer.alloc(8);
    b.writeUInt32LE(from, 0);
    b.writeUInt32LE(to, 4);
    w.attrBytes(IFLA_VLAN_QOS_MAPPING, b, field);
  }
  w.endNest(at);
}

function readQos(t: AttrTable | undefined): VlanQosMapping[] | undefined {
  if (!t) return undefined;
  const out: VlanQosMapping[] = [];
  for (const a of t.each()) {
    if (a.type === IFLA_VLAN_QOS_MAPPING && a.data.length >= 8) out.push({ from: a.data.readUInt32LE(0), to: a.data.readUInt32LE(4) });
  }
  return out;
}

export const vlanKind: LinkKind<Partial<VlanOptions>, VlanInfo> = {
  kind: 'vlan',
  changeable: true,
  encode(w, o, _refs, mode) {
    if (mode === 'create') {
      if (o.link === undefined) throw new ValidationError('link', 'a vlan link needs its lower link');
      if (o.id === undefined) throw new ValidationError('vlan.id', 'a vlan link needs its VLAN id');
    }
    if (o.id !== undefined) w.attrU16(IFLA_VLAN_ID, checkInt(o.id, 'vlan.id', 0, MAX_VLAN_ID), 'vlan.id');
    if (o.protocol !== undefined) {
      const p = checkOneOf(o.protocol, 'vlan.protocol', Object.keys(VLAN_PROTOCOLS) as VlanProtocol[]);
      w.attrBe16(IFLA_VLAN_PROTOCOL, VLAN_PROTOCOLS[p], 'vlan.protocol');
    }
    let flags = 0;
    let mask = 0;
    for (const key of Object.keys(FLAGS) as (keyof VlanFlags)[]) {
      if (o[key] === undefined) continue;
      mask |= FLAGS[key];
      if (checkBool(o[key], `vlan.${key}`)) flags |= FLAGS[key];
    }
    if (mask !== 0) {
      const b = Buffer.alloc(8);
      b.writeUInt32LE(flags, 0);
      b.writeUInt32LE(mask, 4);
      w.attrBytes(IFLA_VLAN_FLAGS, b, 'vlan.flags');
    }
    if (o.ingressQos !== undefined) writeQos(w, IFLA_VLAN_INGRESS_QOS, o.ingressQos, 'vlan.ingressQos', MAX_PCP, 0xffffffff);
    if (o.egressQos !== undefined) writeQos(w, IFLA_VLAN_EGRESS_QOS, o.egressQos, 'vlan.egressQos', 0xffffffff, MAX_PCP);
  },
  decode(t) {
    const info: VlanInfo = {};
    const id = t.u16(IFLA_VLAN_ID);
    if (id !== undefined) info.id = id;
    const proto = t.be16(IFLA_VLAN_PROTOCOL);
    if (proto !== undefined) {
      const p = keyOf(VLAN_PROTOCOLS, proto);
      if (p) info.protocol = p;
    }
    const f = t.bytes(IFLA_VLAN_FLAGS);
    if (f && f.length >= 4) {
      const flags = f.readUInt32LE(0);
      info.flags = flags;
      for (const [key, bit] of Object.entries(FLAGS) as [keyof VlanFlags, number][]) info[key] = (flags & bit) !== 0;
    }
    const ingress = readQos(t.nested(IFLA_VLAN_INGRESS_QOS));
    if (ingress) info.ingressQos = ingress;
    const egress = readQos(t.nested(IFLA_VLAN_EGRESS_QOS));
    if (egress) info.egressQos = egress;
    const unknown = t.unknown(KNOWN);
    if (unknown) info.unknown = unknown;
    return info;
  },
};

const KNOWN = new Set([IFLA_VLAN_ID, IFLA_VLAN_FLAGS, IFLA_VLAN_EGRESS_QOS, IFLA_VLAN_INGRESS_QOS, IFLA_VLAN_PROTOCOL]);

registerKind(vlanKind);
