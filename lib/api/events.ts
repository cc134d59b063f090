// rtnl.watch(): kernel change notifications as an async iterator, through the
// rtnetlink multicast groups, on a socket of its own. When the receive buffer
// overruns (ENOBUFS) the stream says so with an `overrun` event and, with
// resync on, re-dumps what it watches and yields the difference, so the
// consumer's view equals the kernel's again. It never ends silently.
import { Connection, type ConnectionOptions } from '../protocol/connection.js';
import { needHeader, type Message } from '../protocol/message.js';
import { NETLINK_ROUTE } from '../uapi/netlink.js';
import {
  RTM_NEWLINK, RTM_DELLINK, RTM_NEWADDR, RTM_DELADDR, RTM_NEWROUTE, RTM_DELROUTE, RTM_NEWNEIGH, RTM_DELNEIGH,
  RTM_GETNEIGH, RTNLGRP_LINK, RTNLGRP_NEIGH, RTNLGRP_IPV4_IFADDR, RTNLGRP_IPV6_IFADDR, RTNLGRP_IPV4_ROUTE,
  RTNLGRP_IPV6_ROUTE,
} from '../uapi/rtnetlink.js';
import { AF_BRIDGE } from '../uapi/linux.js';
import { NDA_DST, NDA_LLADDR } from '../uapi/neighbour.js';
import { NDMSG_LEN } from '../uapi/rtnetlink.js';
import { AttrTable } from '../codec/reader.js';
import { bytesToIp, bytesToMac } from '../codec/address.js';
import { buildLinkDump, decodeLink, type Link } from '../families/link/link.js';
import { buildAddressDump, decodeAddress, type Address } from '../families/addr.js';
import { buildRouteDump, decodeRoute, type Route } from '../families/route.js';
import { buildNeighbourDump, decodeNeighbour, type Neighbour } from '../families/neigh.js';
import { buildFdbDump, decodeFdb, type FdbEntry } from '../families/fdb.js';
import type { MessageWriter } from '../codec/writer.js';

export type WatchTopic = 'link' | 'address' | 'route' | 'neighbour' | 'fdb';

export type Change<K extends string, T> = { type: K; action: 'new' | 'del'; value: T; /** Produced by a resync rather than a notification. */ resync?: boolean };

export type RtnlEvent =
  | Change<'link', Link>
  | Change<'address', Address>
  | Change<'route', Route>
  | Change<'neighbour', Neighbour>
  | Change<'fdb', FdbEntry>
  /** A vxlan device with l2miss/l3miss asks who has this MAC (l2) or IP (l3). */
  | { type: 'miss'; kind: 'l2' | 'l3'; ifindex: number; mac?: string; ip?: string }
  /** The kernel dropped notifications for us (ENOBUFS). With resync, differences follow, then `resynced`. */
  | { type: 'overrun' }
  | { type: 'resynced'; changes: number };

export interface WatchOptions extends ConnectionOptions {
  /** What to watch. Default: every topic. */
  topics?: WatchTopic[];
  /** After an overrun, re-dump and yield the differences (default true). Costs one dump per topic at start. */
  resync?: boolean;
  /** Yield the current state as `new` events first (default false). */
  initial?: boolean;
  /** Events held for a slow consumer before it counts as an overrun (default 100 000). */
  highWaterMark?: number;
  signal?: AbortSignal;
}

type Decoded = Exclude<RtnlEvent, { type: 'overrun' } | { type: 'resynced' }>;

const GROUPS: Record<WatchTopic, number[]> = {
  link: [RTNLGRP_LINK],
  address: [RTNLGRP_IPV4_IFADDR, RTNLGRP_IPV6_IFADDR],
  route: [RTNLGRP_IPV4_ROUTE, RTNLGRP_IPV6_ROUTE],
  neighbour: [RTNLGRP_NEIGH],
  fdb: [RTNLGRP_NEIGH],
};

/** Identity of an object within its topic: what the kernel itself keys it by. */
const KEYS: { [K in WatchTopic]: (v: never) => string } = {
  link: (l: Link) => `${l.index}`,
  address: (a: Address) => `${a.ifindex}|${a.address}/${a.prefix}|${a.peer ?? ''}`,
  route: (r: Route) => `${r.family}|${r.table}|${r.dst}|${r.from ?? ''}|${r.metric ?? 0}|${r.type}`,
  neighbour: (n: Neighbour) => `${n.ifindex}|${n.dst}|${n.proxy}`,
  fdb: (f: FdbEntry) => `${f.ifindex}|${f.mac}|${f.vlan ?? ''}|${f.dst ?? ''}|${f.vni ?? ''}|${f.self}|${f.master}`,
};

function dumpsFor(topic: WatchTopic): MessageWriter[] {
  switch (topic) {
    case 'link':
      return [buildLinkDump({})];
    case 'address':
      return [buildAddressDump(undefined, undefined)];
    case 'route':
      return [buildRouteDump({}, undefined)];
    case 'neighbour':
      return [buildNeighbourDump({}), buildNeighbourDump({ proxy: true })];
    case 'fdb':
      return [buildFdbDump()];
  }
}

/** Turns one notification into an event, or undefined when it is none of ours. */
export function decodeEvent(msg: Message, topics: ReadonlySet<WatchTopic>): Decoded | undefined {
  const action = (t: number): 'new' | 'del' => (t === RTM_DELLINK || t === RTM_DELADDR || t === RTM_DELROUTE || t === RTM_DELNEIGH ? 'del' : 'new');
  switch (msg.type) {
    case RTM_NEWLINK:
    case RTM_DELLINK:
      // Bridge port notifications (AF_BRIDGE) repeat the link; the link topic takes the plain ones.
      if (!topics.has('link') || msg.buf[msg.offset] === AF_BRIDGE) return undefined;
      return { type: 'link', action: action(msg.type), value: decodeLink(msg) };
    case RTM_NEWADDR:
    case RTM_DELADDR: {
      const a = topics.has('address') ? decodeAddress(msg) : undefined;
      return a && { type: 'address', action: action(msg.type), value: a };
    }
    case RTM_NEWROUTE:
    case RTM_DELROUTE: {
      const r = topics.has('route') ? decodeRoute(msg) : undefined;
      return r && { type: 'route', action: action(msg.type), value: r };
    }
    case RTM_NEWNEIGH:
    case RTM_DELNEIGH: {
      if (msg.buf[msg.offset] === AF_BRIDGE) {
        const f = topics.has('fdb') ? decodeFdb(msg) : undefined;
        return f && { type: 'fdb', action: action(msg.type), value: f };
      }
      const n = topics.has('neighbour') ? decodeNeighbour(msg) : undefined;
      return n && { type: 'neighbour', action: action(msg.type), value: n };
    }
    case RTM_GETNEIGH: {
      // vxlan_fdb_miss / vxlan_ip_miss: a question, not a change. The family
      // byte does not tell them apart (6.18 sends l2 misses as AF_INET): an
      // l3 miss names an IP (NDA_DST), an l2 miss only a MAC (NDA_LLADDR).
      needHeader(msg, NDMSG_LEN, 'a neighbour miss');
      const t = new AttrTable(msg.buf, msg.offset + NDMSG_LEN, msg.end);
      const ifindex = msg.buf.readInt32LE(msg.offset + 4);
      const dst = t.bytes(NDA_DST);
      if (dst) return { type: 'miss', kind: 'l3', ifindex, ip: bytesToIp(dst) };
      const mac = t.bytes(NDA_LLADDR);
      return { type: 'miss', kind: 'l2', ifindex, ...(mac ? { mac: bytesToMac(mac) } : {}) };
    }
    default:
      return undefined;
  }
}

/**
 * An async iterator of kernel changes. Obtain it with `rtnl.watch()`; end it
 * with `break`, `return()`, `close()` or the AbortSignal.
 */
export class EventStream implements AsyncIterableIterator<RtnlEvent> {
  private readonly conn: Connection;
  private readonly topics: Set<WatchTopic>;
  private readonly resyncOn: boolean;
  private readonly highWater: number;
  private queue: RtnlEvent[] = [];
  private head = 0;
  private waiter?: { resolve: (r: IteratorResult<RtnlEvent>) => void; reject: (e: unknown) => void };
  private failure?: unknown;
  private ended = false;
  /** Last known state per topic, keyed by identity: the consumer's view. */
  private readonly state = new Map<WatchTopic, Map<string, unknown>>();
  private resyncing?: Promise<void>;
  private overrunPending = false;
  /** Notifications that arrive while a dump runs are applied after it. */
  private held: Decoded[] | undefined;
  private readonly ready: Promise<void>;
  private readonly onAbort = (): void => this.close();

  constructor(options: ConnectionOptions & WatchOptions, private readonly signal?: AbortSignal) {
    this.topics = new Set(options.topics ?? ['link', 'address', 'route', 'neighbour', 'fdb']);
    this.resyncOn = options.resync ?? true;
    this.highWater = options.highWaterMark ?? 100_000;
    this.conn = new Connection(NETLINK_ROUTE, { ...options, receiveBuffer: options.receiveBuffer ?? 4 << 20 });
    const groups = new Set([...this.topics].flatMap((t) => GROUPS[t]));
    for (const g of groups) this.conn.addMembership(g);
    this.conn.onNotification((msg) => this.onMessage(msg));
    this.conn.onOverrun(() => this.onOverrun());
    signal?.addEventListener('abort', this.onAbort, { once: true });
    // Subscribe first, then take the baseline, so nothing falls between.
    this.ready = this.resyncOn || options.initial ? this.baseline(options.initial ?? false) : Promise.resolve();
    this.ready.catch((err: unknown) => this.fail(err));
    if (signal?.aborted) this.close();
  }

  private async dumpAll(): Promise<Map<WatchTopic, Map<string, unknown>>> {
    const fresh = new Map<WatchTopic, Map<string, unknown>>();
    for (const topic of this.topics) {
      const m = new Map<string, unknown>();
      for (const w of dumpsFor(topic)) {
        const values = await this.conn.dump(w, (msg) => {
          const e = decodeEvent(msg, new Set([topic]));
          return e !== undefined && 'value' in e ? e.value : undefined;
        });
        for (const v of values) m.set(KEYS[topic](v as never), v);
      }
      fresh.set(topic, m);
    }
    return fresh;
  }

  /** dumpAll(), again after an overrun that failed it. */
  private async dumpAllRetrying(): Promise<Map<WatchTopic, Map<string, unknown>>> {
    for (;;) {
      this.held = [];
      try {
        return await this.dumpAll();
      } catch (err) {
        if ((err as { code?: string }).code === 'ENOBUFS' && !this.ended) continue;
        throw err;
      }
    }
  }

  private async baseline(yieldInitial: boolean): Promise<void> {
    const fresh = await this.dumpAllRetrying();
    for (const [topic, m] of fresh) {
      this.state.set(topic, m);
      if (yieldInitial) for (const v of m.values()) this.push({ type: topic, action: 'new', value: v } as Decoded);
    }
    this.releaseHeld();
  }

  private releaseHeld(): void {
    const held = this.held ?? [];
    this.held = undefined;
    for (const e of held) this.apply(e);
  }

  private onMessage(msg: Message): void {
    if (this.ended) return;
    const e = decodeEvent(msg, this.topics);
    if (e === undefined) return;
    if (this.held) this.held.push(e);
    else this.apply(e);
  }

  /** Records a change in the view and hands it to the consumer. */
  private apply(e: Decoded): void {
    if (e.type !== 'miss' && this.resyncOn) {
      const m = this.state.get(e.type) ?? new Map<string, unknown>();
      this.state.set(e.type, m);
      const key = KEYS[e.type](e.value as never);
      if (e.action === 'del') m.delete(key);
      else m.set(key, e.value);
    }
    this.push(e);
  }

  private push(e: RtnlEvent): void {
    if (this.ended) return;
    const w = this.takeWaiter();
    if (w) {
      w.resolve({ value: e, done: false });
      return;
    }
    this.queue.push(e);
    // A consumer that falls this far behind is treated like a kernel overrun:
    // drop what is queued, say so, and resync, instead of growing without bound.
    if (this.queue.length - this.head > this.highWater) {
      this.queue = [];
      this.head = 0;
      this.onOverrun();
    }
  }

  private onOverrun(): void {
    if (this.ended) return;
    if (this.resyncing) {
      this.overrunPending = true;
      return;
    }
    this.push({ type: 'overrun' });
    if (!this.resyncOn) return;
    this.resyncing = this.resync().finally(() => {
      this.resyncing = undefined;
      if (this.overrunPending) {
        this.overrunPending = false;
        this.onOverrun();
      }
    });
    this.resyncing.catch((err: unknown) => this.fail(err));
  }

  /** Re-dumps everything watched and yields what differs from the consumer's view. */
  private async resync(): Promise<void> {
    const fresh = await this.dumpAllRetrying();
    let changes = 0;
    for (const [topic, now] of fresh) {
      const before = this.state.get(topic) ?? new Map<string, unknown>();
      for (const [key, v] of before) {
        if (!now.has(key)) {
          this.push({ type: topic, action: 'del', value: v, resync: true } as Decoded);
          changes++;
        }
      }
      for (const [key, v] of now) {
        const old = before.get(key);
        if (old === undefined || !sameValue(old, v)) {
          this.push({ type: topic, action: 'new', value: v, resync: true } as Decoded);
          changes++;
        }
      }
      this.state.set(topic, now);
    }
    this.releaseHeld();
    this.push({ type: 'resynced', changes });
  }

  /** The consumer's view: every object the stream knows of, per topic (needs resync or initial). */
  view(topic: WatchTopic): unknown[] {
    return [...(this.state.get(topic)?.values() ?? [])];
  }

  /** Resolves once the baseline dump (for resync or initial) is done. */
  whenReady(): Promise<void> {
    return this.ready;
  }

  private fail(err: unknown): void {
    if (this.ended) return;
    this.failure = err;
    const w = this.takeWaiter();
    if (w) {
      this.close();
      w.reject(err);
    }
  }

  next(): Promise<IteratorResult<RtnlEvent>> {
    if (this.head < this.queue.length) {
      const value = this.queue[this.head++]!;
      if (this.head > 4096 && this.head * 2 > this.queue.length) {
        this.queue = this.queue.slice(this.head);
        this.head = 0;
      }
      return Promise.resolve({ value, done: false });
    }
    if (this.failure !== undefined) {
      const err = this.failure;
      this.failure = undefined;
      this.close();
      return Promise.reject(err);
    }
    if (this.ended) return Promise.resolve({ value: undefined, done: true });
    return new Promise((resolve, reject) => {
      // Someone waits: keep the process alive, and this stream reachable
      // through the socket even if the caller holds nothing else.
      this.conn.hold();
      this.waiter = { resolve, reject };
    });
  }

  private takeWaiter(): typeof this.waiter {
    const w = this.waiter;
    if (w) {
      this.waiter = undefined;
      this.conn.release();
    }
    return w;
  }

  return(): Promise<IteratorResult<RtnlEvent>> {
    this.close();
    return Promise.resolve({ value: undefined, done: true });
  }

  [Symbol.asyncIterator](): this {
    return this;
  }

  /** Stops watching and closes the socket; a waiting next() resolves done. */
  close(): void {
    if (this.ended) return;
    this.ended = true;
    this.signal?.removeEventListener('abort', this.onAbort);
    this.conn.close();
    this.takeWaiter()?.resolve({ value: undefined, done: true });
  }
}

/** Deep equality for decoded objects (plain data, bigints, Buffers). */
function sameValue(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (Buffer.isBuffer(a) && Buffer.isBuffer(b)) return a.equals(b);
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  const ka = Object.keys(a);
  const kb = Object.keys(b);
  if (ka.length !== kb.length) return false;
  for (const k of ka) {
    // Counters and timestamps change all the time; they are not state.
    if (k === 'stats64' || k === 'cacheInfo' || k === 'updated' || k === 'validLifetime' || k === 'preferredLifetime') continue;
    if (!sameValue((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k])) return false;
  }
  return true;
}
