// DumpChannel: a netlink socket for many dumps in one native call
// (native/stats.cc), used by the stats reader and by bulk listings such as the
// IPVS snapshot (lib/protocol/bulk-dump.ts). The caller owns two buffers, handed over once: requests (whole messages, with
// their sequence numbers set) and replies. An exchange sends each request and
// lands every reply datagram in the replies buffer until that request's
// NLMSG_DONE or NLMSG_ERROR, with no JS object made on the way, inline
// (exchangeSync) or on the channel's own thread (start → onDone).
import { native } from './native.js';
import { netnsPath } from './socket.js';
import { NetlinkError } from '../protocol/errors.js';

interface NativeDumpChannel {
  setBuffers(requests: Uint8Array, replies: Uint8Array): number;
  /** Runs the exchange of requests[offset, offset + bytes) inline: bytes of replies (header included), or -errno. */
  exchange(requestOffset: number, requestBytes: number): number;
  /** Runs it on the channel's thread: 0, or -errno; onDone(result) follows. */
  start(requestOffset: number, requestBytes: number): number;
  close(): void;
  readonly portId: number;
  readonly busy: boolean;
}

type DumpChannelConstructor = new (
  protocol: number,
  netnsPath: string,
  receiveBuffer: number,
  timeoutMs: number,
  onDone: (result: number) => void,
) => NativeDumpChannel;

/**
 * Bytes in front of the datagrams: CLOCK_MONOTONIC at the first send and at
 * the last reply, each as u32 seconds and u32 microseconds.
 */
export const REPLY_HEADER = 16;
/** Room every receive needs; the replies buffer must be larger than this. */
export const DATAGRAM_ROOM = 65536;
const ENOSPC = -28;

export interface DumpChannelOptions {
  netns?: string;
  /** Milliseconds one receive may wait for the kernel. */
  timeout: number;
  receiveBuffer?: number;
}

export class DumpChannel {
  private readonly channel: NativeDumpChannel;
  // The native side holds this weakly; keeping it here ties its life to ours.
  private readonly onDone: (result: number) => void;
  private done?: (result: number) => void;

  constructor(protocol: number, options: DumpChannelOptions, operation: string) {
    const Ctor = (native as unknown as { NativeDumpChannel?: DumpChannelConstructor }).NativeDumpChannel;
    if (Ctor === undefined) throw new Error('nl-lvs: the native addon predates the stats reader; rebuild it (npm rebuild nl-lvs)');
    this.onDone = (result) => {
      const done = this.done;
      this.done = undefined;
      done?.(result);
    };
    try {
      this.channel = new Ctor(protocol, netnsPath(options.netns), options.receiveBuffer ?? 8 << 20, options.timeout, this.onDone);
    } catch (err) {
      const e = err as NodeJS.ErrnoException;
      if (typeof e.errno === 'number') throw new NetlinkError({ errno: e.errno, operation, syscall: e.syscall ?? 'socket' });
      throw err;
    }
  }

  get busy(): boolean {
    return this.channel.busy;
  }

  setBuffers(requests: Uint8Array, replies: Uint8Array): void {
    if (this.channel.setBuffers(requests, replies) < 0) throw new Error('DumpChannel.setBuffers: an exchange is running');
  }

  /** Inline: bytes of replies, or -errno (-ENOSPC: the replies buffer is too small). */
  exchangeSync(requestOffset: number, requestBytes: number): number {
    return this.channel.exchange(requestOffset, requestBytes);
  }

  /** On the channel's thread; `done` gets what exchangeSync would have returned. `done` should be long-lived. */
  start(requestOffset: number, requestBytes: number, done: (result: number) => void): number {
    const rc = this.channel.start(requestOffset, requestBytes);
    if (rc === 0) this.done = done;
    return rc;
  }

  close(): void {
    const done = this.done;
    this.done = undefined;
    this.channel.close();
    // A start() that never finished ends here, as a closed socket would.
    done?.(-9 /* EBADF */);
  }
}

export function isOutOfRoom(result: number): boolean {
  return result === ENOSPC;
}
