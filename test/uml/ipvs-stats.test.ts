// IPVS counters on the UML kernel: real traffic (UDP datagrams sent to a local
// virtual address inside the namespace), read as bigint and checked against
// `ipvsadm -Ln --stats --exact`; zero() for one service and for all.
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { Ipvs, type ServiceKey, type IpvsStats } from '../../lib/index.js';
import { makeNetns, nsExec, ipIn } from '../helpers/netns.js';

let ns: string;
let ipvs: Ipvs;

const A: ServiceKey = { protocol: 'udp', address: '198.51.100.9', port: 53 };
const B: ServiceKey = { protocol: 'udp', address: '198.51.100.10', port: 53 };

function send(to: string, n: number): void {
  nsExec(ns, 'bash', '-c', `for i in $(seq ${n}); do echo hello > /dev/udp/${to}/53; done`);
}

/** Conns, InPkts, OutPkts, InBytes, OutBytes per line of `ipvsadm -Ln --stats --exact`, keyed by the address column. */
function admStats(): Map<string, bigint[]> {
  const out = new Map<string, bigint[]>();
  for (const line of nsExec(ns, 'ipvsadm', '-Ln', '--stats', '--exact').split('\n').slice(3)) {
    const cols = line.trim().split(/\s+/);
    if (cols.length < 6) continue;
    const name = cols[0] === '->' ? `-> ${cols[1]}` : cols[1]!;
    out.set(name, cols.slice(-5).map((c) => BigInt(c)));
  }
  return out;
}

const five = (s: IpvsStats): bigint[] => [s.connections, s.inPackets, s.outPackets, s.inBytes, s.outBytes];

async function waitForConnections(key: ServiceKey, n: bigint): Promise<void> {
  const deadline = Date.now() + 10_000;
  while ((await ipvs.getService(key)).stats.connections < n) {
    if (Date.now() > deadline) throw new Error('the kernel did not update the counters in 10 s');
    await new Promise((r) => setTimeout(r, 250));
  }
}

beforeAll(async () => {
  ns = makeNetns('ipvs-stats');
  ipIn(ns, 'link', 'add', 'd0', 'type', 'dummy');
  ipIn(ns, 'link', 'set', 'd0', 'up');
  ipIn(ns, 'addr', 'add', '192.0.2.1/24', 'dev', 'd0');
  ipIn(ns, 'addr', 'add', '198.51.100.9/32', 'dev', 'lo');
  ipIn(ns, 'addr', 'add', '198.51.100.10/32', 'dev', 'lo');
  ipvs = Ipvs.open({ netns: ns });
  await ipvs.batch([
    { op: 'addService', service: { ...A, scheduler: 'rr' } },
    { op: 'addDestination', service: A, destination: { address: '192.0.2.30' } },
    { op: 'addDestination', service: A, destination: { address: '192.0.2.31' } },
    { op: 'addService', service: { ...B, scheduler: 'rr' } },
    { op: 'addDestination', service: B, destination: { address: '192.0.2.32' } },
  ]);
  send('198.51.100.9', 4);
  send('198.51.100.10', 3);
  // The kernel folds per-CPU counters into the totals every 2 s.
  await waitForConnections(A, 4n);
  await waitForConnections(B, 3n);
});

afterAll(() => ipvs?.close());

describe('IPVS counters', () => {
  it('are bigint and match ipvsadm --stats --exact, for services and destinations', async () => {
    const snap = await ipvs.snapshot();
    const oracle = admStats();
    for (const s of snap) {
      for (const v of Object.values(s.stats)) expect(typeof v).toBe('bigint');
      expect(five(s.stats)).toEqual(oracle.get(`${s.address}:${s.port}`));
      for (const d of s.destinations) expect(five(d.stats)).toEqual(oracle.get(`-> ${d.address}:${d.port}`));
    }
    const a = snap.find((s) => s.address === '198.51.100.9')!;
    expect(a.stats.connections).toBe(4n);
    expect(a.stats.inPackets).toBe(4n);
    expect(a.stats.inBytes).toBe(4n * 34n); // "hello\n" + UDP and IPv4 headers
    expect(a.destinations.reduce((n, d) => n + d.stats.connections, 0n)).toBe(4n);
    expect(a.destinations.reduce((n, d) => n + d.inactiveConnections, 0)).toBe(4);
  });

  it('zero(service) clears that service and its destinations only', async () => {
    await ipvs.zero(A);
    const snap = await ipvs.snapshot();
    const a = snap.find((s) => s.address === '198.51.100.9')!;
    const b = snap.find((s) => s.address === '198.51.100.10')!;
    expect(five(a.stats)).toEqual([0n, 0n, 0n, 0n, 0n]);
    for (const d of a.destinations) expect(five(d.stats)).toEqual([0n, 0n, 0n, 0n, 0n]);
    expect(b.stats.connections).toBe(3n);
    expect(admStats().get('198.51.100.9:53')).toEqual([0n, 0n, 0n, 0n, 0n]);
    expect(admStats().get('198.51.100.10:53')![0]).toBe(3n);
  });

  it('zero() clears every service', async () => {
    await ipvs.zero();
    for (const s of await ipvs.snapshot()) {
      expect(s.stats.connections).toBe(0n);
      for (const d of s.destinations) expect(d.stats.connections).toBe(0n);
    }
    for (const v of admStats().values()) expect(v).toEqual([0n, 0n, 0n, 0n, 0n]);
  });
});
