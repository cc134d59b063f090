// The LVS tutorial's networks, built from namespaces, veths and bridges with
// `ip` (fixtures only: the code under test never shells out). Every address is
// from the documentation or benchmark ranges. Real servers run a tiny HTTP
// server (node) that answers with its own name and the source address it saw;
// clients make requests with node's http from their own namespace.
import { spawn, execFile, type ChildProcess } from 'node:child_process';
import { promisify } from 'node:util';
import { afterAll } from 'vitest';
import { makeNetns, ipIn, nsExec } from './netns.js';

const execFileAsync = promisify(execFile);

/** `sysctl -w` inside a namespace (net.* keys are per namespace). */
export function sysctl(ns: string, key: string, value: string | number): void {
  nsExec(ns, 'sysctl', '-q', '-w', `${key}=${value}`);
}

/** A veth pair from `a` (named ifA) to `b` (named ifB), both ends up. */
export function veth(a: string, ifA: string, b: string, ifB: string): void {
  ipIn(a, 'link', 'add', ifA, 'type', 'veth', 'peer', 'name', ifB, 'netns', b);
  ipIn(a, 'link', 'set', ifA, 'up');
  ipIn(b, 'link', 'set', ifB, 'up');
}

export function addr(ns: string, dev: string, cidr: string): void {
  ipIn(ns, 'addr', 'add', cidr, 'dev', dev);
}

export function route(ns: string, ...args: string[]): void {
  ipIn(ns, 'route', 'add', ...args);
}

// ---------------------------------------------------------------- servers ---

const SERVER_JS = `
const [name, port] = process.argv.slice(1);
require('http').createServer((req, res) => {
  res.setHeader('connection', 'close');
  res.end(JSON.stringify({ server: name, from: req.socket.remoteAddress, to: req.socket.localAddress }) + '\\n');
}).listen(Number(port), '0.0.0.0', () => console.log('ready'));
`;

// Shared across the test files of one worker (this module is re-evaluated per file).
const registry = globalThis as { __nlLvsTestChildren?: Set<ChildProcess> };
const firstLoad = registry.__nlLvsTestChildren === undefined;
const children = (registry.__nlLvsTestChildren ??= new Set<ChildProcess>());

function stopChild(child: ChildProcess): void {
  if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  children.delete(child);
}

afterAll(() => {
  for (const child of [...children]) stopChild(child);
});
if (firstLoad) {
  process.once('exit', () => {
    for (const child of children) child.kill('SIGKILL');
  });
}

export interface HttpServer {
  ns: string;
  name: string;
  pid: number;
  stop(): void;
}

/** Starts the one-file HTTP server in `ns`; resolves once it listens. Killed after the test file. */
export function startHttpServer(ns: string, name: string, port = 80): Promise<HttpServer> {
  const child = spawn('ip', ['netns', 'exec', ns, process.execPath, '-e', SERVER_JS, name, String(port)], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.add(child);
  return new Promise((resolve, reject) => {
    let err = '';
    const timer = setTimeout(() => fail(new Error(`HTTP server ${name} in ${ns}: not ready after 30 s. ${err}`)), 30_000);
    const fail = (e: Error): void => {
      clearTimeout(timer);
      stopChild(child);
      reject(e);
    };
    child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
    child.on('exit', (code) => fail(new Error(`HTTP server ${name} in ${ns} exited (${code}): ${err}`)));
    child.stdout!.once('data', () => {
      clearTimeout(timer);
      child.removeAllListeners('exit');
      resolve({ ns, name, pid: child.pid!, stop: () => stopChild(child) });
    });
  });
}

// ---------------------------------------------------------------- clients ---

export interface Answer {
  /** The server's name, when it answered. */
  server?: string;
  /** The client address the server saw. */
  from?: string;
  /** The local address the server's socket had (the VIP in DR mode). */
  to?: string;
  error?: string;
}

const CLIENT_JS = `
const [url, count, timeout] = process.argv.slice(1);
const http = require('http');
const one = () => new Promise((resolve) => {
  // agent: false = a new TCP connection per request, so each one is scheduled afresh.
  const req = http.get(url, { agent: false, timeout: Number(timeout) }, (res) => {
    let body = '';
    res.on('data', (d) => (body += d));
    res.on('end', () => resolve(JSON.parse(body)));
  });
  req.on('timeout', () => req.destroy(new Error('timeout')));
  req.on('error', (e) => resolve({ error: e.message }));
});
(async () => {
  const out = [];
  for (let i = 0; i < Number(count); i++) out.push(await one());
  console.log(JSON.stringify(out));
})();
`;

/**
 * Makes `count` HTTP GETs from `ns`, one after the other, each on its own TCP
 * connection; a request that gets no answer within `timeoutMs` is an error entry.
 */
export async function httpGets(ns: string, url: string, count: number, timeoutMs = 5000): Promise<Answer[]> {
  const args = ['netns', 'exec', ns, process.execPath, '-e', CLIENT_JS, url, String(count), String(timeoutMs)];
  const { stdout } = await execFileAsync('ip', args, {
    timeout: 60_000,
  });
  return JSON.parse(stdout) as Answer[];
}

/** Retries `check` until it stops throwing (counters the kernel updates every 2 s, sync messages). */
export async function eventually<T>(check: () => Promise<T> | T, timeoutMs = 10_000, everyMs = 250): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await check();
    } catch (err) {
      if (Date.now() > deadline) throw err;
      await new Promise((r) => setTimeout(r, everyMs));
    }
  }
}

// ------------------------------------------------------------- topologies ---

/**
 * NAT, fwmark and L3/SNAT modes share one network:
 *
 *   client 203.0.113.10 ── director 203.0.113.1 (VIP 203.0.113.100)
 *                            ├── br-rs 192.0.2.1 ── realA 192.0.2.11, realB 192.0.2.12 (default via the director)
 *                            └── 198.18.0.1/30 ── router 198.18.0.2 / 198.18.1.1 ── far 198.18.1.10
 *
 * The far server's router has no route back to the client: its replies can
 * only return when the director rewrites their source (SNAT).
 */
export interface NatTopology {
  client: string;
  director: string;
  realA: string;
  realB: string;
  router: string;
  far: string;
  vip: string;
  clientIp: string;
  realAIp: string;
  realBIp: string;
  farIp: string;
  /** The director's address on the routed link: the SNAT source. */
  directorRoutedIp: string;
}

export async function buildNatTopology(tag: string): Promise<NatTopology> {
  const t: NatTopology = {
    client: makeNetns(`${tag}-cli`),
    director: makeNetns(`${tag}-dir`),
    realA: makeNetns(`${tag}-ra`),
    realB: makeNetns(`${tag}-rb`),
    router: makeNetns(`${tag}-rtr`),
    far: makeNetns(`${tag}-far`),
    vip: '203.0.113.100',
    clientIp: '203.0.113.10',
    realAIp: '192.0.2.11',
    realBIp: '192.0.2.12',
    farIp: '198.18.1.10',
    directorRoutedIp: '198.18.0.1',
  };
  veth(t.client, 'eth0', t.director, 'ext0');
  addr(t.client, 'eth0', `${t.clientIp}/24`);
  route(t.client, 'default', 'via', '203.0.113.1');
  addr(t.director, 'ext0', '203.0.113.1/24');
  addr(t.director, 'ext0', `${t.vip}/24`);

  ipIn(t.director, 'link', 'add', 'br-rs', 'type', 'bridge');
  ipIn(t.director, 'link', 'set', 'br-rs', 'up');
  addr(t.director, 'br-rs', '192.0.2.1/24');
  for (const [ns, ip, port] of [[t.realA, t.realAIp, 'to-a'], [t.realB, t.realBIp, 'to-b']] as const) {
    veth(t.director, port, ns, 'eth0');
    ipIn(t.director, 'link', 'set', port, 'master', 'br-rs');
    addr(ns, 'eth0', `${ip}/24`);
    route(ns, 'default', 'via', '192.0.2.1');
  }

  veth(t.director, 'rtr0', t.router, 'dir0');
  addr(t.director, 'rtr0', `${t.directorRoutedIp}/30`);
  addr(t.router, 'dir0', '198.18.0.2/30');
  veth(t.router, 'far0', t.far, 'eth0');
  addr(t.router, 'far0', '198.18.1.1/24');
  addr(t.far, 'eth0', `${t.farIp}/24`);
  route(t.far, 'default', 'via', '198.18.1.1');
  route(t.director, '198.18.1.0/24', 'via', '198.18.0.2');
  sysctl(t.router, 'net.ipv4.ip_forward', 1);
  sysctl(t.director, 'net.ipv4.ip_forward', 1);

  await Promise.all([
    startHttpServer(t.realA, 'A'),
    startHttpServer(t.realB, 'B'),
    startHttpServer(t.far, 'C'),
  ]);
  return t;
}

/**
 * Direct routing: one L2 segment (a bridge in a "switch" namespace) joins the
 * client, the director and both real servers, all in 198.51.100.0/24. The
 * VIP is on the director's interface and on each real server's loopback,
 * where ARP must not announce it (arp_ignore=1, arp_announce=2).
 */
export interface DrTopology {
  switch: string;
  client: string;
  director: string;
  realA: string;
  realB: string;
  vip: string;
  clientIp: string;
  directorIp: string;
  realAIp: string;
  realBIp: string;
}

export async function buildDrTopology(tag: string): Promise<DrTopology> {
  const t: DrTopology = {
    switch: makeNetns(`${tag}-sw`),
    client: makeNetns(`${tag}-cli`),
    director: makeNetns(`${tag}-dir`),
    realA: makeNetns(`${tag}-ra`),
    realB: makeNetns(`${tag}-rb`),
    vip: '198.51.100.100',
    clientIp: '198.51.100.10',
    directorIp: '198.51.100.1',
    realAIp: '198.51.100.11',
    realBIp: '198.51.100.12',
  };
  ipIn(t.switch, 'link', 'add', 'br0', 'type', 'bridge');
  ipIn(t.switch, 'link', 'set', 'br0', 'up');
  const hosts = [
    [t.client, t.clientIp, 'p-cli'],
    [t.director, t.directorIp, 'p-dir'],
    [t.realA, t.realAIp, 'p-ra'],
    [t.realB, t.realBIp, 'p-rb'],
  ] as const;
  for (const [ns, ip, port] of hosts) {
    veth(t.switch, port, ns, 'eth0');
    ipIn(t.switch, 'link', 'set', port, 'master', 'br0');
    addr(ns, 'eth0', `${ip}/24`);
  }
  addr(t.director, 'eth0', `${t.vip}/32`);
  for (const ns of [t.realA, t.realB]) {
    addr(ns, 'lo', `${t.vip}/32`);
    sysctl(ns, 'net.ipv4.conf.all.arp_ignore', 1);
    sysctl(ns, 'net.ipv4.conf.all.arp_announce', 2);
  }
  await Promise.all([startHttpServer(t.realA, 'A'), startHttpServer(t.realB, 'B')]);
  return t;
}

/**
 * Connection sync: a master and a backup director in two namespaces, joined
 * by a sync link (198.18.2.0/24) for the multicast sync messages. Clients
 * reach the master's VIP; the real server routes back through the master.
 *
 *   client 203.0.113.10 ── master 203.0.113.1 (VIP .100) ── 192.0.2.1 ── real 192.0.2.11
 *                            └── sync0 198.18.2.1 ── backup sync0 198.18.2.2
 */
export interface SyncTopology {
  client: string;
  master: string;
  backup: string;
  real: string;
  vip: string;
  clientIp: string;
  realIp: string;
  syncInterface: string;
}

export async function buildSyncTopology(tag: string): Promise<SyncTopology> {
  const t: SyncTopology = {
    client: makeNetns(`${tag}-cli`),
    master: makeNetns(`${tag}-mst`),
    backup: makeNetns(`${tag}-bak`),
    real: makeNetns(`${tag}-real`),
    vip: '203.0.113.100',
    clientIp: '203.0.113.10',
    realIp: '192.0.2.11',
    syncInterface: 'sync0',
  };
  veth(t.client, 'eth0', t.master, 'ext0');
  addr(t.client, 'eth0', `${t.clientIp}/24`);
  route(t.client, 'default', 'via', '203.0.113.1');
  addr(t.master, 'ext0', '203.0.113.1/24');
  addr(t.master, 'ext0', `${t.vip}/24`);
  veth(t.master, 'rs0', t.real, 'eth0');
  addr(t.master, 'rs0', '192.0.2.1/24');
  addr(t.real, 'eth0', `${t.realIp}/24`);
  route(t.real, 'default', 'via', '192.0.2.1');
  veth(t.master, t.syncInterface, t.backup, t.syncInterface);
  addr(t.master, t.syncInterface, '198.18.2.1/24');
  addr(t.backup, t.syncInterface, '198.18.2.2/24');
  sysctl(t.master, 'net.ipv4.ip_forward', 1);
  await startHttpServer(t.real, 'R');
  return t;
}
