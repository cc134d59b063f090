#!/usr/bin/env node
// Reads AddressSanitizer / LeakSanitizer / UBSan log files (asan.PID,
// ubsan.PID) or valgrind logs (valgrind.PID) and sorts every report into
// "the addon's" — a stack with a frame in nl_lvs.node or native/*.cc — and
// "not ours": node/V8's own allocations, and the fixture tools (ip, ping,
// python3) that inherit LD_PRELOAD. Prints both counts; exits 1 when the
// addon has any error or leak.
//   sanitizer-report.mjs LOGDIR
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

const dir = process.argv[2];
const OURS = /nl_lvs\.node|native\/[a-z_]+\.(cc|h)\b/;
const ours = [];
const noise = new Map();
let processes = 0;

/** What a report that is not ours belongs to: the first module named in its frames after the sanitizer's own. */
function owner(text) {
  for (const m of text.matchAll(/\(([^()+]+)\+0x[0-9a-f]+\)|in [^\n]* ([^ \n]+\.so[^ \n:]*)|obj:([^\n]+)/g)) {
    const mod = (m[1] ?? m[2] ?? m[3]).trim();
    if (!/libasan|libubsan|vgpreload|valgrind/.test(mod)) return mod.replace(/^.*\//, '');
  }
  return 'unknown';
}

function add(kind, text) {
  if (OURS.test(text)) ours.push(`${kind}\n${text.trim().split('\n').slice(0, 14).join('\n')}`);
  else {
    const key = `${kind} in ${owner(text)}`;
    noise.set(key, (noise.get(key) ?? 0) + 1);
  }
}

for (const file of readdirSync(dir).sort()) {
  const text = readFileSync(join(dir, file), 'utf8');
  processes++;
  if (file.startsWith('valgrind')) {
    // Error contexts and loss records are blocks separated by "==PID== " blank lines.
    const lines = text.split('\n').map((l) => l.replace(/^==\d+== ?/, ''));
    const blocks = lines.join('\n').split(/\n\s*\n/);
    for (const b of blocks) {
      const head = b.trim().split('\n')[0] ?? '';
      if (/are definitely lost|are indirectly lost/.test(head)) add('leak (definitely/indirectly lost)', b);
      else if (/^(Invalid (read|write|free)|Mismatched free|Conditional jump|Use of uninitialised|Syscall param|Source and destination overlap)/.test(head)) add(head.replace(/ of size \d+/, ''), b);
    }
  } else {
    for (const report of text.split(/^=+\s*$/m)) {
      const err = /ERROR: (AddressSanitizer|LeakSanitizer): ([^\n]*)/.exec(report);
      if (err?.[1] === 'LeakSanitizer') {
        for (const leak of report.split(/\n(?=(?:Direct|Indirect) leak of)/).slice(1)) add('leak', leak);
      } else if (err) add(`AddressSanitizer: ${err[2].replace(/ on address.*| memory ranges.*/, '')}`, report);
      for (const m of report.matchAll(/runtime error: [^\n]*(\n\s+#\d+[^\n]*)*/g)) add('UBSan runtime error', m[0]);
    }
  }
}

console.log(`${processes} log files read`);
console.log(`not the addon's (node/V8 internals, fixture tools): ${noise.size === 0 ? 'none' : [...noise].map(([k, n]) => `${n}× ${k}`).join('; ')}`);
console.log(`the addon's: ${ours.length} error(s) or leak(s)`);
for (const r of ours) console.log(`---\n${r}`);
process.exitCode = ours.length === 0 ? 0 : 1;
