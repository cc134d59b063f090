// Soak and garbage collection, in a child process started with --expose-gc
// (test/reliability/soak.ts): 10^4 kernel operations (after 5·10^3 of warm-up) with fds flat and RSS
// growth under 5% (scripts/reliability/soak.sh runs 10^6), and 1000 Rtnl
// handles dropped without close() giving their fds back once collected.
import { describe, it, expect } from 'vitest';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { makeNetns } from '../helpers/netns.js';

const root = join(import.meta.dirname, '..', '..');

function child(...args: string[]): Record<string, number> {
  const out = execFileSync(process.execPath, ['--expose-gc', join(root, 'node_modules/vite-node/vite-node.mjs'), join(root, 'test/reliability/soak.ts'), '--', ...args], {
    encoding: 'utf8', cwd: root, stdio: ['ignore', 'pipe', 'inherit'], timeout: 170_000,
  });
  return JSON.parse(out.trim().split('\n').pop()!) as Record<string, number>;
}

describe('soak and GC (child process)', () => {
  it('1.5·10^4 operations (10^4 measured after warm-up): no failure, fds flat, RSS growth under 5%', () => {
    const r = child('soak', makeNetns('soak'), '15000');
    expect(r.ops).toBe(15_000);
    expect(r.failures).toBe(0);
    expect(r.fdEnd).toBe(r.fdStart);
    expect(r.fdMax).toBeLessThanOrEqual(r.fdStart + 2);
    expect(r.rssGrowthPercent).toBeLessThan(5);
  }, 180_000);

  it('1000 handles opened and dropped without close(): every fd comes back after GC', () => {
    const r = child('gc', makeNetns('gc'), '1000');
    expect(r.open).toBe(1000);
    expect(r.peak - r.before).toBeGreaterThanOrEqual(1000);
    expect(r.after).toBe(r.before);
  }, 180_000);
});
