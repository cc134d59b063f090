// PacketTap: captures the frames of one interface (optionally inside another
// network namespace) through an AF_PACKET socket with a TPACKET_V3 ring and a
// kernel BPF filter written in tcpdump syntax. Frames arrive in batches, one
// batch per event-loop wakeup, through an async iterator; decoding is lazy.
import {
  native,
  PACKET_FRAME_CHECKSUM_PENDING,
  PACKET_FRAME_HEADER,
  PACKET_FRAME_VLAN_RESTORED,
  type NativePacketSocket,
} from '../transport/native.js';
import { netnsPath } from '../transport/socket.js';
import { NetlinkError, ValidationError, showValue } from '../protocol/errors.js';
import { IFNAMSIZ } from '../uapi/if.js';
import { ARPHRD_ETHER, ARPHRD_LOOPBACK } from '../uapi/linux.js';
import {
  BPF_MAXINSNS,
  PACKET_BROADCAST,
  PACKET_HOST,
  PACKET_MULTICAST,
  PACKET_OTHERHOST,
  PACKET_OUTGOING,
} from '../uapi/packet.js';
import { decodeFrame, vxlanPortSet, type DecodedFrame } from './decode/frame.js';

export interface PacketTapOptions {
  /** The interface to capture on, looked up inside the namespace. */
  interface: string;
  /** A namespace name (`ip netns add`) or a path such as /proc/PID/ns/net. Default: the caller's. */
  netns?: string;
  /** A tcpdump (pcap-filter) expression run in the kernel, e.g. "udp port 4789". Default: every frame. */
  filter?: string;
  /** Bytes kept of each frame. Default and maximum 262144. */
  snaplen?: number;
  /** Bytes of kernel ring shared with this process. Default 8 MiB. */
  ringSize?: number;
  /** Longest time (ms) a frame waits in a partly filled ring block before it is delivered. Default 10. */
  blockTimeout?: number;
  /**
   * Batches waiting for the consumer before the tap stops reading the ring.
   * The kernel then drops frames (counted in stats().dropped) instead of this
   * process buffering without bound. Default 8.
   */
  highWaterMark?: number;
  /** UDP destination ports decoded as VXLAN. Default: 4789. */
  vxlanPorts?: Iterable<number>;
  /** Capture for this many ms, then end the iteration normally (frames already captured are still yielded). */
  duration?: number;
  /** Aborting closes the tap; a waiting iteration rejects with the signal's reason. */
  signal?: AbortSignal;
}

/** How the frame met the interface (sll_pkttype). */
export type PacketType = 'host' | 'broadcast' | 'multicast' | 'otherhost' | 'outgoing';

export interface TapStats {
  /** Frames that passed the filter, dropped ones included (PACKET_STATISTICS tp_packets). */
  seen: bigint;
  /** Frames the kernel dropped because the ring was full (tp_drops). */
  dropped: bigint;
  /** Times the ring filled up and the kernel froze it (tp_freeze_q_cnt). */
  freezes: bigint;
  /** Frames handed to this process. */
  delivered: bigint;
}

const PACKET_TYPES: Record<number, PacketType> = {
  [PACKET_HOST]: 'host',
  [PACKET_BROADCAST]: 'broadcast',
  [PACKET_MULTICAST]: 'multicast',
  [PACKET_OTHERHOST]: 'otherhost',
  [PACKET_OUTGOING]: 'outgoing',
};

/**
 * One captured frame. `data` is a view into the batch's buffer: copy it
 * (Buffer.from(frame.data)) to keep one frame without keeping the batch.
 */
export class CapturedFrame {
  private decoded?: DecodedFrame;

  constructor(
    /** The captured bytes (at most snaplen; VLAN tags put back in place). */
    readonly data: Buffer,
    /** Length of the frame on the wire. */
    readonly length: number,
    private readonly seconds: number,
    private readonly nanoseconds: number,
    readonly packetType: PacketType,
    private readonly flags: number,
    private readonly vxlanPorts: ReadonlySet<number>,
  ) {}

  /** Capture time in nanoseconds since the Unix epoch. */
  get timestamp(): bigint {
    return BigInt(this.seconds) * 1_000_000_000n + BigInt(this.nanoseconds);
  }

  /** The snaplen cut the frame short. */
  get truncated(): boolean {
    return this.data.length < this.length;
  }

  /** The VLAN tag had been offloaded to metadata and was put back into `data`. */
  get vlanRestored(): boolean {
    return (this.flags & PACKET_FRAME_VLAN_RESTORED) !== 0;
  }

  /** An outgoing frame whose checksum is left to the NIC, so the captured checksum is not final. */
  get checksumPending(): boolean {
    return (this.flags & PACKET_FRAME_CHECKSUM_PENDING) !== 0;
  }

  /** The frame decoded into layers, on first access. */
  get layers(): DecodedFrame {
    this.decoded ??= decodeFrame(this.data, { vxlanPorts: this.vxlanPorts });
    return this.decoded;
  }
}

// tcpdump's default and the largest snaplen libpcap accepts.
const MAX_SNAPLEN = 262144;
const DEFAULT_RING_SIZE = 8 << 20;
const MAX_RING_SIZE = 1 << 30;
const DEFAULT_BLOCK_TIMEOUT = 10;
const MAX_BLOCK_TIMEOUT = 60_000;
const DEFAULT_HIGH_WATER_MARK = 8;
// A ring block must hold the largest frame plus the kernel's per-frame and per-block headers.
const MIN_BLOCK_SIZE = 256 << 10;
const BLOCK_HEADROOM = 4096;
const BPF_INSN_BYTES = 8;

function integerOption(value: unknown, field: string, min: number, max: number): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw new ValidationError(field, `must be an integer from ${min} to ${max}, got ${String(value)}`);
  }
  return value;
}

function blockSizeFor(snaplen: number): number {
  let size = MIN_BLOCK_SIZE;
  while (size < snaplen + BLOCK_HEADROOM) size *= 2;
  return size;
}

/** Compiles a tcpdump expression to classic BPF, or throws a ValidationError naming `filter`. */
export function compileFilter(expression: string, snaplen = MAX_SNAPLEN): Buffer {
  if (typeof expression !== 'string') throw new ValidationError('filter', 'must be a tcpdump expression string');
  const program = native.compilePacketFilter(expression, snaplen);
  if (typeof program === 'string') throw new ValidationError('filter', `${JSON.stringify(expression)}: ${program}`);
  const instructions = program.length / BPF_INSN_BYTES;
  if (instructions > BPF_MAXINSNS) {
    throw new ValidationError('filter', `compiles to ${instructions} instructions; the kernel takes at most ${BPF_MAXINSNS}`);
  }
  return program;
}

interface ResolvedOptions {
  name: string;
  netnsPath: string;
  program: Buffer;
  blockSize: number;
  blockCount: number;
  blockTimeout: number;
  highWaterMark: number;
  vxlanPorts: ReadonlySet<number>;
  duration: number | undefined;
}

// Every option is checked (and the filter compiled) before anything is opened.
function resolveOptions(options: PacketTapOptions): ResolvedOptions {
  if (options === null || typeof options !== 'object') throw new ValidationError('options', 'must be an object');
  const name = options.interface;
  // Checked as the kernel's dev_valid_name does: a NUL would end the name early in native code.
  if (typeof name !== 'string' || name.length === 0 || Buffer.byteLength(name) >= IFNAMSIZ || name === '.' || name === '..' || /[\0/:\s]/.test(name)) {
    const got = showValue(name);
    throw new ValidationError('interface', `must be an interface name of 1 to ${IFNAMSIZ - 1} bytes, got ${got}`);
  }
  const path = netnsPath(options.netns);
  const snaplen = integerOption(options.snaplen ?? MAX_SNAPLEN, 'snaplen', 1, MAX_SNAPLEN);
  const blockSize = blockSizeFor(snaplen);
  const ringSize = options.ringSize ?? Math.max(DEFAULT_RING_SIZE, 2 * blockSize);
  if (typeof ringSize === 'number' && ringSize < 2 * blockSize) {
    throw new ValidationError(
      'ringSize',
      `must hold two ring blocks of ${blockSize} bytes (for snaplen ${snaplen}): at least ${2 * blockSize}, got ${ringSize}`,
    );
  }
  integerOption(ringSize, 'ringSize', 2 * blockSize, MAX_RING_SIZE);
  const blockTimeout = integerOption(options.blockTimeout ?? DEFAULT_BLOCK_TIMEOUT, 'blockTimeout', 1, MAX_BLOCK_TIMEOUT);
  const highWaterMark = integerOption(options.highWaterMark ?? DEFAULT_HIGH_WATER_MARK, 'highWaterMark', 1, 1 << 20);
  const vxlanPorts = vxlanPortSet(options.vxlanPorts);
  for (const port of vxlanPorts) integerOption(port, 'vxlanPorts', 1, 65535);
  const duration = options.duration;
  if (duration !== undefined && (typeof duration !== 'number' || !(duration > 0) || !Number.isFinite(duration))) {
    throw new ValidationError('duration', `must be a positive number of milliseconds, got ${String(duration)}`);
  }
  // An empty expression accepts everything but still cuts frames at the snaplen in the kernel.
  const program = compileFilter(options.filter ?? '', snaplen);
  options.signal?.throwIfAborted();
  return {
    name,
    netnsPath: path,
    program,
    blockSize,
    blockCount: Math.floor(ringSize / blockSize),
    blockTimeout,
    highWaterMark,
    vxlanPorts,
    duration,
  };
}

interface Waiter {
  resolve(result: IteratorResult<CapturedFrame[]>): void;
  reject(err: unknown): void;
}

export class PacketTap implements AsyncIterable<CapturedFrame[]> {
  readonly interface: string;
  /** The interface's index inside its namespace. */
  readonly ifindex: number;
  private readonly socket: NativePacketSocket;
  // The native side holds this weakly; keeping it here ties its life to ours.
  private readonly onBatch: (batch: Buffer | null, errno: number) => void;
  private readonly vxlanPorts: ReadonlySet<number>;
  private readonly highWaterMark: number;
  private readonly queue: CapturedFrame[][] = [];
  private readonly waiters: Waiter[] = [];
  private delivered = 0n;
  private paused = false;
  private closed = false;
  private failure: { error: unknown } | undefined;
  private timer: NodeJS.Timeout | undefined;
  private readonly signal: AbortSignal | undefined;
  private readonly onAbort = (): void => this.fail(this.signal!.reason);

  private constructor(options: PacketTapOptions) {
    const o = resolveOptions(options);
    this.highWaterMark = o.highWaterMark;
    this.vxlanPorts = o.vxlanPorts;
    this.interface = o.name;
    this.onBatch = (batch, errno) => this.receive(batch, errno);
    this.socket = new native.NativePacketSocket(
      o.netnsPath,
      o.name,
      o.program,
      o.blockSize,
      o.blockCount,
      o.blockTimeout,
      this.onBatch,
    );
    this.ifindex = this.socket.ifindex;
    const hw = this.socket.hardwareType;
    if (hw !== ARPHRD_ETHER && hw !== ARPHRD_LOOPBACK) {
      this.socket.close();
      throw new ValidationError(
        'interface',
        `${o.name} is not an Ethernet interface (ARPHRD ${hw}); the tap filters and decodes Ethernet frames`,
      );
    }

    this.signal = options.signal;
    this.signal?.addEventListener('abort', this.onAbort, { once: true });
    const duration = o.duration;
    if (duration !== undefined) {
      // Past the duration, wait for the kernel to retire the last partly filled block, then end.
      this.timer = setTimeout(() => {
        this.timer = setTimeout(() => this.finish(false), 2 * o.blockTimeout);
        this.timer.unref();
      }, duration);
      this.timer.unref();
    }
  }

  /** Opens the tap; frames matching the filter are captured from now on. */
  static open(options: PacketTapOptions): PacketTap {
    return new PacketTap(options);
  }

  get isClosed(): boolean {
    return this.closed;
  }

  /** Counters since open; they stay readable after close(). */
  stats(): TapStats {
    const s = this.socket.stats();
    return { seen: s.packets, dropped: s.drops, freezes: s.freezes, delivered: this.delivered };
  }

  /** Stops capturing now; a waiting iteration ends (done), batches not yet taken are discarded. */
  close(): void {
    this.finish(true);
  }

  [Symbol.dispose](): void {
    this.close();
  }

  /** Batches of frames, in capture order. Breaking out of the loop closes the tap, as with streams. */
  [Symbol.asyncIterator](): AsyncIterator<CapturedFrame[]> {
    return {
      next: () => this.next(),
      return: async () => {
        this.close();
        return { value: undefined, done: true };
      },
    };
  }

  private next(): Promise<IteratorResult<CapturedFrame[]>> {
    if (this.failure !== undefined) return Promise.reject(this.failure.error);
    const batch = this.queue.shift();
    if (batch !== undefined) {
      if (this.paused && this.queue.length < this.highWaterMark && !this.closed) {
        this.paused = false;
        this.socket.resume();
      }
      return Promise.resolve({ value: batch, done: false });
    }
    if (this.closed) return Promise.resolve({ value: undefined, done: true });
    return new Promise((resolve, reject) => {
      // Someone is waiting: keep the process alive for the capture.
      if (this.waiters.length === 0) this.socket.ref();
      this.waiters.push({ resolve, reject });
    });
  }

  private receive(batch: Buffer | null, errno: number): void {
    const frames = batch !== null && !this.closed ? this.parse(batch) : [];
    if (frames.length > 0) {
      this.delivered += BigInt(frames.length);
      const waiter = this.waiters.shift();
      if (waiter !== undefined) {
        if (this.waiters.length === 0) this.socket.unref();
        waiter.resolve({ value: frames, done: false });
      } else {
        this.queue.push(frames);
        if (this.queue.length >= this.highWaterMark && !this.paused) {
          this.paused = true;
          this.socket.pause();
        }
      }
    }
    if (errno !== 0) {
      // ENETDOWN: the interface went down or away; the socket cannot go on.
      this.fail(new NetlinkError({ errno, operation: `capture on ${this.interface}`, syscall: 'poll' }));
    }
  }

  private parse(batch: Buffer): CapturedFrame[] {
    const frames: CapturedFrame[] = [];
    let pos = 0;
    while (pos + PACKET_FRAME_HEADER <= batch.length) {
      const caplen = batch.readUInt32LE(pos);
      const start = pos + PACKET_FRAME_HEADER;
      frames.push(
        new CapturedFrame(
          batch.subarray(start, start + caplen),
          batch.readUInt32LE(pos + 4),
          batch.readUInt32LE(pos + 8),
          batch.readUInt32LE(pos + 12),
          PACKET_TYPES[batch[pos + 16]!] ?? 'host',
          batch[pos + 17]!,
          this.vxlanPorts,
        ),
      );
      pos = start + caplen;
    }
    return frames;
  }

  private fail(error: unknown): void {
    if (this.closed) return;
    this.failure = { error };
    this.queue.length = 0;
    this.finish(true);
  }

  // Closes the socket and settles every waiting next(): with the failure if
  // there is one, otherwise as done.
  private finish(discard: boolean): void {
    if (this.closed) return;
    this.closed = true;
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.signal?.removeEventListener('abort', this.onAbort);
    this.socket.close();
    if (discard) this.queue.length = 0;
    const waiters = this.waiters.splice(0);
    for (const w of waiters) {
      if (this.failure !== undefined) w.reject(this.failure.error);
      else w.resolve({ value: undefined, done: true });
    }
  }
}
