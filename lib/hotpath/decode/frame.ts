// Decodes a whole captured Ethernet frame into its layers: Ethernet (+VLAN
// tags), IPv4/IPv6, then UDP/TCP/ICMP, and through VXLAN into the inner frame.
// Never throws on captured bytes: a short capture gives the layers that fit
// and `truncated`; contradictory bytes give the layers before and `malformed`.
import { ETH_P_IP, ETH_P_IPV6, IPPROTO_ICMP, IPPROTO_ICMPV6, IPPROTO_TCP, IPPROTO_UDP } from '../../uapi/linux.js';
import { IANA_VXLAN_UDP_PORT } from '../../uapi/packet.js';
import { decodeEthernet, type EthernetHeader } from './ethernet.js';
import { decodeIpv4, decodeIpv6, startsDatagram, type IpHeader } from './ip.js';
import { decodeUdp, type UdpHeader } from './udp.js';
import { decodeTcp, type TcpHeader } from './tcp.js';
import { decodeIcmp, type IcmpHeader } from './icmp.js';
import { decodeVxlan, type VxlanHeader } from './vxlan.js';
import { isDecoded, type Decoded, type LayerResult } from './layer.js';

export type LayerName = 'ethernet' | 'ip' | 'udp' | 'tcp' | 'icmp' | 'vxlan';

export interface VxlanLayer extends VxlanHeader {
  /** The encapsulated Ethernet frame, decoded the same way. */
  inner: DecodedFrame;
}

export interface DecodedFrame {
  ethernet?: EthernetHeader;
  ip?: IpHeader;
  udp?: UdpHeader;
  tcp?: TcpHeader;
  icmp?: IcmpHeader;
  vxlan?: VxlanLayer;
  /**
   * The bytes after the last decoded header, up to where that layer's length
   * fields say its payload ends (so Ethernet padding is left out). For a VXLAN
   * packet: the inner frame's bytes.
   */
  payload: Buffer;
  /** The capture ended inside a header (for VXLAN: inside the inner frame, which says where). */
  truncated: boolean;
  /** The layer whose header was cut short. */
  truncatedIn?: LayerName;
  /** Why decoding stopped early on bytes that contradict themselves. */
  malformed?: string;
}

export interface DecodeOptions {
  /** UDP destination ports that carry VXLAN. Default: 4789 (IANA). */
  vxlanPorts?: Iterable<number>;
}

const DEFAULT_VXLAN_PORTS: ReadonlySet<number> = new Set([IANA_VXLAN_UDP_PORT]);
// VXLAN inside VXLAN is legal but rare; a deeper stack is not worth walking.
const MAX_NESTING = 4;

/** Turns the option into a set once, so callers decoding many frames can reuse it. */
export function vxlanPortSet(ports: Iterable<number> | undefined): ReadonlySet<number> {
  if (ports === undefined) return DEFAULT_VXLAN_PORTS;
  return ports instanceof Set ? (ports as ReadonlySet<number>) : new Set(ports);
}

/** Decodes one captured Ethernet frame (e.g. `frame.data` from a PacketTap). */
export function decodeFrame(data: Uint8Array, options: DecodeOptions = {}): DecodedFrame {
  const buf = Buffer.isBuffer(data) ? data : Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  return decodeFrom(buf, 0, buf.length, vxlanPortSet(options.vxlanPorts), 0);
}

// Records how a layer went; returns it only when the next layer may follow.
function settle<H>(out: DecodedFrame, layer: LayerName, r: LayerResult<H>): Decoded<H> | undefined {
  if ('malformed' in r) {
    out.malformed = r.malformed;
    return undefined;
  }
  if (!isDecoded(r)) {
    out.truncated = true;
    out.truncatedIn = layer;
    return undefined;
  }
  if (r.truncated === true) {
    out.truncated = true;
    out.truncatedIn = layer;
  }
  return r;
}

function decodeFrom(buf: Buffer, offset: number, end: number, vxlanPorts: ReadonlySet<number>, depth: number): DecodedFrame {
  const out: DecodedFrame = { payload: buf.subarray(offset, end), truncated: false };

  const eth = settle(out, 'ethernet', decodeEthernet(buf, offset, end));
  if (eth === undefined) return out;
  out.ethernet = eth.header;
  out.payload = buf.subarray(eth.next, eth.end);
  if (out.truncated) return out;

  const type = eth.header.etherType;
  if (type !== ETH_P_IP && type !== ETH_P_IPV6) return out;
  const ip = settle<IpHeader>(
    out,
    'ip',
    type === ETH_P_IP ? decodeIpv4(buf, eth.next, eth.end) : decodeIpv6(buf, eth.next, eth.end),
  );
  if (ip === undefined) return out;
  out.ip = ip.header;
  out.payload = buf.subarray(ip.next, ip.end);
  if (out.truncated || !startsDatagram(ip.header)) return out;

  const proto = ip.header.protocol;
  if (proto === IPPROTO_TCP) {
    const tcp = settle(out, 'tcp', decodeTcp(buf, ip.next, ip.end));
    if (tcp === undefined) return out;
    out.tcp = tcp.header;
    out.payload = buf.subarray(tcp.next, tcp.end);
    return out;
  }
  if ((proto === IPPROTO_ICMP && ip.header.version === 4) || (proto === IPPROTO_ICMPV6 && ip.header.version === 6)) {
    const icmp = settle(out, 'icmp', decodeIcmp(buf, ip.next, ip.end, ip.header.version));
    if (icmp === undefined) return out;
    out.icmp = icmp.header;
    out.payload = buf.subarray(icmp.next, icmp.end);
    return out;
  }
  if (proto !== IPPROTO_UDP) return out;

  const udp = settle(out, 'udp', decodeUdp(buf, ip.next, ip.end));
  if (udp === undefined) return out;
  out.udp = udp.header;
  out.payload = buf.subarray(udp.next, udp.end);
  if (!vxlanPorts.has(udp.header.destinationPort) || depth >= MAX_NESTING) return out;

  const vxlan = settle(out, 'vxlan', decodeVxlan(buf, udp.next, udp.end));
  if (vxlan === undefined) return out;
  out.payload = buf.subarray(vxlan.next, vxlan.end);
  // Without the I flag the bytes after the header are not a VXLAN frame we know.
  if (!vxlan.header.vniValid) {
    out.vxlan = { ...vxlan.header, inner: { payload: out.payload, truncated: false } };
    return out;
  }
  const inner = decodeFrom(buf, vxlan.next, vxlan.end, vxlanPorts, depth + 1);
  out.vxlan = { ...vxlan.header, inner };
  if (inner.truncated) {
    out.truncated = true;
    out.truncatedIn = 'vxlan';
  }
  return out;
}
