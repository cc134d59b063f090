// Kernel uapi constants from include/uapi/linux/if_link.h (Linux 7.2-pre-rc1 uapi, as synced into iproute2/iproute2@c2e67ec8fce4). Also: veth.h, if_vlan.h, if.h (noted per section).

// Top-level link attributes (RTM_NEWLINK / RTM_GETLINK)
export const IFLA_UNSPEC = 0;
export const IFLA_ADDRESS = 1; // binary (MAC)
export const IFLA_BROADCAST = 2;
export const IFLA_IFNAME = 3; // NUL-terminated string, < IFNAMSIZ
export const IFLA_MTU = 4;
export const IFLA_LINK = 5;
export const IFLA_QDISC = 6;
export const IFLA_STATS = 7;
export const IFLA_COST = 8;
export const IFLA_PRIORITY = 9;
export const IFLA_MASTER = 10;
export const IFLA_WIRELESS = 11;
export const IFLA_PROTINFO = 12;
export const IFLA_TXQLEN = 13;
export const IFLA_MAP = 14;
export const IFLA_WEIGHT = 15;
export const IFLA_OPERSTATE = 16; // u8, IF_OPER_*
export const IFLA_LINKMODE = 17; // u8, IF_LINK_MODE_*
export const IFLA_LINKINFO = 18;
export const IFLA_NET_NS_PID = 19;
export const IFLA_IFALIAS = 20;
export const IFLA_NUM_VF = 21;
export const IFLA_VFINFO_LIST = 22;
export const IFLA_STATS64 = 23; // struct rtnl_link_stats64 (see RTNL_LINK_STATS64_FIELDS)
export const IFLA_VF_PORTS = 24;
export const IFLA_PORT_SELF = 25;
export const IFLA_AF_SPEC = 26;
export const IFLA_GROUP = 27;
export const IFLA_NET_NS_FD = 28;
export const IFLA_EXT_MASK = 29; // u32, RTEXT_FILTER_* bits
export const IFLA_PROMISCUITY = 30;
export const IFLA_NUM_TX_QUEUES = 31;
export const IFLA_NUM_RX_QUEUES = 32;
export const IFLA_CARRIER = 33;
export const IFLA_PHYS_PORT_ID = 34;
export const IFLA_CARRIER_CHANGES = 35;
export const IFLA_PHYS_SWITCH_ID = 36;
export const IFLA_LINK_NETNSID = 37; // s32
export const IFLA_PHYS_PORT_NAME = 38;
export const IFLA_PROTO_DOWN = 39;
export const IFLA_GSO_MAX_SEGS = 40;
export const IFLA_GSO_MAX_SIZE = 41;
export const IFLA_PAD = 42;
export const IFLA_XDP = 43;
export const IFLA_EVENT = 44;
export const IFLA_NEW_NETNSID = 45;
export const IFLA_IF_NETNSID = 46;
export const IFLA_TARGET_NETNSID = 46;
export const IFLA_CARRIER_UP_COUNT = 47;
export const IFLA_CARRIER_DOWN_COUNT = 48;
export const IFLA_NEW_IFINDEX = 49;
export const IFLA_MIN_MTU = 50;
export const IFLA_MAX_MTU = 51;
export const IFLA_PROP_LIST = 52;
export const IFLA_ALT_IFNAME = 53;
export const IFLA_PERM_ADDRESS = 54;
export const IFLA_PROTO_DOWN_REASON = 55;
export const IFLA_PARENT_DEV_NAME = 56;
export const IFLA_PARENT_DEV_BUS_NAME = 57;
export const IFLA_GRO_MAX_SIZE = 58;
export const IFLA_TSO_MAX_SIZE = 59;
export const IFLA_TSO_MAX_SEGS = 60;
export const IFLA_ALLMULTI = 61;
export const IFLA_DEVLINK_PORT = 62;
export const IFLA_GSO_IPV4_MAX_SIZE = 63;
export const IFLA_GRO_IPV4_MAX_SIZE = 64;
export const IFLA_DPLL_PIN = 65;
export const IFLA_MAX_PACING_OFFLOAD_HORIZON = 66;
export const IFLA_NETNS_IMMUTABLE = 67;
export const IFLA_HEADROOM = 68;
export const IFLA_TAILROOM = 69;

// IFLA_LINKINFO nested attributes
export const IFLA_INFO_UNSPEC = 0;
export const IFLA_INFO_KIND = 1;
export const IFLA_INFO_DATA = 2;
export const IFLA_INFO_XSTATS = 3;
export const IFLA_INFO_SLAVE_KIND = 4;
export const IFLA_INFO_SLAVE_DATA = 5;

// IFLA_AF_SPEC / AF_INET nested attributes
export const IFLA_INET_UNSPEC = 0;
export const IFLA_INET_CONF = 1;

// IFLA_AF_SPEC / AF_INET6 nested attributes
export const IFLA_INET6_UNSPEC = 0;
export const IFLA_INET6_FLAGS = 1;
export const IFLA_INET6_CONF = 2;
export const IFLA_INET6_STATS = 3;
export const IFLA_INET6_MCAST = 4;
export const IFLA_INET6_CACHEINFO = 5;
export const IFLA_INET6_ICMP6STATS = 6;
export const IFLA_INET6_TOKEN = 7;
export const IFLA_INET6_ADDR_GEN_MODE = 8;
export const IFLA_INET6_RA_MTU = 9;

// enum in6_addr_gen_mode: IFLA_INET6_ADDR_GEN_MODE (u8)
export const IN6_ADDR_GEN_MODE_EUI64 = 0;
export const IN6_ADDR_GEN_MODE_NONE = 1;
export const IN6_ADDR_GEN_MODE_STABLE_PRIVACY = 2;
export const IN6_ADDR_GEN_MODE_RANDOM = 3;

// Bridge (kind "bridge") IFLA_INFO_DATA attributes
export const IFLA_BR_UNSPEC = 0;
export const IFLA_BR_FORWARD_DELAY = 1; // u32, clock_t (1/100 s)
export const IFLA_BR_HELLO_TIME = 2; // u32, clock_t (1/100 s)
export const IFLA_BR_MAX_AGE = 3; // u32, clock_t (1/100 s)
export const IFLA_BR_AGEING_TIME = 4; // u32, clock_t (1/100 s)
export const IFLA_BR_STP_STATE = 5;
export const IFLA_BR_PRIORITY = 6;
export const IFLA_BR_VLAN_FILTERING = 7;
export const IFLA_BR_VLAN_PROTOCOL = 8; // __be16: network byte order
export const IFLA_BR_GROUP_FWD_MASK = 9;
export const IFLA_BR_ROOT_ID = 10;
export const IFLA_BR_BRIDGE_ID = 11;
export const IFLA_BR_ROOT_PORT = 12;
export const IFLA_BR_ROOT_PATH_COST = 13;
export const IFLA_BR_TOPOLOGY_CHANGE = 14;
export const IFLA_BR_TOPOLOGY_CHANGE_DETECTED = 15;
export const IFLA_BR_HELLO_TIMER = 16;
export const IFLA_BR_TCN_TIMER = 17;
export const IFLA_BR_TOPOLOGY_CHANGE_TIMER = 18;
export const IFLA_BR_GC_TIMER = 19;
export const IFLA_BR_GROUP_ADDR = 20; // binary (MAC)
export const IFLA_BR_FDB_FLUSH = 21;
export const IFLA_BR_MCAST_ROUTER = 22;
export const IFLA_BR_MCAST_SNOOPING = 23;
export const IFLA_BR_MCAST_QUERY_USE_IFADDR = 24;
export const IFLA_BR_MCAST_QUERIER = 25;
export const IFLA_BR_MCAST_HASH_ELASTICITY = 26;
export const IFLA_BR_MCAST_HASH_MAX = 27;
export const IFLA_BR_MCAST_LAST_MEMBER_CNT = 28;
export const IFLA_BR_MCAST_STARTUP_QUERY_CNT = 29;
export const IFLA_BR_MCAST_LAST_MEMBER_INTVL = 30;
export const IFLA_BR_MCAST_MEMBERSHIP_INTVL = 31;
export const IFLA_BR_MCAST_QUERIER_INTVL = 32;
export const IFLA_BR_MCAST_QUERY_INTVL = 33;
export const IFLA_BR_MCAST_QUERY_RESPONSE_INTVL = 34;
export const IFLA_BR_MCAST_STARTUP_QUERY_INTVL = 35;
export const IFLA_BR_NF_CALL_IPTABLES = 36;
export const IFLA_BR_NF_CALL_IP6TABLES = 37;
export const IFLA_BR_NF_CALL_ARPTABLES = 38;
export const IFLA_BR_VLAN_DEFAULT_PVID = 39;
export const IFLA_BR_PAD = 40;
export const IFLA_BR_VLAN_STATS_ENABLED = 41;
export const IFLA_BR_MCAST_STATS_ENABLED = 42;
export const IFLA_BR_MCAST_IGMP_VERSION = 43;
export const IFLA_BR_MCAST_MLD_VERSION = 44;
export const IFLA_BR_VLAN_STATS_PER_PORT = 45;
export const IFLA_BR_MULTI_BOOLOPT = 46;
export const IFLA_BR_MCAST_QUERIER_STATE = 47;
export const IFLA_BR_FDB_N_LEARNED = 48;
export const IFLA_BR_FDB_MAX_LEARNED = 49;
export const IFLA_BR_STP_MODE = 50; // newer than Linux 6.18

// enum br_stp_mode: IFLA_BR_STP_MODE
export const BR_STP_MODE_AUTO = 0; // newer than Linux 6.18
export const BR_STP_MODE_USER = 1; // newer than Linux 6.18
export const BR_STP_MODE_KERNEL = 2; // newer than Linux 6.18

// IFLA_BRPORT_MODE values
export const BRIDGE_MODE_UNSPEC = 0;
export const BRIDGE_MODE_HAIRPIN = 1;

// Bridge port attributes (IFLA_PROTINFO with AF_BRIDGE, or IFLA_INFO_SLAVE_DATA)
export const IFLA_BRPORT_UNSPEC = 0;
export const IFLA_BRPORT_STATE = 1;
export const IFLA_BRPORT_PRIORITY = 2;
export const IFLA_BRPORT_COST = 3;
export const IFLA_BRPORT_MODE = 4;
export const IFLA_BRPORT_GUARD = 5;
export const IFLA_BRPORT_PROTECT = 6;
export const IFLA_BRPORT_FAST_LEAVE = 7;
export const IFLA_BRPORT_LEARNING = 8;
export const IFLA_BRPORT_UNICAST_FLOOD = 9;
export const IFLA_BRPORT_PROXYARP = 10;
export const IFLA_BRPORT_LEARNING_SYNC = 11;
export const IFLA_BRPORT_PROXYARP_WIFI = 12;
export const IFLA_BRPORT_ROOT_ID = 13;
export const IFLA_BRPORT_BRIDGE_ID = 14;
export const IFLA_BRPORT_DESIGNATED_PORT = 15;
export const IFLA_BRPORT_DESIGNATED_COST = 16;
export const IFLA_BRPORT_ID = 17;
export const IFLA_BRPORT_NO = 18;
export const IFLA_BRPORT_TOPOLOGY_CHANGE_ACK = 19;
export const IFLA_BRPORT_CONFIG_PENDING = 20;
export const IFLA_BRPORT_MESSAGE_AGE_TIMER = 21;
export const IFLA_BRPORT_FORWARD_DELAY_TIMER = 22;
export const IFLA_BRPORT_HOLD_TIMER = 23;
export const IFLA_BRPORT_FLUSH = 24;
export const IFLA_BRPORT_MULTICAST_ROUTER = 25;
export const IFLA_BRPORT_PAD = 26;
export const IFLA_BRPORT_MCAST_FLOOD = 27;
export const IFLA_BRPORT_MCAST_TO_UCAST = 28;
export const IFLA_BRPORT_VLAN_TUNNEL = 29;
export const IFLA_BRPORT_BCAST_FLOOD = 30;
export const IFLA_BRPORT_GROUP_FWD_MASK = 31;
export const IFLA_BRPORT_NEIGH_SUPPRESS = 32;
export const IFLA_BRPORT_ISOLATED = 33;
export const IFLA_BRPORT_BACKUP_PORT = 34;
export const IFLA_BRPORT_MRP_RING_OPEN = 35;
export const IFLA_BRPORT_MRP_IN_OPEN = 36;
export const IFLA_BRPORT_MCAST_EHT_HOSTS_LIMIT = 37;
export const IFLA_BRPORT_MCAST_EHT_HOSTS_CNT = 38;
export const IFLA_BRPORT_LOCKED = 39;
export const IFLA_BRPORT_MAB = 40;
export const IFLA_BRPORT_MCAST_N_GROUPS = 41;
export const IFLA_BRPORT_MCAST_MAX_GROUPS = 42;
export const IFLA_BRPORT_NEIGH_VLAN_SUPPRESS = 43;
export const IFLA_BRPORT_BACKUP_NHID = 44;
export const IFLA_BRPORT_NEIGH_FORWARD_GRAT = 45; // newer than Linux 6.18

// VLAN (kind "vlan") IFLA_INFO_DATA attributes
export const IFLA_VLAN_UNSPEC = 0;
export const IFLA_VLAN_ID = 1; // u16, host order
export const IFLA_VLAN_FLAGS = 2; // struct ifla_vlan_flags { u32 flags; u32 mask; }
export const IFLA_VLAN_EGRESS_QOS = 3;
export const IFLA_VLAN_INGRESS_QOS = 4;
export const IFLA_VLAN_PROTOCOL = 5; // __be16: network byte order (ETH_P_8021Q / ETH_P_8021AD)

// IFLA_VLAN_EGRESS_QOS / IFLA_VLAN_INGRESS_QOS nested attributes
export const IFLA_VLAN_QOS_UNSPEC = 0;
export const IFLA_VLAN_QOS_MAPPING = 1;

// enum vlan_flags (from linux/if_vlan.h): ifla_vlan_flags.flags / mask
export const VLAN_FLAG_REORDER_HDR = 0x1;
export const VLAN_FLAG_GVRP = 0x2;
export const VLAN_FLAG_LOOSE_BINDING = 0x4;
export const VLAN_FLAG_MVRP = 0x8;
export const VLAN_FLAG_BRIDGE_BINDING = 0x10;

// MACVLAN / MACVTAP IFLA_INFO_DATA attributes
export const IFLA_MACVLAN_UNSPEC = 0;
export const IFLA_MACVLAN_MODE = 1; // u32, MACVLAN_MODE_*
export const IFLA_MACVLAN_FLAGS = 2; // u16, MACVLAN_FLAG_*
export const IFLA_MACVLAN_MACADDR_MODE = 3;
export const IFLA_MACVLAN_MACADDR = 4;
export const IFLA_MACVLAN_MACADDR_DATA = 5;
export const IFLA_MACVLAN_MACADDR_COUNT = 6;
export const IFLA_MACVLAN_BC_QUEUE_LEN = 7;
export const IFLA_MACVLAN_BC_QUEUE_LEN_USED = 8;
export const IFLA_MACVLAN_BC_CUTOFF = 9;

// enum macvlan_mode: IFLA_MACVLAN_MODE
export const MACVLAN_MODE_PRIVATE = 0x1;
export const MACVLAN_MODE_VEPA = 0x2;
export const MACVLAN_MODE_BRIDGE = 0x4;
export const MACVLAN_MODE_PASSTHRU = 0x8;
export const MACVLAN_MODE_SOURCE = 0x10;

// enum macvlan_macaddr_mode: IFLA_MACVLAN_MACADDR_MODE
export const MACVLAN_MACADDR_ADD = 0;
export const MACVLAN_MACADDR_DEL = 1;
export const MACVLAN_MACADDR_FLUSH = 2;
export const MACVLAN_MACADDR_SET = 3;

// IFLA_MACVLAN_FLAGS bits
export const MACVLAN_FLAG_NOPROMISC = 0x1;
export const MACVLAN_FLAG_NODST = 0x2;

// VXLAN (kind "vxlan") IFLA_INFO_DATA attributes
export const IFLA_VXLAN_UNSPEC = 0;
export const IFLA_VXLAN_ID = 1; // u32, host order
export const IFLA_VXLAN_GROUP = 2; // IPv4 address bytes
export const IFLA_VXLAN_LINK = 3;
export const IFLA_VXLAN_LOCAL = 4; // IPv4 address bytes
export const IFLA_VXLAN_TTL = 5;
export const IFLA_VXLAN_TOS = 6;
export const IFLA_VXLAN_LEARNING = 7;
export const IFLA_VXLAN_AGEING = 8;
export const IFLA_VXLAN_LIMIT = 9;
export const IFLA_VXLAN_PORT_RANGE = 10; // struct { __be16 low; __be16 high; }: network byte order
export const IFLA_VXLAN_PROXY = 11;
export const IFLA_VXLAN_RSC = 12;
export const IFLA_VXLAN_L2MISS = 13;
export const IFLA_VXLAN_L3MISS = 14;
export const IFLA_VXLAN_PORT = 15; // __be16: network byte order
export const IFLA_VXLAN_GROUP6 = 16;
export const IFLA_VXLAN_LOCAL6 = 17;
export const IFLA_VXLAN_UDP_CSUM = 18;
export const IFLA_VXLAN_UDP_ZERO_CSUM6_TX = 19;
export const IFLA_VXLAN_UDP_ZERO_CSUM6_RX = 20;
export const IFLA_VXLAN_REMCSUM_TX = 21;
export const IFLA_VXLAN_REMCSUM_RX = 22;
export const IFLA_VXLAN_GBP = 23;
export const IFLA_VXLAN_REMCSUM_NOPARTIAL = 24;
export const IFLA_VXLAN_COLLECT_METADATA = 25;
export const IFLA_VXLAN_LABEL = 26; // __be32: network byte order (20-bit flow label)
export const IFLA_VXLAN_GPE = 27;
export const IFLA_VXLAN_TTL_INHERIT = 28;
export const IFLA_VXLAN_DF = 29; // u8, VXLAN_DF_*
export const IFLA_VXLAN_VNIFILTER = 30;
export const IFLA_VXLAN_LOCALBYPASS = 31;
export const IFLA_VXLAN_LABEL_POLICY = 32; // u32, VXLAN_LABEL_*
export const IFLA_VXLAN_RESERVED_BITS = 33;
export const IFLA_VXLAN_MC_ROUTE = 34;

// enum ifla_vxlan_df: IFLA_VXLAN_DF
export const VXLAN_DF_UNSET = 0;
export const VXLAN_DF_SET = 1;
export const VXLAN_DF_INHERIT = 2;

// enum ifla_vxlan_label_policy: IFLA_VXLAN_LABEL_POLICY
export const VXLAN_LABEL_FIXED = 0;
export const VXLAN_LABEL_INHERIT = 1;

// veth (kind "veth") IFLA_INFO_DATA attributes (from linux/veth.h); VETH_INFO_PEER carries an ifinfomsg + IFLA_* for the peer
export const VETH_INFO_UNSPEC = 0;
export const VETH_INFO_PEER = 1;

// RTM_GETSTATS attributes (after struct if_stats_msg)
export const IFLA_STATS_UNSPEC = 0;
export const IFLA_STATS_LINK_64 = 1;
export const IFLA_STATS_LINK_XSTATS = 2;
export const IFLA_STATS_LINK_XSTATS_SLAVE = 3;
export const IFLA_STATS_LINK_OFFLOAD_XSTATS = 4;
export const IFLA_STATS_AF_SPEC = 5;

// RTM_GETSTATS / RTM_SETSTATS request attributes
export const IFLA_STATS_GETSET_UNSPEC = 0;
export const IFLA_STATS_GET_FILTERS = 1;
export const IFLA_STATS_SET_OFFLOAD_XSTATS_L3_STATS = 2;

// IFLA_OPERSTATE values: RFC 2863 operational states (from linux/if.h)
export const IF_OPER_UNKNOWN = 0;
export const IF_OPER_NOTPRESENT = 1;
export const IF_OPER_DOWN = 2;
export const IF_OPER_LOWERLAYERDOWN = 3;
export const IF_OPER_TESTING = 4;
export const IF_OPER_DORMANT = 5;
export const IF_OPER_UP = 6;

// IFLA_LINKMODE values (from linux/if.h)
export const IF_LINK_MODE_DEFAULT = 0;
export const IF_LINK_MODE_DORMANT = 1;
export const IF_LINK_MODE_TESTING = 2;

// struct rtnl_link_stats64 (IFLA_STATS64): consecutive u64 counters in this order (host byte order).
export const RTNL_LINK_STATS64_FIELDS = [
  'rx_packets',
  'tx_packets',
  'rx_bytes',
  'tx_bytes',
  'rx_errors',
  'tx_errors',
  'rx_dropped',
  'tx_dropped',
  'multicast',
  'collisions',
  'rx_length_errors',
  'rx_over_errors',
  'rx_crc_errors',
  'rx_frame_errors',
  'rx_fifo_errors',
  'rx_missed_errors',
  'tx_aborted_errors',
  'tx_carrier_errors',
  'tx_fifo_errors',
  'tx_heartbeat_errors',
  'tx_window_errors',
  'rx_compressed',
  'tx_compressed',
  'rx_nohandler',
  'rx_otherhost_dropped',
] as const;
