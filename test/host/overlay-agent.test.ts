// The agent with an overlay configuration, on the host kernel: applies the
// file at start, follows edits of it, refuses a bad file (keeping the last
// good state), repairs entries deleted behind its back within a second (from
// rtnetlink notifications), logs one JSON line per change with its reason,
// and as a separate process exits 0 on SIGTERM.
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync, renameSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Agent, type AppliedEvent } from '../../lib/agent/agent.js';
import type { LogLine } from '../../lib/agent/log.js';
import { makeNetns, ipIn, sh } from '../helpers/netns.js';

let ns: string;
let dir: string;
let configPath: string;
const lines: LogLine[] = [];
let agent: Agent;

const config = (peers: string[], extra: Record<string, unknown> = {}) => ({
  owner: 'ovl',
  ...extra,
  overlay: {
    vxlan: { name: 'vx0', id: 7, local: '198.51.100.1', dstPort: 4789, learning: false },
    peers: peers.map((underlay) => ({ underlay })),
  },
});

/** Writes the file the way editors do: a new file renamed over the old one. */
function writeConfig(path: string, value: unknown): void {
  const tmp = `${path}.tmp`;
  writeFileSync(tmp, typeof value === 'string' ? value : JSON.stringify(value, null, 2));
  renameSync(tmp, path);
}

const remotes = (): string[] =>
  (JSON.parse(sh('bridge', ['-n', ns, '-j', 'fdb', 'show', 'dev', 'vx0'])) as Array<{ mac: string; dst?: string }>)
    .filter((e) => e.dst)
    .map((e) => e.dst!)
    .sort();

function nextApplied(a: Agent, pred: (e: AppliedEvent) => boolean = () => true, ms = 5000): Promise<AppliedEvent> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('no apply seen')), ms);
    const on = (e: AppliedEvent): void => {
      if (!pred(e)) return;
      clearTimeout(timer);
      a.off('applied', on);
      resolve(e);
    };
    a.on('applied', on);
  });
}

beforeAll(async () => {
  ns = makeNetns('agent-ovl');
  ipIn(ns, 'link', 'add', 'eth0', 'type', 'veth', 'peer', 'name', 'eth1');
  ipIn(ns, 'addr', 'add', '198.51.100.1/24', 'dev', 'eth0');
  ipIn(ns, 'link', 'set', 'eth0', 'up');
  dir = mkdtempSync(join(tmpdir(), 'nl-agent-'));
  configPath = join(dir, 'agent.json');
  writeConfig(configPath, config(['198.51.100.2', '198.51.100.3'], { netns: ns }));
  agent = new Agent({ config: configPath, log: (l) => lines.push(l), debounce: 50, metrics: '127.0.0.1:0' });
  await agent.start();
});
afterAll(async () => {
  await agent?.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe('agent (overlay)', () => {
  it('applies the file at start and logs each change with its reason', () => {
    expect(remotes()).toEqual(['198.51.100.2', '198.51.100.3']);
    const changes = lines.filter((l) => l.action);
    expect(changes.map((l) => [l.action, l.object, l.reason])).toEqual([
      ['add', 'link vx0', 'agent start: kernel differs from desired state'],
      ['add', 'fdb 00:00:00:00:00:00 dst 198.51.100.2 on vx0', 'agent start: kernel differs from desired state'],
      ['add', 'fdb 00:00:00:00:00:00 dst 198.51.100.3 on vx0', 'agent start: kernel differs from desired state'],
    ]);
    expect(typeof changes[0]!.ts).toBe('string');
  });

  it('serves the exporter metrics, with the overlay devices as links', async () => {
    const served = lines.find((l) => l.event === 'metrics served');
    expect(served).toBeDefined();
    const text = await (await fetch(String(served!.url))).text();
    expect(text).toMatch(/^nl_lvs_\w+/m);
    expect(text).toContain('vx0');
  });

  it('follows an edit of the file, touching only what changed', async () => {
    lines.length = 0;
    const applied = nextApplied(agent, (e) => e.trigger === 'file');
    writeConfig(configPath, config(['198.51.100.2', '198.51.100.4'], { netns: ns }));
    const { report } = await applied;
    expect(report.operations).toBe(2);
    expect(remotes()).toEqual(['198.51.100.2', '198.51.100.4']);
    expect(lines.filter((l) => l.action).map((l) => [l.action, l.object, l.reason])).toEqual([
      ['remove', 'fdb 00:00:00:00:00:00 dst 198.51.100.3 on vx0', 'desired state file changed'],
      ['add', 'fdb 00:00:00:00:00:00 dst 198.51.100.4 on vx0', 'desired state file changed'],
    ]);
  });

  it('refuses a bad file and keeps the last good state', async () => {
    lines.length = 0;
    const rejected = new Promise((resolve) => agent.once('rejected', resolve));
    writeConfig(configPath, config(['198.51.100.999'], { netns: ns }));
    await rejected;
    expect(lines.find((l) => l.event?.toString().startsWith('config rejected'))).toMatchObject({ level: 'error', field: 'overlay.peers[0].underlay' });
    writeConfig(configPath, '{ not json');
    await new Promise((resolve) => agent.once('rejected', resolve));
    expect(remotes()).toEqual(['198.51.100.2', '198.51.100.4']);
    expect(agent.current.overlay?.peers).toEqual([{ underlay: '198.51.100.2' }, { underlay: '198.51.100.4' }]);
  });

  it('puts back an entry deleted behind its back, within a second', async () => {
    writeConfig(configPath, config(['198.51.100.2', '198.51.100.4'], { netns: ns }));
    lines.length = 0;
    const t0 = Date.now();
    const repaired = nextApplied(agent, (e) => e.trigger === 'kernel' && e.report.operations > 0);
    sh('bridge', ['-n', ns, 'fdb', 'del', '00:00:00:00:00:00', 'dev', 'vx0', 'dst', '198.51.100.4']);
    await repaired;
    expect(Date.now() - t0).toBeLessThan(1000);
    expect(remotes()).toEqual(['198.51.100.2', '198.51.100.4']);
    expect(lines.filter((l) => l.action).map((l) => [l.action, l.object, l.reason])).toEqual([['add', 'fdb 00:00:00:00:00:00 dst 198.51.100.4 on vx0', 'drift: missing in kernel']]);
  });
});

describe('agent as a process', () => {
  it('runs from the command line, and exits 0 on SIGTERM after closing everything', async () => {
    const ns2 = makeNetns('agent-proc');
    const path = join(dir, 'proc.json');
    writeConfig(path, config(['198.51.100.9'], { netns: ns2, owner: 'proc' }));
    const child = spawn(process.execPath, ['node_modules/vite-node/vite-node.mjs', 'lib/agent/main.ts', '--config', path], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`agent did not apply within 30 s: ${out} ${err}`)), 30_000);
      child.stdout.on('data', (d: Buffer) => {
        out += d.toString();
        if (out.includes('"object":"fdb 00:00:00:00:00:00 dst 198.51.100.9 on vx0"')) {
          clearTimeout(timer);
          resolve();
        }
      });
    });
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
    const log = out.trim().split('\n').map((l) => JSON.parse(l) as LogLine);
    expect(log[0]).toMatchObject({ level: 'info', event: 'started', owner: 'proc' });
    expect(log.at(-1)).toMatchObject({ level: 'info', event: 'stopped' });
    expect(ipIn(ns2, 'link', 'show', 'vx0')).toContain('vx0');
  }, 60_000);
});
