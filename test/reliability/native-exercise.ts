// The native test suite in one process, for memory checkers (valgrind,
// LeakSanitizer need a process that exits normally): every path through the
// addon — netlink sockets (open in and out of a namespace, send, batch
// receive, multicast, ENOBUFS, close, dropped without close and collected),
// namespace errors (ENOENT, EINVAL), openInNetns, and the packet tap (ring
// setup, filter compile, a bad filter, capture, stats, close). Run:
//   node --expose-gc node_modules/vite-node/vite-node.mjs test/reliability/native-exercise.ts -- [ROUNDS]
// (scripts/reliability/asan.sh and valgrind.sh run it from a bundle.)
import { execFileSync, execFile } from 'node:child_process';
import { readSync, closeSync } from 'node:fs';
import { Rtnl, PacketTap, compileFilter } from '../../lib/index.js';
import { openInNetns } from '../../lib/transport/socket.js';
import type { RtnlOperation } from '../../lib/api/batch.js';

const rounds = Number(process.argv.slice(2).filter((a) => a !== '--')[0] ?? 2);
const gc = (globalThis as { gc?: () => void }).gc ?? (() => {});
const tag = `nlx-${process.pid}`;
const A = `${tag}-a`;
const B = `${tag}-b`;
const ip = (...args: string[]): string => execFileSync('ip', args, { encoding: 'utf8' });

function setup(): void {
  ip('netns', 'add', A);
  ip('netns', 'add', B);
  ip('-n', A, 'link', 'set', 'lo', 'up');
  ip('-n', A, 'link', 'add', 'veth0', 'type', 'veth', 'peer', 'name', 'veth0', 'netns', B);
  ip('-n', A, 'addr', 'add', '198.51.100.1/24', 'dev', 'veth0');
  ip('-n', B, 'addr', 'add', '198.51.100.2/24', 'dev', 'veth0');
  ip('-n', A, 'link', 'set', 'veth0', 'up');
  ip('-n', B, 'link', 'set', 'veth0', 'up');
}

function teardown(): void {
  for (const ns of [A, B]) {
    try {
      ip('netns', 'del', ns);
    } catch {
      // gone already
    }
  }
}

async function expectError(what: string, fn: () => unknown, code: string): Promise<void> {
  try {
    await fn();
  } catch (err) {
    if ((err as { code?: string }).code === code) return;
    throw new Error(`${what}: expected ${code}, got ${String(err)}`);
  }
  throw new Error(`${what}: expected ${code}, got success`);
}

async function sockets(): Promise<void> {
  for (let i = 0; i < 20; i++) {
    const rtnl = Rtnl.open({ netns: i % 2 === 0 ? A : undefined });
    await rtnl.links.list();
    if (i % 2 === 0) {
      const ops: RtnlOperation[] = [];
      for (let j = 0; j < 50; j++) ops.push({ op: 'address.replace', dev: 'lo', address: `198.18.${i}.${j + 1}/32` });
      await rtnl.batch(ops);
      await rtnl.addresses.flush({ dev: 'lo', family: 4 }).catch(() => 0);
      await expectError('get a missing link', () => rtnl.links.get('nosuch0'), 'ENODEV');
    }
    rtnl.close();
  }
  // Dropped without close(), then collected: the native side must free them.
  (() => {
    for (let i = 0; i < 50; i++) Rtnl.open({ netns: A });
  })();
  for (let i = 0; i < 3; i++) {
    gc();
    await new Promise((r) => setImmediate(r));
  }
  // Abort mid-dump, and close with requests waiting.
  const r = Rtnl.open({ netns: A });
  const ac = new AbortController();
  const p = r.links.list({}, { signal: ac.signal });
  queueMicrotask(() => ac.abort(new Error('abort')));
  await p.catch(() => undefined);
  const waiting = r.links.list();
  r.close();
  await waiting.catch(() => undefined);
}

async function events(): Promise<void> {
  const rtnl = Rtnl.open({ netns: A });
  const stream = rtnl.watch({ topics: ['link', 'address'], receiveBuffer: 4096 });
  await stream.whenReady();
  const ops: RtnlOperation[] = [];
  for (let i = 0; i < 200; i++) ops.push({ op: 'address.add', dev: 'lo', address: `198.18.200.${i + 1}/32` });
  await rtnl.batch(ops);
  for (;;) {
    const e = await stream.next();
    if (e.done || e.value.type === 'resynced') break;
  }
  stream.close();
  await rtnl.addresses.flush({ dev: 'lo', family: 4 }).catch(() => 0);
  rtnl.close();
}

async function namespaces(): Promise<void> {
  await expectError('open a missing namespace', () => Rtnl.open({ netns: `${tag}-none` }), 'ENOENT');
  await expectError('open a file that is no namespace', () => Rtnl.open({ netns: '/proc/self/status' }), 'EINVAL');
  const fd = openInNetns(A, '/proc/thread-self/net/dev');
  const buf = Buffer.alloc(4096);
  if (readSync(fd, buf) <= 0) throw new Error('openInNetns: nothing read');
  closeSync(fd);
  await expectError('openInNetns of a missing file', () => openInNetns(A, '/proc/thread-self/net/nosuch'), 'ENOENT');
}

async function tap(): Promise<void> {
  compileFilter('icmp or udp port 4789');
  await expectError('a bad filter', () => compileFilter('this is not pcap'), 'ERR_NL_INVALID');
  const t = PacketTap.open({ netns: A, interface: 'veth0', filter: 'icmp', blockTimeout: 10 });
  let frames = 0;
  const reading = (async () => {
    for await (const batch of t) frames += batch.length;
  })();
  await new Promise<void>((resolve) => execFile('ip', ['netns', 'exec', A, 'ping', '-c', '3', '-i', '0.2', '198.51.100.2'], () => resolve()));
  await new Promise((r) => setTimeout(r, 100));
  t.stats();
  t.close();
  await reading;
  if (frames < 6) throw new Error(`tap: ${frames} frames, expected 6`);
  await expectError('a tap on a missing interface', () => PacketTap.open({ netns: A, interface: 'nosuch0' }), 'ENODEV');
}

setup();
try {
  for (let i = 0; i < rounds; i++) {
    await sockets();
    await events();
    await namespaces();
    await tap();
  }
  gc();
  console.log(`native exercise: ${rounds} rounds done`);
} finally {
  teardown();
}
