// No connection lost: a client sends HTTP requests through the VIP (LVS-NAT)
// without pause while ipvs.apply() changes weights, adds a server, removes one
// gracefully and changes the scheduler. Every request must be answered, by a
// server that was meant to get it; a connection held open across all the
// changes must still work at the end; the removed server must not be deleted
// while that connection is active.
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Ipvs, type IpvsApplyReport, type IpvsDesiredState } from '../../lib/index.js';
import { makeNetns, ipIn, nsExec } from '../helpers/netns.js';
import { addr, buildNatTopology, route, startHttpServer, veth, type NatTopology } from '../helpers/lvs-topology.js';

let t: NatTopology;
let realC: string;
const realCIp = '192.0.2.13';
let ipvs: Ipvs;
let dir: string;

/** A third real server on the director's server bridge. */
async function addRealC(): Promise<void> {
  realC = makeNetns('nl-noloss-rc');
  veth(t.director, 'to-c', realC, 'eth0');
  ipIn(t.director, 'link', 'set', 'to-c', 'master', 'br-rs');
  addr(realC, 'eth0', `${realCIp}/24`);
  route(realC, 'default', 'via', '192.0.2.1');
  await startHttpServer(realC, 'C');
}

// Sequential requests, each on a new connection, until the stop file appears;
// then one JSON line: [{ start, connected, server?, error? }]. `start` is
// taken before the SYN and `connected` after the SYN-ACK, so IPVS chose the
// server between the two: on UML's one CPU the gap can span an apply.
const LOOP_JS = `
const [url, stopFile] = process.argv.slice(1);
const http = require('http');
const fs = require('fs');
const one = () => new Promise((resolve) => {
  const start = Date.now();
  let connected = Infinity;
  const req = http.get(url, { agent: false, timeout: 5000 }, (res) => {
    let body = '';
    res.on('data', (d) => (body += d));
    res.on('end', () => resolve({ start, connected, server: JSON.parse(body).server }));
  });
  req.on('socket', (s) => s.once('connect', () => (connected = Date.now())));
  req.on('timeout', () => req.destroy(new Error('timeout')));
  req.on('error', (e) => resolve({ start, connected, error: e.message }));
});
(async () => {
  const out = [];
  console.error('running');
  while (!fs.existsSync(stopFile)) out.push(await one());
  console.log(JSON.stringify(out));
})();
`;

// One TCP connection opened now and used later: connects, says "connected",
// sends its request when a line arrives on stdin, prints the answer.
const HELD_JS = `
const net = require('net');
const [host] = process.argv.slice(1);
const s = net.connect(80, host, () => console.log('connected'));
let body = '';
s.on('data', (d) => (body += d));
s.on('end', () => { console.log(body.slice(body.indexOf('\\r\\n\\r\\n') + 4)); process.exit(0); });
s.on('error', (e) => { console.log(JSON.stringify({ error: e.message })); process.exit(1); });
process.stdin.once('data', () => s.write('GET / HTTP/1.0\\r\\n\\r\\n'));
`;

interface Answer {
  start: number;
  connected: number;
  server?: string;
  error?: string;
}

function startLoop(stopFile: string): { child: ChildProcess; done: Promise<Answer[]>; running: Promise<void> } {
  const child = spawn('ip', ['netns', 'exec', t.client, process.execPath, '-e', LOOP_JS, `http://${t.vip}/`, stopFile], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  const running = new Promise<void>((resolve) => child.stderr!.once('data', () => resolve()));
  const done = new Promise<Answer[]>((resolve, reject) => child.on('exit', (code) => (code === 0 ? resolve(JSON.parse(out) as Answer[]) : reject(new Error(`client exited ${code}`)))));
  return { child, done, running };
}

function openHeld(): Promise<{ finish(): Promise<string>; child: ChildProcess }> {
  const child = spawn('ip', ['netns', 'exec', t.client, process.execPath, '-e', HELD_JS, t.vip], { stdio: ['pipe', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('exit', resolve));
  return new Promise((resolve, reject) => {
    void exited.then((code) => reject(new Error(`held connection ended early (${code}): ${out} ${err}`)));
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      if (!out.startsWith('connected\n')) return;
      resolve({
        child,
        finish: async () => {
          child.stdin!.write('go\n');
          const code = await exited;
          if (code !== 0) throw new Error(`held connection failed (${code}): ${out} ${err}`);
          return out.slice('connected\n'.length).trim();
        },
      });
    });
  });
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const web = { protocol: 'tcp' as const, address: '203.0.113.100', port: 80 };
const state = (weights: Record<string, number>, scheduler: string): IpvsDesiredState => ({
  services: [{ ...web, scheduler, destinations: Object.entries(weights).map(([address, weight]) => ({ address, forward: 'masq' as const, weight })) }],
});

beforeAll(async () => {
  t = await buildNatTopology('noloss');
  await addRealC();
  ipvs = Ipvs.open({ netns: t.director });
  dir = mkdtempSync(join(tmpdir(), 'nl-noloss-'));
});
afterAll(() => {
  ipvs?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('apply() under load', () => {
  it('changes weights, servers and scheduler without losing a request or a live connection', async () => {
    const opts = { owner: 'noloss', stateFile: join(dir, 'state.json'), drainTimeout: 120 };
    const apply = (s: IpvsDesiredState): Promise<IpvsApplyReport> => ipvs.apply(s, opts);
    const { realAIp: A, realBIp: B } = t;

    // A held connection that lands on A (the only server at first).
    expect((await apply(state({ [A]: 1 }, 'rr'))).errors).toEqual([]);
    const held = await openHeld();

    const stopFile = join(dir, 'stop');
    const loop = startLoop(stopFile);
    await loop.running;
    // When each apply started and when it had returned.
    const began: Record<string, number> = {};
    const ended: Record<string, number> = {};
    const step = async (name: string, s: IpvsDesiredState): Promise<IpvsApplyReport> => {
      await sleep(1500);
      began[name] = Date.now();
      const r = await apply(s);
      ended[name] = Date.now();
      expect(r.errors).toEqual([]);
      return r;
    };

    const addB = await step('addB', state({ [A]: 1, [B]: 1 }, 'rr'));
    expect(addB.added.map((c) => c.object)).toEqual([`destination ${B}:80 in service 203.0.113.100:80/tcp`]);
    const weights = await step('weights', state({ [A]: 1, [B]: 3 }, 'wrr'));
    expect(weights.edited.map((c) => c.object)).toEqual(['service 203.0.113.100:80/tcp', `destination ${B}:80 in service 203.0.113.100:80/tcp`]);
    expect(weights.added.concat(weights.removed)).toEqual([]);
    await step('addC', state({ [A]: 1, [B]: 3, [realCIp]: 2 }, 'wrr'));

    // A leaves: drained, not deleted, while the held connection is active.
    const drain = await step('drainA', state({ [B]: 3, [realCIp]: 2 }, 'wrr'));
    expect(drain.edited.map((c) => [c.object, c.reason])).toEqual([[`destination ${A}:80 in service 203.0.113.100:80/tcp`, 'drain started']]);
    const still = await step('stillDraining', state({ [B]: 3, [realCIp]: 2 }, 'wrr'));
    expect(still.operations).toBe(0);
    expect(still.draining).toMatchObject([{ object: `destination ${A}:80 in service 203.0.113.100:80/tcp`, activeConnections: 1 }]);

    const sched = await step('scheduler', state({ [B]: 3, [realCIp]: 2 }, 'lc'));
    expect(sched.edited.map((c) => c.fields)).toEqual([[{ field: 'scheduler', from: 'wrr', to: 'lc' }]]);

    await sleep(1500);
    writeFileSync(stopFile, '');
    const answers = await loop.done;

    // The held connection, opened before every change, still works and is A's.
    expect(JSON.parse(await held.finish())).toMatchObject({ server: 'A' });
    // Once it is closed A has no active connection: the next apply deletes it.
    let removed: IpvsApplyReport | undefined;
    for (let i = 0; i < 20 && !removed?.removed.length; i++) {
      removed = await apply(state({ [B]: 3, [realCIp]: 2 }, 'lc'));
      if (!removed.removed.length) await sleep(250);
    }
    expect(removed!.removed.map((c) => [c.object, c.reason])).toEqual([[`destination ${A}:80 in service 203.0.113.100:80/tcp`, 'drained']]);

    expect(answers.length).toBeGreaterThan(20);
    expect(answers.filter((a) => a.error)).toEqual([]);
    // Requests whose server IPVS surely chose inside (from, to).
    const servedBy = (from: number, to = Infinity) => new Set(answers.filter((a) => a.start > from && a.connected < to).map((a) => a.server));
    // Only servers meant to get them: B after it was added, C after it was added, never A once it drained.
    for (const a of answers) expect(['A', 'B', 'C']).toContain(a.server);
    expect(servedBy(0, began.addB)).toEqual(new Set(['A']));
    expect(servedBy(ended.addC!, began.drainA).has('C')).toBe(true);
    expect(servedBy(ended.drainA!)).toEqual(new Set(['B', 'C']));
    expect(nsExec(t.director, 'ipvsadm', '-Sn').trim().split('\n').sort()).toEqual([
      '-A -t 203.0.113.100:80 -s lc',
      `-a -t 203.0.113.100:80 -r ${B}:80 -m -w 3`,
      `-a -t 203.0.113.100:80 -r ${realCIp}:80 -m -w 2`,
    ]);
  });
});
