// The protocol core: sequence numbers, acks and errors matched to requests,
// multi-part dumps with NLM_F_DUMP_INTR retries, batches split into as few
// sendmsg calls as the socket buffers allow, timeouts and AbortSignal.
// It runs in TypeScript because decoding here is cheaper than building JS
// objects in C++ (see docs/ARCHITECTURE.md); native code only moves bytes.
import { s32le, u16le, u32le } from '../codec/bytes.js';
import { Transport } from '../transport/socket.js';
import { FEATURE_RCVBUF_FORCE } from '../transport/native.js';
import type { MessageSource, MessageWriter, WrittenMessage } from '../codec/writer.js';
import type {
  RequestOptions, BatchOptions, DumpOptions, Decoder, Describe, BatchResult, ConnectionOptions, ConnectionCounters, Call, Pending, Sink,
} from './requests.js';
import { PendingTable } from './pending-table.js';
import { BatchSink, DumpSink, PendingRecords } from './requests.js';
import { forEachMessage, messageAt, walkMessages, NLMSG_HDRLEN, type Message } from './message.js';
import { kernelError } from './extack.js';
import { AckOrder, AckWindow, CoarseTimeouts, DumpLock } from './flow.js';
import {
  NetlinkError,
  DumpInterruptedError,
  TimeoutError,
  SocketClosedError,
  DecodeError,
} from './errors.js';
import {
  NLMSG_ERROR,
  NLMSG_DONE,
  NLMSG_NOOP,
  NLMSG_OVERRUN,
  NLM_F_DUMP_INTR,
  NLM_F_ACK,
} from '../uapi/netlink.js';

export type {
  RequestOptions, BatchOptions, DumpOptions, Decoder, Describe, BatchResult, ConnectionOptions, ConnectionCounters,
} from './requests.js';

/** What Connection.batch takes besides the caller's BatchOptions. */
export interface BatchCallOptions<T> extends BatchOptions {
  decode?: Decoder<T>;
  describe?: Describe;
  /**
   * Ask for one ack per sendmsg, not one per message (ignored with
   * stopOnError): every message but the last of each send goes without
   * NLM_F_ACK. The kernel still answers a failing message with its error, in
   * order, before the last one's ack, so that ack means the silent ones
   * before it succeeded. Half the kernel's work on 50k FDB deletes was
   * making and queueing their acks (C floor: 128 ms against 83 ms). Only
   * for requests whose handlers never return EINTR, which netlink_rcv_skb()
   * answers with nothing at all: rtnetlink's do-requests and IPVS's service
   * and destination commands, not IPVS's daemon commands.
   */
  ackPerSend?: boolean;
}

const DEFAULT_TIMEOUT = 30_000;
// Measured (50k FDB adds, host kernel): 16 KiB per sendmsg ran 2.3× faster than
// 256 KiB, and beyond ~256 vxlan FDB adds per sendmsg the kernel's per-CPU
// allocator (dst_cache_init) slows 3-4× (perf: 84% of the time at 8192 per
// sendmsg, 2% at 64). The C floor sends 256 messages at a time too.
const MAX_SEND_BYTES = 16 << 10;
const MAX_SEND_MESSAGES = 256;
// Acks in flight must fit the receive buffer, or the kernel drops them (ENOBUFS).
const WINDOW_FORCED = 2048;
const WINDOW_PLAIN = 128;
/** Ring slots of the pending table: more than WINDOW_FORCED, so a batch never overflows it. */
const PENDING_SLOTS = 4096;

/** The message a pending request sent (made on demand by some sources: read it only for an error). */
function messageOf(p: Pending): WrittenMessage {
  return p.source.message(p.index);
}

/** The sequence number sendAll wrote into message `i` of `source` (its header's bytes 8-11). */
function seqOf(source: MessageSource, bytes: Buffer, i: number): number {
  return u32le(bytes, source.startOf(i) + 8);
}

export class Connection {
  private readonly transport: Transport;
  private readonly pending = new PendingTable<Pending>(PENDING_SLOTS);
  /** Finished records are reused: as many are kept as can be in flight. */
  private readonly records = new PendingRecords(WINDOW_FORCED);
  private seq: number;
  /** Milliseconds a request waits when its options name no timeout. */
  readonly defaultTimeout: number;
  private readonly window: AckWindow;
  private readonly dumps = new DumpLock();
  private readonly ackOrder = new AckOrder();
  private readonly timeouts = new CoarseTimeouts();
  private notify?: (msg: Message) => void;
  private overrun?: () => void;
  readonly counters: ConnectionCounters = { sends: 0, messages: 0, datagrams: 0, crossings: 0, dumpRetries: 0 };

  constructor(protocol: number, options: ConnectionOptions = {}) {
    this.transport = new Transport(protocol, options, this);
    this.defaultTimeout = options.timeout ?? DEFAULT_TIMEOUT;
    this.window = new AckWindow(this.transport.features & FEATURE_RCVBUF_FORCE ? WINDOW_FORCED : WINDOW_PLAIN);
    this.seq = (Date.now() & 0x3fffffff) + 1;
  }

  get portId(): number {
    return this.transport.portId;
  }
  get features(): number {
    return this.transport.features;
  }
  /** Datagrams from a sender other than the kernel, dropped unread. */
  get droppedForeign(): number {
    return this.transport.dropped;
  }
  get closed(): boolean {
    return this.transport.isClosed;
  }

  /** Messages that answer no request of ours: multicast notifications. */
  onNotification(handler: ((msg: Message) => void) | undefined): void {
    this.notify = handler;
  }
  /** The kernel dropped messages for this socket (ENOBUFS). */
  onOverrun(handler: (() => void) | undefined): void {
    this.overrun = handler;
  }
  addMembership(group: number): void {
    this.transport.addMembership(group);
  }
  dropMembership(group: number): void {
    this.transport.dropMembership(group);
  }
  setReceiveBuffer(bytes: number): number {
    return this.transport.setReceiveBuffer(bytes);
  }
  /**
   * Counted, like requests in flight: while held, the process stays alive and
   * this connection stays reachable from the socket, for a reader that waits
   * on notifications with nothing else holding it.
   */
  hold(): void {
    this.transport.hold();
  }
  release(): void {
    this.transport.release();
  }

  /** Sends one request and waits for its ack; resolves with any reply messages, decoded. */
  async request<T = never>(
    writer: MessageWriter,
    options: RequestOptions & { decode?: Decoder<T>; describe?: Describe } = {},
  ): Promise<T[]> {
    const [result] = await this.batch(writer, { ...options, stopOnError: true });
    if (result === undefined) throw new Error('request: the writer holds no message');
    if (!result.ok) throw result.error;
    return result.replies;
  }

  /**
   * Sends every message of `source` (a MessageWriter, usually), in as few
   * sendmsg calls as fit, and resolves with one result per message, in order.
   * Kernel rejections are results, not exceptions; a timeout or abort rejects the whole call.
   */
  batch<T = never>(source: MessageSource, options: BatchCallOptions<T> = {}): Promise<BatchResult<T>[]> {
    const count = source.count;
    const results: BatchResult<T>[] = new Array(count);
    if (count === 0) return Promise.resolve(results);
    const bytes = source.view();
    return new Promise((resolve, reject) => {
      // Named only for a timeout or a closed socket: an encoded chunk's message(0) is written again to name it.
      const what = (): string => `${source.message(0).what}${count > 1 ? ` (+${count - 1} more)` : ''}`;
      const call = this.startCall(count, options, what, reject, () => resolve(results));
      // What the send loop reads of the options, copied into the sink: callers' option objects come in many shapes.
      const sink = new BatchSink(results, options.decode as Decoder<unknown> | undefined, options.describe, options.stopOnError === true, options.ackPerSend === true && !options.stopOnError);
      this.sendAll(source, bytes, call, sink).catch((err: unknown) => {
        if (!call.settled) {
          call.settled = true;
          call.cleanup();
          for (let i = 0; i < sink.sent; i++) this.forget(seqOf(source, bytes, i));
          reject(err);
        }
      });
    });
  }

  /**
   * The send loop of batch(): a method, not a closure per call, so every batch
   * runs the same function and its optimized code. As a closure it was
   * optimized again in each new batch's first chunks (--trace-opt), a
   * TurboFan job of 100-300 ms under UML competing with the batch for the CPU.
   */
  private async sendAll<T>(source: MessageSource, bytes: Buffer, call: Call, sink: BatchSink<T>): Promise<void> {
    const count = source.count;
    const { decode, describe, stopOnError, quiet } = sink;
    let index = 0;
    while (index < count && !call.settled) {
      // With stopOnError the next sendmsg waits until every message sent so far
      // is answered: the kernel runs all messages of a sendmsg, whatever fails among them.
      if (stopOnError && index > sink.answered) {
        sink.wanted = index;
        await new Promise<void>((resolve) => (sink.onAnswered = resolve));
        sink.onAnswered = undefined;
        if (call.settled) return;
      }
      if (sink.failed && stopOnError) break;
      await this.window.wait();
      if (call.settled) return;
      // One chunk: as many whole messages as fit the send limit and the window.
      const first = index;
      const from = source.startOf(first);
      let to = from;
      let last: Pending | undefined;
      while (
        index < count &&
        (index === first || (source.startOf(index) + source.lengthOf(index) - from <= MAX_SEND_BYTES && index - first < MAX_SEND_MESSAGES)) &&
        index - first < this.window.room
      ) {
        const start = source.startOf(index);
        const seq = this.nextSeq();
        bytes.writeUInt32LE(seq, start + 8);
        bytes.writeUInt32LE(0, start + 12);
        if (quiet) bytes[start + 6]! &= ~NLM_F_ACK; // the flags' low byte
        last = this.records.take(seq, call, source, index, decode, describe, sink, false, quiet);
        this.pending.add(last);
        this.ackOrder.push(seq);
        to = start + source.lengthOf(index);
        index++;
      }
      if (quiet && last !== undefined) {
        // The send's last message asks for the ack that answers for them all.
        bytes[source.startOf(index - 1) + 6]! |= NLM_F_ACK;
        last.quiet = false;
      }
      this.window.take(index - first);
      sink.sent = index;
      this.counters.sends++;
      this.counters.messages += index - first;
      try {
        this.transport.send(bytes.subarray(from, to), { get what() { return source.message(first).what; } });
      } catch (err) {
        for (let i = first; i < index; i++) this.finish(seqOf(source, bytes, i), err as Error);
        sink.failed = true;
      }
      // The kernel ran these inside the sendmsg: take the acks now rather
      // than after an epoll wait and a loop turn. (A dump's parts are left
      // to the loop, so a long dump can still be interleaved and aborted.)
      this.transport.receiveNow();
      if (stopOnError && sink.failed) break;
    }
    // Whatever was never sent is reported as skipped.
    for (let i = index; i < count; i++) {
      sink.results[i] = { ok: false, skipped: true, error: new Error(`${source.message(i).what}: not sent, an earlier operation failed`) };
      call.remaining--;
    }
    if (call.remaining === 0 && !call.settled) {
      call.settled = true;
      call.cleanup();
      call.resolve();
    }
  }

  /**
   * Runs a dump to its NLMSG_DONE, decoding each part. An interrupted dump is
   * retried; if it stays interrupted, a DumpInterruptedError carries the partial result.
   */
  async dump<T>(writer: MessageWriter, decode: Decoder<T>, options: DumpOptions & { describe?: Describe } = {}): Promise<T[]> {
    const retries = options.retries ?? 3;
    if (writer.count !== 1) throw new Error('dump: the writer must hold exactly one message');
    const message = writer.message(0);
    for (let attempt = 1; ; attempt++) {
      const { replies, interrupted } = await this.dumpOnce<T>(writer, decode, options);
      if (!interrupted) return replies;
      this.counters.dumpRetries++;
      if (attempt > retries) throw new DumpInterruptedError(message.what, attempt, replies);
    }
  }

  private async dumpOnce<T>(
    writer: MessageWriter,
    decode: Decoder<T>,
    options: RequestOptions & { describe?: Describe },
  ): Promise<{ replies: T[]; interrupted: boolean }> {
    await this.dumps.acquire(options.signal);
    const message = writer.message(0);
    const bytes = writer.view();
    const seq = this.nextSeq();
    bytes.writeUInt32LE(seq, message.start + 8);
    return new Promise((resolve, reject) => {
      let interruptedFlag = false;
      let replies: T[] = [];
      let call: Call;
      try {
        call = this.startCall(1, options, () => message.what, reject, () => resolve({ replies, interrupted: interruptedFlag }));
      } catch (err) {
        // Nothing was sent: let the next dump go.
        this.dumps.release();
        throw err;
      }
      this.dumps.running = seq;
      const sink: Sink = new DumpSink(call, reject, (p) => {
        interruptedFlag = p.interrupted;
        replies = (p.replies ?? []) as T[];
      });
      this.pending.add(this.records.take(seq, call, writer, 0, decode as Decoder<unknown>, options.describe, sink, true, false));
      this.window.take(1);
      this.counters.sends++;
      this.counters.messages++;
      try {
        this.transport.send(bytes.subarray(message.start, message.start + message.length), message);
      } catch (err) {
        this.dumps.running = -1;
        this.finish(seq, err as Error);
        this.dumps.release();
      }
    });
  }

  private startCall(count: number, options: RequestOptions, what: () => string, reject: (e: unknown) => void, resolve: () => void): Call {
    if (this.transport.isClosed) throw new SocketClosedError(what());
    const ms = options.timeout ?? this.defaultTimeout;
    const signal = options.signal;
    signal?.throwIfAborted();
    const fail = (err: unknown): void => {
      if (call.settled) return;
      call.settled = true;
      call.cleanup();
      // Replies that still arrive for this call are dropped as late.
      for (const p of this.pending.all()) if (p.call === call) this.forget(p.seq);
      reject(err);
    };
    const onAbort = (): void => fail(signal!.reason);
    let coarse: ReturnType<CoarseTimeouts['add']> | undefined;
    const call: Call = {
      settled: false,
      remaining: count,
      cleanup: () => {
        if (call.timer) clearTimeout(call.timer);
        if (coarse) this.timeouts.remove(coarse);
        signal?.removeEventListener('abort', onAbort);
        this.transport.release();
      },
      resolve,
    };
    // The timer fires in libuv's timer phase, before the poll phase reads the
    // socket: after the event loop was blocked (long synchronous work, a
    // sendmsg waiting for the kernel's rtnl lock), the reply may already be
    // queued. setImmediate runs after that poll, so only a real silence fails.
    const expire = (): void => void setImmediate(() => fail(new TimeoutError(what(), ms)));
    if (ms >= CoarseTimeouts.MIN_MS && Number.isFinite(ms)) coarse = this.timeouts.add(ms, expire);
    else if (ms > 0 && Number.isFinite(ms)) call.timer = setTimeout(expire, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
    this.transport.hold();
    return call;
  }

  private nextSeq(): number {
    this.seq = this.seq >= 0xfffffff0 ? 1 : this.seq + 1;
    return this.seq;
  }

  /** Takes `p` out of the table for good; its record is reused, so nothing may read it afterwards. */
  private remove(p: Pending): void {
    this.pending.delete(p.seq);
    this.window.credit();
    this.records.give(p);
  }

  /** Drops a pending entry without settling its call. */
  private forget(seq: number): void {
    const p = this.pending.get(seq);
    if (p !== undefined) this.remove(p);
  }

  /** Completes one request: records its outcome, and settles its call when it was the last. */
  private finish(seq: number, error?: Error): void {
    const p = this.pending.get(seq);
    if (p === undefined) return;
    p.sink.done(p, error);
    const call = p.call;
    this.remove(p);
    if (call.settled) return;
    if (--call.remaining === 0) {
      call.settled = true;
      call.cleanup();
      call.resolve();
    }
  }

  // TransportHandlers (internal): the transport calls these methods, shared
  // by every connection. Nothing but a DecodeError may leave the receive
  // path: anything else would reach the native callback and end the process.
  /** @internal */
  onDatagram(buf: Buffer, start: number, end: number, truncated: boolean): void {
    this.counters.datagrams++;
    try {
      // (The truncated case's closure lives in its own method: here it would
      // make every call allocate a context for `this`, 40 bytes per ack.)
      if (truncated) this.onTruncated(buf, start, end);
      else walkMessages(buf, start, end, this);
    } catch (err) {
      if (!(err instanceof DecodeError)) throw err;
      // A datagram we cannot walk: fail the request it belongs to, if it is ours.
      const pid = end - start >= NLMSG_HDRLEN ? buf.readUInt32LE(start + 12) : -1;
      if (pid === 0 || pid === this.transport.portId) this.finish(buf.readUInt32LE(start + 8), err);
    }
  }

  private onTruncated(buf: Buffer, start: number, end: number): void {
    forEachMessage(buf, (msg) => this.onMessage(msg, true), start, end);
  }

  /**
   * One message of a whole datagram. A plain ack (NLMSG_ERROR, errno 0) of a
   * request we await finishes it straight from the bytes: a 50k-request batch
   * gets 50k of them, and a Message object each showed in its heap profile.
   */
  /** @internal Called by walkMessages (see onDatagram). */
  onMessageAt(buf: Buffer, at: number, length: number): void {
    if (length >= NLMSG_HDRLEN + 4 && u16le(buf, at + 4) === NLMSG_ERROR && s32le(buf, at + NLMSG_HDRLEN) === 0) {
      const seq = u32le(buf, at + 8);
      const p = this.awaiting(u32le(buf, at + 12), seq);
      if (p !== undefined && seq !== this.dumps.running) {
        this.acked(p, seq);
        return;
      }
    }
    this.onMessage(messageAt(buf, at, length), false);
  }

  /** The request a message from `pid` answers, if it is ours and still awaited. */
  private awaiting(pid: number, seq: number): Pending | undefined {
    return pid === this.transport.portId || pid === 0 ? this.pending.get(seq) : undefined;
  }

  /** An NLMSG_ERROR (ack or error) for `p`: older requests still waiting will get none (see AckOrder). */
  private acked(p: Pending, seq: number, error?: Error): void {
    if (!p.dump) this.failUnacked(seq);
    this.finish(seq, error);
  }

  private onMessage(msg: Message, truncated: boolean): void {
    const p = this.awaiting(msg.pid, msg.seq);
    if (msg.seq === this.dumps.running && (msg.type === NLMSG_DONE || msg.type === NLMSG_ERROR)) {
      this.dumps.running = -1;
      queueMicrotask(() => this.dumps.release());
    }
    if (p === undefined) {
      // Ours but no longer awaited (timed out, aborted): drop it. Anything else is a notification.
      if (msg.pid !== this.transport.portId) this.notifyOne(msg);
      return;
    }
    try {
      this.reply(p, msg, truncated);
    } catch (err) {
      if (!(err instanceof DecodeError)) throw err;
      // A reply we cannot read fails its own request, not the others in the datagram.
      this.finish(msg.seq, err);
    }
  }

  /** A notification that does not decode is as good as lost: say so as an overrun, so a watcher resyncs. */
  private notifyOne(msg: Message): void {
    try {
      this.notify?.(msg);
    } catch (err) {
      if (!(err instanceof DecodeError)) throw err;
      this.overrun?.();
    }
  }

  private reply(p: Pending, msg: Message, truncated: boolean): void {
    if (truncated) {
      this.finish(msg.seq, new NetlinkError({ errno: 90 /* EMSGSIZE */, operation: messageOf(p).what, reason: 'a reply did not fit the receive buffer (MSG_TRUNC)' }));
      return;
    }
    switch (msg.type) {
      case NLMSG_ERROR: {
        if (msg.end - msg.offset < 4) throw new DecodeError(`an error message of ${msg.end - msg.offset} bytes has no error code`);
        const errno = msg.buf.readInt32LE(msg.offset);
        this.acked(p, msg.seq, errno === 0 ? undefined : this.kernelError(p, msg, errno, true));
        return;
      }
      case NLMSG_DONE: {
        if (msg.flags & NLM_F_DUMP_INTR) p.interrupted = true;
        const errno = msg.end - msg.offset >= 4 ? msg.buf.readInt32LE(msg.offset) : 0;
        this.finish(msg.seq, errno < 0 ? this.kernelError(p, msg, errno, false) : undefined);
        return;
      }
      case NLMSG_NOOP:
      case NLMSG_OVERRUN:
        return;
      default: {
        if (msg.flags & NLM_F_DUMP_INTR) p.interrupted = true;
        if (p.decode) {
          const value = p.decode(msg);
          if (value !== undefined) (p.replies ??= []).push(value);
        }
      }
    }
  }

  /**
   * The ack of `seq` overtook older requests: they will never get theirs (see
   * AckOrder). Those sent without NLM_F_ACK succeeded: a failure would have
   * been answered before it.
   */
  private failUnacked(seq: number): void {
    for (let older = this.ackOrder.nextOlder(seq); older !== -1; older = this.ackOrder.nextOlder(seq)) {
      const p = this.pending.get(older);
      if (p === undefined) continue;
      if (p.quiet) {
        this.finish(older);
        continue;
      }
      this.finish(older, new NetlinkError({
        errno: 4, // EINTR
        operation: messageOf(p).what,
        reason: 'no acknowledgement, though a later request got one: the kernel sends none when an operation returns EINTR (or the ack was lost to a full receive buffer); it may have taken effect',
      }));
    }
  }

  /** Builds the NetlinkError for an NLMSG_ERROR / NLMSG_DONE, with extack and the field it points at. */
  private kernelError(p: Pending, msg: Message, errno: number, isAck: boolean): NetlinkError {
    return kernelError(msg, errno, isAck, messageOf(p), p.describe?.(-Math.abs(errno), messageOf(p).what, p.index));
  }

  /** @internal */
  onBatchEnd(): void {
    this.counters.crossings++;
  }

  /** @internal */
  onSocketError(errno: number): void {
    // ENOBUFS: the kernel dropped messages meant for us. Acks may be among
    // them, so waiting requests fail now rather than hang. A running dump is
    // not affected: the kernel pauses a dump while the buffer is full and
    // resumes it as we read, so its parts and its NLMSG_DONE still arrive.
    if (this.overrun) this.overrun();
    for (const p of this.pending.all()) {
      if (p.seq === this.dumps.running && errno === 105) continue;
      this.finish(p.seq, new NetlinkError({ errno, operation: messageOf(p).what, syscall: 'recvmsg', reason: errno === 105 ? 'the receive buffer overran and the kernel dropped replies (ENOBUFS)' : undefined }));
    }
  }

  /** Closes the socket; waiting requests fail with SocketClosedError. */
  close(): void {
    if (this.transport.isClosed) return;
    for (const p of this.pending.all()) {
      this.finish(p.seq, new SocketClosedError(messageOf(p).what));
    }
    this.window.wakeAll();
    this.ackOrder.clear();
    this.transport.close();
    // Queued dumps wake up and fail on the closed socket.
    this.dumps.releaseAll();
  }
}
