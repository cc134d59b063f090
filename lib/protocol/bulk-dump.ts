// Many dump requests in one native call: a DumpChannel sends them one after
// another on its own thread and lands every reply in one buffer, which is
// then walked here. For listings that take one dump per object (IPVS GET_DEST
// names one service): through Connection.dump, each of 10k dumps cost a
// promise, an event-loop turn and about five syscalls; here the thread makes
// the 2-3 syscalls a dump needs and JS only decodes.
import { DumpChannel, DATAGRAM_ROOM, REPLY_HEADER, isOutOfRoom } from '../transport/dump-channel.js';
import { NLMSG_DONE, NLMSG_ERROR, NLMSG_HDRLEN } from '../uapi/netlink.js';
import { s32le, u16le, u32le } from '../codec/bytes.js';
import { walkMessages, type Message, type MessageVisitor } from './message.js';
import { NetlinkError, TimeoutError } from './errors.js';
import type { RequestOptions } from './connection.js';

/** What a bulk dump hands back, request by request. */
export interface BulkDumpHandler {
  /** A reply message (not NLMSG_DONE / NLMSG_ERROR) to request `index`; `msg` is refilled for the next reply, so keep what it holds, not it. */
  message(index: number, msg: Message): void;
  /** The kernel ended request `index` with an error. */
  error(index: number, errno: number): void;
}

// Requests per native call: the replies of one chunk must fit the buffer, and
// a chunk that does not fit is run again with a larger one.
const CHUNK = 512;
const INITIAL_REPLIES = 1 << 20;

/**
 * Hands a chunk's replies to the handler. The message is one object, filled
 * again for each reply: a snapshot walks 50k of them, and an object per reply
 * was a tenth of its decoding under UML.
 */
class ReplyWalk implements MessageVisitor {
  private readonly msg: Message = { type: 0, flags: 0, seq: 0, pid: 0, buf: Buffer.alloc(0), offset: 0, end: 0 };
  private handler?: BulkDumpHandler;
  private first = 0;
  private to = 0;
  private base = 0;

  /** Requests [first, to) went with sequence numbers from `base`. */
  chunk(handler: BulkDumpHandler, first: number, to: number, base: number): void {
    this.handler = handler;
    this.first = first;
    this.to = to;
    this.base = base;
  }

  onMessageAt(buf: Buffer, at: number, length: number): void {
    const msg = this.msg;
    msg.buf = buf;
    msg.type = u16le(buf, at + 4);
    msg.flags = u16le(buf, at + 6);
    msg.seq = u32le(buf, at + 8);
    msg.pid = u32le(buf, at + 12);
    msg.offset = at + NLMSG_HDRLEN;
    msg.end = at + length;
    const index = this.first + msg.seq - this.base;
    if (index < this.first || index >= this.to) return;
    if (msg.type === NLMSG_ERROR || msg.type === NLMSG_DONE) {
      const errno = length - NLMSG_HDRLEN >= 4 ? s32le(buf, msg.offset) : 0;
      if (errno < 0) this.handler!.error(index, errno);
    } else {
      this.handler!.message(index, msg);
    }
  }
}

export class BulkDump {
  private channel?: DumpChannel;
  private replies = Buffer.allocUnsafe(INITIAL_REPLIES);
  private seq = 1;
  /** Calls run one after another: one channel, one exchange at a time. */
  private queue: Promise<unknown> = Promise.resolve();

  /**
   * @param open opens the channel (a socket of the right protocol and namespace), on first use
   * @param timeout the milliseconds the channel waits for each reply (set when it is opened)
   */
  constructor(
    private readonly open: () => DumpChannel,
    private readonly timeout: number,
  ) {}

  /**
   * Runs every message in `requests` (netlink messages back to back, as a
   * MessageWriter leaves them) as a dump; replies arrive in request order.
   * `describe(i)` says what request i does, for an error's text only.
   */
  run(requests: Buffer, describe: (index: number) => string, handler: BulkDumpHandler, options: RequestOptions = {}): Promise<void> {
    const done = this.queue.then(() => this.runNow(requests, describe, handler, options));
    this.queue = done.catch(() => undefined);
    return done;
  }

  private async runNow(requests: Buffer, describe: (index: number) => string, handler: BulkDumpHandler, options: RequestOptions): Promise<void> {
    options.signal?.throwIfAborted();
    const walk = new ReplyWalk();
    let at = 0;
    let from = 0;
    while (at < requests.length) {
      // Number the next chunk's requests, walking them by their own lengths.
      const start = at;
      const base = this.seq;
      let to = from;
      while (at < requests.length && to - from < CHUNK) {
        const length = requests.readUInt32LE(at);
        if (length < NLMSG_HDRLEN || at + length > requests.length) throw new Error(`BulkDump: request ${to} at byte ${at} has length ${length}`);
        requests.writeUInt32LE(base + to - from, at + 8);
        at += (length + 3) & ~3;
        to++;
      }
      this.seq = (this.seq + (to - from)) % 0x7fffffff || 1;
      const got = await this.exchange(requests, start, at - start, describe(from), options);
      walk.chunk(handler, from, to, base);
      walkMessages(this.replies, REPLY_HEADER, got, walk);
      from = to;
    }
  }

  /** One chunk on the channel's thread; grows the replies buffer until they fit. Resolves with the replies' end. */
  private async exchange(requests: Buffer, offset: number, length: number, what: string, options: RequestOptions): Promise<number> {
    for (;;) {
      const channel = (this.channel ??= this.open());
      channel.setBuffers(requests, this.replies);
      const result = await new Promise<number>((resolve, reject) => {
        const signal = options.signal;
        const onAbort = (): void => {
          // The thread cannot be interrupted mid-dump: closing the socket ends it, and the next call opens another.
          this.channel = undefined;
          channel.close();
          reject(signal!.reason);
        };
        const rc = channel.start(offset, length, (r) => {
          signal?.removeEventListener('abort', onAbort);
          resolve(r);
        });
        if (rc < 0) resolve(rc);
        else signal?.addEventListener('abort', onAbort, { once: true });
      });
      options.signal?.throwIfAborted();
      if (isOutOfRoom(result)) {
        this.replies = Buffer.allocUnsafe(this.replies.length * 2 + DATAGRAM_ROOM);
        continue;
      }
      // (Replies a failed exchange left queued are drained by the channel before its next one.)
      if (result === -110 /* ETIMEDOUT */) throw new TimeoutError(what, this.timeout);
      if (result < 0) throw new NetlinkError({ errno: result, operation: what, syscall: 'recvmsg' });
      return result;
    }
  }

  close(): void {
    if (this.channel === undefined) return;
    this.channel.close();
    this.channel = undefined;
  }
}
