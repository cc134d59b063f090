// A bridge port's settings and state (IFLA_BRPORT_*), read from
// IFLA_INFO_SLAVE_DATA and written through RTM_NEWLINK with
// IFLA_LINKINFO { SLAVE_KIND "bridge", SLAVE_DATA { ... } }, which is what the
// kernel's br_port_slave_changelink takes and `ip link set ... type
// bridge_slave` sends (net/bridge/br_netlink.c, br_port_policy /
// br_port_fill_attrs). Timers are clock_t: centiseconds.
import { ValidationError } from '../../../protocol/errors.js';
import { checkBool, checkOneOf, keyOf, type LinkRef } from '../common.js';
import { writeFields, readFields, typesOf, type FieldDef } from '../fields.js';
import { formatBridgeId } from './bridge.js';
import { registerKind, type LinkKind, type UnknownAttributes } from './registry.js';
import {
  IFLA_BRPORT_STATE, IFLA_BRPORT_PRIORITY, IFLA_BRPORT_COST, IFLA_BRPORT_MODE, IFLA_BRPORT_GUARD, IFLA_BRPORT_PROTECT,
  IFLA_BRPORT_FAST_LEAVE, IFLA_BRPORT_LEARNING, IFLA_BRPORT_UNICAST_FLOOD, IFLA_BRPORT_PROXYARP,
  IFLA_BRPORT_LEARNING_SYNC, IFLA_BRPORT_PROXYARP_WIFI, IFLA_BRPORT_ROOT_ID, IFLA_BRPORT_BRIDGE_ID,
  IFLA_BRPORT_DESIGNATED_PORT, IFLA_BRPORT_DESIGNATED_COST, IFLA_BRPORT_ID, IFLA_BRPORT_NO,
  IFLA_BRPORT_TOPOLOGY_CHANGE_ACK, IFLA_BRPORT_CONFIG_PENDING, IFLA_BRPORT_MESSAGE_AGE_TIMER,
  IFLA_BRPORT_FORWARD_DELAY_TIMER, IFLA_BRPORT_HOLD_TIMER, IFLA_BRPORT_FLUSH, IFLA_BRPORT_MULTICAST_ROUTER,
  IFLA_BRPORT_PAD, IFLA_BRPORT_MCAST_FLOOD, IFLA_BRPORT_MCAST_TO_UCAST, IFLA_BRPORT_VLAN_TUNNEL,
  IFLA_BRPORT_BCAST_FLOOD, IFLA_BRPORT_GROUP_FWD_MASK, IFLA_BRPORT_NEIGH_SUPPRESS, IFLA_BRPORT_ISOLATED,
  IFLA_BRPORT_BACKUP_PORT, IFLA_BRPORT_MRP_RING_OPEN, IFLA_BRPORT_MRP_IN_OPEN, IFLA_BRPORT_MCAST_EHT_HOSTS_LIMIT,
  IFLA_BRPORT_MCAST_EHT_HOSTS_CNT, IFLA_BRPORT_LOCKED, IFLA_BRPORT_MAB, IFLA_BRPORT_MCAST_N_GROUPS,
  IFLA_BRPORT_MCAST_MAX_GROUPS, IFLA_BRPORT_NEIGH_VLAN_SUPPRESS, IFLA_BRPORT_BACKUP_NHID,
} from '../../../uapi/if_link.js';
import {
  BR_STATE_DISABLED, BR_STATE_LISTENING, BR_STATE_LEARNING, BR_STATE_FORWARDING, BR_STATE_BLOCKING,
} from '../../../uapi/if_bridge.js';

export type BridgePortState = 'disabled' | 'listening' | 'learning' | 'forwarding' | 'blocking';
const STATES: Record<BridgePortState, number> = {
  disabled: BR_STATE_DISABLED,
  listening: BR_STATE_LISTENING,
  learning: BR_STATE_LEARNING,
  forwarding: BR_STATE_FORWARDING,
  blocking: BR_STATE_BLOCKING,
};

// Kernel limits from net/bridge/br_private.h (not uapi): BR_MAX_PORT_PRIORITY,
// BR_MIN_PATH_COST, BR_MAX_PATH_COST.
const MAX_PORT_PRIORITY = 63;
const MIN_PATH_COST = 1;
const MAX_PATH_COST = 65535;

interface BridgePortScalars {
  /** STP port priority, 0 to 63. */
  priority?: number;
  /** STP path cost, 1 to 65535. */
  cost?: number;
  /** Send frames back out the port they came in on (reflective relay). */
  hairpin?: boolean;
  /** BPDU guard: disable the port when it receives a BPDU. */
  guard?: boolean;
  /** Root block: never let this port become the root port (IFLA_BRPORT_PROTECT). */
  rootBlock?: boolean;
  /** Multicast fast leave. */
  fastLeave?: boolean;
  /** Learn source MACs on this port. */
  learning?: boolean;
  /** Flood unknown unicast out of this port (IFLA_BRPORT_UNICAST_FLOOD). */
  flood?: boolean;
  proxyArp?: boolean;
  proxyArpWifi?: boolean;
  learningSync?: boolean;
  /** 0 disabled, 1 temporary/learned (default), 2 permanent, 3 temporary. */
  mcastRouter?: number;
  mcastFlood?: boolean;
  mcastToUnicast?: boolean;
  bcastFlood?: boolean;
  vlanTunnel?: boolean;
  groupFwdMask?: number;
  /** ARP/ND suppression. */
  neighSuppress?: boolean;
  /** Isolated ports talk only to non-isolated ports. */
  isolated?: boolean;
  /** 802.1X: only authenticated (FDB-known) senders pass. */
  locked?: boolean;
  /** MAC authentication bypass (needs `locked`). */
  mab?: boolean;
  neighVlanSuppress?: boolean;
  mcastEhtHostsLimit?: number;
  mcastMaxGroups?: number;
  /** Backup nexthop id (0 clears). */
  backupNhid?: number;
}

const SCALARS: readonly FieldDef<keyof BridgePortScalars>[] = [
  { key: 'priority', type: IFLA_BRPORT_PRIORITY, codec: 'u16', max: MAX_PORT_PRIORITY },
  { key: 'cost', type: IFLA_BRPORT_COST, codec: 'u32', min: MIN_PATH_COST, max: MAX_PATH_COST },
  { key: 'hairpin', type: IFLA_BRPORT_MODE, codec: 'bool' },
  { key: 'guard', type: IFLA_BRPORT_GUARD, codec: 'bool' },
  { key: 'rootBlock', type: IFLA_BRPORT_PROTECT, codec: 'bool' },
  { key: 'fastLeave', type: IFLA_BRPORT_FAST_LEAVE, codec: 'bool' },
  { key: 'learning', type: IFLA_BRPORT_LEARNING, codec: 'bool' },
  { key: 'flood', type: IFLA_BRPORT_UNICAST_FLOOD, codec: 'bool' },
  { key: 'proxyArp', type: IFLA_BRPORT_PROXYARP, codec: 'bool' },
  { key: 'proxyArpWifi', type: IFLA_BRPORT_PROXYARP_WIFI, codec: 'bool' },
  { key: 'learningSync', type: IFLA_BRPORT_LEARNING_SYNC, codec: 'bool' },
  { key: 'mcastRouter', type: IFLA_BRPORT_MULTICAST_ROUTER, codec: 'u8', max: 3 },
  { key: 'mcastFlood', type: IFLA_BRPORT_MCAST_FLOOD, codec: 'bool' },
  { key: 'mcastToUnicast', type: IFLA_BRPORT_MCAST_TO_UCAST, codec: 'bool' },
  { key: 'bcastFlood', type: IFLA_BRPORT_BCAST_FLOOD, codec: 'bool' },
  { key: 'vlanTunnel', type: IFLA_BRPORT_VLAN_TUNNEL, codec: 'bool' },
  { key: 'groupFwdMask', type: IFLA_BRPORT_GROUP_FWD_MASK, codec: 'u16' },
  { key: 'neighSuppress', type: IFLA_BRPORT_NEIGH_SUPPRESS, codec: 'bool' },
  { key: 'isolated', type: IFLA_BRPORT_ISOLATED, codec: 'bool' },
  { key: 'locked', type: IFLA_BRPORT_LOCKED, codec: 'bool' },
  { key: 'mab', type: IFLA_BRPORT_MAB, codec: 'bool' },
  { key: 'neighVlanSuppress', type: IFLA_BRPORT_NEIGH_VLAN_SUPPRESS, codec: 'bool' },
  { key: 'mcastEhtHostsLimit', type: IFLA_BRPORT_MCAST_EHT_HOSTS_LIMIT, codec: 'u32' },
  { key: 'mcastMaxGroups', type: IFLA_BRPORT_MCAST_MAX_GROUPS, codec: 'u32' },
  { key: 'backupNhid', type: IFLA_BRPORT_BACKUP_NHID, codec: 'u32' },
];

type StateKey =
  | 'designatedPort' | 'designatedCost' | 'id' | 'no' | 'topologyChangeAck' | 'configPending' | 'messageAgeTimerCs'
  | 'forwardDelayTimerCs' | 'holdTimerCs' | 'mcastEhtHostsCount' | 'mcastGroups' | 'mrpRingOpen' | 'mrpInOpen';

const STATE: readonly FieldDef<StateKey>[] = [
  { key: 'designatedPort', type: IFLA_BRPORT_DESIGNATED_PORT, codec: 'u16', readOnly: true },
  { key: 'designatedCost', type: IFLA_BRPORT_DESIGNATED_COST, codec: 'u16', readOnly: true },
  { key: 'id', type: IFLA_BRPORT_ID, codec: 'u16', readOnly: true },
  { key: 'no', type: IFLA_BRPORT_NO, codec: 'u16', readOnly: true },
  { key: 'topologyChangeAck', type: IFLA_BRPORT_TOPOLOGY_CHANGE_ACK, codec: 'bool', readOnly: true },
  { key: 'configPending', type: IFLA_BRPORT_CONFIG_PENDING, codec: 'bool', readOnly: true },
  { key: 'messageAgeTimerCs', type: IFLA_BRPORT_MESSAGE_AGE_TIMER, codec: 'u64', readOnly: true },
  { key: 'forwardDelayTimerCs', type: IFLA_BRPORT_FORWARD_DELAY_TIMER, codec: 'u64', readOnly: true },
  { key: 'holdTimerCs', type: IFLA_BRPORT_HOLD_TIMER, codec: 'u64', readOnly: true },
  { key: 'mcastEhtHostsCount', type: IFLA_BRPORT_MCAST_EHT_HOSTS_CNT, codec: 'u32', readOnly: true },
  { key: 'mcastGroups', type: IFLA_BRPORT_MCAST_N_GROUPS, codec: 'u32', readOnly: true },
  { key: 'mrpRingOpen', type: IFLA_BRPORT_MRP_RING_OPEN, codec: 'bool', readOnly: true },
  { key: 'mrpInOpen', type: IFLA_BRPORT_MRP_IN_OPEN, codec: 'bool', readOnly: true },
];

export interface BridgePortOptions extends BridgePortScalars {
  /** STP state; settable only while the bridge runs no STP. */
  state?: BridgePortState;
  /** Port that takes over when this one loses carrier, by name or ifindex; null clears it. */
  backupPort?: LinkRef | null;
  /** Flush the FDB entries learned on this port (an action). */
  flush?: boolean;
}

export interface BridgePortInfo extends BridgePortScalars, UnknownAttributes {
  state?: BridgePortState;
  /** ifindex of the backup port. */
  backupPort?: number;
  rootId?: string;
  bridgeId?: string;
  designatedPort?: number;
  designatedCost?: number;
  id?: number;
  no?: number;
  topologyChangeAck?: boolean;
  configPending?: boolean;
  messageAgeTimerCs?: number;
  forwardDelayTimerCs?: number;
  holdTimerCs?: number;
  mcastEhtHostsCount?: number;
  mcastGroups?: number;
  mrpRingOpen?: boolean;
  mrpInOpen?: boolean;
}

export const bridgePortKind: LinkKind<BridgePortOptions, BridgePortInfo> = {
  kind: 'bridge:port',
  changeable: true,
  encode(w, o, refs) {
    if (typeof o !== 'object' || o === null) throw new ValidationError('bridgePort', 'port options must be an object');
    if (o.state !== undefined) {
      const s = checkOneOf(o.state, 'bridgePort.state', Object.keys(STATES) as BridgePortState[]);
      w.attrU8(IFLA_BRPORT_STATE, STATES[s], 'bridgePort.state');
    }
    writeFields(w, SCALARS, o, 'bridgePort.');
    if (o.backupPort !== undefined) {
      const index = o.backupPort === null ? 0 : refs.index(o.backupPort, 'bridgePort.backupPort');
      w.attrU32(IFLA_BRPORT_BACKUP_PORT, index, 'bridgePort.backupPort');
    }
    if (o.flush !== undefined && checkBool(o.flush, 'bridgePort.flush')) w.attrFlag(IFLA_BRPORT_FLUSH, 'bridgePort.flush');
  },
  decode(t) {
    const info: BridgePortInfo = {};
    const state = t.u8(IFLA_BRPORT_STATE);
    if (state !== undefined) {
      const s = keyOf(STATES, state);
      if (s) info.state = s;
    }
    readFields(t, SCALARS, info);
    readFields(t, STATE, info);
    const backup = t.u32(IFLA_BRPORT_BACKUP_PORT);
    if (backup !== undefined) info.backupPort = backup;
    const root = t.bytes(IFLA_BRPORT_ROOT_ID);
    if (root && root.length >= 8) info.rootId = formatBridgeId(root);
    const id = t.bytes(IFLA_BRPORT_BRIDGE_ID);
    if (id && id.length >= 8) info.bridgeId = formatBridgeId(id);
    const unknown = t.unknown(KNOWN);
    if (unknown) info.unknown = unknown;
    return info;
  },
};

const KNOWN = typesOf(
  [...SCALARS, ...STATE],
  IFLA_BRPORT_STATE, IFLA_BRPORT_BACKUP_PORT, IFLA_BRPORT_ROOT_ID, IFLA_BRPORT_BRIDGE_ID, IFLA_BRPORT_FLUSH, IFLA_BRPORT_PAD,
);

registerKind(bridgePortKind);
