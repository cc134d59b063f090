// A Prometheus exporter for IPVS and link counters (node:http, no framework).
// Each scrape polls a StatsReader and renders its arrays (metrics.ts). IPVS
// needs CAP_NET_ADMIN over netlink; without it (EPERM) the exporter reads
// /proc/net/ip_vs instead, which has weights and connection counts but no
// per-service traffic, and says so in nl_lvs_ipvs_source. Without IPVS in the
// kernel it still serves link metrics.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { NetlinkError, ValidationError } from '../protocol/errors.js';
import { StatsReader } from './stats-reader.js';
import type { LinkSelector } from './link-slots.js';
import { MetricsText, CONTENT_TYPE } from './prom-text.js';
import { parseProcIpvs, parseProcIpvsStats, readProcFile, PROC_IPVS, PROC_IPVS_STATS, type ProcIpvsTotals } from './proc-ipvs.js';
import {
  declareSource, writeLinks, writeProcIpvs, writeReaderIpvs, writeTotals, totalsOfServices, type IpvsSource,
} from './metrics.js';

export type { IpvsSource } from './metrics.js';

export interface ExporterOptions {
  /** Namespace name or path whose IPVS and links are exported; default: the caller's. */
  netns?: string;
  /** Links to export, by name or ifindex. Default: none. */
  links?: readonly LinkSelector[];
  /**
   * Start an HTTP server on "host:port" ("127.0.0.1:9749", "[::1]:9749") or a
   * port on 127.0.0.1. Without it no server starts: mount `handler` yourself.
   */
  listen?: string | number;
  /** The metrics path. Default "/metrics". */
  path?: string;
  /** Milliseconds a kernel read may take. Default 5000. */
  timeout?: number;
}

export interface Exporter {
  /** Where IPVS numbers come from (decided at start: netlink, or proc after EPERM, or none). */
  readonly source: IpvsSource;
  /** The listening server, when `listen` was given. */
  readonly server?: Server;
  /** http://host:port/metrics, when listening. */
  readonly url?: string;
  /** A request handler for any node:http server: the metrics on `path`, 404 elsewhere. */
  readonly handler: (req: IncomingMessage, res: ServerResponse) => void;
  /** One scrape: the metrics text. Concurrent calls share one poll. */
  scrape(): Promise<string>;
  /** Stops the server (if any) and closes the sockets. */
  close(): Promise<void>;
}

/** "host:port", "[v6]:port" or a port → where to listen. */
export function parseListen(listen: string | number): { host: string; port: number } {
  if (typeof listen === 'number') listen = `127.0.0.1:${listen}`;
  const m = /^(?:\[([^\]]+)\]|([^:[\]]*)):(\d{1,5})$/.exec(String(listen));
  const port = m ? Number(m[3]) : NaN;
  if (!m || port > 65535) throw new ValidationError('listen', `host:port, e.g. 127.0.0.1:9749 or [::1]:9749; got ${JSON.stringify(listen)}`);
  return { host: m[1] ?? (m[2] === '' ? '0.0.0.0' : m[2]!), port };
}

class IpvsExporter implements Exporter {
  source: IpvsSource = 'none';
  server?: Server;
  url?: string;
  private reader!: StatsReader;
  private inFlight?: Promise<string>;
  readonly handler = (req: IncomingMessage, res: ServerResponse): void => this.handle(req, res);

  constructor(private readonly options: ExporterOptions) {}

  async start(): Promise<void> {
    const { netns, links, timeout } = this.options;
    this.reader = await StatsReader.open({ netns, links, timeout });
    this.source = this.reader.ipvs ? 'netlink' : 'none';
    if (this.reader.ipvs) {
      try {
        await this.reader.poll();
      } catch (err) {
        if (!(err instanceof NetlinkError && err.code === 'EPERM')) throw err;
        // No CAP_NET_ADMIN: read links over netlink, IPVS from /proc.
        this.reader.close();
        this.reader = await StatsReader.open({ netns, links, timeout, ipvs: false });
        this.source = 'proc';
      }
    }
  }

  scrape(): Promise<string> {
    this.inFlight ??= this.render().finally(() => {
      this.inFlight = undefined;
    });
    return this.inFlight;
  }

  private async render(): Promise<string> {
    const started = process.hrtime.bigint();
    if (this.reader.links.missing) await this.reader.resolveLinks();
    await this.reader.poll();
    const out = new MetricsText();
    declareSource(out, this.source);
    if (this.source !== 'none') writeTotals(out, this.totals());
    if (this.source === 'netlink') writeReaderIpvs(out, this.reader);
    if (this.source === 'proc') writeProcIpvs(out, parseProcIpvs(readProcFile(this.options.netns, PROC_IPVS)));
    writeLinks(out, this.reader);
    out.declare('nl_lvs_scrape_duration_seconds', 'gauge', 'How long the scrape took.');
    out.add('nl_lvs_scrape_duration_seconds', undefined, Number(process.hrtime.bigint() - started) / 1e9);
    return out.text();
  }

  /** The namespace's IPVS totals (node_exporter reads the same file); the services' sum if it cannot be read. */
  private totals(): ProcIpvsTotals {
    try {
      return parseProcIpvsStats(readProcFile(this.options.netns, PROC_IPVS_STATS));
    } catch (err) {
      if (this.source === 'netlink') return totalsOfServices(this.reader);
      throw err;
    }
  }

  private handle(req: IncomingMessage, res: ServerResponse): void {
    const path = this.options.path ?? '/metrics';
    const url = (req.url ?? '/').split('?')[0];
    if (url !== path) {
      res.writeHead(url === '/' ? 200 : 404, { 'content-type': 'text/plain; charset=utf-8' });
      res.end(url === '/' ? `nl-lvs exporter: metrics at ${path}\n` : 'not found\n');
      return;
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { allow: 'GET, HEAD' }).end();
      return;
    }
    this.scrape().then(
      (text) => {
        res.writeHead(200, { 'content-type': CONTENT_TYPE, 'content-length': Buffer.byteLength(text) });
        res.end(req.method === 'HEAD' ? undefined : text);
      },
      (err: unknown) => {
        res.writeHead(500, { 'content-type': 'text/plain; charset=utf-8' });
        res.end(`scrape failed: ${err instanceof Error ? err.message : String(err)}\n`);
      },
    );
  }

  async listen(listen: string | number): Promise<void> {
    const { host, port } = parseListen(listen);
    const server = createServer(this.handler);
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, host, () => {
        server.off('error', reject);
        resolve();
      });
    });
    this.server = server;
    const address = server.address() as AddressInfo;
    const shown = address.family === 'IPv6' ? `[${address.address}]` : address.address;
    this.url = `http://${shown}:${address.port}${this.options.path ?? '/metrics'}`;
  }

  async close(): Promise<void> {
    const server = this.server;
    if (server !== undefined) {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeAllConnections();
      await closed;
    }
    this.reader?.close();
  }
}

/**
 * Starts an exporter: opens the stats reader (finding out whether IPVS can be
 * read over netlink) and, with `listen`, an HTTP server.
 */
export async function createExporter(options: ExporterOptions = {}): Promise<Exporter> {
  if (options.listen !== undefined) parseListen(options.listen);
  if (options.path !== undefined && !options.path.startsWith('/')) throw new ValidationError('path', `must start with "/", got ${JSON.stringify(options.path)}`);
  const exporter = new IpvsExporter(options);
  try {
    await exporter.start();
    if (options.listen !== undefined) await exporter.listen(options.listen);
  } catch (err) {
    await exporter.close();
    throw err;
  }
  return exporter;
}
