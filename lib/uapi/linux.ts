// Kernel uapi constants from include/uapi/linux/{in.h,in6.h,if_ether.h,if_arp.h} (Linux 7.2-pre-rc1 uapi, as synced into iproute2/iproute2@c2e67ec8fce4); AF_* from kernel include/linux/socket.h (glibc bits/socket.h).

// Address families (kernel include/linux/socket.h, not uapi)
export const AF_UNSPEC = 0;
export const AF_INET = 2;
export const AF_BRIDGE = 7;
export const AF_INET6 = 10;
export const AF_NETLINK = 16;
export const AF_PACKET = 17;
export const AF_MPLS = 28;

// EtherTypes (linux/if_ether.h), host-order values; put them on the wire with htons where the attribute is __be16
export const ETH_P_ALL = 0x3;
export const ETH_P_IP = 0x800;
export const ETH_P_ARP = 0x806;
export const ETH_P_8021Q = 0x8100;
export const ETH_P_8021AD = 0x88a8;
export const ETH_P_IPV6 = 0x86dd;
export const ETH_P_MPLS_UC = 0x8847;
export const ETH_P_TEB = 0x6558;

// Ethernet sizes (linux/if_ether.h)
export const ETH_ALEN = 6;
export const ETH_HLEN = 14;
export const ETH_DATA_LEN = 1500;
export const ETH_FRAME_LEN = 1514;

// IP protocols (linux/in.h; IPPROTO_ICMPV6 from linux/in6.h)
export const IPPROTO_IP = 0;
export const IPPROTO_ICMP = 1;
export const IPPROTO_IPIP = 4;
export const IPPROTO_TCP = 6;
export const IPPROTO_UDP = 17;
export const IPPROTO_IPV6 = 41;
export const IPPROTO_GRE = 47;
export const IPPROTO_ESP = 50;
export const IPPROTO_ICMPV6 = 58;
export const IPPROTO_SCTP = 132;
export const IPPROTO_UDPLITE = 136;
export const IPPROTO_RAW = 255;

// ARP hardware types: ifinfomsg.ifi_type (linux/if_arp.h)
export const ARPHRD_NETROM = 0;
export const ARPHRD_ETHER = 1;
export const ARPHRD_INFINIBAND = 32;
export const ARPHRD_TUNNEL = 768;
export const ARPHRD_TUNNEL6 = 769;
export const ARPHRD_LOOPBACK = 772;
export const ARPHRD_SIT = 776;
export const ARPHRD_IPGRE = 778;
export const ARPHRD_IP6GRE = 823;
export const ARPHRD_NONE = 65534;
export const ARPHRD_VOID = 65535;
