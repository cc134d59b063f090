// Every link kind this library knows. Importing this module registers them
// all (decodeLink and the request builders look kinds up in the registry).
import type { BridgeInfo, BridgeOptions } from './bridge.js';
import type { BridgePortInfo } from './bridge-port.js';
import type { VxlanInfo, VxlanOptions } from './vxlan.js';
import type { VethInfo, VethOptions } from './veth.js';
import type { MacvlanInfo, MacvlanOptions } from './macvlan.js';
import type { VlanInfo, VlanOptions } from './vlan.js';
import type { DummyInfo, DummyOptions } from './dummy.js';
import './bridge.js';
import './bridge-port.js';
import './vxlan.js';
import './veth.js';
import './macvlan.js';
import './vlan.js';
import './dummy.js';

export { registerKind, linkKind, type LinkKind, type LinkRefs, type KindMode, type UnknownAttributes } from './registry.js';
export type { BridgeInfo, BridgeOptions, VlanProtocol } from './bridge.js';
export type { BridgePortInfo, BridgePortOptions, BridgePortState } from './bridge-port.js';
export type { VxlanInfo, VxlanOptions, VxlanDf, VxlanLabelPolicy, VxlanPortRange } from './vxlan.js';
export type { VethInfo, VethOptions, VethPeer } from './veth.js';
export type { MacvlanInfo, MacvlanOptions, MacvlanMode } from './macvlan.js';
export type { VlanInfo, VlanOptions, VlanQosMapping } from './vlan.js';
export type { DummyInfo, DummyOptions } from './dummy.js';

/** IFLA_INFO_DATA, decoded, for each kind this library knows. */
export interface LinkInfoByKind {
  bridge: BridgeInfo;
  vxlan: VxlanInfo;
  veth: VethInfo;
  macvlan: MacvlanInfo;
  vlan: VlanInfo;
  dummy: DummyInfo;
}

/** Per-port data (IFLA_INFO_SLAVE_DATA) for each master kind this library knows. */
export interface SlaveInfoByKind {
  bridge: BridgePortInfo;
}

/** The options each kind takes at creation, beyond the common link fields. */
export interface LinkOptionsByKind {
  bridge: BridgeOptions;
  vxlan: VxlanOptions;
  veth: VethOptions;
  macvlan: MacvlanOptions;
  vlan: VlanOptions;
  dummy: DummyOptions;
}

export type KnownKind = keyof LinkInfoByKind;
