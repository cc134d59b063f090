// Starts test/reliability/unprivileged-child.ts without CAP_NET_ADMIN (root
// with the capability dropped from the bounding set by setpriv, so it cannot
// come back on exec) and returns its outcomes.
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';

const root = join(import.meta.dirname, '..', '..');

export function runUnprivileged(ns: string, ...extra: string[]): Record<string, string> {
  const out = execFileSync(
    'setpriv',
    [
      '--inh-caps=-all', '--ambient-caps=-all', '--bounding-set=-net_admin', '--',
      process.execPath, join(root, 'node_modules/vite-node/vite-node.mjs'), join(root, 'test/reliability/unprivileged-child.ts'), ns, ...extra,
    ],
    { encoding: 'utf8', cwd: root, stdio: ['ignore', 'pipe', 'pipe'], timeout: 170_000 },
  );
  return JSON.parse(out.trim().split('\n').pop()!) as Record<string, string>;
}
