// The connection table read by the library from inside a namespace, against
// `ipvsadm -Lcn` run there. Entries come from local clients (IPVS schedules
// a namespace's own outgoing traffic too) to real servers that do not exist:
// the first packet is enough to create an entry.
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { Ipvs, ValidationError, type IpvsConnection } from '../../lib/index.js';
import { makeNetns, nsExec, ipIn } from '../helpers/netns.js';

let ns: string;
let ipvs: Ipvs;

const TRAFFIC = `
const dgram = require('dgram'), net = require('net');
const u4 = dgram.createSocket('udp4'); u4.bind(40000, () => u4.send('x', 53, '192.0.2.100', () => u4.close()));
const u6 = dgram.createSocket('udp6'); u6.bind(40001, () => u6.send('x', 53, '2001:db8::100', () => u6.close()));
for (const [host, port, localPort] of [['192.0.2.100', 80, 40002], ['192.0.2.200', 443, 40003]]) {
  const c = net.connect({ host, port, localPort }); c.on('error', () => {}); setTimeout(() => c.destroy(), 300);
}`;

async function collect(it: AsyncIterable<IpvsConnection>): Promise<IpvsConnection[]> {
  const out: IpvsConnection[] = [];
  for await (const e of it) out.push(e);
  return out;
}

const ap = (e: { address: string; port: number }): string => (e.address.includes(':') ? `[${e.address}]:${e.port}` : `${e.address}:${e.port}`);
/** ipvsadm -Lcn columns without the expiry, which ticks between two reads. */
const key = (c: IpvsConnection): string => `${c.protocol.toUpperCase()} ${c.state} ${ap(c.client)} ${ap(c.virtual)} ${ap(c.destination)}`;

function ipvsadmRows(): Array<{ key: string; expires: number }> {
  return nsExec(ns, 'ipvsadm', '-Lcn')
    .trimEnd()
    .split('\n')
    .slice(2)
    .map((row) => {
      const [proto, expire, state, source, virtual, destination] = row.split(/\s+/) as [string, string, string, string, string, string];
      const [m, s] = expire.split(':').map(Number) as [number, number];
      return { key: `${proto} ${state} ${source} ${virtual} ${destination}`, expires: m * 60 + s };
    });
}

beforeAll(async () => {
  ns = makeNetns('ipvs-conn');
  ipIn(ns, 'link', 'add', 'dummy0', 'type', 'dummy');
  ipIn(ns, 'link', 'set', 'dummy0', 'up');
  ipIn(ns, 'addr', 'add', '192.0.2.1/24', 'dev', 'dummy0');
  ipIn(ns, 'addr', 'add', '2001:db8::1/64', 'dev', 'dummy0', 'nodad');
  ipvs = Ipvs.open({ netns: ns });
  await ipvs.addService({ protocol: 'udp', address: '192.0.2.100', port: 53, scheduler: 'rr' });
  await ipvs.addDestination({ protocol: 'udp', address: '192.0.2.100', port: 53 }, { address: '192.0.2.11', forward: 'masq' });
  await ipvs.addService({ protocol: 'tcp', address: '192.0.2.100', port: 80, scheduler: 'rr', persistent: 120 });
  await ipvs.addDestination({ protocol: 'tcp', address: '192.0.2.100', port: 80 }, { address: '192.0.2.12', port: 8080, forward: 'masq' });
  await ipvs.addService({ protocol: 'udp', address: '2001:db8::100', port: 53, scheduler: 'rr' });
  await ipvs.addDestination({ protocol: 'udp', address: '2001:db8::100', port: 53 }, { address: '2001:db8::11', forward: 'masq' });
  await ipvs.addService({ fwmark: 7, scheduler: 'rr', persistent: 60 });
  await ipvs.addDestination({ fwmark: 7 }, { address: '192.0.2.13', port: 0, forward: 'masq' });
  nsExec(ns, 'iptables-legacy', '-t', 'mangle', '-A', 'OUTPUT', '-d', '192.0.2.200', '-p', 'tcp', '--dport', '443', '-j', 'MARK', '--set-mark', '7');
  nsExec(ns, process.execPath, '-e', TRAFFIC);
});
afterAll(() => ipvs?.close());

describe('the connection table of a namespace', () => {
  it('holds what ipvsadm -Lcn shows, entry for entry', async () => {
    const mine = await collect(ipvs.connections());
    const oracle = ipvsadmRows();
    expect(mine.map(key).sort()).toEqual(oracle.map((r) => r.key).sort());
    expect(mine).toHaveLength(6);
    for (const e of mine) {
      const o = oracle.find((r) => r.key === key(e))!;
      expect(Math.abs(o.expires - e.expires)).toBeLessThanOrEqual(2);
    }
    const templates = mine.filter((e) => e.template);
    expect(templates.map((t) => [t.protocol, t.fwmark, t.virtual.port]).sort()).toEqual([['ip', 7, 0], ['tcp', undefined, 80]]);
  });

  it('reads ip_vs_conn_sync with every entry of local origin', async () => {
    const plain = await collect(ipvs.connections());
    const sync = await collect(ipvs.connections({ sync: true }));
    expect(sync.every((e) => e.origin === 'local')).toBe(true);
    expect(sync.map(key).sort()).toEqual(plain.map(key).sort());
  });

  it('filters while streaming', async () => {
    const udp = await collect(ipvs.connections({ filter: { service: { protocol: 'udp' } } }));
    expect(udp.map((e) => e.virtual.address).sort()).toEqual(['192.0.2.100', '2001:db8::100']);
    const toC = await collect(ipvs.connections({ filter: { destination: { address: '192.0.2.13', port: 443 }, state: 'SYN_RECV' } }));
    expect(toC.map((e) => ap(e.client))).toEqual(['192.0.2.1:40003']);
    expect(() => ipvs.connections({ filter: { service: { address: 'nope' } } })).toThrow(ValidationError);
  });

  it('is per namespace: another namespace has its own, empty, table', async () => {
    const other = makeNetns('ipvs-conn-b');
    using there = Ipvs.open({ netns: other });
    expect(await collect(there.connections())).toEqual([]);
    expect(await collect(there.connections({ sync: true }))).toEqual([]);
  });

  it('stops on an aborted signal', async () => {
    const ac = new AbortController();
    ac.abort();
    await expect(collect(ipvs.connections({ signal: ac.signal }))).rejects.toMatchObject({ name: 'AbortError' });
  });
});
