// The IPVS object model shared by the API, the CLI (nl-ipvsadm), the stats
// reader and apply(). Plain data: every module that talks to the kernel
// encodes from and decodes into these shapes.
import type { RawAttribute } from '../../codec/reader.js';

export type IpvsProtocol = 'tcp' | 'udp' | 'sctp';

/** The schedulers of Linux IPVS; another name is passed through to the kernel (module schedulers). */
export type Scheduler = 'rr' | 'wrr' | 'lc' | 'wlc' | 'lblc' | 'lblcr' | 'dh' | 'sh' | 'sed' | 'nq' | 'fo' | 'ovf' | 'mh';

export type ForwardMethod = 'masq' | 'local' | 'tunnel' | 'route' | 'bypass';

export type TunnelType = 'ipip' | 'gue' | 'gre';

/** A virtual service is named by protocol + address + port, or by firewall mark (+ family). */
export type ServiceKey =
  | { protocol: IpvsProtocol; address: string; port: number; fwmark?: undefined }
  | { fwmark: number; /** 4 (default) or 6. */ family?: 4 | 6; protocol?: undefined; address?: undefined; port?: undefined };

export interface ServiceFlags {
  /** One-packet scheduling (ipvsadm -o): UDP connections forgotten after one packet. */
  onePacket?: boolean;
  /** sh scheduler: fall back to another server when the chosen one is unavailable. */
  shFallback?: boolean;
  /** sh scheduler: hash the source port too. */
  shPort?: boolean;
  /** mh scheduler: fall back when the chosen server is unavailable. */
  mhFallback?: boolean;
  /** mh scheduler: hash the source port too. */
  mhPort?: boolean;
}

/** What a caller writes to create or edit a service. Unset fields keep the kernel's defaults. */
export type ServiceSpec = ServiceKey & {
  scheduler?: Scheduler | (string & {});
  /** Persistence timeout in seconds (ipvsadm -p); undefined or 0: not persistent. */
  persistent?: number;
  /** Persistence granularity: an IPv4 netmask ('255.255.255.0') or an IPv6 prefix length (ipvsadm -M). */
  netmask?: string | number;
  flags?: ServiceFlags;
  /** Persistence engine name, e.g. 'sip' (ipvsadm --pe). */
  pe?: string;
};

/** Counters as the kernel keeps them; 64-bit, so bigint. Rates are per second. */
export interface IpvsStats {
  connections: bigint;
  inPackets: bigint;
  outPackets: bigint;
  inBytes: bigint;
  outBytes: bigint;
  cps: bigint;
  inPps: bigint;
  outPps: bigint;
  inBps: bigint;
  outBps: bigint;
}

/** A service as read from the kernel. */
export type Service = ServiceKey & {
  /** 4 or 6. */
  family: 4 | 6;
  scheduler: string;
  /** Persistence timeout in seconds; 0 when the service is not persistent. */
  persistent: number;
  /** IPv4: dotted mask; IPv6: prefix length. */
  netmask: string | number;
  flags: Required<ServiceFlags>;
  /** The raw IP_VS_SVC_F_* bits. */
  flagBits: number;
  pe?: string;
  stats: IpvsStats;
  /** Attributes this library does not know (a newer kernel's), kept raw. */
  unknown?: RawAttribute[];
};

export interface TunnelSpec {
  type: TunnelType;
  /** UDP port for gue (big-endian on the wire). */
  port?: number;
  /** Checksum mode: 'none' (default), 'csum' or 'remcsum'. */
  checksum?: 'none' | 'csum' | 'remcsum';
}

/** What a caller writes to add or edit a real server. */
export interface DestinationSpec {
  address: string;
  /** Defaults to the service's port; ignored for fwmark services without a port. */
  port?: number;
  /** Default 'route' (DR), as ipvsadm. */
  forward?: ForwardMethod;
  /** 0 to 2^31-1; 0 drains: no new connections. Default 1. */
  weight?: number;
  /** Upper connection threshold (0: none). */
  upperThreshold?: number;
  /** Lower connection threshold (0: none). */
  lowerThreshold?: number;
  tunnel?: TunnelSpec;
}

/** A real server as read from the kernel. */
export interface Destination {
  address: string;
  family: 4 | 6;
  port: number;
  forward: ForwardMethod;
  weight: number;
  upperThreshold: number;
  lowerThreshold: number;
  activeConnections: number;
  inactiveConnections: number;
  persistentConnections: number;
  tunnel?: Required<TunnelSpec>;
  stats: IpvsStats;
  /** Attributes this library does not know (a newer kernel's), kept raw. */
  unknown?: RawAttribute[];
}

/** A service with its destinations: one entry of a snapshot. */
export type ServiceWithDestinations = Service & { destinations: Destination[] };

export type SyncState = 'master' | 'backup';

export interface SyncDaemon {
  state: SyncState;
  /** Multicast interface name. */
  interface: string;
  syncId: number;
  /** Maximum sync message length (bytes). */
  maxLength?: number;
  /** Multicast group, IPv4 or IPv6. */
  group?: string;
  /** UDP port (host byte order on the wire, unlike every other IPVS port). */
  port?: number;
  ttl?: number;
}
