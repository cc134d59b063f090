// The two kinds of waiting a netlink socket imposes, apart from the protocol
// logic that uses them (connection.ts):
//  - AckWindow: acks in flight must fit the receive buffer, or the kernel
//    drops them (ENOBUFS); senders wait for room.
//  - DumpLock: the kernel runs one dump per socket (a second one gets EBUSY);
//    later dumps wait their turn.
//  - AckOrder: requests are answered in the order they were sent, so an ack
//    that overtakes an older request's proves the older one will get none.

// Fields that hot code reads are changed in place, never reassigned, when a
// socket closes: V8 compiles a field stored only once as a constant, and the
// first close of any handle then deoptimized every function reading it (a
// batch after another handle was closed recompiled send, onMessageAt and
// acked in its timed run: --trace-generalization, --trace-deopt).

export class AckWindow {
  private inFlight = 0;
  private readonly waiters: Array<() => void> = [];

  constructor(readonly size: number) {}

  /** How many more messages may go out now. */
  get room(): number {
    return this.size - this.inFlight;
  }
  /** Resolves when at least one more message may go out. */
  wait(): Promise<void> {
    if (this.inFlight < this.size) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push(resolve));
  }
  take(n: number): void {
    this.inFlight += n;
  }
  /** One message was answered (or given up): wakes the senders when there is room. */
  credit(): void {
    this.inFlight--;
    if (this.waiters.length > 0 && this.inFlight < this.size) this.wakeAll();
  }
  /** Wakes every waiter (the socket closed: they find out on their next step). */
  wakeAll(): void {
    for (const w of this.waiters.splice(0)) w();
  }
}

export class DumpLock {
  /** Sequence number of the dump the kernel is running, or -1. */
  running = -1;
  private readonly queue: Array<() => void> = [];

  /** Resolves when this caller's dump may start; an abort while queued rejects. */
  acquire(signal?: AbortSignal): Promise<void> {
    if (this.running < 0 && this.queue.length === 0) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const go = (): void => {
        signal?.removeEventListener('abort', onAbort);
        resolve();
      };
      const onAbort = (): void => {
        const at = this.queue.indexOf(go);
        if (at >= 0) this.queue.splice(at, 1);
        reject(signal!.reason);
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      this.queue.push(go);
    });
  }
  /** Lets the next queued dump start, unless one is running. */
  release(): void {
    if (this.running >= 0) return;
    this.queue.shift()?.();
  }
  /** Wakes every queued dump (the socket closed: they fail on it). */
  releaseAll(): void {
    if (this.running !== -1) this.running = -1;
    for (const go of this.queue.splice(0)) go();
  }
}

/**
 * Sequence numbers of acked (non-dump) requests, in the order they were sent.
 * The kernel handles a socket's requests one by one, in order, inside
 * sendmsg, and queues each ack before it reads the next request. So when the
 * ack of one request arrives, every older request still waiting will never
 * get one: netlink_rcv_skb() sends no ack when a handler returns -EINTR
 * (IPVS does when a sync daemon thread is stopped before it first ran).
 */
export class AckOrder {
  // A ring of u32 sequence numbers, doubled when full: no per-message
  // allocation, and numbers above 2^30 stay unboxed.
  private ring = new Uint32Array(1024);
  private head = 0;
  private tail = 0;

  push(seq: number): void {
    if (this.tail - this.head === this.ring.length) this.grow();
    this.ring[this.tail & (this.ring.length - 1)] = seq;
    this.tail++;
  }

  /**
   * Called as the ack of `seq` arrives: returns the next request sent before
   * it (dropping it from the order), or -1 once `seq` itself is reached.
   * Sequence numbers are never below 1.
   */
  nextOlder(seq: number): number {
    if (this.head === this.tail) return -1;
    const first = this.ring[this.head & (this.ring.length - 1)]!;
    this.head++;
    if (this.head === this.tail) this.head = this.tail = 0;
    return first === seq ? -1 : first;
  }

  clear(): void {
    this.head = this.tail = 0;
  }

  private grow(): void {
    const old = this.ring;
    const ring = new Uint32Array(old.length * 2);
    for (let i = this.head; i < this.tail; i++) ring[i - this.head] = old[i & (old.length - 1)]!;
    this.tail -= this.head;
    this.head = 0;
    this.ring = ring;
  }
}

interface CoarseTimeout {
  ticksLeft: number;
  fire(): void;
}

/**
 * Timeouts of a second or more (the 30 s default), kept by one interval timer
 * per connection that runs while any is waiting and stops at the first tick
 * with none. A setTimeout per request reads the clock, a syscall under UML
 * (no vDSO): a third of the syscalls of a single IPVS request. A deadline
 * fires at most one tick late.
 */
export class CoarseTimeouts {
  static readonly TICK_MS = 250;
  /** Shorter timeouts get a timer of their own: a tick would be too coarse for them. */
  static readonly MIN_MS = 1000;
  private readonly waiting = new Set<CoarseTimeout>();
  private timer?: NodeJS.Timeout;

  add(ms: number, fire: () => void): CoarseTimeout {
    // The first tick comes anywhere within a tick from now: one more keeps the deadline.
    const t: CoarseTimeout = { ticksLeft: Math.ceil(ms / CoarseTimeouts.TICK_MS) + 1, fire };
    this.waiting.add(t);
    if (this.timer === undefined) {
      this.timer = setInterval(() => this.tick(), CoarseTimeouts.TICK_MS);
      // Waiting requests keep the process alive through their socket, not through this timer.
      this.timer.unref();
    }
    return t;
  }

  remove(t: CoarseTimeout): void {
    this.waiting.delete(t);
  }

  private tick(): void {
    for (const t of this.waiting) {
      if (--t.ticksLeft > 0) continue;
      this.waiting.delete(t);
      t.fire();
    }
    if (this.waiting.size === 0) {
      clearInterval(this.timer);
      this.timer = undefined;
    }
  }
}
