// The library never starts a process or evaluates text: no child_process (or
// eval, Function, vm) anywhere under lib/. Tests may use `ip` and friends as
// fixtures; the library may not. Also: names and paths the caller gives are
// checked before they reach native code or the filesystem.
import { describe, it, expect } from 'vitest';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { netnsPath } from '../../lib/transport/socket.js';
import { namespacePath } from '../../lib/families/link/refs.js';
import { validateIfname } from '../../lib/families/link/common.js';
import { ValidationError } from '../../lib/protocol/errors.js';

const root = join(import.meta.dirname, '..', '..');

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? sources(path) : /\.(ts|js|mjs|cjs)$/.test(name) ? [path] : [];
  });
}

const FORBIDDEN: Array<[RegExp, string]> = [
  [/child_process/, 'child_process'],
  [/(?<![.\w])(exec|execSync|execFile|execFileSync|spawn|spawnSync|fork)\s*\(/, 'a process-starting call'],
  [/(?<![.\w])eval\s*\(/, 'eval'],
  [/new\s+Function\s*\(/, 'new Function'],
  [/from\s+['"](node:)?vm['"]|require\(\s*['"](node:)?vm['"]\s*\)/, 'the vm module'],
];

describe('no shell, no eval in lib/', () => {
  it('no file under lib/ (or bin/) imports child_process, starts a process or evaluates text', () => {
    const files = [...sources(join(root, 'lib')), ...sources(join(root, 'bin'))];
    expect(files.length).toBeGreaterThan(50);
    const found: string[] = [];
    for (const file of files) {
      // Comments may mention these words; code may not.
      const code = readFileSync(file, 'utf8').replace(/\/\*[\s\S]*?\*\//g, '').replace(/(^|[^:'"`])\/\/.*$/gm, '$1');
      for (const [re, what] of FORBIDDEN) if (re.test(code)) found.push(`${relative(root, file)}: ${what}`);
    }
    expect(found).toEqual([]);
  });
});

describe('caller strings that become paths or native names', () => {
  it('namespace names cannot leave /run/netns; NUL never reaches native code', () => {
    for (const bad of ['..', '.', '../x', '../../etc/passwd', 'a/../../b', 'x y', 'x\0y', '/run/netns/x\0/../../etc', 'a'.repeat(256), 'ns$(id)', 'ns;rm', '`id`']) {
      expect(() => netnsPath(bad), bad).toThrow(ValidationError);
      expect(() => namespacePath(bad, 'peer.netns'), bad).toThrow(/peer\.netns/);
    }
    expect(netnsPath('nlt-ok_1.2')).toBe('/run/netns/nlt-ok_1.2');
    // An absolute path is the caller's explicit choice (e.g. /proc/PID/ns/net), taken as given.
    expect(netnsPath('/proc/1/ns/net')).toBe('/proc/1/ns/net');
  });

  it('interface names are checked as the kernel does (dev_valid_name), whatever their type', () => {
    for (const bad of ['', '.', '..', 'a/b', 'a b', 'a:b', 'a\0b', 'a\tb', 'x'.repeat(16), 5, null, {}, 10n, Symbol('s')]) {
      expect(() => validateIfname(bad, 'name')).toThrow(ValidationError);
    }
    expect(validateIfname('vx-42.1_a', 'name')).toBe('vx-42.1_a');
    // The last valid name is remembered (a batch names one device 50k times): that must not let a bad one through.
    for (const bad of ['', '.', 'a b', undefined, null, 'vx-42.1_a '.trimStart() + ' ']) {
      expect(validateIfname('vx-42.1_a', 'name')).toBe('vx-42.1_a');
      expect(() => validateIfname(bad, 'name')).toThrow(ValidationError);
    }
  });
});
