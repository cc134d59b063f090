// The agent managing IPVS in the UML kernel (LVS-NAT topology): drift made
// with ipvsadm is repaired within a second, services it does not own stay,
// a restarted agent (a new instance on the same files) makes zero
// operations, and a drain in progress survives the restart.
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Ipvs } from '../../lib/index.js';
import { Agent, type AppliedEvent } from '../../lib/agent/agent.js';
import type { LogLine } from '../../lib/agent/log.js';
import { nsExec } from '../helpers/netns.js';
import { buildNatTopology, eventually, type NatTopology } from '../helpers/lvs-topology.js';

let t: NatTopology;
let dir: string;
let configPath: string;
let stateFile: string;
let agent: Agent;
let ipvs: Ipvs;
const lines: LogLine[] = [];

const ipvsadm = (...args: string[]): string => nsExec(t.director, 'ipvsadm', ...args);
const saved = (): string[] => ipvsadm('-Sn').trim().split('\n').filter(Boolean).sort();
const changes = (): string[][] => lines.filter((l) => l.action).map((l) => [String(l.action), String(l.object), String(l.reason)]);

function config(dests: string[]): unknown {
  return {
    owner: 'lb',
    netns: t.director,
    stateFile,
    interval: 200,
    drainTimeout: 120,
    ipvs: { services: [{ protocol: 'tcp', address: t.vip, port: 80, scheduler: 'rr', destinations: dests.map((address) => ({ address, forward: 'masq' })) }] },
  };
}

function writeConfig(value: unknown): void {
  writeFileSync(`${configPath}.tmp`, JSON.stringify(value, null, 2));
  renameSync(`${configPath}.tmp`, configPath);
}

async function startAgent(): Promise<{ agent: Agent; first: AppliedEvent }> {
  const a = new Agent({ config: configPath, log: (l) => lines.push(l), debounce: 50 });
  const first = new Promise<AppliedEvent>((resolve) => a.once('applied', resolve));
  await a.start();
  return { agent: a, first: await first };
}

// One TCP connection through the VIP, held open until a line arrives on stdin.
const HELD_JS = `
const s = require('net').connect(80, process.argv[1], () => console.log('connected'));
s.on('data', () => {});
s.on('end', () => process.exit(0));
process.stdin.once('data', () => s.write('GET / HTTP/1.0\\r\\n\\r\\n'));
`;

beforeAll(async () => {
  t = await buildNatTopology('agent');
  dir = mkdtempSync(join(tmpdir(), 'nl-agent-'));
  configPath = join(dir, 'lb.json');
  stateFile = join(dir, 'state', 'lb.json');
  writeConfig(config([t.realAIp, t.realBIp]));
  ({ agent } = await startAgent());
  ipvs = Ipvs.open({ netns: t.director });
});
afterAll(async () => {
  await agent?.stop();
  ipvs?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('agent (IPVS)', () => {
  const svc = '203.0.113.100:80';

  it('applies the desired state at start', () => {
    expect(saved()).toEqual([`-A -t ${svc} -s rr`, `-a -t ${svc} -r 192.0.2.11:80 -m -w 1`, `-a -t ${svc} -r 192.0.2.12:80 -m -w 1`]);
    expect(changes()[0]).toEqual(['add', 'service 203.0.113.100:80/tcp', 'agent start: kernel differs from desired state']);
  });

  it('puts back a destination deleted with ipvsadm -d within a second', async () => {
    lines.length = 0;
    ipvsadm('-d', '-t', svc, '-r', '192.0.2.12:80');
    const t0 = Date.now();
    await eventually(() => expect(saved()).toContain(`-a -t ${svc} -r 192.0.2.12:80 -m -w 1`), 5000, 50);
    expect(Date.now() - t0).toBeLessThan(1000);
    // The line is written once the apply has returned.
    await eventually(() => expect(changes()).toEqual([['add', 'destination 192.0.2.12:80 in service 203.0.113.100:80/tcp', 'drift: missing in kernel']]), 2000, 20);
  });

  it('puts back a weight changed with ipvsadm -e', async () => {
    lines.length = 0;
    ipvsadm('-e', '-t', svc, '-r', '192.0.2.11:80', '-m', '-w', '9');
    await eventually(() => expect(saved()).toContain(`-a -t ${svc} -r 192.0.2.11:80 -m -w 1`), 5000, 50);
    await eventually(() => expect(changes()).toEqual([['edit', 'destination 192.0.2.11:80 in service 203.0.113.100:80/tcp', 'drift: changed in kernel']]), 2000, 20);
  });

  it('leaves a service added with ipvsadm -A alone', async () => {
    lines.length = 0;
    ipvsadm('-A', '-u', '198.51.100.53:53', '-s', 'wlc');
    await new Promise((r) => setTimeout(r, 1000));
    expect(saved()).toContain('-A -u 198.51.100.53:53 -s wlc');
    expect(changes()).toEqual([]);
  });

  it('a restarted agent makes zero operations and does not touch what it does not own', async () => {
    const before = saved();
    await agent.stop();
    lines.length = 0;
    let first: AppliedEvent;
    ({ agent, first } = await startAgent());
    expect(first.trigger).toBe('start');
    expect(first.report.operations).toBe(0);
    await new Promise((r) => setTimeout(r, 600));
    expect(changes()).toEqual([]);
    expect(saved()).toEqual(before);
  });

  it('a drain in progress survives a restart: weight 0 is not taken for the desired state', async () => {
    const held = spawn('ip', ['netns', 'exec', t.client, process.execPath, '-e', HELD_JS, t.vip], { stdio: ['pipe', 'pipe', 'inherit'] });
    const exited = new Promise<number | null>((resolve) => held.on('exit', resolve));
    await new Promise<void>((resolve) => held.stdout!.once('data', () => resolve()));
    const busy = await eventually(async () => {
      const service = (await ipvs.snapshot()).find((x) => x.port === 80);
      const d = service!.destinations.find((x) => x.activeConnections === 1);
      expect(d).toBeDefined();
      return d!.address;
    });
    const other = busy === '192.0.2.11' ? '192.0.2.12' : '192.0.2.11';

    lines.length = 0;
    writeConfig(config([other]));
    await eventually(() => expect(changes()).toEqual([['edit', `destination ${busy}:80 in service 203.0.113.100:80/tcp`, 'desired state file changed']]), 5000, 50);
    expect(saved()).toContain(`-a -t ${svc} -r ${busy}:80 -m -w 0`);
    expect(lines.find((l) => l.action)?.detail).toBe('drain started');
    expect(JSON.parse(readFileSync(stateFile, 'utf8')).draining).toMatchObject({ '203.0.113.100:80/tcp': { [`${busy}:80`]: expect.any(Number) } });

    await agent.stop();
    lines.length = 0;
    let first: AppliedEvent;
    ({ agent, first } = await startAgent());
    // Neither restored to weight 1 nor deleted while its connection is active.
    expect(first.report.operations).toBe(0);
    expect(first.report.draining).toMatchObject([{ object: `destination ${busy}:80 in service 203.0.113.100:80/tcp`, activeConnections: 1 }]);
    await new Promise((r) => setTimeout(r, 600));
    expect(saved()).toContain(`-a -t ${svc} -r ${busy}:80 -m -w 0`);

    // Its connection ends: the agent deletes it on its next tick.
    held.stdin!.write('go\n');
    expect(await exited).toBe(0);
    await eventually(() => expect(changes()).toEqual([['remove', `destination ${busy}:80 in service 203.0.113.100:80/tcp`, 'drained']]), 5000, 50);
    expect(saved().some((l) => l.includes(busy))).toBe(false);
    expect(JSON.parse(readFileSync(stateFile, 'utf8')).draining).toEqual({});
    expect(saved()).toContain('-A -u 198.51.100.53:53 -s wlc');
  });
});

