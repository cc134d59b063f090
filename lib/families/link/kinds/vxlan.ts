// VXLAN (kind "vxlan"): every IFLA_VXLAN_* attribute of Linux 6.18.
// Wire facts (drivers/net/vxlan/vxlan_core.c, vxlan_policy / vxlan_fill_info):
// PORT is a be16 and LABEL a be32 although the policy says U16/U32; PORT_RANGE
// is two be16; GROUP/GROUP6 hold the default remote, unicast or multicast;
// GBP, GPE, REMCSUM_NOPARTIAL and TTL_INHERIT are NLA_FLAG on the way in, and
// TTL_INHERIT comes back as a u8; tos 1 means "inherit"; RESERVED_BITS is a
// struct vxlanhdr (8 bytes).
import { ValidationError } from '../../../protocol/errors.js';
import { ipToBytes, bytesToIp } from '../../../codec/address.js';
import { checkInt, checkOneOf, keyOf, type LinkRef } from '../common.js';
import { writeFields, readFields, typesOf, type FieldDef } from '../fields.js';
import { registerKind, type LinkKind, type UnknownAttributes } from './registry.js';
import {
  IFLA_VXLAN_ID, IFLA_VXLAN_GROUP, IFLA_VXLAN_GROUP6, IFLA_VXLAN_LINK, IFLA_VXLAN_LOCAL, IFLA_VXLAN_LOCAL6,
  IFLA_VXLAN_TTL, IFLA_VXLAN_TTL_INHERIT, IFLA_VXLAN_TOS, IFLA_VXLAN_LEARNING, IFLA_VXLAN_AGEING, IFLA_VXLAN_LIMIT,
  IFLA_VXLAN_PORT_RANGE, IFLA_VXLAN_PROXY, IFLA_VXLAN_RSC, IFLA_VXLAN_L2MISS, IFLA_VXLAN_L3MISS, IFLA_VXLAN_PORT,
  IFLA_VXLAN_UDP_CSUM, IFLA_VXLAN_UDP_ZERO_CSUM6_TX, IFLA_VXLAN_UDP_ZERO_CSUM6_RX, IFLA_VXLAN_REMCSUM_TX,
  IFLA_VXLAN_REMCSUM_RX, IFLA_VXLAN_GBP, IFLA_VXLAN_REMCSUM_NOPARTIAL, IFLA_VXLAN_COLLECT_METADATA, IFLA_VXLAN_LABEL,
  IFLA_VXLAN_GPE, IFLA_VXLAN_DF, IFLA_VXLAN_VNIFILTER, IFLA_VXLAN_LOCALBYPASS, IFLA_VXLAN_LABEL_POLICY,
  IFLA_VXLAN_RESERVED_BITS, IFLA_VXLAN_MC_ROUTE, VXLAN_DF_UNSET, VXLAN_DF_SET, VXLAN_DF_INHERIT,
  VXLAN_LABEL_FIXED, VXLAN_LABEL_INHERIT,
} from '../../../uapi/if_link.js';

export type VxlanDf = 'unset' | 'set' | 'inherit';
export type VxlanLabelPolicy = 'fixed' | 'inherit';

const DF: Record<VxlanDf, number> = { unset: VXLAN_DF_UNSET, set: VXLAN_DF_SET, inherit: VXLAN_DF_INHERIT };
const LABEL_POLICY: Record<VxlanLabelPolicy, number> = { fixed: VXLAN_LABEL_FIXED, inherit: VXLAN_LABEL_INHERIT };

/** VNIs are 24 bits. */
export const VXLAN_MAX_VNI = 0xffffff;
/** IPv6 flow labels are 20 bits. */
export const VXLAN_MAX_LABEL = 0xfffff;
/** The kernel's tos value meaning "copy the inner packet's" (vxlan_xmit_one). */
const TOS_INHERIT = 1;
/** sizeof(struct vxlanhdr). */
const VXLANHDR_LEN = 8;

export interface VxlanPortRange {
  low: number;
  high: number;
}

/** Boolean and numeric options that map one-to-one onto an attribute. */
interface VxlanScalars {
  /** Learn remote MACs from received packets (kernel default on). */
  learning?: boolean;
  /** ARP/ND proxy. */
  proxy?: boolean;
  /** Route short circuit. */
  rsc?: boolean;
  /** Netlink notifications for L2 (FDB) misses. */
  l2miss?: boolean;
  /** Netlink notifications for L3 (neighbour) misses. */
  l3miss?: boolean;
  /** FDB entry lifetime, in seconds (kernel default 300). */
  ageing?: number;
  /** Maximum FDB entries; 0 means no limit (ip: maxaddress). */
  limit?: number;
  /** UDP checksums over IPv4 (kernel default on). */
  udpCsum?: boolean;
  /** Send zero UDP checksums over IPv6. */
  udp6ZeroCsumTx?: boolean;
  /** Accept zero UDP checksums over IPv6. */
  udp6ZeroCsumRx?: boolean;
  remcsumTx?: boolean;
  remcsumRx?: boolean;
  /** Remote checksum offload without partial checksums (a flag: only `true` is sendable). */
  remcsumNoPartial?: boolean;
  /** Group Based Policy extension (a flag: only `true` is sendable). */
  gbp?: boolean;
  /** Generic Protocol Extension (a flag; the kernel requires `external`). */
  gpe?: boolean;
  /** Flow-based (collect_metadata) device: the VNI and remote come per packet (ip: external). */
  external?: boolean;
  /** Per-VNI filtering (needs `external`). */
  vnifilter?: boolean;
  /** Deliver to a local VXLAN device directly when the remote is a local address. */
  localbypass?: boolean;
  /** Route multicast through the multicast routing table (IPv6). */
  mcRoute?: boolean;
}

const SCALARS: readonly FieldDef<keyof VxlanScalars>[] = [
  { key: 'learning', type: IFLA_VXLAN_LEARNING, codec: 'bool' },
  { key: 'proxy', type: IFLA_VXLAN_PROXY, codec: 'bool' },
  { key: 'rsc', type: IFLA_VXLAN_RSC, codec: 'bool' },
  { key: 'l2miss', type: IFLA_VXLAN_L2MISS, codec: 'bool' },
  { key: 'l3miss', type: IFLA_VXLAN_L3MISS, codec: 'bool' },
  { key: 'ageing', type: IFLA_VXLAN_AGEING, codec: 'u32' },
  { key: 'limit', type: IFLA_VXLAN_LIMIT, codec: 'u32' },
  { key: 'udpCsum', type: IFLA_VXLAN_UDP_CSUM, codec: 'bool' },
  { key: 'udp6ZeroCsumTx', type: IFLA_VXLAN_UDP_ZERO_CSUM6_TX, codec: 'bool' },
  { key: 'udp6ZeroCsumRx', type: IFLA_VXLAN_UDP_ZERO_CSUM6_RX, codec: 'bool' },
  { key: 'remcsumTx', type: IFLA_VXLAN_REMCSUM_TX, codec: 'bool' },
  { key: 'remcsumRx', type: IFLA_VXLAN_REMCSUM_RX, codec: 'bool' },
  { key: 'remcsumNoPartial', type: IFLA_VXLAN_REMCSUM_NOPARTIAL, codec: 'flag' },
  { key: 'gbp', type: IFLA_VXLAN_GBP, codec: 'flag' },
  { key: 'gpe', type: IFLA_VXLAN_GPE, codec: 'flag' },
  { key: 'external', type: IFLA_VXLAN_COLLECT_METADATA, codec: 'bool' },
  { key: 'vnifilter', type: IFLA_VXLAN_VNIFILTER, codec: 'bool' },
  { key: 'localbypass', type: IFLA_VXLAN_LOCALBYPASS, codec: 'bool' },
  { key: 'mcRoute', type: IFLA_VXLAN_MC_ROUTE, codec: 'bool' },
];

export interface VxlanOptions extends VxlanScalars {
  /** VXLAN Network Identifier, 0 to 16777215. */
  id: number;
  /** Unicast remote VTEP (the default destination). Mutually exclusive with `group`. */
  remote?: string;
  /** Multicast group to join (the same kernel attribute as `remote`); the kernel wants `dev` with it. */
  group?: string;
  /** Source address; its family must match remote/group. */
  local?: string;
  /** The underlay link, by name or ifindex (IFLA_VXLAN_LINK). */
  dev?: LinkRef;
  /** UDP destination port, 1 to 65535 (IANA: 4789; the kernel's default is 8472). */
  dstPort?: number;
  /** UDP source port range (kernel default: the ephemeral range). */
  srcPortRange?: VxlanPortRange;
  /** Outer TTL, 0 (auto) to 255, or 'inherit' from the inner packet. */
  ttl?: number | 'inherit';
  /** Outer TOS, 0 to 255, or 'inherit'. */
  tos?: number | 'inherit';
  /** The outer IPv4 Don't Fragment bit. */
  df?: VxlanDf;
  /** IPv6 flow label, 0 to 0xfffff (IPv6 devices only). */
  label?: number;
  labelPolicy?: VxlanLabelPolicy;
  /** VXLAN header bits to accept as reserved (struct vxlanhdr, 8 bytes). */
  reservedBits?: Uint8Array;
}

export interface VxlanInfo extends VxlanScalars, UnknownAttributes {
  id?: number;
  remote?: string;
  group?: string;
  local?: string;
  /** The underlay link's ifindex. */
  dev?: number;
  dstPort?: number;
  srcPortRange?: VxlanPortRange;
  ttl?: number | 'inherit';
  tos?: number | 'inherit';
  df?: VxlanDf;
  label?: number;
  labelPolicy?: VxlanLabelPolicy;
  reservedBits?: Buffer;
}

function isMulticast(bytes: Buffer): boolean {
  return bytes.length === 4 ? (bytes[0]! & 0xf0) === 0xe0 : bytes[0] === 0xff;
}

/** The default destination: `remote` must be unicast, `group` multicast; both use GROUP/GROUP6. */
function destination(o: Partial<VxlanOptions>): { bytes: Buffer; field: string } | undefined {
  if (o.remote !== undefined && o.group !== undefined) {
    throw new ValidationError('vxlan.group', 'remote and group are one kernel attribute (the default destination): give one');
  }
  if (o.remote !== undefined) {
    const bytes = ipToBytes(o.remote, 'vxlan.remote');
    if (isMulticast(bytes)) throw new ValidationError('vxlan.remote', `${o.remote} is multicast: use group for a multicast destination`);
    return { bytes, field: 'vxlan.remote' };
  }
  if (o.group !== undefined) {
    const bytes = ipToBytes(o.group, 'vxlan.group');
    if (!isMulticast(bytes)) throw new ValidationError('vxlan.group', `${o.group} is not a multicast address: use remote for a unicast destination`);
    return { bytes, field: 'vxlan.group' };
  }
  return undefined;
}

export const vxlanKind: LinkKind<Partial<VxlanOptions>, VxlanInfo> = {
  kind: 'vxlan',
  changeable: true,
  encode(w, o, refs, mode) {
    if (mode === 'create' && o.id === undefined) throw new ValidationError('vxlan.id', 'a vxlan link needs its VNI');
    if (o.id !== undefined) w.attrU32(IFLA_VXLAN_ID, checkInt(o.id, 'vxlan.id', 0, VXLAN_MAX_VNI), 'vxlan.id');
    const dst = destination(o);
    let local: Buffer | undefined;
    if (o.local !== undefined) {
      local = ipToBytes(o.local, 'vxlan.local');
      if (isMulticast(local)) throw new ValidationError('vxlan.local', `a local address cannot be multicast: ${o.local}`);
      if (dst && dst.bytes.length !== local.length) {
        throw new ValidationError('vxlan.local', `local ${o.local} and ${dst.field.slice(6)} are of different address families`);
      }
    }
    if (dst) w.attrBytes(dst.bytes.length === 4 ? IFLA_VXLAN_GROUP : IFLA_VXLAN_GROUP6, dst.bytes, dst.field);
    if (local) w.attrBytes(local.length === 4 ? IFLA_VXLAN_LOCAL : IFLA_VXLAN_LOCAL6, local, 'vxlan.local');
    if (o.dev !== undefined) w.attrU32(IFLA_VXLAN_LINK, refs.index(o.dev, 'vxlan.dev'), 'vxlan.dev');
    if (o.dstPort !== undefined) w.attrBe16(IFLA_VXLAN_PORT, checkInt(o.dstPort, 'vxlan.dstPort', 1, 0xffff), 'vxlan.dstPort');
    if (o.srcPortRange !== undefined) {
      const r = o.srcPortRange;
      if (typeof r !== 'object' || r === null) throw new ValidationError('vxlan.srcPortRange', 'must be { low, high }');
      const low = checkInt(r.low, 'vxlan.srcPortRange.low', 0, 0xffff);
      const high = checkInt(r.high, 'vxlan.srcPortRange.high', 0, 0xffff);
      if (high < low) throw new ValidationError('vxlan.srcPortRange', `high (${high}) is below low (${low})`);
      const b = Buffer.alloc(4);
      b.writeUInt16BE(low, 0);
      b.writeUInt16BE(high, 2);
      w.attrBytes(IFLA_VXLAN_PORT_RANGE, b, 'vxlan.srcPortRange');
    }
    if (o.ttl === 'inherit') w.attrFlag(IFLA_VXLAN_TTL_INHERIT, 'vxlan.ttl');
    else if (o.ttl !== undefined) w.attrU8(IFLA_VXLAN_TTL, checkInt(o.ttl, 'vxlan.ttl', 0, 255), 'vxlan.ttl');
    if (o.tos !== undefined) w.attrU8(IFLA_VXLAN_TOS, o.tos === 'inherit' ? TOS_INHERIT : checkInt(o.tos, 'vxlan.tos', 0, 255), 'vxlan.tos');
    if (o.df !== undefined) w.attrU8(IFLA_VXLAN_DF, DF[checkOneOf(o.df, 'vxlan.df', Object.keys(DF) as VxlanDf[])], 'vxlan.df');
    if (o.label !== undefined) w.attrBe32(IFLA_VXLAN_LABEL, checkInt(o.label, 'vxlan.label', 0, VXLAN_MAX_LABEL), 'vxlan.label');
    if (o.labelPolicy !== undefined) {
      const p = checkOneOf(o.labelPolicy, 'vxlan.labelPolicy', Object.keys(LABEL_POLICY) as VxlanLabelPolicy[]);
      w.attrU32(IFLA_VXLAN_LABEL_POLICY, LABEL_POLICY[p], 'vxlan.labelPolicy');
    }
    if (o.reservedBits !== undefined) {
      if (!(o.reservedBits instanceof Uint8Array) || o.reservedBits.length !== VXLANHDR_LEN) {
        throw new ValidationError('vxlan.reservedBits', `must be ${VXLANHDR_LEN} bytes (a struct vxlanhdr)`);
      }
      w.attrBytes(IFLA_VXLAN_RESERVED_BITS, o.reservedBits, 'vxlan.reservedBits');
    }
    writeFields(w, SCALARS, o, 'vxlan.');
  },
  decode(t) {
    const info: VxlanInfo = {};
    const set = <K extends keyof VxlanInfo>(k: K, v: VxlanInfo[K] | undefined): void => {
      if (v !== undefined) info[k] = v;
    };
    set('id', t.u32(IFLA_VXLAN_ID));
    const dst = t.bytes(IFLA_VXLAN_GROUP) ?? t.bytes(IFLA_VXLAN_GROUP6);
    if (dst) info[isMulticast(dst) ? 'group' : 'remote'] = bytesToIp(dst);
    const local = t.bytes(IFLA_VXLAN_LOCAL) ?? t.bytes(IFLA_VXLAN_LOCAL6);
    if (local) info.local = bytesToIp(local);
    set('dev', t.u32(IFLA_VXLAN_LINK));
    set('dstPort', t.be16(IFLA_VXLAN_PORT));
    const range = t.bytes(IFLA_VXLAN_PORT_RANGE);
    if (range && range.length >= 4) info.srcPortRange = { low: range.readUInt16BE(0), high: range.readUInt16BE(2) };
    const inherit = t.bytes(IFLA_VXLAN_TTL_INHERIT);
    if (inherit && (inherit.length === 0 || inherit[0] !== 0)) info.ttl = 'inherit';
    else set('ttl', t.u8(IFLA_VXLAN_TTL));
    const tos = t.u8(IFLA_VXLAN_TOS);
    if (tos !== undefined) info.tos = tos === TOS_INHERIT ? 'inherit' : tos;
    const df = t.u8(IFLA_VXLAN_DF);
    if (df !== undefined) set('df', keyOf(DF, df));
    set('label', t.be32(IFLA_VXLAN_LABEL));
    const lp = t.u32(IFLA_VXLAN_LABEL_POLICY);
    if (lp !== undefined) set('labelPolicy', keyOf(LABEL_POLICY, lp));
    const reserved = t.bytes(IFLA_VXLAN_RESERVED_BITS);
    if (reserved) info.reservedBits = Buffer.from(reserved);
    readFields(t, SCALARS, info);
    set('unknown', t.unknown(KNOWN));
    return info;
  },
};

const KNOWN = typesOf(
  SCALARS,
  IFLA_VXLAN_ID, IFLA_VXLAN_GROUP, IFLA_VXLAN_GROUP6, IFLA_VXLAN_LOCAL, IFLA_VXLAN_LOCAL6, IFLA_VXLAN_LINK,
  IFLA_VXLAN_PORT, IFLA_VXLAN_PORT_RANGE, IFLA_VXLAN_TTL, IFLA_VXLAN_TTL_INHERIT, IFLA_VXLAN_TOS, IFLA_VXLAN_DF,
  IFLA_VXLAN_LABEL, IFLA_VXLAN_LABEL_POLICY, IFLA_VXLAN_RESERVED_BITS,
);

registerKind(vxlanKind);

