// Bridge (kind "bridge"): IFLA_BR_* options and state (net/bridge/br_netlink.c,
// br_policy / br_fill_info). Times are clock_t on the wire, that is
// centiseconds (USER_HZ = 100): forward_delay 1500 means 15 s. They are
// exposed unconverted, named *Cs, and match `ip -d link show`. The kernel
// keeps them in jiffies, so a value that is not a whole number of jiffies
// reads back rounded down (12345 → 12344 at HZ=250). VLAN_PROTOCOL is a be16. The boolean options of
// IFLA_BR_MULTI_BOOLOPT are a {value, mask} pair: only the options the caller
// set go in the mask.
import { bytesToMac, macToBytes } from '../../../codec/address.js';
import { checkBool, checkOneOf, keyOf } from '../common.js';
import { writeFields, readFields, typesOf, type FieldDef } from '../fields.js';
import { registerKind, type LinkKind, type UnknownAttributes } from './registry.js';
import {
  IFLA_BR_FORWARD_DELAY, IFLA_BR_HELLO_TIME, IFLA_BR_MAX_AGE, IFLA_BR_AGEING_TIME, IFLA_BR_STP_STATE, IFLA_BR_PRIORITY,
  IFLA_BR_VLAN_FILTERING, IFLA_BR_VLAN_PROTOCOL, IFLA_BR_GROUP_FWD_MASK, IFLA_BR_ROOT_ID, IFLA_BR_BRIDGE_ID,
  IFLA_BR_ROOT_PORT, IFLA_BR_ROOT_PATH_COST, IFLA_BR_TOPOLOGY_CHANGE, IFLA_BR_TOPOLOGY_CHANGE_DETECTED,
  IFLA_BR_HELLO_TIMER, IFLA_BR_TCN_TIMER, IFLA_BR_TOPOLOGY_CHANGE_TIMER, IFLA_BR_GC_TIMER, IFLA_BR_GROUP_ADDR,
  IFLA_BR_FDB_FLUSH, IFLA_BR_MCAST_ROUTER, IFLA_BR_MCAST_SNOOPING, IFLA_BR_MCAST_QUERY_USE_IFADDR,
  IFLA_BR_MCAST_QUERIER, IFLA_BR_MCAST_HASH_ELASTICITY, IFLA_BR_MCAST_HASH_MAX, IFLA_BR_MCAST_LAST_MEMBER_CNT,
  IFLA_BR_MCAST_STARTUP_QUERY_CNT, IFLA_BR_MCAST_LAST_MEMBER_INTVL, IFLA_BR_MCAST_MEMBERSHIP_INTVL,
  IFLA_BR_MCAST_QUERIER_INTVL, IFLA_BR_MCAST_QUERY_INTVL, IFLA_BR_MCAST_QUERY_RESPONSE_INTVL,
  IFLA_BR_MCAST_STARTUP_QUERY_INTVL, IFLA_BR_NF_CALL_IPTABLES, IFLA_BR_NF_CALL_IP6TABLES, IFLA_BR_NF_CALL_ARPTABLES,
  IFLA_BR_VLAN_DEFAULT_PVID, IFLA_BR_PAD, IFLA_BR_VLAN_STATS_ENABLED, IFLA_BR_MCAST_STATS_ENABLED,
  IFLA_BR_MCAST_IGMP_VERSION, IFLA_BR_MCAST_MLD_VERSION, IFLA_BR_VLAN_STATS_PER_PORT, IFLA_BR_MULTI_BOOLOPT,
  IFLA_BR_FDB_N_LEARNED, IFLA_BR_FDB_MAX_LEARNED,
} from '../../../uapi/if_link.js';
import {
  BR_BOOLOPT_NO_LL_LEARN, BR_BOOLOPT_MCAST_VLAN_SNOOPING, BR_BOOLOPT_MST_ENABLE,
  BR_BOOLOPT_MDB_OFFLOAD_FAIL_NOTIFICATION, BR_BOOLOPT_FDB_LOCAL_VLAN_0,
} from '../../../uapi/if_bridge.js';
import { ETH_P_8021Q, ETH_P_8021AD } from '../../../uapi/linux.js';

export type VlanProtocol = '802.1Q' | '802.1ad';
export const VLAN_PROTOCOLS: Record<VlanProtocol, number> = { '802.1Q': ETH_P_8021Q, '802.1ad': ETH_P_8021AD };

/** Highest VLAN id (VLAN_VID_MASK - 1; 4095 is reserved). */
export const MAX_VLAN_ID = 4094;

/** struct ifla_bridge_id {u8 prio[2]; u8 addr[6]} printed as `ip` does: "8000.aa:bb:cc:dd:ee:ff". */
export function formatBridgeId(b: Buffer): string {
  return `${b.subarray(0, 2).toString('hex')}.${bytesToMac(b.subarray(2, 8))}`;
}

interface BridgeScalars {
  /** FDB entry lifetime, centiseconds (kernel default 30000 = 300 s). */
  ageingTimeCs?: number;
  /** STP forward delay, centiseconds (2-30 s when STP is on). */
  forwardDelayCs?: number;
  /** STP hello time, centiseconds (1-10 s). */
  helloTimeCs?: number;
  /** STP max message age, centiseconds (6-40 s). */
  maxAgeCs?: number;
  /** Bridge priority for STP, 0 to 65535. */
  priority?: number;
  vlanFiltering?: boolean;
  /** PVID for new ports, 0 (none) to 4094. */
  defaultPvid?: number;
  vlanStatsEnabled?: boolean;
  vlanStatsPerPort?: boolean;
  /** Bit mask of link-local group addresses (01:80:c2:00:00:0X) to forward. */
  groupFwdMask?: number;
  mcastSnooping?: boolean;
  /** 0 disabled, 1 automatic (default), 2 permanent. */
  mcastRouter?: number;
  mcastQuerier?: boolean;
  mcastQueryUseIfaddr?: boolean;
  mcastHashElasticity?: number;
  mcastHashMax?: number;
  mcastLastMemberCount?: number;
  mcastStartupQueryCount?: number;
  mcastLastMemberIntervalCs?: number;
  mcastMembershipIntervalCs?: number;
  mcastQuerierIntervalCs?: number;
  mcastQueryIntervalCs?: number;
  mcastQueryResponseIntervalCs?: number;
  mcastStartupQueryIntervalCs?: number;
  mcastStatsEnabled?: boolean;
  /** IGMP version, 2 or 3. */
  mcastIgmpVersion?: number;
  /** MLD version, 1 or 2. */
  mcastMldVersion?: number;
  nfCallIptables?: boolean;
  nfCallIp6tables?: boolean;
  nfCallArptables?: boolean;
  /** Most FDB entries learned (0: no limit). */
  fdbMaxLearned?: number;
}

const SCALARS: readonly FieldDef<keyof BridgeScalars>[] = [
  { key: 'ageingTimeCs', type: IFLA_BR_AGEING_TIME, codec: 'u32' },
  { key: 'forwardDelayCs', type: IFLA_BR_FORWARD_DELAY, codec: 'u32' },
  { key: 'helloTimeCs', type: IFLA_BR_HELLO_TIME, codec: 'u32' },
  { key: 'maxAgeCs', type: IFLA_BR_MAX_AGE, codec: 'u32' },
  { key: 'priority', type: IFLA_BR_PRIORITY, codec: 'u16' },
  { key: 'vlanFiltering', type: IFLA_BR_VLAN_FILTERING, codec: 'bool' },
  { key: 'defaultPvid', type: IFLA_BR_VLAN_DEFAULT_PVID, codec: 'u16', max: MAX_VLAN_ID },
  { key: 'vlanStatsEnabled', type: IFLA_BR_VLAN_STATS_ENABLED, codec: 'bool' },
  { key: 'vlanStatsPerPort', type: IFLA_BR_VLAN_STATS_PER_PORT, codec: 'bool' },
  { key: 'groupFwdMask', type: IFLA_BR_GROUP_FWD_MASK, codec: 'u16' },
  { key: 'mcastSnooping', type: IFLA_BR_MCAST_SNOOPING, codec: 'bool' },
  { key: 'mcastRouter', type: IFLA_BR_MCAST_ROUTER, codec: 'u8', max: 2 },
  { key: 'mcastQuerier', type: IFLA_BR_MCAST_QUERIER, codec: 'bool' },
  { key: 'mcastQueryUseIfaddr', type: IFLA_BR_MCAST_QUERY_USE_IFADDR, codec: 'bool' },
  { key: 'mcastHashElasticity', type: IFLA_BR_MCAST_HASH_ELASTICITY, codec: 'u32' },
  { key: 'mcastHashMax', type: IFLA_BR_MCAST_HASH_MAX, codec: 'u32' },
  { key: 'mcastLastMemberCount', type: IFLA_BR_MCAST_LAST_MEMBER_CNT, codec: 'u32' },
  { key: 'mcastStartupQueryCount', type: IFLA_BR_MCAST_STARTUP_QUERY_CNT, codec: 'u32' },
  { key: 'mcastLastMemberIntervalCs', type: IFLA_BR_MCAST_LAST_MEMBER_INTVL, codec: 'u64' },
  { key: 'mcastMembershipIntervalCs', type: IFLA_BR_MCAST_MEMBERSHIP_INTVL, codec: 'u64' },
  { key: 'mcastQuerierIntervalCs', type: IFLA_BR_MCAST_QUERIER_INTVL, codec: 'u64' },
  { key: 'mcastQueryIntervalCs', type: IFLA_BR_MCAST_QUERY_INTVL, codec: 'u64' },
  { key: 'mcastQueryResponseIntervalCs', type: IFLA_BR_MCAST_QUERY_RESPONSE_INTVL, codec: 'u64' },
  { key: 'mcastStartupQueryIntervalCs', type: IFLA_BR_MCAST_STARTUP_QUERY_INTVL, codec: 'u64' },
  { key: 'mcastStatsEnabled', type: IFLA_BR_MCAST_STATS_ENABLED, codec: 'bool' },
  { key: 'mcastIgmpVersion', type: IFLA_BR_MCAST_IGMP_VERSION, codec: 'u8', min: 2, max: 3 },
  { key: 'mcastMldVersion', type: IFLA_BR_MCAST_MLD_VERSION, codec: 'u8', min: 1, max: 2 },
  { key: 'nfCallIptables', type: IFLA_BR_NF_CALL_IPTABLES, codec: 'bool' },
  { key: 'nfCallIp6tables', type: IFLA_BR_NF_CALL_IP6TABLES, codec: 'bool' },
  { key: 'nfCallArptables', type: IFLA_BR_NF_CALL_ARPTABLES, codec: 'bool' },
  { key: 'fdbMaxLearned', type: IFLA_BR_FDB_MAX_LEARNED, codec: 'u32' },
];

/** Options carried as bits of IFLA_BR_MULTI_BOOLOPT. */
interface BridgeBoolopts {
  /** Do not learn from link-local frames. */
  noLinkLocalLearn?: boolean;
  /** Per-VLAN multicast snooping. */
  mcastVlanSnooping?: boolean;
  /** Multiple spanning trees. */
  mstEnable?: boolean;
  mdbOffloadFailNotification?: boolean;
  fdbLocalVlan0?: boolean;
}

const BOOLOPTS: Record<keyof BridgeBoolopts, number> = {
  noLinkLocalLearn: BR_BOOLOPT_NO_LL_LEARN,
  mcastVlanSnooping: BR_BOOLOPT_MCAST_VLAN_SNOOPING,
  mstEnable: BR_BOOLOPT_MST_ENABLE,
  mdbOffloadFailNotification: BR_BOOLOPT_MDB_OFFLOAD_FAIL_NOTIFICATION,
  fdbLocalVlan0: BR_BOOLOPT_FDB_LOCAL_VLAN_0,
};

export interface BridgeOptions extends BridgeScalars, BridgeBoolopts {
  /** Spanning tree on or off (the kernel picks kernel or user-space STP). */
  stp?: boolean;
  /** EtherType of the VLAN tags the bridge filters on. */
  vlanProtocol?: VlanProtocol;
  /** Destination MAC of STP frames, 01:80:c2:00:00:0X. */
  groupAddr?: string;
  /** Flush the bridge's FDB (an action, not a setting). */
  fdbFlush?: boolean;
}

export interface BridgeInfo extends BridgeScalars, BridgeBoolopts, UnknownAttributes {
  stp?: boolean;
  /** 0 off, 1 kernel STP, 2 user-space STP. */
  stpState?: number;
  vlanProtocol?: VlanProtocol;
  groupAddr?: string;
  /** "prio.mac", as `ip` prints it. */
  rootId?: string;
  bridgeId?: string;
  rootPort?: number;
  rootPathCost?: number;
  topologyChange?: boolean;
  topologyChangeDetected?: boolean;
  helloTimerCs?: number;
  tcnTimerCs?: number;
  topologyChangeTimerCs?: number;
  gcTimerCs?: number;
  fdbNLearned?: number;
}

const STATE: readonly FieldDef<'stpState' | 'rootPort' | 'rootPathCost' | 'topologyChange' | 'topologyChangeDetected' | 'helloTimerCs' | 'tcnTimerCs' | 'topologyChangeTimerCs' | 'gcTimerCs' | 'fdbNLearned'>[] = [
  { key: 'stpState', type: IFLA_BR_STP_STATE, codec: 'u32', readOnly: true },
  { key: 'rootPort', type: IFLA_BR_ROOT_PORT, codec: 'u16', readOnly: true },
  { key: 'rootPathCost', type: IFLA_BR_ROOT_PATH_COST, codec: 'u32', readOnly: true },
  { key: 'topologyChange', type: IFLA_BR_TOPOLOGY_CHANGE, codec: 'bool', readOnly: true },
  { key: 'topologyChangeDetected', type: IFLA_BR_TOPOLOGY_CHANGE_DETECTED, codec: 'bool', readOnly: true },
  { key: 'helloTimerCs', type: IFLA_BR_HELLO_TIMER, codec: 'u64', readOnly: true },
  { key: 'tcnTimerCs', type: IFLA_BR_TCN_TIMER, codec: 'u64', readOnly: true },
  { key: 'topologyChangeTimerCs', type: IFLA_BR_TOPOLOGY_CHANGE_TIMER, codec: 'u64', readOnly: true },
  { key: 'gcTimerCs', type: IFLA_BR_GC_TIMER, codec: 'u64', readOnly: true },
  { key: 'fdbNLearned', type: IFLA_BR_FDB_N_LEARNED, codec: 'u32', readOnly: true },
];

export const bridgeKind: LinkKind<BridgeOptions, BridgeInfo> = {
  kind: 'bridge',
  changeable: true,
  encode(w, o) {
    if (o.stp !== undefined) w.attrU32(IFLA_BR_STP_STATE, checkBool(o.stp, 'bridge.stp') ? 1 : 0, 'bridge.stp');
    if (o.vlanProtocol !== undefined) {
      const p = checkOneOf(o.vlanProtocol, 'bridge.vlanProtocol', Object.keys(VLAN_PROTOCOLS) as VlanProtocol[]);
      w.attrBe16(IFLA_BR_VLAN_PROTOCOL, VLAN_PROTOCOLS[p], 'bridge.vlanProtocol');
    }
    if (o.groupAddr !== undefined) w.attrBytes(IFLA_BR_GROUP_ADDR, macToBytes(o.groupAddr, 'bridge.groupAddr'), 'bridge.groupAddr');
    writeFields(w, SCALARS, o, 'bridge.');
    let value = 0;
    let mask = 0;
    for (const key of Object.keys(BOOLOPTS) as (keyof BridgeBoolopts)[]) {
      const v = o[key];
      if (v === undefined) continue;
      const bit = 2 ** BOOLOPTS[key];
      mask += bit;
      if (checkBool(v, `bridge.${key}`)) value += bit;
    }
    if (mask !== 0) {
      const b = Buffer.alloc(8);
      b.writeUInt32LE(value, 0);
      b.writeUInt32LE(mask, 4);
      w.attrBytes(IFLA_BR_MULTI_BOOLOPT, b, 'bridge.boolopt');
    }
    if (o.fdbFlush !== undefined && checkBool(o.fdbFlush, 'bridge.fdbFlush')) w.attrFlag(IFLA_BR_FDB_FLUSH, 'bridge.fdbFlush');
  },
  decode(t) {
    const info: BridgeInfo = {};
    readFields(t, SCALARS, info);
    readFields(t, STATE, info);
    if (info.stpState !== undefined) info.stp = info.stpState !== 0;
    const proto = t.be16(IFLA_BR_VLAN_PROTOCOL);
    if (proto !== undefined) {
      const p = keyOf(VLAN_PROTOCOLS, proto);
      if (p) info.vlanProtocol = p;
    }
    const group = t.bytes(IFLA_BR_GROUP_ADDR);
    if (group) info.groupAddr = bytesToMac(group);
    const root = t.bytes(IFLA_BR_ROOT_ID);
    if (root && root.length >= 8) info.rootId = formatBridgeId(root);
    const id = t.bytes(IFLA_BR_BRIDGE_ID);
    if (id && id.length >= 8) info.bridgeId = formatBridgeId(id);
    const bo = t.bytes(IFLA_BR_MULTI_BOOLOPT);
    if (bo && bo.length >= 8) {
      const value = bo.readUInt32LE(0);
      const supported = bo.readUInt32LE(4);
      for (const [key, bit] of Object.entries(BOOLOPTS) as [keyof BridgeBoolopts, number][]) {
        // The kernel reports the options it supports in the mask.
        if (supported & (1 << bit)) info[key] = (value & (1 << bit)) !== 0;
      }
    }
    const unknown = t.unknown(KNOWN);
    if (unknown) info.unknown = unknown;
    return info;
  },
};

// IFLA_BR_MCAST_QUERIER_STATE is a nest of querier addresses and timers; it
// is kept raw in `unknown` until a caller needs it decoded.
const KNOWN = typesOf(
  [...SCALARS, ...STATE],
  IFLA_BR_VLAN_PROTOCOL, IFLA_BR_GROUP_ADDR, IFLA_BR_ROOT_ID, IFLA_BR_BRIDGE_ID, IFLA_BR_MULTI_BOOLOPT,
  IFLA_BR_FDB_FLUSH, IFLA_BR_PAD,
);

registerKind(bridgeKind);

