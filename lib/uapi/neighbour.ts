// Kernel uapi constants from include/uapi/linux/neighbour.h (Linux 7.2-pre-rc1 uapi, as synced into iproute2/iproute2@c2e67ec8fce4).

// Neighbour / FDB attributes
export const NDA_UNSPEC = 0;
export const NDA_DST = 1;
export const NDA_LLADDR = 2;
export const NDA_CACHEINFO = 3;
export const NDA_PROBES = 4;
export const NDA_VLAN = 5;
export const NDA_PORT = 6; // __be16: network byte order (VXLAN FDB remote port)
export const NDA_VNI = 7;
export const NDA_IFINDEX = 8;
export const NDA_MASTER = 9;
export const NDA_LINK_NETNSID = 10;
export const NDA_SRC_VNI = 11;
export const NDA_PROTOCOL = 12;
export const NDA_NH_ID = 13;
export const NDA_FDB_EXT_ATTRS = 14;
export const NDA_FLAGS_EXT = 15; // u32, NTF_EXT_* bits
export const NDA_NDM_STATE_MASK = 16;
export const NDA_NDM_FLAGS_MASK = 17;

// ndmsg.ndm_flags (NTF_EXT_LEARNED is an ndm_flags bit despite its name)
export const NTF_USE = 0x1;
export const NTF_SELF = 0x2;
export const NTF_MASTER = 0x4;
export const NTF_PROXY = 0x8;
export const NTF_EXT_LEARNED = 0x10;
export const NTF_OFFLOADED = 0x20;
export const NTF_STICKY = 0x40;
export const NTF_ROUTER = 0x80;

// NDA_FLAGS_EXT (u32) bits
export const NTF_EXT_MANAGED = 0x1;
export const NTF_EXT_LOCKED = 0x2;
export const NTF_EXT_EXT_VALIDATED = 0x4;

// ndmsg.ndm_state
export const NUD_INCOMPLETE = 0x1;
export const NUD_REACHABLE = 0x2;
export const NUD_STALE = 0x4;
export const NUD_DELAY = 0x8;
export const NUD_PROBE = 0x10;
export const NUD_FAILED = 0x20;
export const NUD_NOARP = 0x40;
export const NUD_PERMANENT = 0x80;
export const NUD_NONE = 0x0;

// NDA_FDB_EXT_ATTRS nested attributes
export const NFEA_UNSPEC = 0;
export const NFEA_ACTIVITY_NOTIFY = 1;
export const NFEA_DONT_REFRESH = 2;

// FDB_NOTIFY_* bits (NFEA_ACTIVITY_NOTIFY)
export const FDB_NOTIFY_BIT = 0x1;
export const FDB_NOTIFY_INACTIVE_BIT = 0x2;
