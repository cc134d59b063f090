// Kernel uapi constants from include/uapi/linux/ip_vs.h (Linux 6.1.187; same values in kernel-patches/bpf@7a3e927abe70 and gregkh/linux@85f4ccf47845); policy notes from net/netfilter/ipvs/ip_vs_ctl.c at kernel-patches/bpf@30e7ec65516e (6.6+).

// Virtual service flags (IPVS_SVC_ATTR_FLAGS, struct ip_vs_flags { u32 flags; u32 mask; }, host order)
export const IP_VS_SVC_F_PERSISTENT = 0x1;
export const IP_VS_SVC_F_HASHED = 0x2;
export const IP_VS_SVC_F_ONEPACKET = 0x4;
export const IP_VS_SVC_F_SCHED1 = 0x8;
export const IP_VS_SVC_F_SCHED2 = 0x10;
export const IP_VS_SVC_F_SCHED3 = 0x20;
export const IP_VS_SVC_F_SCHED_SH_FALLBACK = 0x8;
export const IP_VS_SVC_F_SCHED_SH_PORT = 0x10;

// Scheduler aliases for the "mh" scheduler: not in uapi, defined in net/netfilter/ipvs/ip_vs_mh.c as SCHED1 / SCHED2
export const IP_VS_SVC_F_SCHED_MH_FALLBACK = 0x8; // = IP_VS_SVC_F_SCHED1
export const IP_VS_SVC_F_SCHED_MH_PORT = 0x10; // = IP_VS_SVC_F_SCHED2

// Real-server flags: kernel-internal now (include/net/ip_vs.h; formerly uapi). No netlink attribute carries them.
export const IP_VS_DEST_F_AVAILABLE = 0x1;
export const IP_VS_DEST_F_OVERLOAD = 0x2;

// Sync daemon states (IPVS_DAEMON_ATTR_STATE)
export const IP_VS_STATE_NONE = 0x0;
export const IP_VS_STATE_MASTER = 0x1;
export const IP_VS_STATE_BACKUP = 0x2;

// Connection flags. IPVS_DEST_ATTR_FWD_METHOD carries (flags & IP_VS_CONN_F_FWD_MASK).
export const IP_VS_CONN_F_FWD_MASK = 0x7;
export const IP_VS_CONN_F_MASQ = 0x0;
export const IP_VS_CONN_F_LOCALNODE = 0x1;
export const IP_VS_CONN_F_TUNNEL = 0x2;
export const IP_VS_CONN_F_DROUTE = 0x3;
export const IP_VS_CONN_F_BYPASS = 0x4;
export const IP_VS_CONN_F_SYNC = 0x20;
export const IP_VS_CONN_F_HASHED = 0x40;
export const IP_VS_CONN_F_NOOUTPUT = 0x80;
export const IP_VS_CONN_F_INACTIVE = 0x100;
export const IP_VS_CONN_F_OUT_SEQ = 0x200;
export const IP_VS_CONN_F_IN_SEQ = 0x400;
export const IP_VS_CONN_F_SEQ_MASK = 0x600;
export const IP_VS_CONN_F_NO_CPORT = 0x800;
export const IP_VS_CONN_F_TEMPLATE = 0x1000;
export const IP_VS_CONN_F_ONE_PACKET = 0x2000;
export const IP_VS_CONN_F_BACKUP_MASK = 0x1f87;
export const IP_VS_CONN_F_BACKUP_UPD_MASK = 0x700;
export const IP_VS_CONN_F_NFCT = 0x10000;
export const IP_VS_CONN_F_DEST_MASK = 0x12007;

// Tunnel types (IPVS_DEST_ATTR_TUN_TYPE, u8)
export const IP_VS_CONN_F_TUNNEL_TYPE_IPIP = 0;
export const IP_VS_CONN_F_TUNNEL_TYPE_GUE = 1;
export const IP_VS_CONN_F_TUNNEL_TYPE_GRE = 2;

// Tunnel encapsulation flags (IPVS_DEST_ATTR_TUN_FLAGS, u16)
export const IP_VS_TUNNEL_ENCAP_FLAG_NOCSUM = 0x0;
export const IP_VS_TUNNEL_ENCAP_FLAG_CSUM = 0x1;
export const IP_VS_TUNNEL_ENCAP_FLAG_REMCSUM = 0x2;

// Name lengths (buffer sizes including the NUL) and version
export const IP_VS_SCHEDNAME_MAXLEN = 16;
export const IP_VS_PENAME_MAXLEN = 16;
export const IP_VS_IFNAME_MAXLEN = 16;
export const IP_VS_PEDATA_MAXLEN = 255;
export const IP_VS_VERSION_CODE = 0x10201; // IPVS_INFO_ATTR_VERSION: major << 16 | minor << 8 | patch

// Generic netlink family
export const IPVS_GENL_NAME = 'IPVS';
export const IPVS_GENL_VERSION = 1;
export const IP_VS_FLAGS_LEN = 8; // sizeof(struct ip_vs_flags): flags u32 @0, mask u32 @4

// Generic netlink commands
export const IPVS_CMD_UNSPEC = 0;
export const IPVS_CMD_NEW_SERVICE = 1;
export const IPVS_CMD_SET_SERVICE = 2;
export const IPVS_CMD_DEL_SERVICE = 3;
export const IPVS_CMD_GET_SERVICE = 4;
export const IPVS_CMD_NEW_DEST = 5;
export const IPVS_CMD_SET_DEST = 6;
export const IPVS_CMD_DEL_DEST = 7;
export const IPVS_CMD_GET_DEST = 8;
export const IPVS_CMD_NEW_DAEMON = 9;
export const IPVS_CMD_DEL_DAEMON = 10;
export const IPVS_CMD_GET_DAEMON = 11;
export const IPVS_CMD_SET_CONFIG = 12;
export const IPVS_CMD_GET_CONFIG = 13;
export const IPVS_CMD_SET_INFO = 14;
export const IPVS_CMD_GET_INFO = 15;
export const IPVS_CMD_ZERO = 16;
export const IPVS_CMD_FLUSH = 17;

// First-level command attributes
export const IPVS_CMD_ATTR_UNSPEC = 0;
export const IPVS_CMD_ATTR_SERVICE = 1;
export const IPVS_CMD_ATTR_DEST = 2;
export const IPVS_CMD_ATTR_DAEMON = 3;
export const IPVS_CMD_ATTR_TIMEOUT_TCP = 4;
export const IPVS_CMD_ATTR_TIMEOUT_TCP_FIN = 5;
export const IPVS_CMD_ATTR_TIMEOUT_UDP = 6;

// IPVS_CMD_ATTR_SERVICE nested attributes
export const IPVS_SVC_ATTR_UNSPEC = 0;
export const IPVS_SVC_ATTR_AF = 1;
export const IPVS_SVC_ATTR_PROTOCOL = 2;
export const IPVS_SVC_ATTR_ADDR = 3; // 16 bytes (union nf_inet_addr); IPv4 uses the first 4, network order
export const IPVS_SVC_ATTR_PORT = 4; // policy u16, but __be16: NETWORK byte order (nla_get_be16 / nla_put_be16)
export const IPVS_SVC_ATTR_FWMARK = 5;
export const IPVS_SVC_ATTR_SCHED_NAME = 6;
export const IPVS_SVC_ATTR_FLAGS = 7; // struct ip_vs_flags (8 bytes, host order); kernel applies (old & ~mask) | (flags & mask)
export const IPVS_SVC_ATTR_TIMEOUT = 8; // u32 seconds
export const IPVS_SVC_ATTR_NETMASK = 9; // policy u32, read with nla_get_be32 (raw bytes): IPv4 = mask bytes in network order; IPv6 = prefix length 1..128 as a host-order u32
export const IPVS_SVC_ATTR_STATS = 10;
export const IPVS_SVC_ATTR_PE_NAME = 11;
export const IPVS_SVC_ATTR_STATS64 = 12; // not in ip_vs_svc_policy: only emitted by the kernel

// IPVS_CMD_ATTR_DEST nested attributes
export const IPVS_DEST_ATTR_UNSPEC = 0;
export const IPVS_DEST_ATTR_ADDR = 1; // 16 bytes (union nf_inet_addr); IPv4 uses the first 4, network order
export const IPVS_DEST_ATTR_PORT = 2; // policy u16, but __be16: NETWORK byte order
export const IPVS_DEST_ATTR_FWD_METHOD = 3; // u32, IP_VS_CONN_F_MASQ / LOCALNODE / TUNNEL / DROUTE (masked with IP_VS_CONN_F_FWD_MASK)
export const IPVS_DEST_ATTR_WEIGHT = 4;
export const IPVS_DEST_ATTR_U_THRESH = 5;
export const IPVS_DEST_ATTR_L_THRESH = 6;
export const IPVS_DEST_ATTR_ACTIVE_CONNS = 7;
export const IPVS_DEST_ATTR_INACT_CONNS = 8;
export const IPVS_DEST_ATTR_PERSIST_CONNS = 9;
export const IPVS_DEST_ATTR_STATS = 10;
export const IPVS_DEST_ATTR_ADDR_FAMILY = 11;
export const IPVS_DEST_ATTR_STATS64 = 12; // not in ip_vs_dest_policy: only emitted by the kernel
export const IPVS_DEST_ATTR_TUN_TYPE = 13;
export const IPVS_DEST_ATTR_TUN_PORT = 14; // policy u16, but __be16: NETWORK byte order
export const IPVS_DEST_ATTR_TUN_FLAGS = 15; // u16 host order, IP_VS_TUNNEL_ENCAP_FLAG_*

// IPVS_CMD_ATTR_DAEMON nested attributes
export const IPVS_DAEMON_ATTR_UNSPEC = 0;
export const IPVS_DAEMON_ATTR_STATE = 1;
export const IPVS_DAEMON_ATTR_MCAST_IFN = 2; // NUL-terminated, at most IP_VS_IFNAME_MAXLEN - 1 chars
export const IPVS_DAEMON_ATTR_SYNC_ID = 3;
export const IPVS_DAEMON_ATTR_SYNC_MAXLEN = 4;
export const IPVS_DAEMON_ATTR_MCAST_GROUP = 5; // policy u32, but an IPv4 address (nla_get_in_addr): network order
export const IPVS_DAEMON_ATTR_MCAST_GROUP6 = 6; // policy has no type, only len 16 (in6_addr)
export const IPVS_DAEMON_ATTR_MCAST_PORT = 7; // u16 HOST byte order (nla_get_u16), unlike the service/dest ports
export const IPVS_DAEMON_ATTR_MCAST_TTL = 8;

// IPVS_{SVC,DEST}_ATTR_STATS / _STATS64 nested attributes
export const IPVS_STATS_ATTR_UNSPEC = 0;
export const IPVS_STATS_ATTR_CONNS = 1;
export const IPVS_STATS_ATTR_INPKTS = 2;
export const IPVS_STATS_ATTR_OUTPKTS = 3;
export const IPVS_STATS_ATTR_INBYTES = 4;
export const IPVS_STATS_ATTR_OUTBYTES = 5;
export const IPVS_STATS_ATTR_CPS = 6;
export const IPVS_STATS_ATTR_INPPS = 7;
export const IPVS_STATS_ATTR_OUTPPS = 8;
export const IPVS_STATS_ATTR_INBPS = 9;
export const IPVS_STATS_ATTR_OUTBPS = 10;
export const IPVS_STATS_ATTR_PAD = 11;

// IPVS_CMD_GET_INFO reply attributes
export const IPVS_INFO_ATTR_UNSPEC = 0;
export const IPVS_INFO_ATTR_VERSION = 1;
export const IPVS_INFO_ATTR_CONN_TAB_SIZE = 2;


// Attribute payload types. *_TYPES maps mirror the kernel's nla_policy tables in
// net/netfilter/ipvs/ip_vs_ctl.c (ip_vs_cmd_policy, ip_vs_svc_policy, ip_vs_dest_policy,
// ip_vs_daemon_policy): NLA_U8/U16/U32 -> 'u8'/'u16'/'u32', NLA_NUL_STRING -> 'string',
// NLA_BINARY (or a bare .len) -> 'binary', NLA_NESTED -> 'nested'. Attributes the kernel
// only emits (STATS64, the stats/info nests) are typed from the nla_put_* calls that
// produce them. Byte order is given separately by the *_NET_ORDER lists.
export type IpvsAttrType = 'u8' | 'u16' | 'u32' | 'u64' | 'string' | 'binary' | 'nested';

export const IPVS_CMD_ATTR_TYPES = {
  [IPVS_CMD_ATTR_SERVICE]: 'nested',
  [IPVS_CMD_ATTR_DEST]: 'nested',
  [IPVS_CMD_ATTR_DAEMON]: 'nested',
  [IPVS_CMD_ATTR_TIMEOUT_TCP]: 'u32',
  [IPVS_CMD_ATTR_TIMEOUT_TCP_FIN]: 'u32',
  [IPVS_CMD_ATTR_TIMEOUT_UDP]: 'u32',
} as const satisfies Record<number, IpvsAttrType>;

export const IPVS_SVC_ATTR_TYPES = {
  [IPVS_SVC_ATTR_AF]: 'u16',
  [IPVS_SVC_ATTR_PROTOCOL]: 'u16',
  [IPVS_SVC_ATTR_ADDR]: 'binary', // max len 16
  [IPVS_SVC_ATTR_PORT]: 'u16', // big-endian
  [IPVS_SVC_ATTR_FWMARK]: 'u32',
  [IPVS_SVC_ATTR_SCHED_NAME]: 'string', // NUL_STRING, len IP_VS_SCHEDNAME_MAXLEN - 1
  [IPVS_SVC_ATTR_FLAGS]: 'binary', // struct ip_vs_flags, 8 bytes
  [IPVS_SVC_ATTR_TIMEOUT]: 'u32',
  [IPVS_SVC_ATTR_NETMASK]: 'u32', // see IPVS_SVC_ATTR_NETMASK above
  [IPVS_SVC_ATTR_STATS]: 'nested',
  [IPVS_SVC_ATTR_PE_NAME]: 'string', // NUL_STRING, len IP_VS_PENAME_MAXLEN
  [IPVS_SVC_ATTR_STATS64]: 'nested', // kernel output only
} as const satisfies Record<number, IpvsAttrType>;

export const IPVS_DEST_ATTR_TYPES = {
  [IPVS_DEST_ATTR_ADDR]: 'binary', // max len 16
  [IPVS_DEST_ATTR_PORT]: 'u16', // big-endian
  [IPVS_DEST_ATTR_FWD_METHOD]: 'u32',
  [IPVS_DEST_ATTR_WEIGHT]: 'u32',
  [IPVS_DEST_ATTR_U_THRESH]: 'u32',
  [IPVS_DEST_ATTR_L_THRESH]: 'u32',
  [IPVS_DEST_ATTR_ACTIVE_CONNS]: 'u32',
  [IPVS_DEST_ATTR_INACT_CONNS]: 'u32',
  [IPVS_DEST_ATTR_PERSIST_CONNS]: 'u32',
  [IPVS_DEST_ATTR_STATS]: 'nested',
  [IPVS_DEST_ATTR_ADDR_FAMILY]: 'u16',
  [IPVS_DEST_ATTR_STATS64]: 'nested', // kernel output only
  [IPVS_DEST_ATTR_TUN_TYPE]: 'u8',
  [IPVS_DEST_ATTR_TUN_PORT]: 'u16', // big-endian
  [IPVS_DEST_ATTR_TUN_FLAGS]: 'u16',
} as const satisfies Record<number, IpvsAttrType>;

export const IPVS_DAEMON_ATTR_TYPES = {
  [IPVS_DAEMON_ATTR_STATE]: 'u32',
  [IPVS_DAEMON_ATTR_MCAST_IFN]: 'string', // NUL_STRING, len IP_VS_IFNAME_MAXLEN - 1
  [IPVS_DAEMON_ATTR_SYNC_ID]: 'u32',
  [IPVS_DAEMON_ATTR_SYNC_MAXLEN]: 'u16',
  [IPVS_DAEMON_ATTR_MCAST_GROUP]: 'u32', // IPv4 address, network order
  [IPVS_DAEMON_ATTR_MCAST_GROUP6]: 'binary', // 16 bytes
  [IPVS_DAEMON_ATTR_MCAST_PORT]: 'u16', // host order
  [IPVS_DAEMON_ATTR_MCAST_TTL]: 'u8',
} as const satisfies Record<number, IpvsAttrType>;

// Inside IPVS_{SVC,DEST}_ATTR_STATS (ip_vs_genl_fill_stats): counters are u32 except the byte counts.
export const IPVS_STATS_ATTR_TYPES = {
  [IPVS_STATS_ATTR_CONNS]: 'u32',
  [IPVS_STATS_ATTR_INPKTS]: 'u32',
  [IPVS_STATS_ATTR_OUTPKTS]: 'u32',
  [IPVS_STATS_ATTR_INBYTES]: 'u64',
  [IPVS_STATS_ATTR_OUTBYTES]: 'u64',
  [IPVS_STATS_ATTR_CPS]: 'u32',
  [IPVS_STATS_ATTR_INPPS]: 'u32',
  [IPVS_STATS_ATTR_OUTPPS]: 'u32',
  [IPVS_STATS_ATTR_INBPS]: 'u32',
  [IPVS_STATS_ATTR_OUTBPS]: 'u32',
} as const satisfies Record<number, IpvsAttrType>;

// Inside IPVS_{SVC,DEST}_ATTR_STATS64 (ip_vs_genl_fill_stats64): every counter is u64 (IPVS_STATS_ATTR_PAD pads).
export const IPVS_STATS64_ATTR_TYPES = {
  [IPVS_STATS_ATTR_CONNS]: 'u64',
  [IPVS_STATS_ATTR_INPKTS]: 'u64',
  [IPVS_STATS_ATTR_OUTPKTS]: 'u64',
  [IPVS_STATS_ATTR_INBYTES]: 'u64',
  [IPVS_STATS_ATTR_OUTBYTES]: 'u64',
  [IPVS_STATS_ATTR_CPS]: 'u64',
  [IPVS_STATS_ATTR_INPPS]: 'u64',
  [IPVS_STATS_ATTR_OUTPPS]: 'u64',
  [IPVS_STATS_ATTR_INBPS]: 'u64',
  [IPVS_STATS_ATTR_OUTBPS]: 'u64',
} as const satisfies Record<number, IpvsAttrType>;

// IPVS_CMD_GET_INFO reply (nla_put_u32 in ip_vs_genl_get_cmd)
export const IPVS_INFO_ATTR_TYPES = {
  [IPVS_INFO_ATTR_VERSION]: 'u32',
  [IPVS_INFO_ATTR_CONN_TAB_SIZE]: 'u32',
} as const satisfies Record<number, IpvsAttrType>;

// Integer attributes whose value is in network byte order (everything else is host order).
// IPVS_SVC_ATTR_NETMASK is neither: see its comment.
export const IPVS_SVC_ATTR_NET_ORDER = [IPVS_SVC_ATTR_PORT] as const;
export const IPVS_DEST_ATTR_NET_ORDER = [IPVS_DEST_ATTR_PORT, IPVS_DEST_ATTR_TUN_PORT] as const;
export const IPVS_DAEMON_ATTR_NET_ORDER = [IPVS_DAEMON_ATTR_MCAST_GROUP] as const;
