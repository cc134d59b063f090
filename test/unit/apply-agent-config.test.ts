// The agent's configuration checks, argument parsing, log reasons, and the
// overlay planner on plain data (no kernel).
import { describe, it, expect } from 'vitest';
import { parseAgentConfig } from '../../lib/agent/config.js';
import { parseAgentArgs } from '../../lib/agent/cli.js';
import { reasonFor } from '../../lib/agent/agent.js';
import { main } from '../../lib/cli/nl-lvs/main.js';
import { normalizeOverlay } from '../../lib/desired/overlay-desired.js';
import { planOverlay } from '../../lib/desired/overlay-diff.js';
import type { FdbEntry } from '../../lib/families/fdb.js';
import { ValidationError } from '../../lib/protocol/errors.js';

const ipvs = { services: [{ protocol: 'tcp', address: '198.51.100.1', port: 80, destinations: [{ address: '192.0.2.10', forward: 'masq' }] }] };
const overlay = { vxlan: { name: 'vxlan0', id: 42 }, peers: [{ underlay: '198.51.100.2' }] };

function fieldOf(text: string): string | undefined {
  try {
    parseAgentConfig(text);
    return undefined;
  } catch (err) {
    expect(err).toBeInstanceOf(ValidationError);
    return (err as ValidationError).field;
  }
}

describe('parseAgentConfig', () => {
  it('fills in the defaults', () => {
    expect(parseAgentConfig(JSON.stringify({ ipvs }))).toMatchObject({ owner: 'default', interval: 500, drainTimeout: 300, ipvs });
  });

  it('names the bad field', () => {
    expect(fieldOf('{ nope')).toBe('config');
    expect(fieldOf('{}')).toBe('config');
    expect(fieldOf(JSON.stringify({ ipvs, intervall: 5 }))).toBe('intervall');
    expect(fieldOf(JSON.stringify({ ipvs, owner: 'a/b' }))).toBe('owner');
    expect(fieldOf(JSON.stringify({ ipvs, interval: 1 }))).toBe('interval');
    expect(fieldOf(JSON.stringify({ ipvs, metrics: 'localhost' }))).toBe('metrics');
    expect(fieldOf(JSON.stringify({ ipvs: { services: [{ ...ipvs.services[0], scheduler: 'nope' }] } }))).toBe('ipvs.services[0].scheduler');
    expect(fieldOf(JSON.stringify({ overlay: { ...overlay, peers: [{ underlay: '198.51.100.2', mac: 'zz' }] } }))).toBe('overlay.peers[0].mac');
    expect(fieldOf(JSON.stringify({ overlay: { ...overlay, vxlan: { name: 'vxlan0' } } }))).toBe('overlay.vxlan.id');
    expect(fieldOf(JSON.stringify({ overlay: { ...overlay, vxlan: { ...overlay.vxlan, remote: '198.51.100.9' } } }))).toBe('overlay.vxlan.remote');
  });
});

describe('agent command line', () => {
  it('parses its arguments', () => {
    expect(parseAgentArgs(['--config', 'a.json'])).toEqual({ config: 'a.json', metrics: undefined });
    expect(parseAgentArgs(['--config=a.json', '--metrics', '127.0.0.1:9464'])).toEqual({ config: 'a.json', metrics: '127.0.0.1:9464' });
    expect(parseAgentArgs([])).toEqual({ error: '--config FILE is required' });
    expect(parseAgentArgs(['--config', 'a', '--metrics', 'x'])).toMatchObject({ error: expect.stringMatching(/^--metrics: /) });
    expect(parseAgentArgs(['--what'])).toMatchObject({ error: 'unknown argument "--what"' });
  });

  it('is the `agent` subcommand of nl-lvs', async () => {
    let out = '';
    let err = '';
    const io = { stdout: { write: (s: string) => (out += s) }, stderr: { write: (s: string) => (err += s) } };
    expect(await main(['agent', '--help'], io)).toBe(0);
    expect(out).toMatch(/^usage: nl-lvs agent --config FILE/);
    expect(await main(['agent'], io)).toBe(2);
    expect(err).toContain('--config FILE is required');
    expect(await main(['agent', '--config', '/nonexistent/nl-lvs.json'], io)).toBe(1);
    expect(err).toContain('ENOENT');
  });
});

describe('log reasons', () => {
  it('say what started the change; drains say how they ended', () => {
    const add = { action: 'add' as const, object: 'x' };
    expect(reasonFor('file', add)).toBe('desired state file changed');
    expect(reasonFor('poll', add)).toBe('drift: missing in kernel');
    expect(reasonFor('poll', { action: 'edit', object: 'x' })).toBe('drift: changed in kernel');
    expect(reasonFor('poll', { action: 'edit', object: 'x', reason: 'drain started' })).toBe('drift: not in desired state');
    expect(reasonFor('file', { action: 'remove', object: 'x', reason: 'drain timeout' })).toBe('drain timeout');
  });
});

describe('planOverlay', () => {
  const fdb = (mac: string, dst: string): FdbEntry => ({
    mac, dst, ifindex: 5, state: 'permanent', stateBits: 0x80, self: true, master: false, sticky: false, externLearn: false,
    offloaded: false, router: false, locked: false, flagBits: 2,
  });
  const link = { index: 5, name: 'vxlan0', kind: 'vxlan', type: 1, flags: 1, up: true, lowerUp: true, operstate: 'up' as const, info: { id: 42 } };

  it('touches only the entries of the peers that changed', () => {
    const want = normalizeOverlay({ ...overlay, peers: [{ underlay: '198.51.100.2' }, { underlay: '198.51.100.4' }] });
    const steps = planOverlay(want, { vxlan: link, fdb: [fdb('00:00:00:00:00:00', '198.51.100.2'), fdb('00:00:00:00:00:00', '198.51.100.3')], neighbours: [], addresses: [] });
    expect(steps.map((s) => [s.op.op, s.change.object])).toEqual([
      ['fdb.delete', 'fdb 00:00:00:00:00:00 dst 198.51.100.3 on vxlan0'],
      ['fdb.append', 'fdb 00:00:00:00:00:00 dst 198.51.100.4 on vxlan0'],
    ]);
  });

  it('recreates the device for a setting the kernel cannot change, and then adds every entry', () => {
    const want = normalizeOverlay({ ...overlay, vxlan: { name: 'vxlan0', id: 43 } });
    const steps = planOverlay(want, { vxlan: link, fdb: [fdb('00:00:00:00:00:00', '198.51.100.2')], neighbours: [], addresses: [] });
    expect(steps.map((s) => [s.phase, s.op.op, s.change.reason])).toEqual([
      [1, 'link.delete', 'recreated: id cannot change in place'],
      [1, 'link.create', undefined],
      [2, 'fdb.append', undefined],
    ]);
  });
});
