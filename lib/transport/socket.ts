// The transport layer: a netlink socket (optionally inside another network
// namespace) that sends whole batches and hands back datagrams. It knows
// nothing of sequence numbers or attributes.
import { native, FRAME_TRUNCATED, type Frames, type NativeSocket } from './native.js';
import { NetlinkError, ValidationError, showValue } from '../protocol/errors.js';

export interface TransportOptions {
  /**
   * The network namespace: a name made by `ip netns add` (looked up under
   * /run/netns) or a path such as /proc/PID/ns/net. Default: the caller's.
   */
  netns?: string;
  /** Receive buffer in bytes (SO_RCVBUFFORCE, falling back to SO_RCVBUF). Default 32 MiB. */
  receiveBuffer?: number;
}

/**
 * What the transport hands its reads to. Methods, not closures: a Connection
 * is its own handler, so every connection calls the same functions, and the
 * optimized receive path serves them all. With a closure per connection, each
 * new one made that code deoptimize ("wrong call target") and compile again.
 */
export interface TransportHandlers {
  /**
   * One datagram from the kernel: bytes [start, end) of `batch`, valid during
   * the call. No view is made per datagram: a 50k-request batch gets 50k acks.
   * `truncated` when it did not fit the receive slot.
   */
  onDatagram(batch: Buffer, start: number, end: number, truncated: boolean): void;
  /** A socket error: ENOBUFS means the kernel dropped messages for us (overrun). */
  onSocketError(errno: number): void;
  /** Called after each batch of datagrams has been handed over. */
  onBatchEnd(): void;
}

const DEFAULT_RECEIVE_BUFFER = 32 << 20;
/** Sends whose answers may be read at once, between two turns of the event loop (see receiveNow). */
const EAGER_PER_TURN = 64;
/** Milliseconds from the first such read of a turn after which the rest wait for the loop. */
const EAGER_MS_PER_TURN = 1;
/**
 * The clock is read on a turn's first eager read and every this many after:
 * a clock read is a syscall under UML (no vDSO), and one per sendmsg showed
 * as ~90 ms of a 50k-op IPVS batch's profile there.
 */
const EAGER_CLOCK_EVERY = 4;
/**
 * Plain acks are read into this buffer, reused, instead of a Buffer each read
 * (a malloc held until a GC finalizes it: 2.2 MB of fresh memory for a 50k
 * batch's acks). 64 KiB holds ~1,500 acks; a bigger read gets a Buffer.
 */
const LANDING_BYTES = 64 << 10;
const NETNS_NAME = /^[A-Za-z0-9_.-]{1,255}$/;

/** Turns the `netns` option into a path, rejecting names that could escape /run/netns. */
export function netnsPath(netns: string | undefined): string {
  if (netns === undefined || netns === '') return '';
  if (typeof netns !== 'string') throw new ValidationError('netns', 'must be a string');
  // A NUL would end the path early in the native open(): refuse it rather than open something else.
  if (netns.includes('\0')) throw new ValidationError('netns', `must not contain NUL: ${showValue(netns)}`);
  if (netns.includes('/')) {
    if (!netns.startsWith('/')) throw new ValidationError('netns', `a path must be absolute: ${showValue(netns)}`);
    return netns;
  }
  if (!NETNS_NAME.test(netns) || netns === '.' || netns === '..') {
    throw new ValidationError('netns', `not a namespace name: ${showValue(netns)}`);
  }
  return `/run/netns/${netns}`;
}

export class Transport {
  private readonly socket: NativeSocket;
  // The native side holds this weakly; keeping it here ties its life to ours.
  private readonly onBatch: (batch: Frames, errno: number) => void;
  private readonly landing = Buffer.allocUnsafe(LANDING_BYTES);
  // Closed until the socket is open: stored twice, so V8 does not compile it as a constant (see flow.ts).
  private closed = true;
  private refs = 0;
  private readonly boundPortId: number;
  private readonly handlers: TransportHandlers;
  private eagerLeft = EAGER_PER_TURN;
  private turnPending = false;
  private turnStarted = 0;
  private delivering = false;
  private readonly newTurn = (): void => {
    this.turnPending = false;
    this.eagerLeft = EAGER_PER_TURN;
  };

  constructor(
    readonly protocol: number,
    options: TransportOptions,
    handlers: TransportHandlers,
  ) {
    const path = netnsPath(options.netns);
    const rcvbuf = options.receiveBuffer ?? DEFAULT_RECEIVE_BUFFER;
    if (!Number.isInteger(rcvbuf) || rcvbuf < 0 || rcvbuf > 0x7fffffff) {
      throw new ValidationError('receiveBuffer', `must be a byte count, got ${showValue(rcvbuf)}`);
    }
    this.handlers = handlers;
    this.onBatch = (batch, errno) => this.deliver(batch, errno);
    this.socket = new native.NativeSocket(protocol, path, rcvbuf, this.onBatch);
    this.socket.setLanding(this.landing);
    this.boundPortId = this.socket.portId;
    this.closed = false;
  }

  /** Fixed once the socket is bound; kept here, as reading it from the addon per message showed in profiles. */
  get portId(): number {
    return this.boundPortId;
  }
  get features(): number {
    return this.socket.features;
  }
  /** Datagrams dropped because a process other than the kernel sent them. */
  get dropped(): number {
    return this.socket.dropped;
  }
  get isClosed(): boolean {
    return this.closed;
  }

  /** Sends bytes holding one or more complete messages in one sendmsg; `about` says what they do, read only for an error. */
  send(data: Uint8Array, about: { readonly what: string }): void {
    const rc = this.socket.send(data);
    if (rc < 0) throw new NetlinkError({ errno: rc, operation: about.what, syscall: 'sendmsg' });
  }

  /**
   * Hands over, now, whatever the kernel has queued for us: called right
   * after a send, since the kernel answers a netlink request inside the
   * sendmsg. The handlers run inside this call; one that throws is reported
   * as the event loop's path would (an uncaught exception), not to the sender.
   */
  receiveNow(): void {
    // Answers taken here settle promises without an event-loop turn, so a
    // caller awaiting request after request would starve timers and other
    // I/O. Per turn, after EAGER_PER_TURN of them or EAGER_MS_PER_TURN of
    // work (requests such as a link delete take milliseconds in the kernel),
    // answers wait for the loop's poll. Nor inside a delivery (a handler that
    // sends): what this read returns must not be handled before the rest of
    // the batch in hand.
    if (this.closed || this.eagerLeft === 0 || this.delivering) return;
    if (!this.turnPending) {
      this.turnPending = true;
      this.turnStarted = performance.now();
      setImmediate(this.newTurn);
    } else if ((EAGER_PER_TURN - this.eagerLeft) % EAGER_CLOCK_EVERY === 0 && performance.now() - this.turnStarted > EAGER_MS_PER_TURN) {
      // This turn's allowance is spent: the rest wait for the loop's poll.
      this.eagerLeft = 0;
      return;
    }
    this.eagerLeft--;
    const got = this.socket.receive();
    if (got === null) return;
    try {
      if (Array.isArray(got)) this.deliver(got[0], got[1]);
      else this.deliver(got, 0);
    } catch (err) {
      process.nextTick(() => {
        throw err;
      });
    }
  }

  /**
   * Hands each datagram to the handlers. Datagrams in the landing buffer are
   * plain acks, which the connection reads and keeps nothing of; the buffer
   * is written again by the next read.
   */
  private deliver(batch: Frames, errno: number): void {
    this.delivering = true;
    try {
      if (batch !== null) {
        const bytes = typeof batch === 'number' ? this.landing : batch;
        const end = typeof batch === 'number' ? batch : batch.length;
        let pos = 0;
        while (pos + 8 <= end) {
          const len = bytes.readUInt32LE(pos);
          const flags = bytes.readUInt32LE(pos + 4);
          this.handlers.onDatagram(bytes, pos + 8, pos + 8 + len, (flags & FRAME_TRUNCATED) !== 0);
          pos += 8 + len;
        }
      }
      if (errno !== 0) this.handlers.onSocketError(errno);
      this.handlers.onBatchEnd();
    } finally {
      this.delivering = false;
    }
  }

  addMembership(group: number): void {
    const rc = this.socket.addMembership(group);
    if (rc < 0) throw new NetlinkError({ errno: rc, operation: `join multicast group ${group}`, syscall: 'setsockopt' });
  }
  dropMembership(group: number): void {
    const rc = this.socket.dropMembership(group);
    if (rc < 0) throw new NetlinkError({ errno: rc, operation: `leave multicast group ${group}`, syscall: 'setsockopt' });
  }
  setReceiveBuffer(bytes: number): number {
    const rc = this.socket.setReceiveBuffer(bytes);
    if (rc < 0) throw new NetlinkError({ errno: rc, operation: 'set receive buffer', syscall: 'setsockopt' });
    return rc;
  }

  /** Counted: the process stays alive while anyone holds a reference. */
  hold(): void {
    if (this.refs++ === 0 && !this.closed) this.socket.ref();
  }
  release(): void {
    if (--this.refs === 0 && !this.closed) this.socket.unref();
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.socket.close();
  }
}

/**
 * Opens a file as seen from inside a namespace; returns an fd. For /proc/net
 * tables use /proc/thread-self/net/...: /proc/net follows the main thread.
 */
export function openInNetns(netns: string | undefined, file: string, writable = false): number {
  return native.openInNetns(netnsPath(netns), file, writable);
}
