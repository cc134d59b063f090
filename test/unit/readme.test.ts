// The README's test command is what CI runs: keep .ci/run and the README in step.
import { describe, it, expect } from 'vitest';
import { readFileSync } from 'node:fs';

describe('README', () => {
  it('shows the exact command .ci/run runs', () => {
    const readme = readFileSync('README.md', 'utf8');
    const ci = readFileSync('.ci/run', 'utf8');
    const command = ci.split('\n').find((l) => l.includes('npm test'))!.trim();
    expect(readme).toContain(command);
  });
  it('shows a demo command that does its own setup', () => {
    const readme = readFileSync('README.md', 'utf8');
    expect(readme).toContain('bash scripts/install-system-deps.sh && npm ci && npm run demo');
  });
});
