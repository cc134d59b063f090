// Summarises a V8 .cpuprofile (node --cpu-prof): self time per function,
// heaviest first, so the report can say where nl-lvs spends a case's time.
import { readdirSync, readFileSync } from 'node:fs';
import { basename, join } from 'node:path';

/** Self time by function, for the samples taken between `fromUs` and `toUs` (profile clock) if given. */
export function summarizeProfile(path, { top = 12 } = {}) {
  const p = JSON.parse(readFileSync(path, 'utf8'));
  const byId = new Map(p.nodes.map((n) => [n.id, n]));
  const self = new Map();
  let total = 0;
  for (let i = 0; i < p.samples.length; i++) {
    const dt = (p.timeDeltas[i + 1] ?? p.timeDeltas[i] ?? 0) / 1000; // µs → ms
    const node = byId.get(p.samples[i]);
    if (!node) continue;
    const f = node.callFrame;
    const where = f.url ? `${basename(f.url)}:${f.lineNumber + 1}` : '';
    const key = `${f.functionName || '(anonymous)'}${where ? ` ${where}` : ''}`;
    self.set(key, (self.get(key) ?? 0) + dt);
    total += dt;
  }
  const rows = [...self.entries()].sort((a, b) => b[1] - a[1]);
  const pick = (name) => rows.find(([k]) => k === name)?.[1] ?? 0;
  return {
    total_ms: round(total),
    idle_ms: round(pick('(idle)')),
    gc_ms: round(pick('(garbage collector)')),
    program_ms: round(pick('(program)')),
    top: rows
      .filter(([k]) => !['(idle)', '(program)', '(root)'].includes(k))
      .slice(0, top)
      .map(([k, ms]) => ({ fn: k, self_ms: round(ms), share: Math.round((ms / total) * 1e4) / 1e4 })),
  };
}

/** The newest .cpuprofile in a directory. */
export function newestProfile(dir) {
  const files = readdirSync(dir).filter((f) => f.endsWith('.cpuprofile')).sort();
  return files.length ? join(dir, files[files.length - 1]) : undefined;
}

const round = (x) => Math.round(x * 100) / 100;
