// A reader whose only holder is the loop waiting on it (the watch stream and
// the packet tap) keeps the process alive and survives garbage collection.
// Found in CI: a GC during `for await (const b of PacketTap.open(...))`
// collected the tap, and the loop waited forever; a script that only watched
// rtnl events exited at once with "unsettled top-level await".
import { describe, it, expect, beforeAll } from 'vitest';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { makeNetns, ipIn, nsExec } from '../helpers/netns.js';

const root = join(import.meta.dirname, '..', '..');
let ns: string;

beforeAll(() => {
  ns = makeNetns('alone');
});

/** Starts the child, runs `trigger` once it says ready; resolves with its output and exit code. */
function runChild(what: 'watch' | 'tap', trigger: () => void): Promise<{ lines: string[]; code: number | null }> {
  const child = spawn(
    process.execPath,
    [join(root, 'node_modules/vite-node/vite-node.mjs'), join(root, 'test/helpers/waiting-alone-child.ts'), ns, what],
    { cwd: root, stdio: ['ignore', 'pipe', 'inherit'] },
  );
  const lines: string[] = [];
  let pending = '';
  child.stdout.on('data', (d: Buffer) => {
    pending += d.toString();
    const parts = pending.split('\n');
    pending = parts.pop()!;
    for (const line of parts) {
      lines.push(line);
      if (line === 'ready') trigger();
    }
  });
  const killer = setTimeout(() => child.kill(), 30_000);
  return new Promise((resolve) => {
    child.on('exit', (code) => {
      clearTimeout(killer);
      resolve({ lines, code });
    });
  });
}

describe('a reader held only by its waiting loop', () => {
  it('rtnl.watch() keeps the process alive and delivers the next event', async () => {
    const { lines, code } = await runChild('watch', () => ipIn(ns, 'link', 'add', 'alone0', 'type', 'veth', 'peer', 'name', 'alone1'));
    expect(lines).toEqual(['ready', expect.stringMatching(/^link alone[01]$/)]);
    expect(code).toBe(0);
  });

  it('PacketTap keeps the process alive and delivers the next batch', async () => {
    const { lines, code } = await runChild('tap', () => void nsExec(ns, 'ping', '-c', '2', '-i', '0.2', '127.0.0.1'));
    expect(lines).toEqual(['ready', expect.stringMatching(/^frames [1-9]/)]);
    expect(code).toBe(0);
  });
});
