// StatsReader: IPVS service and destination counters and link stats64, polled
// into preallocated typed arrays with a stable slot per service, destination
// and link, and no JS allocation per poll once warm.
//
// Why it looks like this. The ordinary path (Connection.dump + decoders)
// makes a Buffer per batch of datagrams, a Message per message, an AttrTable
// per attribute run and a bigint per counter: ~40 objects per destination.
// Here instead:
//  - Each reader has its own netlink sockets (native/stats.cc, DumpChannel):
//    one generic (IPVS), one rtnetlink (links). The requests are built once
//    into a buffer we own and only their sequence numbers are patched per
//    poll; replies land, datagram after datagram, in a replies buffer we own.
//    Crossing into native code passes two small integers each way.
//  - JS then walks the replies with typed-array reads (raw.ts). A counter is
//    copied as two u32 words into a Uint32Array view of the BigUint64Array the
//    consumer reads, and its per-second change is computed from the words in
//    double arithmetic (exact below 2^53), so no bigint is ever made.
//  - Slots are found through an open-addressing hash of a few identity words
//    (slots.ts). Only a new service or destination costs objects: its labels
//    are decoded once with the family's own decoders, and a new service gets
//    its GET_DEST request built once.
//  - The kernel work (1 + N dumps, N = services, since GET_DEST names one
//    service) runs on the channel's own thread in poll(), so the event loop
//    only does the parsing; pollSync() runs it inline. Measured in UML (6.1,
//    one slow CPU; test/uml/stats-reader-scale.test.ts prints it) with 1000
//    services × 4 destinations: 50-70 ms a poll, of which ~5 ms parsing and
//    the rest the 1001 dumps in the kernel. Both grow linearly (~0.5-0.7 s
//    and ~50 ms at 10k × 4 in UML), so poll() keeps the event loop free for
//    all but the parsing.
//  - Allocation once warm: pollSync() none. poll(callback) none of its own;
//    Node itself makes ~56 bytes each time native code calls into JS from the
//    event loop (three times a poll), whatever the number of services.
import { Connection, type RequestOptions } from '../protocol/connection.js';
import { NetlinkError, DecodeError, ValidationError, SocketClosedError } from '../protocol/errors.js';
import { resolveFamily } from '../families/genl.js';
import { IPVS_GENL_NAME } from '../uapi/ip_vs.js';
import { NETLINK_GENERIC, NETLINK_ROUTE } from '../uapi/netlink.js';
import { DumpChannel, DATAGRAM_ROOM, REPLY_HEADER, isOutOfRoom } from '../transport/dump-channel.js';
import { ReplyBuffer, RequestBuffer } from './raw.js';
import type { ServiceSlots, DestinationSlots } from './ipvs-slots.js';
import { IpvsExchange } from './ipvs-exchange.js';
import { LinkSlots, type LinkSelector } from './link-slots.js';

export interface StatsReaderOptions extends RequestOptions {
  /** Namespace name or path; default: the caller's. */
  netns?: string;
  /** Links whose stats64 are read, by name or ifindex. Default: none. */
  links?: readonly LinkSelector[];
  /** Read IPVS services and destinations (default true). Without IPVS in the kernel the reader reads links only. */
  ipvs?: boolean;
  /** Initial service slots (the arrays grow when more appear). Default 64. */
  services?: number;
  /** Initial destination slots. Default 256. */
  destinations?: number;
}

/** What a poll did; the reader returns the same object every time, updated in place. */
export interface PollResult {
  /** Live services, destinations, and links read. */
  readonly services: number;
  readonly destinations: number;
  readonly links: number;
  /** Seconds between this poll's IPVS sample (links' without IPVS) and the previous one (0 on the first). */
  readonly elapsed: number;
  /** Something was added or removed: see services.table.added/removed and destinations.table.added/removed. */
  readonly changed: boolean;
  /** Some array was replaced by a larger one: re-read the array properties. */
  readonly grew: boolean;
  /** A dump was interrupted by concurrent changes (NLM_F_DUMP_INTR): nothing was removed this time. */
  readonly interrupted: boolean;
  /** Polls completed. */
  readonly polls: number;
  /** Seconds the kernel exchanges of this poll took (sending requests, receiving replies), parsing excluded. */
  readonly kernelTime: number;
}

/**
 * The reader's PollResult. Times stay in the reader's typed arrays, as whole
 * microseconds, and become seconds in getters: a double stored into an
 * object field by code not yet optimized would be an allocation per poll.
 */
class PollOutcome implements PollResult {
  services = 0;
  destinations = 0;
  links = 0;
  changed = false;
  grew = false;
  interrupted = false;
  polls = 0;

  constructor(
    private readonly elapsedUs: Float64Array,
    private readonly phase: number,
    private readonly kernelUs: Int32Array,
  ) {}

  get elapsed(): number {
    return this.elapsedUs[this.phase]! / 1e6;
  }
  get kernelTime(): number {
    return this.kernelUs[0]! / 1e6;
  }
}

export type PollCallback = (error: Error | null, result: PollResult) => void;

const DEFAULT_TIMEOUT = 5000;
const SEQ_WRAP = 0x3fffffff; // keeps sequence numbers small integers (no boxing)
// Phases of a poll.
const LINKS = 0;
const SERVICES = 1;
const DESTINATIONS = 2;

function capacityOption(value: number | undefined, fallback: number, field: string): number {
  if (value === undefined) return fallback;
  if (!Number.isInteger(value) || value < 1 || value > 1 << 24) throw new ValidationError(field, `a slot count from 1 to 16777216, got ${String(value)}`);
  return value;
}

export class StatsReader {
  /** IPVS services; undefined when IPVS is not read. */
  readonly services?: ServiceSlots;
  readonly destinations?: DestinationSlots;
  readonly links: LinkSlots;
  /** Updated in place by every poll. */
  readonly result: PollResult;
  private readonly outcome: PollOutcome;

  private readonly ipvsExchange?: IpvsExchange;
  private readonly linkChannel?: DumpChannel;
  private readonly linkRequests: RequestBuffer;
  private readonly linkReplies: ReplyBuffer;
  private readonly rtnl?: Connection;
  private seq = 1;
  private readonly seqBase = new Int32Array(3);
  private preparedBytes = 0;
  private preparedCount = 0;
  /** Slots of both tables when the poll began: a change means the arrays were replaced. */
  private capacity = 0;
  /** Previous sample times of links, services, destinations (CLOCK_MONOTONIC seconds, microseconds). */
  private readonly clock = new Int32Array(6);
  /** Microseconds between the last two samples of links, services, destinations. */
  private readonly elapsedUs = new Float64Array(3);
  /** Microseconds the current poll's exchanges took. */
  private readonly kernelUs = new Int32Array(1);
  // Poll state (async polls run phases on the channels' threads).
  private running = false;
  private outstanding = 0;
  private failure: Error | null = null;
  private delivered = true;
  private waiters: Array<PollCallback | undefined> = [];
  private waiterCount = 0;
  private closed = false;
  private readonly onLinks = (rc: number): void => this.phaseDone(LINKS, rc);
  private readonly onServices = (rc: number): void => this.phaseDone(SERVICES, rc);
  private readonly onDestinations = (rc: number): void => this.phaseDone(DESTINATIONS, rc);
  private readonly finishLater = (): void => this.finish();

  private constructor(
    readonly netns: string | undefined,
    private readonly familyId: number | undefined,
    links: readonly LinkSelector[],
    options: StatsReaderOptions,
  ) {
    const timeout = options.timeout ?? DEFAULT_TIMEOUT;
    this.links = new LinkSlots(links);
    this.linkRequests = new RequestBuffer(Math.max(64, LinkSlots.requestBytes(links.length)));
    this.linkReplies = new ReplyBuffer(REPLY_HEADER + DATAGRAM_ROOM + links.length * 512);
    try {
      if (familyId !== undefined) {
        this.ipvsExchange = new IpvsExchange(
          netns, familyId, timeout, capacityOption(options.services, 64, 'services'), capacityOption(options.destinations, 256, 'destinations'),
        );
        this.services = this.ipvsExchange.services;
        this.destinations = this.ipvsExchange.destinations;
      }
      if (links.length > 0) {
        this.rtnl = new Connection(NETLINK_ROUTE, { netns, receiveBuffer: 1 << 20 });
        this.linkChannel = new DumpChannel(NETLINK_ROUTE, { netns, timeout }, 'open the stats reader (links)');
        this.linkChannel.setBuffers(this.linkRequests.u8, this.linkReplies.u8);
      }
    } catch (err) {
      this.close();
      throw err;
    }
    this.outcome = new PollOutcome(this.elapsedUs, this.ipvsExchange !== undefined ? SERVICES : LINKS, this.kernelUs);
    this.result = this.outcome;
  }

  /**
   * Opens a reader: finds the IPVS family (when wanted) and the links, and
   * opens the reader's sockets. Polls then read into the slot arrays.
   */
  static async open(options: StatsReaderOptions = {}): Promise<StatsReader> {
    const links = options.links ?? [];
    if (!Array.isArray(links)) throw new ValidationError('links', 'an array of link names or ifindexes');
    capacityOption(options.services, 64, 'services');
    capacityOption(options.destinations, 256, 'destinations');
    let familyId: number | undefined;
    if (options.ipvs !== false) {
      const genl = new Connection(NETLINK_GENERIC, { netns: options.netns, receiveBuffer: 1 << 20 });
      try {
        familyId = (await resolveFamily(genl, IPVS_GENL_NAME, options))?.id;
      } finally {
        genl.close();
      }
    }
    const reader = new StatsReader(options.netns, familyId, links, options);
    try {
      if (links.length > 0) await reader.resolveLinks(options);
    } catch (err) {
      reader.close();
      throw err;
    }
    return reader;
  }

  /** True when the kernel has IPVS and the reader reads it. */
  get ipvs(): boolean {
    return this.familyId !== undefined;
  }

  /** Looks the links up again (after one was deleted and made anew, or renamed). */
  async resolveLinks(options: RequestOptions = {}): Promise<void> {
    if (this.rtnl === undefined) return;
    if (this.running) throw new Error('resolveLinks: a poll is running');
    await this.links.resolve(this.rtnl, this.linkRequests, options);
  }

  /**
   * Polls inline: the kernel work runs on the calling thread (blocking the
   * event loop for its duration). Allocates nothing once warm.
   */
  pollSync(): PollResult {
    if (this.closed) throw new SocketClosedError('poll statistics');
    if (this.running) throw new Error('pollSync: an asynchronous poll is running');
    this.begin();
    if (this.linkChannel !== undefined) this.runSync(LINKS);
    if (this.ipvsExchange !== undefined && this.failure === null) {
      this.runSync(SERVICES);
      if (this.failure === null) this.runSync(DESTINATIONS);
    }
    const failure = this.failure;
    this.end();
    if (failure !== null) throw failure;
    return this.result;
  }

  /**
   * Polls with the kernel work on the reader's own threads; only the parsing
   * runs on the event loop. With a callback, allocates nothing once warm
   * (pass the same function every time); without, returns a promise.
   * Calls made while a poll runs share its outcome.
   */
  poll(): Promise<PollResult>;
  poll(done: PollCallback): void;
  poll(done?: PollCallback): Promise<PollResult> | void {
    // No closure may be made in this function: one capturing `this` would
    // cost a context allocation on every call, taken branch or not.
    if (done === undefined) return this.pollPromise();
    this.waiters[this.waiterCount++] = done;
    if (this.running) return;
    if (this.closed) {
      this.failure = new SocketClosedError('poll statistics');
      this.deliver();
      return;
    }
    this.running = true;
    this.begin();
    if (this.linkChannel !== undefined) this.startPhase(LINKS);
    if (this.ipvsExchange !== undefined) this.startPhase(SERVICES);
    // Nothing to read: finish on a later tick, as if work had been done.
    if (this.outstanding === 0) setImmediate(this.finishLater);
  }

  private pollPromise(): Promise<PollResult> {
    return new Promise((resolve, reject) => this.poll((err, result) => (err ? reject(err) : resolve(result))));
  }

  private begin(): void {
    this.failure = null;
    this.kernelUs[0] = 0;
    this.outcome.interrupted = false;
    this.outcome.grew = false;
    this.capacity = this.slotCapacity();
    this.services?.table.begin(this.delivered);
    this.destinations?.table.begin(this.delivered);
  }

  private runSync(phase: number): void {
    for (;;) {
      const channel = phase === LINKS ? this.linkChannel! : this.ipvsExchange!.channel;
      const offset = this.prepare(phase);
      const rc = channel.exchangeSync(offset, this.preparedBytes);
      if (!this.absorb(phase, rc)) return;
    }
  }

  private startPhase(phase: number): void {
    const channel = phase === LINKS ? this.linkChannel! : this.ipvsExchange!.channel;
    const done = phase === LINKS ? this.onLinks : phase === SERVICES ? this.onServices : this.onDestinations;
    const offset = this.prepare(phase);
    const rc = channel.start(offset, this.preparedBytes, done);
    if (rc < 0) {
      this.fail(phase, rc);
      return;
    }
    this.outstanding++;
  }

  private phaseDone(phase: number, rc: number): void {
    this.outstanding--;
    if (this.closed) this.failure ??= new SocketClosedError('poll statistics');
    else if (this.absorb(phase, rc)) this.startPhase(phase);
    else if (phase === SERVICES && this.failure === null) this.startPhase(DESTINATIONS);
    if (this.outstanding === 0) this.finish();
  }

  /** Numbers the requests of a phase; returns their byte offset (and sets preparedBytes). */
  private prepare(phase: number): number {
    const seq = this.seq;
    this.seqBase[phase] = seq;
    let offset = 0;
    if (phase === LINKS) {
      this.preparedBytes = this.links.number(this.linkRequests, seq);
      this.preparedCount = this.links.count;
    } else {
      const x = this.ipvsExchange!;
      offset = phase === SERVICES ? x.prepareServices(seq) : x.prepareDestinations(seq);
      this.preparedBytes = x.preparedBytes;
      this.preparedCount = x.preparedCount;
    }
    this.seq += this.preparedCount;
    if (this.seq > SEQ_WRAP) this.seq = 1;
    return offset;
  }

  /**
   * Takes in the outcome of one exchange. Returns true when the phase must run
   * again (the replies did not fit and the buffer grew).
   */
  private absorb(phase: number, rc: number): boolean {
    if (rc < 0) {
      if (phase !== LINKS && isOutOfRoom(rc)) {
        this.ipvsExchange!.growReplies();
        return true;
      }
      this.fail(phase, rc);
      return false;
    }
    try {
      if (phase === LINKS) {
        this.measure(LINKS, this.linkReplies);
        this.links.read(this.linkReplies, rc, REPLY_HEADER, this.seqBase[LINKS]!);
      } else {
        const x = this.ipvsExchange!;
        this.measure(phase, x.replies);
        const interrupted = phase === SERVICES ? x.readServices(rc) : x.readDestinations(rc, this.seqBase[DESTINATIONS]!);
        if (interrupted) this.outcome.interrupted = true;
      }
    } catch (err) {
      this.failure ??= err instanceof Error ? err : new DecodeError(String(err));
      if (phase === SERVICES) this.services!.table.keepAll();
    }
    return false;
  }

  /**
   * Sets r.elapsedUs to the microseconds since the previous sample of
   * `phase`, remembers this one, and adds the exchange's duration to the
   * poll's kernel time. Integers only: this runs a few times a poll, too
   * rarely to be optimized soon, and unoptimized code boxes every double.
   */
  private measure(phase: number, r: ReplyBuffer): void {
    const clock = this.clock;
    const sec = r.clock(0);
    const usec = r.clock(1);
    const had = clock[phase * 2]! !== 0 || clock[phase * 2 + 1]! !== 0;
    const elapsed = had ? (sec - clock[phase * 2]!) * 1_000_000 + (usec - clock[phase * 2 + 1]!) : 0;
    clock[phase * 2] = sec;
    clock[phase * 2 + 1] = usec;
    this.elapsedUs[phase] = elapsed;
    r.elapsedUs[0] = elapsed;
    this.kernelUs[0] = this.kernelUs[0]! + (r.clock(2) - sec) * 1_000_000 + (r.clock(3) - usec);
  }

  private fail(phase: number, rc: number): void {
    const what = phase === LINKS ? 'read link counters' : phase === SERVICES ? 'list IPVS services' : 'list IPVS destinations';
    this.failure ??= new NetlinkError({ errno: rc, operation: what, syscall: 'recvmsg' });
    if (phase === SERVICES) this.services!.table.keepAll();
  }

  private finish(): void {
    this.end();
    this.running = false;
    this.deliver();
  }

  private slotCapacity(): number {
    return (this.services?.table.capacity ?? 0) + (this.destinations?.table.capacity ?? 0);
  }

  /** Closes the books of a poll (counts, change flags). */
  private end(): void {
    const r = this.outcome;
    const failed = this.failure !== null;
    if (failed && this.destinations !== undefined) this.destinations.table.keepAll();
    r.services = this.services?.table.count ?? 0;
    r.destinations = this.destinations?.table.count ?? 0;
    let present = 0;
    for (let i = 0; i < this.links.count; i++) present += this.links.present[i]!;
    r.links = present;
    r.grew = this.slotCapacity() !== this.capacity;
    const s = this.services?.table;
    const d = this.destinations?.table;
    r.changed = (s !== undefined && s.addedCount + s.removedCount > 0) || (d !== undefined && d.addedCount + d.removedCount > 0);
    // Changes of a failed poll are reported by the next good one.
    this.delivered = !failed;
    if (!failed) r.polls++;
  }

  private deliver(): void {
    const error = this.failure;
    const n = this.waiterCount;
    this.waiterCount = 0;
    for (let i = 0; i < n; i++) {
      const done = this.waiters[i]!;
      this.waiters[i] = undefined;
      done(error, this.result);
    }
  }

  /** Closes the sockets; a poll still running fails with SocketClosedError. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.rtnl?.close();
    this.ipvsExchange?.close();
    this.linkChannel?.close();
  }

  [Symbol.dispose](): void {
    this.close();
  }
}
