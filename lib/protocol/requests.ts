// What a request is, apart from the Connection that runs it: the caller's
// options and results, the counters, and the records kept per call and per
// message while it is in flight, and the sinks their outcomes go to (connection.ts).
import type { TransportOptions } from '../transport/socket.js';
import type { MessageSource } from '../codec/writer.js';
import type { Message } from './message.js';

export interface RequestOptions {
  signal?: AbortSignal;
  /** Milliseconds to wait for the kernel's answer. Default 30 000. */
  timeout?: number;
}

export interface BatchOptions extends RequestOptions {
  /**
   * Stop sending after the first rejected operation (default false: go on).
   * Each sendmsg then waits for the acks of the one before: the kernel runs
   * every message of a sendmsg whatever fails among them, so what shared the
   * failing operation's sendmsg has run, and nothing after it is sent.
   */
  stopOnError?: boolean;
}

export interface DumpOptions extends RequestOptions {
  /** How many times an interrupted dump (NLM_F_DUMP_INTR) is retried. Default 3. */
  retries?: number;
}

/** Turns one reply message into a value, or undefined to skip it. */
export type Decoder<T> = (msg: Message) => T | undefined;

/**
 * Explains an errno for one operation better than strerror ("service …
 * already exists"). `index` is the message's position in its writer, so one
 * function can serve a whole batch without a lookup table keyed by text.
 */
export type Describe = (errno: number, what: string, index: number) => string | undefined;

export type BatchResult<T> =
  /** `replies` is a shared frozen array when there were none. */
  | { ok: true; replies: T[] }
  | { ok: false; error: Error; /** Never sent, because an earlier operation failed. */ skipped?: boolean };

export interface ConnectionOptions extends TransportOptions {
  /** Default timeout for every request on this connection, in milliseconds. */
  timeout?: number;
}

/** What crossed the socket: for benchmarks, tests and the architecture notes. */
export interface ConnectionCounters {
  /** sendmsg calls. */
  sends: number;
  /** Messages sent. */
  messages: number;
  /** Datagrams received from the kernel. */
  datagrams: number;
  /** Native → JS crossings (one per drained batch of datagrams). */
  crossings: number;
  /** Dumps restarted because the kernel flagged NLM_F_DUMP_INTR. */
  dumpRetries: number;
}

export interface Call {
  settled: boolean;
  remaining: number;
  timer?: NodeJS.Timeout;
  cleanup(): void;
  resolve(): void;
}

// One per message in flight, and nothing per message beyond it: the outcome
// goes to the call's sink (one per batch or dump), replies are allocated on
// the first one. A 50k-message batch made ~4 objects per message before.
// Finished entries are reused (Connection.newPending), so every field is writable.
export interface Pending {
  seq: number;
  call: Call;
  /** What sent the message: its message(index) says what it does, for an error. */
  source: MessageSource;
  /** The message's position in its source. */
  index: number;
  decode?: Decoder<unknown>;
  describe?: Describe;
  replies: unknown[] | undefined;
  interrupted: boolean;
  sink: Sink;
  /** A dump: answered by NLMSG_DONE, possibly after later requests' acks. */
  dump: boolean;
  /**
   * Sent without NLM_F_ACK (BatchOptions.ackPerSend): the kernel answers it
   * only if it fails, so a later request's ack, with no error for this one
   * before it, means it succeeded.
   */
  quiet: boolean;
}

/** Receives each request's outcome, before the request is forgotten. */
export interface Sink {
  done(p: Pending, error?: Error): void;
}

/** What a spare record points at instead of its last call, source and sink, so it keeps none of them alive. */
const NO_CALL: Call = { settled: true, remaining: 0, cleanup() {}, resolve() {} };
const NO_SINK: Sink = { done() {} };
const NO_SOURCE: MessageSource = {
  count: 0,
  view: () => Buffer.alloc(0),
  startOf: () => 0,
  lengthOf: () => 0,
  message: () => {
    throw new Error('a finished request has no message');
  },
};

/**
 * Pending records, reused once their request is finished. In a 50k-message
 * batch's heap profile a new record per message was 104 bytes of the ~140 the
 * send side allocated per message; reused, there are at most as many as can
 * be in flight.
 */
export class PendingRecords {
  private readonly spare: Pending[] = [];

  constructor(private readonly keep: number) {}

  /** A record for a message just numbered `seq`: a spare one when there is one. */
  take(seq: number, call: Call, source: MessageSource, index: number, decode: Decoder<unknown> | undefined, describe: Describe | undefined, sink: Sink, dump: boolean, quiet: boolean): Pending {
    const p = this.spare.pop();
    if (p === undefined) return { seq, call, source, index, decode, describe, replies: undefined, interrupted: false, sink, dump, quiet };
    p.seq = seq;
    p.call = call;
    p.source = source;
    p.index = index;
    p.decode = decode;
    p.describe = describe;
    p.sink = sink;
    p.dump = dump;
    p.quiet = quiet;
    return p;
  }

  /** `p` is finished and out of the pending table: nothing may read it afterwards. */
  give(p: Pending): void {
    if (this.spare.length >= this.keep) return;
    p.call = NO_CALL;
    p.source = NO_SOURCE;
    p.sink = NO_SINK;
    p.decode = undefined;
    p.describe = undefined;
    p.replies = undefined;
    p.interrupted = false;
    this.spare.push(p);
  }
}

/** The result of every request acked without replies: one shared, frozen object, not one per message. */
const ACKED: BatchResult<never> = Object.freeze({ ok: true, replies: Object.freeze([]) as never[] });

/**
 * The sink of one batch(): its results and what stopOnError waits on. A class,
 * not a closure per call, so the ack path always calls the same function and
 * its optimized code survives each new batch (a new closure per call made it
 * deoptimize: "wrong call target").
 */
export class BatchSink<T> implements Sink {
  failed = false;
  answered = 0;
  wanted = 0;
  /** Messages handed to the kernel so far. */
  sent = 0;
  onAnswered: (() => void) | undefined = undefined;

  constructor(
    readonly results: BatchResult<T>[],
    readonly decode: Decoder<unknown> | undefined,
    readonly describe: Describe | undefined,
    readonly stopOnError: boolean,
    /** Only each send's last message asks for an ack (BatchCallOptions.ackPerSend). */
    readonly quiet: boolean,
  ) {}

  done(p: Pending, error?: Error): void {
    this.results[p.index] = error ? { ok: false, error } : p.replies === undefined ? (ACKED as BatchResult<T>) : { ok: true, replies: p.replies as T[] };
    if (error) this.failed = true;
    if (++this.answered === this.wanted && this.onAnswered !== undefined) this.onAnswered();
  }
}

/** The sink of one dump: hands over its replies, and fails the call on an error (see BatchSink). */
export class DumpSink implements Sink {
  constructor(
    private readonly call: Call,
    private readonly reject: (e: unknown) => void,
    private readonly take: (p: Pending) => void,
  ) {}

  done(p: Pending, error?: Error): void {
    this.take(p);
    if (error) {
      this.call.settled = true;
      this.call.cleanup();
      this.reject(error);
    }
  }
}
