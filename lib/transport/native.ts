// Loads the C++ addon and declares its surface. Native code owns sockets and
// syscalls only; see docs/ARCHITECTURE.md for what lives where and why.
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';

/**
 * Framed datagrams, [u32 len][u32 flags][bytes]...: a Buffer of their own,
 * or a byte count when they are plain acks alone and were copied into the
 * socket's landing buffer (setLanding), whose contents last until the next
 * read; null when there are none.
 */
export type Frames = Buffer | number | null;

/** Called once per event-loop turn with what was read (see Frames). */
export type BatchCallback = (batch: Frames, errno: number) => void;

export interface NativeSocket {
  /** One sendmsg of a buffer holding any number of netlink messages; bytes sent or -errno. */
  send(data: Uint8Array): number;
  /**
   * Reads what is queued now, without waiting: framed datagrams (as for the
   * batch callback), null when none, or [frames | null, errno] after a socket error.
   */
  receive(): Frames | [Frames, number];
  close(): void;
  /** Keep the process alive while requests wait (uv_ref) / stop doing so. */
  ref(): void;
  unref(): void;
  addMembership(group: number): number;
  dropMembership(group: number): number;
  setReceiveBuffer(bytes: number): number;
  /** Where plain acks are copied instead of a Buffer each (see Frames); the socket holds it. */
  setLanding(buffer: Buffer): void;
  readonly portId: number;
  readonly fd: number;
  /** Bits: 1 EXT_ACK, 2 CAP_ACK, 4 GET_STRICT_CHK, 8 SO_RCVBUFFORCE accepted. */
  readonly features: number;
  /** Datagrams dropped because their sender was not the kernel. */
  readonly dropped: number;
}

/**
 * Called once per event-loop wakeup with the frames of every ready ring block:
 * records of [u32 caplen][u32 wire length][u32 sec][u32 nsec][u8 pkttype][u8 flags][6 zero][bytes]
 * (little-endian), or null with an errno.
 */
export type PacketBatchCallback = (batch: Buffer | null, errno: number) => void;

/** An AF_PACKET socket with a TPACKET_V3 ring, bound to one interface (native/packet.cc). */
export interface NativePacketSocket {
  close(): void;
  /** Stop / restart polling the ring (backpressure: the kernel then drops and counts). */
  pause(): void;
  resume(): void;
  ref(): void;
  unref(): void;
  /** Totals since open (PACKET_STATISTICS accumulated); packets includes drops. */
  stats(): { packets: bigint; drops: bigint; freezes: bigint };
  readonly ifindex: number;
  /** ARPHRD_* of the interface. */
  readonly hardwareType: number;
}

export interface NativeAddon {
  NativeSocket: new (protocol: number, netnsPath: string, receiveBuffer: number, onBatch: BatchCallback) => NativeSocket;
  /** Opens a file from a thread inside the namespace (/proc/thread-self/net tables, /proc/sys/net); returns an fd. */
  openInNetns(netnsPath: string, filePath: string, writable?: boolean): number;
  NativePacketSocket: new (
    netnsPath: string,
    interfaceName: string,
    filterProgram: Buffer,
    blockSize: number,
    blockCount: number,
    blockTimeoutMs: number,
    onBatch: PacketBatchCallback,
  ) => NativePacketSocket;
  /** libpcap: a tcpdump expression for Ethernet frames → struct sock_filter[] bytes, or pcap's error text. */
  compilePacketFilter(expression: string, snaplen: number): Buffer | string;
}

export const FEATURE_EXT_ACK = 1;
export const FEATURE_CAP_ACK = 2;
export const FEATURE_STRICT_CHECK = 4;
export const FEATURE_RCVBUF_FORCE = 8;
export const FRAME_TRUNCATED = 1;
/** Flags byte of a packet-batch record. */
export const PACKET_FRAME_VLAN_RESTORED = 1;
export const PACKET_FRAME_CHECKSUM_PENDING = 2;
export const PACKET_FRAME_CHECKSUM_VALID = 4;
export const PACKET_FRAME_HEADER = 24;

function load(): NativeAddon {
  const require = createRequire(import.meta.url);
  // lib/transport (sources) and dist/transport (built) both sit two levels below the package root.
  const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
  const candidates = [join(root, 'build', 'Release', 'nl_lvs.node'), join(root, 'build', 'Debug', 'nl_lvs.node')];
  let lastError: unknown;
  for (const path of candidates) {
    try {
      return require(path) as NativeAddon;
    } catch (err) {
      lastError = err;
      if ((err as NodeJS.ErrnoException).code !== 'MODULE_NOT_FOUND') throw err;
    }
  }
  throw new Error(
    `nl-lvs: the native addon is not built (looked in ${candidates.join(', ')}); run \`npm rebuild nl-lvs\` ` +
      `or \`npx node-gyp rebuild\` in the package. Cause: ${String(lastError)}`,
  );
}

export const native: NativeAddon = load();
