// ipvs.apply() against the UML kernel's IPVS, with ipvsadm as the oracle:
// one batch per apply, nothing sent when the kernel already matches, edits in
// place, other owners' services untouched, dry runs, and the state file.
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { mkdtempSync, readFileSync, rmSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Ipvs, formatPlan, type IpvsDesiredState } from '../../lib/index.js';
import { makeNetns, nsExec } from '../helpers/netns.js';

let ns: string;
let ipvs: Ipvs;
let dir: string;
let stateFile: string;

const ipvsadm = (...args: string[]): string => nsExec(ns, 'ipvsadm', ...args);
/** `ipvsadm -Sn`, sorted: the whole IPVS state as ipvsadm sees it. */
const saved = (): string[] => ipvsadm('-Sn').trim().split('\n').filter(Boolean).sort();

const web = { protocol: 'tcp', address: '198.51.100.1', port: 80 } as const;
const state = (weights: Record<string, number>, scheduler = 'rr'): IpvsDesiredState => ({
  services: [
    { ...web, scheduler, destinations: Object.entries(weights).map(([address, weight]) => ({ address, forward: 'masq' as const, weight })) },
    { fwmark: 5, scheduler: 'wrr', persistent: 60, destinations: [{ address: '192.0.2.30', port: 8080 }] },
  ],
});

beforeAll(() => {
  ns = makeNetns('apply');
  ipvs = Ipvs.open({ netns: ns });
  dir = mkdtempSync(join(tmpdir(), 'nl-apply-'));
  stateFile = join(dir, 'web.json');
});
afterAll(() => {
  ipvs?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('ipvs.apply()', () => {
  const opts = () => ({ owner: 'web', stateFile, drainTimeout: 60 });

  it('a dry run plans without touching the kernel or the state file', async () => {
    const plan = await ipvs.apply(state({ '192.0.2.10': 1, '192.0.2.11': 2 }), { ...opts(), dryRun: true });
    expect(formatPlan(plan)).toEqual([
      '+ service 198.51.100.1:80/tcp rr',
      '+ service fwmark 5 wrr persistent 60',
      '+ destination 192.0.2.10:80 in service 198.51.100.1:80/tcp masq weight 1',
      '+ destination 192.0.2.11:80 in service 198.51.100.1:80/tcp masq weight 2',
      '+ destination 192.0.2.30:8080 in service fwmark 5 route weight 1',
    ]);
    expect(plan.operations).toBe(0);
    expect(saved()).toEqual([]);
    expect(existsSync(stateFile)).toBe(false);
  });

  it('creates everything in one batch and records the claim', async () => {
    const sendsBefore = ipvs.conn.counters.sends;
    const report = await ipvs.apply(state({ '192.0.2.10': 1, '192.0.2.11': 2 }), opts());
    expect(report.errors).toEqual([]);
    expect(report.operations).toBe(5);
    expect(report.added.map((c) => c.object)).toHaveLength(5);
    // snapshot (1 + 0 dumps: empty) + one batch.
    expect(ipvs.conn.counters.sends - sendsBefore).toBeLessThanOrEqual(3);
    expect(saved()).toEqual([
      '-A -f 5 -s wrr -p 60',
      '-A -t 198.51.100.1:80 -s rr',
      '-a -f 5 -r 192.0.2.30:8080 -g -w 1',
      '-a -t 198.51.100.1:80 -r 192.0.2.10:80 -m -w 1',
      '-a -t 198.51.100.1:80 -r 192.0.2.11:80 -m -w 2',
    ]);
    expect(JSON.parse(readFileSync(stateFile, 'utf8'))).toMatchObject({ owner: 'web', services: ['198.51.100.1:80/tcp', 'fwmark 5'] });
  });

  it('a second apply of the same state sends nothing', async () => {
    const sends = ipvs.conn.counters.messages;
    const report = await ipvs.apply(state({ '192.0.2.10': 1, '192.0.2.11': 2 }), opts());
    expect(report).toMatchObject({ operations: 0, added: [], edited: [], removed: [], errors: [], draining: [] });
    // Only the snapshot's dumps went out: no write.
    expect(ipvs.conn.counters.messages - sends).toBeLessThanOrEqual(3);
  });

  it('weights and the scheduler change in place (edits, never delete and add)', async () => {
    nsExec(ns, 'ipvsadm', '-Z');
    const report = await ipvs.apply(state({ '192.0.2.10': 3, '192.0.2.11': 2 }, 'wlc'), opts());
    expect(formatPlan(report)).toEqual([
      '~ service 198.51.100.1:80/tcp scheduler rr → wlc',
      '~ destination 192.0.2.10:80 in service 198.51.100.1:80/tcp weight 1 → 3',
    ]);
    expect(report.operations).toBe(2);
    expect(saved()).toContain('-A -t 198.51.100.1:80 -s wlc');
    expect(saved()).toContain('-a -t 198.51.100.1:80 -r 192.0.2.10:80 -m -w 3');
  });

  it('leaves services it does not own alone', async () => {
    ipvsadm('-A', '-u', '198.51.100.9:53', '-s', 'rr');
    ipvsadm('-a', '-u', '198.51.100.9:53', '-r', '192.0.2.99', '-m');
    const report = await ipvs.apply(state({ '192.0.2.10': 3, '192.0.2.11': 2 }, 'wlc'), opts());
    expect(report.operations).toBe(0);
    expect(saved()).toContain('-A -u 198.51.100.9:53 -s rr');
    // Another owner's empty desired state removes nothing of ours either.
    const other = await ipvs.apply({ services: [] }, { owner: 'other', stateFile: join(dir, 'other.json') });
    expect(other.operations).toBe(0);
  });

  it('a removed destination drains (weight 0) and is deleted by a later apply once idle', async () => {
    const first = await ipvs.apply(state({ '192.0.2.10': 3 }, 'wlc'), opts());
    expect(formatPlan(first)[0]).toBe('~ destination 192.0.2.11:80 in service 198.51.100.1:80/tcp weight 2 → 0 (drain started)');
    expect(first.draining.map((d) => d.object)).toEqual(['destination 192.0.2.11:80 in service 198.51.100.1:80/tcp']);
    expect(saved()).toContain('-a -t 198.51.100.1:80 -r 192.0.2.11:80 -m -w 0');
    expect(JSON.parse(readFileSync(stateFile, 'utf8')).draining).toEqual({ '198.51.100.1:80/tcp': { '192.0.2.11:80': first.draining[0]!.since } });

    const second = await ipvs.apply(state({ '192.0.2.10': 3 }, 'wlc'), opts());
    expect(formatPlan(second)).toEqual(['- destination 192.0.2.11:80 in service 198.51.100.1:80/tcp (drained)']);
    expect(saved().some((l) => l.includes('192.0.2.11'))).toBe(false);
    expect(JSON.parse(readFileSync(stateFile, 'utf8')).draining).toEqual({});
  });

  it('a service dropped from the desired state is removed (owned), the unowned one stays', async () => {
    const desired: IpvsDesiredState = { services: [state({}).services[1]!] };
    const first = await ipvs.apply(desired, opts());
    expect(first.edited.map((c) => c.reason)).toEqual(['drain started']);
    expect(first.draining.map((d) => d.object)).toEqual(['service 198.51.100.1:80/tcp']);
    const second = await ipvs.apply(desired, opts());
    expect(formatPlan(second)).toEqual(['- service 198.51.100.1:80/tcp (drained)']);
    expect(saved()).toEqual(['-A -f 5 -s wrr -p 60', '-A -u 198.51.100.9:53 -s rr', '-a -f 5 -r 192.0.2.30:8080 -g -w 1', '-a -u 198.51.100.9:53 -r 192.0.2.99:53 -m -w 1']);
    expect(JSON.parse(readFileSync(stateFile, 'utf8')).services).toEqual(['fwmark 5']);
  });

  it('bad input is refused before anything is sent', async () => {
    const before = saved();
    await expect(ipvs.apply({ services: [{ ...web, destinations: [{ address: '192.0.2.1', weight: -1 }] }] }, opts())).rejects.toThrow(/services\[0\]\.destinations\[0\]\.weight/);
    await expect(ipvs.apply({ services: [] }, { ...opts(), owner: '../x' })).rejects.toThrow(/owner/);
    expect(saved()).toEqual(before);
  });

  it('a kernel error is reported per change, the rest still applied', async () => {
    const report = await ipvs.apply({ services: [...state({}).services.slice(1), { ...web, port: 81, scheduler: 'nosuch' }] }, { ...opts(), allowUnknownScheduler: true });
    expect(report.errors.map((e) => [e.action, e.object, (e.error as NodeJS.ErrnoException).code])).toEqual([['add', 'service 198.51.100.1:81/tcp', 'ENOENT']]);
  });
});
