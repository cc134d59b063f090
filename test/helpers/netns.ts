// Test namespaces: each test file makes its own, uniquely named, and deletes
// them afterwards even when a test fails. The host's root namespace is never
// changed. iproute2 is used here only to set up fixtures and as an oracle.
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { afterAll } from 'vitest';

// One set per worker process, shared by every test file it runs (vitest
// re-evaluates this module per file), so a single exit hook covers them all.
const registry = globalThis as { __nlLvsTestNetns?: Set<string> };
const firstLoad = registry.__nlLvsTestNetns === undefined;
const made = (registry.__nlLvsTestNetns ??= new Set<string>());

export function sh(cmd: string, args: string[], input?: string): string {
  return execFileSync(cmd, args, { encoding: 'utf8', input, stdio: ['pipe', 'pipe', 'pipe'] });
}

/** `ip` inside a namespace. */
export function ipIn(ns: string, ...args: string[]): string {
  return sh('ip', ['-n', ns, ...args]);
}

/** `ip -j` inside a namespace, parsed. */
export function ipJson<T = unknown>(ns: string, ...args: string[]): T {
  const out = sh('ip', ['-n', ns, '-j', ...args]);
  return (out.trim() === '' ? [] : JSON.parse(out)) as T;
}

/** Runs a command inside a namespace. */
export function nsExec(ns: string, cmd: string, ...args: string[]): string {
  return sh('ip', ['netns', 'exec', ns, cmd, ...args]);
}

/** Creates a namespace named nlt-<tag>-<random> with lo up; deleted after the file's tests. */
export function makeNetns(tag: string): string {
  const name = `nlt-${tag}-${randomBytes(3).toString('hex')}`;
  sh('ip', ['netns', 'add', name]);
  made.add(name);
  sh('ip', ['-n', name, 'link', 'set', 'lo', 'up']);
  return name;
}

export function deleteNetns(name: string): void {
  try {
    sh('ip', ['netns', 'del', name]);
  } catch {
    // already gone
  }
  made.delete(name);
}

afterAll(() => {
  for (const name of [...made]) deleteNetns(name);
});

// A crash or Ctrl-C still removes this process's namespaces.
if (firstLoad) {
  process.once('exit', () => {
    for (const name of made) {
      try {
        execFileSync('ip', ['netns', 'del', name], { stdio: 'ignore' });
      } catch {
        // ignore
      }
    }
  });
}
