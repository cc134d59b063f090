// Kernel uapi constants from include/uapi/linux/genetlink.h (Linux 7.2-pre-rc1 uapi, as synced into iproute2/iproute2@c2e67ec8fce4).

// Family ids, sizes (struct genlmsghdr: cmd u8 @0, version u8 @1, reserved u16 @2)
export const GENL_NAMSIZ = 16;
export const GENL_MIN_ID = 16;
export const GENL_MAX_ID = 1023;
export const GENL_ID_CTRL = 16;
export const GENL_ID_VFS_DQUOT = 17;
export const GENL_ID_PMCRAID = 18;
export const GENL_START_ALLOC = 19;
export const GENL_HDRLEN = 4;

// Operation flags (CTRL_ATTR_OP_FLAGS)
export const GENL_ADMIN_PERM = 0x1;
export const GENL_CMD_CAP_DO = 0x2;
export const GENL_CMD_CAP_DUMP = 0x4;
export const GENL_CMD_CAP_HASPOL = 0x8;
export const GENL_UNS_ADMIN_PERM = 0x10;

// Controller commands
export const CTRL_CMD_UNSPEC = 0;
export const CTRL_CMD_NEWFAMILY = 1;
export const CTRL_CMD_DELFAMILY = 2;
export const CTRL_CMD_GETFAMILY = 3;
export const CTRL_CMD_NEWOPS = 4;
export const CTRL_CMD_DELOPS = 5;
export const CTRL_CMD_GETOPS = 6;
export const CTRL_CMD_NEWMCAST_GRP = 7;
export const CTRL_CMD_DELMCAST_GRP = 8;
export const CTRL_CMD_GETMCAST_GRP = 9;
export const CTRL_CMD_GETPOLICY = 10;

// Controller attributes
export const CTRL_ATTR_UNSPEC = 0;
export const CTRL_ATTR_FAMILY_ID = 1;
export const CTRL_ATTR_FAMILY_NAME = 2;
export const CTRL_ATTR_VERSION = 3;
export const CTRL_ATTR_HDRSIZE = 4;
export const CTRL_ATTR_MAXATTR = 5;
export const CTRL_ATTR_OPS = 6;
export const CTRL_ATTR_MCAST_GROUPS = 7;
export const CTRL_ATTR_POLICY = 8;
export const CTRL_ATTR_OP_POLICY = 9;
export const CTRL_ATTR_OP = 10;

// Nested in CTRL_ATTR_OPS
export const CTRL_ATTR_OP_UNSPEC = 0;
export const CTRL_ATTR_OP_ID = 1;
export const CTRL_ATTR_OP_FLAGS = 2;

// Nested in CTRL_ATTR_MCAST_GROUPS
export const CTRL_ATTR_MCAST_GRP_UNSPEC = 0;
export const CTRL_ATTR_MCAST_GRP_NAME = 1;
export const CTRL_ATTR_MCAST_GRP_ID = 2;

// Nested in CTRL_ATTR_OP_POLICY
export const CTRL_ATTR_POLICY_UNSPEC = 0;
export const CTRL_ATTR_POLICY_DO = 1;
export const CTRL_ATTR_POLICY_DUMP = 2;
