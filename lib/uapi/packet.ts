// Constants for capturing and reading frames, from include/uapi/linux/{if_packet.h,if_ether.h,icmp.h,icmpv6.h,in.h,in6.h,tcp.h,bpf_common.h};
// the VXLAN ones are from the kernel's include/net/vxlan.h (not uapi) and RFC 7348.
// EtherTypes, ETH_HLEN and the common IPPROTO_* values are in ./linux.ts.

// sockaddr_ll.sll_pkttype (linux/if_packet.h)
export const PACKET_HOST = 0;
export const PACKET_BROADCAST = 1;
export const PACKET_MULTICAST = 2;
export const PACKET_OTHERHOST = 3;
export const PACKET_OUTGOING = 4;

// Classic BPF program size limit (linux/bpf_common.h)
export const BPF_MAXINSNS = 4096;

// The pre-standard QinQ outer tag (linux/if_ether.h)
export const ETH_P_QINQ1 = 0x9100;

// IPv6 extension headers and AH (linux/in6.h, linux/in.h)
export const IPPROTO_HOPOPTS = 0;
export const IPPROTO_ROUTING = 43;
export const IPPROTO_FRAGMENT = 44;
export const IPPROTO_AH = 51;
export const IPPROTO_NONE = 59;
export const IPPROTO_DSTOPTS = 60;
export const IPPROTO_MH = 135;

// ICMP types (linux/icmp.h)
export const ICMP_ECHOREPLY = 0;
export const ICMP_DEST_UNREACH = 3;
export const ICMP_ECHO = 8;
export const ICMP_TIME_EXCEEDED = 11;

// ICMPv6 types (linux/icmpv6.h)
export const ICMPV6_DEST_UNREACH = 1;
export const ICMPV6_PKT_TOOBIG = 2;
export const ICMPV6_TIME_EXCEED = 3;
export const ICMPV6_PARAMPROB = 4;
export const ICMPV6_ECHO_REQUEST = 128;
export const ICMPV6_ECHO_REPLY = 129;

// TCP flags as masks of the header's 4th 32-bit word, read big-endian (linux/tcp.h; there they are cpu_to_be32 values)
export const TCP_FLAG_CWR = 0x00800000;
export const TCP_FLAG_ECE = 0x00400000;
export const TCP_FLAG_URG = 0x00200000;
export const TCP_FLAG_ACK = 0x00100000;
export const TCP_FLAG_PSH = 0x00080000;
export const TCP_FLAG_RST = 0x00040000;
export const TCP_FLAG_SYN = 0x00020000;
export const TCP_FLAG_FIN = 0x00010000;

// VXLAN (include/net/vxlan.h): the I flag of the first header word (read big-endian) says the VNI is valid
export const IANA_VXLAN_UDP_PORT = 4789;
export const VXLAN_HF_VNI = 0x08000000;
/** Bytes of the VXLAN header itself: flags word + VNI word. */
export const VXLAN_HEADER_LEN = 8;
