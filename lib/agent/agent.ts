// The agent: keeps the kernel equal to the desired state in a configuration
// file, and puts it back when someone else changes it.
//
//  - The file is watched (fs.watch on its directory, so editors that replace
//    it are seen; changes debounced). A file that fails to parse or validate
//    is logged and ignored: the last good state stays in force.
//  - IPVS has no change notifications, so drift is found by polling: every
//    `interval` ms (default 500) one ipvs.apply() — a snapshot (one service
//    dump plus one destination dump per service) compared with the desired
//    state; nothing is written when they match. A destination deleted with
//    `ipvsadm -d` is back within one interval. The same tick finishes drains.
//  - The overlay listens to rtnetlink (rtnl.watch: links, FDB, neighbours,
//    addresses of its own devices) and re-applies shortly after a change.
//  - Every change is one JSON log line with its reason (log.ts).
//  - stop() (SIGTERM in the CLI) stops the watchers, waits for a running
//    apply to finish and closes every socket.
// Applies run one at a time; triggers that arrive meanwhile are merged.
import { EventEmitter } from 'node:events';
import { watch, type FSWatcher } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { basename, dirname, resolve } from 'node:path';
import { Ipvs } from '../api/ipvs.js';
import { Rtnl } from '../api/rtnl.js';
import type { EventStream, RtnlEvent } from '../api/events.js';
import { applyOverlay } from '../desired/overlay-apply.js';
import type { ApplyReport, Change } from '../desired/report.js';
import { FIXED_SETTINGS, parseAgentConfig, type AgentConfig } from './config.js';
import { AgentLog, errorFields, jsonLines, type LogSink } from './log.js';
import { startMetrics, type MetricsServer } from './metrics.js';

export type Trigger = 'start' | 'file' | 'poll' | 'kernel';
export type Part = 'ipvs' | 'overlay';

export interface AgentOptions {
  /** The configuration file; watched for changes. */
  config: string;
  /** Where the JSON log lines go (default: stdout). */
  log?: LogSink;
  /** Serve metrics here ("127.0.0.1:9464"), overriding the file's `metrics`. */
  metrics?: string;
  /** ms to wait after the file changes before reading it (default 200). */
  debounce?: number;
}

/** Emitted as 'applied' after every apply. */
export interface AppliedEvent {
  part: Part;
  trigger: Trigger;
  report: ApplyReport;
}

const PRIORITY: Record<Trigger, number> = { poll: 0, kernel: 0, start: 1, file: 2 };

/** The reason logged for a change, from what started the apply. */
export function reasonFor(trigger: Trigger, change: Change): string {
  if (change.reason === 'drained' || change.reason === 'drain timeout') return change.reason;
  if (trigger === 'file') return 'desired state file changed';
  if (trigger === 'start') return 'agent start: kernel differs from desired state';
  if (change.action === 'add') return 'drift: missing in kernel';
  if (change.action === 'remove' || change.reason === 'drain started') return 'drift: not in desired state';
  return 'drift: changed in kernel';
}

export class Agent extends EventEmitter {
  readonly configPath: string;
  private readonly log: AgentLog;
  private readonly debounceMs: number;
  private config!: AgentConfig;
  private configText = '';
  private ipvs?: Ipvs;
  private rtnl?: Rtnl;
  private events?: EventStream;
  private watcher?: FSWatcher;
  private metrics?: MetricsServer;
  private readonly timers = new Map<string, NodeJS.Timeout>();
  /** Overlay device ifindexes: kernel events about them trigger a re-apply. */
  private overlayIndexes = new Set<number>();
  private queued = new Map<Part, Trigger>();
  /** The last error of each part, while it keeps failing. */
  private readonly failing = new Map<Part, string>();
  private readonly failedChanges = new Set<string>();
  private chain: Promise<void> = Promise.resolve();
  private stopping = false;

  constructor(private readonly options: AgentOptions) {
    super();
    this.configPath = resolve(options.config);
    this.log = new AgentLog(options.log ?? jsonLines());
    this.debounceMs = options.debounce ?? 200;
  }

  /** Loads the configuration (which must be valid now), applies it, and starts watching. */
  async start(): Promise<void> {
    this.configText = await readFile(this.configPath, 'utf8');
    this.config = parseAgentConfig(this.configText);
    this.log.event('info', 'started', { config: this.configPath, owner: this.config.owner, netns: this.config.netns ?? null, pid: process.pid });
    this.watcher = watch(dirname(this.configPath), (_type, name) => {
      if (name === null || name === basename(this.configPath)) this.later('file', this.debounceMs, () => void this.reload());
    });
    this.watcher.on('error', (err) => this.log.event('error', 'config watch failed', errorFields(err)));
    const listen = this.options.metrics ?? this.config.metrics;
    if (listen !== undefined) await this.startMetrics(listen);
    this.schedule('ipvs', 'start');
    this.schedule('overlay', 'start');
    await this.idle();
  }

  /** Resolves once no apply is running or queued. */
  async idle(): Promise<void> {
    for (;;) {
      const chain = this.chain;
      await chain;
      if (chain === this.chain) return;
    }
  }

  /** The configuration in force (the last good one). */
  get current(): AgentConfig {
    return this.config;
  }

  async stop(): Promise<void> {
    if (this.stopping) return;
    this.stopping = true;
    for (const t of this.timers.values()) clearTimeout(t);
    this.timers.clear();
    this.watcher?.close();
    this.events?.close();
    await this.idle();
    await this.metrics?.close();
    this.ipvs?.close();
    this.rtnl?.close();
    this.log.event('info', 'stopped');
  }

  private later(key: string, ms: number, fn: () => void): void {
    if (this.stopping) return;
    clearTimeout(this.timers.get(key));
    const t = setTimeout(() => {
      this.timers.delete(key);
      fn();
    }, ms);
    this.timers.set(key, t);
  }

  /** Queues an apply of one part; one already queued takes the stronger trigger. */
  schedule(part: Part, trigger: Trigger): void {
    if (this.stopping) return;
    const queued = this.queued.get(part);
    if (queued !== undefined) {
      if (PRIORITY[trigger] > PRIORITY[queued]) this.queued.set(part, trigger);
      return;
    }
    this.queued.set(part, trigger);
    this.chain = this.chain.then(async () => {
      const t = this.queued.get(part)!;
      this.queued.delete(part);
      if (!this.stopping) await this.reconcile(part, t);
    });
  }

  private async reconcile(part: Part, trigger: Trigger): Promise<void> {
    try {
      const report = part === 'ipvs' ? await this.applyIpvs() : await this.applyOverlay();
      if (report === undefined) return;
      for (const list of [report.removed, report.added, report.edited]) for (const c of list) this.log.change(c, reasonFor(trigger, c), c.fields);
      // A change that fails again at every tick is logged when it starts failing.
      const failed = new Set<string>();
      for (const e of report.errors) {
        const key = `${part} ${e.action} ${e.object}: ${e.error.message}`;
        failed.add(key);
        if (!this.failedChanges.has(key)) this.log.event('error', 'change failed', { action: e.action, object: e.object, ...errorFields(e.error) });
      }
      for (const key of this.failedChanges) if (key.startsWith(`${part} `) && !failed.has(key)) this.failedChanges.delete(key);
      for (const key of failed) this.failedChanges.add(key);
      for (const w of report.warnings) this.log.event('warn', 'warning', { message: w });
      this.emit('applied', { part, trigger, report } satisfies AppliedEvent);
      this.failing.delete(part);
    } catch (err) {
      // A failure that repeats every tick (IPVS missing, no permission) is logged once.
      const text = String((err as Error)?.message ?? err);
      if (this.failing.get(part) !== text) this.log.event('error', `${part} apply failed`, errorFields(err));
      this.failing.set(part, text);
      this.emit('failed', { part, trigger, error: err });
    } finally {
      // IPVS drift is found by polling: the next check one interval after this apply.
      if (part === 'ipvs' && this.ipvs !== undefined) this.later('poll', this.config.interval, () => this.schedule('ipvs', 'poll'));
    }
  }

  private async applyIpvs(): Promise<ApplyReport | undefined> {
    const c = this.config;
    // A section removed from the file means: nothing of ours is wanted any more.
    const desired = c.ipvs ?? (this.ipvs ? { services: [] } : undefined);
    if (desired === undefined) return undefined;
    this.ipvs ??= Ipvs.open({ netns: c.netns });
    return this.ipvs.apply(desired, { owner: c.owner, stateFile: c.stateFile, drainTimeout: c.drainTimeout, allowUnknownScheduler: c.allowUnknownScheduler });
  }

  private async applyOverlay(): Promise<ApplyReport | undefined> {
    const overlay = this.config.overlay;
    if (overlay === undefined) return undefined;
    if (!this.rtnl) {
      this.rtnl = Rtnl.open({ netns: this.config.netns });
      this.watchKernel(this.rtnl);
    }
    const report = await applyOverlay(this.rtnl, overlay);
    const names = [overlay.vxlan.name, overlay.bridge?.name].filter((n): n is string => n !== undefined);
    const links = await Promise.all(names.map((n) => this.rtnl!.links.find(n)));
    this.overlayIndexes = new Set(links.filter((l) => l !== undefined).map((l) => l.index));
    return report;
  }

  /** Re-applies the overlay shortly after the kernel reports a change to one of its devices. */
  private watchKernel(rtnl: Rtnl): void {
    const events = rtnl.watch({ topics: ['link', 'fdb', 'neighbour', 'address'] });
    this.events = events;
    void (async () => {
      try {
        for await (const e of events) if (this.concerns(e)) this.later('kernel', 100, () => this.schedule('overlay', 'kernel'));
      } catch (err) {
        if (!this.stopping) this.log.event('error', 'kernel watch failed', errorFields(err));
      }
    })();
  }

  private concerns(e: RtnlEvent): boolean {
    const o = this.config.overlay;
    if (o === undefined) return false;
    switch (e.type) {
      case 'overrun':
      case 'resynced':
        return true;
      case 'link':
        return e.value.name === o.vxlan.name || e.value.name === o.bridge?.name || this.overlayIndexes.has(e.value.index);
      case 'fdb':
      case 'address':
        return this.overlayIndexes.has(e.value.ifindex);
      case 'neighbour':
        // Managed entries are permanent; ARP resolving other neighbours is not a change to us.
        return this.overlayIndexes.has(e.value.ifindex) && (e.action === 'del' || e.value.state === 'permanent');
      default:
        return false;
    }
  }

  /** Reads the file again; applies it when it is valid and different, else keeps the last good state. */
  private async reload(): Promise<void> {
    let text: string;
    try {
      text = await readFile(this.configPath, 'utf8');
    } catch (err) {
      this.log.event('error', 'config unreadable: keeping the last good state', errorFields(err));
      return;
    }
    if (text === this.configText || this.stopping) return;
    let next: AgentConfig;
    try {
      next = parseAgentConfig(text);
    } catch (err) {
      this.log.event('error', 'config rejected: keeping the last good state', errorFields(err));
      this.emit('rejected', err);
      return;
    }
    for (const key of FIXED_SETTINGS) {
      if (next[key] !== this.config[key]) {
        this.log.event('warn', `${key} changed in the file: it takes effect at the next start`, { from: this.config[key] ?? null, to: next[key] ?? null });
        (next as unknown as Record<string, unknown>)[key] = this.config[key];
      }
    }
    this.configText = text;
    this.config = next;
    this.log.event('info', 'config loaded', { config: this.configPath });
    this.schedule('ipvs', 'file');
    this.schedule('overlay', 'file');
  }

  private async startMetrics(listen: string): Promise<void> {
    const o = this.config.overlay;
    const links = o ? [o.vxlan.name, ...(o.bridge ? [o.bridge.name] : [])] : [];
    try {
      this.metrics = await startMetrics(listen, { netns: this.config.netns, links });
      this.log.event('info', 'metrics served', { url: this.metrics.url });
    } catch (err) {
      // The agent's job is the desired state: it runs on without metrics.
      this.log.event('error', 'metrics failed', { listen, ...errorFields(err) });
    }
  }
}
