// nl-lvs: netlink-native Linux networking for Node.js.
export { Rtnl, type RtnlOptions } from './api/rtnl.js';
export { Links } from './api/links.js';
export { getSysctl, setSysctl, type SysctlOptions } from './api/sysctl.js';
export { EventStream, type RtnlEvent, type WatchOptions, type WatchTopic } from './api/events.js';
export { Ipvs, type IpvsOptions } from './api/ipvs.js';
export type { Link, LinkStats64, LinkListFilter, OperState, LinkRef, LinkOfKind, PortOfKind } from './families/link/link.js';
export { isLinkKind, isPortOf } from './families/link/link.js';
export { Vxlan, Bridge, Veth, Macvlan, Vlan, Dummy, type BridgeWithPorts, type KindHelpers, type LinkHandle } from './api/kinds.js';
export { writeLinkCreate, writeLinkSet, writeLinkDelete } from './families/link/requests.js';
export type {
  LinkSpec, LinkCommon, LinkChanges, LinkCommonChanges, ChangeableKind, BridgeSpec, VxlanSpec, VethSpec, MacvlanSpec,
  VlanSpec, DummySpec, BridgeChanges, VxlanChanges, MacvlanChanges, VlanChanges,
} from './families/link/requests.js';
export { LinkRefCollector, ResolvedLinkRefs } from './families/link/refs.js';
export type {
  LinkRefs, KnownKind, LinkInfoByKind, SlaveInfoByKind, LinkOptionsByKind, UnknownAttributes,
  BridgeInfo, BridgeOptions, VlanProtocol, BridgePortInfo, BridgePortOptions, BridgePortState,
  VxlanInfo, VxlanOptions, VxlanDf, VxlanLabelPolicy, VxlanPortRange, VethInfo, VethOptions, VethPeer,
  MacvlanInfo, MacvlanOptions, MacvlanMode, VlanInfo, VlanOptions, VlanQosMapping, DummyInfo, DummyOptions,
} from './families/link/kinds/index.js';
export type { IpvsInfo } from './families/ipvs/info.js';
export type { IpvsTimeouts } from './families/ipvs/config.js';
export type { SyncDaemon, SyncState } from './families/ipvs/types.js';
export type {
  IpvsProtocol, Scheduler, ForwardMethod, TunnelType, TunnelSpec, ServiceKey, ServiceSpec, ServiceFlags, Service,
  IpvsStats, DestinationSpec, Destination, ServiceWithDestinations,
} from './families/ipvs/types.js';
export type { IpvsOp, IpvsOpResult, IpvsWriteOptions, IpvsBatchOptions, DestinationKey } from './families/ipvs/ops.js';
export type { IpvsApplyOptions, IpvsApplyReport } from './desired/ipvs-apply.js';
export type { IpvsDesiredState, DesiredService } from './desired/ipvs-desired.js';
export { formatPlan, formatChange, type ApplyReport, type Change, type ChangeAction, type FieldChange, type Draining, type ChangeError } from './desired/report.js';
export { IpvsReadBackError, SCHEDULERS } from './families/ipvs/validate.js';
export {
  parseConnections,
  type IpvsConnection,
  type ConnectionEndpoint,
  type ConnectionFilter,
  type ConnectionListOptions,
  type ConnectionProtocol,
  type ConnectionState,
} from './families/ipvs/connection-table.js';
export { Overlay, type OverlayApplyOptions, type OverlayApplyReport, type OverlayDesired, type OverlayPeer, type OverlayVxlan, type OverlayBridge } from './api/overlay.js';
export { Agent, type AgentOptions, type AppliedEvent, type Trigger as AgentTrigger } from './agent/agent.js';
export { parseAgentConfig, type AgentConfig } from './agent/config.js';
export type { LogLine as AgentLogLine, LogSink as AgentLogSink } from './agent/log.js';
export { Addresses } from './api/addresses.js';
export { Routes } from './api/routes.js';
export { Neighbours } from './api/neighbours.js';
export { Fdb } from './api/fdb.js';
export type { RtnlOperation } from './api/batch.js';
export type {
  Address, AddressSpec, AddressFlag, AddressSettableFlag, AddressListFilter, Lifetime, DevRef, Scope,
} from './families/addr.js';
export type {
  Route, RouteSpec, RouteListFilter, RouteType, RouteProtocol, RouteTable, NextHop, NextHopSpec, NextHopFlag,
} from './families/route.js';
export type { Neighbour, NeighbourSpec, NeighbourListFilter, NeighState, NeighCacheInfo } from './families/neigh.js';
export type { FdbEntry, FdbSpec, FdbListFilter, FdbState } from './families/fdb.js';
export type { RequestOptions, BatchOptions, DumpOptions, BatchResult, ConnectionOptions, ConnectionCounters } from './protocol/connection.js';
export { PacketTap, CapturedFrame, compileFilter, type PacketTapOptions, type PacketType, type TapStats } from './hotpath/tap.js';
export { decodeFrame, type DecodedFrame, type DecodeOptions, type LayerName, type VxlanLayer } from './hotpath/decode/frame.js';
export type { EthernetHeader, VlanTag } from './hotpath/decode/ethernet.js';
export type { IpHeader, Ipv4Header, Ipv6Header } from './hotpath/decode/ip.js';
export type { UdpHeader } from './hotpath/decode/udp.js';
export type { TcpHeader, TcpFlags } from './hotpath/decode/tcp.js';
export type { IcmpHeader } from './hotpath/decode/icmp.js';
export type { VxlanHeader } from './hotpath/decode/vxlan.js';
export { StatsReader, type StatsReaderOptions, type PollResult, type PollCallback } from './hotpath/stats-reader.js';
export {
  IPVS_COUNTERS, IPVS_STRIDE, IPVS_RATE_STRIDE, DESTINATION_GAUGES, DESTINATION_GAUGE_STRIDE,
  type ServiceSlots, type DestinationSlots, type ServiceLabels, type DestinationLabels, type IpvsCounter,
} from './hotpath/ipvs-slots.js';
export { LINK_COUNTERS, LINK_STRIDE, type LinkSlots, type LinkSelector, type LinkCounter } from './hotpath/link-slots.js';
export type { SlotTable, SlotChanges } from './hotpath/slots.js';
export { createExporter, type Exporter, type ExporterOptions, type IpvsSource } from './hotpath/exporter.js';
export {
  NetlinkError,
  ValidationError,
  DecodeError,
  DumpInterruptedError,
  TimeoutError,
  FamilyNotFoundError,
  SocketClosedError,
} from './protocol/errors.js';
