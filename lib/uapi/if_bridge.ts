// Kernel uapi constants from include/uapi/linux/if_bridge.h (Linux 7.2-pre-rc1 uapi, as synced into iproute2/iproute2@c2e67ec8fce4).

// Spanning tree port states (IFLA_BRPORT_STATE, u8)
export const BR_STATE_DISABLED = 0;
export const BR_STATE_LISTENING = 1;
export const BR_STATE_LEARNING = 2;
export const BR_STATE_FORWARDING = 3;
export const BR_STATE_BLOCKING = 4;

// IFLA_BRIDGE_FLAGS (u16) bits
export const BRIDGE_FLAGS_MASTER = 0x1;
export const BRIDGE_FLAGS_SELF = 0x2;

// IFLA_BRIDGE_MODE (u16) values
export const BRIDGE_MODE_VEB = 0x0;
export const BRIDGE_MODE_VEPA = 0x1;
export const BRIDGE_MODE_UNDEF = 0xffff;

// IFLA_AF_SPEC attributes for AF_BRIDGE (RTM_SETLINK / RTM_GETLINK with RTEXT_FILTER_BRVLAN)
export const IFLA_BRIDGE_FLAGS = 0;
export const IFLA_BRIDGE_MODE = 1;
export const IFLA_BRIDGE_VLAN_INFO = 2;
export const IFLA_BRIDGE_VLAN_TUNNEL_INFO = 3;
export const IFLA_BRIDGE_MRP = 4;
export const IFLA_BRIDGE_CFM = 5;
export const IFLA_BRIDGE_MST = 6;

// struct bridge_vlan_info { u16 flags; u16 vid; } (IFLA_BRIDGE_VLAN_INFO): flags
export const BRIDGE_VLAN_INFO_MASTER = 0x1;
export const BRIDGE_VLAN_INFO_PVID = 0x2;
export const BRIDGE_VLAN_INFO_UNTAGGED = 0x4;
export const BRIDGE_VLAN_INFO_RANGE_BEGIN = 0x8;
export const BRIDGE_VLAN_INFO_RANGE_END = 0x10;
export const BRIDGE_VLAN_INFO_BRENTRY = 0x20;
export const BRIDGE_VLAN_INFO_ONLY_OPTS = 0x40;

// IFLA_BRIDGE_VLAN_TUNNEL_INFO nested attributes
export const IFLA_BRIDGE_VLAN_TUNNEL_UNSPEC = 0;
export const IFLA_BRIDGE_VLAN_TUNNEL_ID = 1;
export const IFLA_BRIDGE_VLAN_TUNNEL_VID = 2;
export const IFLA_BRIDGE_VLAN_TUNNEL_FLAGS = 3;

// RTM_GETVLAN dump request attributes (bridge VLAN database)
export const BRIDGE_VLANDB_DUMP_UNSPEC = 0;
export const BRIDGE_VLANDB_DUMP_FLAGS = 1;

// BRIDGE_VLANDB_DUMP_FLAGS (u32) bits
export const BRIDGE_VLANDB_DUMPF_STATS = 0x1;
export const BRIDGE_VLANDB_DUMPF_GLOBAL = 0x2;

// Top-level RTM_*VLAN attributes (after struct br_vlan_msg)
export const BRIDGE_VLANDB_UNSPEC = 0;
export const BRIDGE_VLANDB_ENTRY = 1;
export const BRIDGE_VLANDB_GLOBAL_OPTIONS = 2;

// BRIDGE_VLANDB_ENTRY nested attributes
export const BRIDGE_VLANDB_ENTRY_UNSPEC = 0;
export const BRIDGE_VLANDB_ENTRY_INFO = 1;
export const BRIDGE_VLANDB_ENTRY_RANGE = 2;
export const BRIDGE_VLANDB_ENTRY_STATE = 3;
export const BRIDGE_VLANDB_ENTRY_TUNNEL_INFO = 4;
export const BRIDGE_VLANDB_ENTRY_STATS = 5;
export const BRIDGE_VLANDB_ENTRY_MCAST_ROUTER = 6;
export const BRIDGE_VLANDB_ENTRY_MCAST_N_GROUPS = 7;
export const BRIDGE_VLANDB_ENTRY_MCAST_MAX_GROUPS = 8;
export const BRIDGE_VLANDB_ENTRY_NEIGH_SUPPRESS = 9;
export const BRIDGE_VLANDB_ENTRY_NEIGH_FORWARD_GRAT = 10; // newer than Linux 6.18

// BRIDGE_VLANDB_ENTRY_TUNNEL_INFO nested attributes
export const BRIDGE_VLANDB_TINFO_UNSPEC = 0;
export const BRIDGE_VLANDB_TINFO_ID = 1;
export const BRIDGE_VLANDB_TINFO_CMD = 2;

// BRIDGE_VLANDB_ENTRY_STATS nested attributes
export const BRIDGE_VLANDB_STATS_UNSPEC = 0;
export const BRIDGE_VLANDB_STATS_RX_BYTES = 1;
export const BRIDGE_VLANDB_STATS_RX_PACKETS = 2;
export const BRIDGE_VLANDB_STATS_TX_BYTES = 3;
export const BRIDGE_VLANDB_STATS_TX_PACKETS = 4;
export const BRIDGE_VLANDB_STATS_PAD = 5;

// BRIDGE_VLANDB_GLOBAL_OPTIONS nested attributes
export const BRIDGE_VLANDB_GOPTS_UNSPEC = 0;
export const BRIDGE_VLANDB_GOPTS_ID = 1;
export const BRIDGE_VLANDB_GOPTS_RANGE = 2;
export const BRIDGE_VLANDB_GOPTS_MCAST_SNOOPING = 3;
export const BRIDGE_VLANDB_GOPTS_MCAST_IGMP_VERSION = 4;
export const BRIDGE_VLANDB_GOPTS_MCAST_MLD_VERSION = 5;
export const BRIDGE_VLANDB_GOPTS_MCAST_LAST_MEMBER_CNT = 6;
export const BRIDGE_VLANDB_GOPTS_MCAST_STARTUP_QUERY_CNT = 7;
export const BRIDGE_VLANDB_GOPTS_MCAST_LAST_MEMBER_INTVL = 8;
export const BRIDGE_VLANDB_GOPTS_PAD = 9;
export const BRIDGE_VLANDB_GOPTS_MCAST_MEMBERSHIP_INTVL = 10;
export const BRIDGE_VLANDB_GOPTS_MCAST_QUERIER_INTVL = 11;
export const BRIDGE_VLANDB_GOPTS_MCAST_QUERY_INTVL = 12;
export const BRIDGE_VLANDB_GOPTS_MCAST_QUERY_RESPONSE_INTVL = 13;
export const BRIDGE_VLANDB_GOPTS_MCAST_STARTUP_QUERY_INTVL = 14;
export const BRIDGE_VLANDB_GOPTS_MCAST_QUERIER = 15;
export const BRIDGE_VLANDB_GOPTS_MCAST_ROUTER_PORTS = 16;
export const BRIDGE_VLANDB_GOPTS_MCAST_QUERIER_STATE = 17;
export const BRIDGE_VLANDB_GOPTS_MSTI = 18;

// enum br_boolopt_id: bit numbers in struct br_boolopt_multi (IFLA_BR_MULTI_BOOLOPT)
export const BR_BOOLOPT_NO_LL_LEARN = 0;
export const BR_BOOLOPT_MCAST_VLAN_SNOOPING = 1;
export const BR_BOOLOPT_MST_ENABLE = 2;
export const BR_BOOLOPT_MDB_OFFLOAD_FAIL_NOTIFICATION = 3;
export const BR_BOOLOPT_FDB_LOCAL_VLAN_0 = 4;
