// The LVS tutorial, NAT side, end to end in the UML kernel: a client, a
// director and real servers in their own namespaces (test/helpers/lvs-topology.ts),
// IPVS state made through the library only, traffic from the client's
// namespace, and the results read back through the library (connection
// table, counters) with ipvsadm as the oracle.
//   1. NAT (masq), round robin;  2. firewall mark, then persistence;
//   3. L3 / SNAT: a routed real server that sees the director as the source.
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { Ipvs, type IpvsConnection, type ServiceKey } from '../../lib/index.js';
import { nsExec } from '../helpers/netns.js';
import { buildNatTopology, httpGets, eventually, sysctl, type NatTopology } from '../helpers/lvs-topology.js';

let t: NatTopology;
let ipvs: Ipvs;

async function table(filter?: Parameters<Ipvs['connections']>[0]): Promise<IpvsConnection[]> {
  const out: IpvsConnection[] = [];
  for await (const e of ipvs.connections(filter)) out.push(e);
  return out;
}

const ap = (e: { address: string; port: number }): string => `${e.address}:${e.port}`;

/** `ipvsadm -Lcn` in the director, as "PROTO STATE client virtual destination" (no expiry: it ticks). */
function ipvsadmConnections(): string[] {
  return nsExec(t.director, 'ipvsadm', '-Lcn')
    .trimEnd()
    .split('\n')
    .slice(2)
    .map((row) => row.split(/\s+/))
    .map(([proto, , state, source, virtual, destination]) => `${proto} ${state} ${source} ${virtual} ${destination}`)
    .sort();
}
const asIpvsadm = (list: IpvsConnection[]): string[] =>
  list.map((c) => `${c.protocol.toUpperCase()} ${c.state} ${ap(c.client)} ${ap(c.virtual)} ${ap(c.destination)}`).sort();

beforeAll(async () => {
  t = await buildNatTopology('lvs-nat');
  ipvs = Ipvs.open({ netns: t.director });
});
afterAll(() => ipvs?.close());

describe('LVS-NAT (masquerading)', () => {
  const web: ServiceKey = { protocol: 'tcp', address: '203.0.113.100', port: 80 };

  it('round robin alternates between the two real servers, which see the client', async () => {
    await ipvs.addService({ ...web, scheduler: 'rr' });
    await ipvs.addDestination(web, { address: t.realAIp, forward: 'masq' });
    await ipvs.addDestination(web, { address: t.realBIp, forward: 'masq' });

    const answers = await httpGets(t.client, `http://${t.vip}/`, 4);
    expect(answers.map((a) => a.error)).toEqual([undefined, undefined, undefined, undefined]);
    const [first, second] = answers.map((a) => a.server);
    expect(new Set([first, second])).toEqual(new Set(['A', 'B']));
    expect(answers.map((a) => a.server)).toEqual([first, second, first, second]);
    expect(answers.every((a) => a.from === t.clientIp)).toBe(true);
  });

  it('the connection table (read by the library) shows the four connections, as ipvsadm does', async () => {
    const entries = await table({ filter: { service: { protocol: 'tcp', address: t.vip, port: 80 } } });
    expect(entries).toHaveLength(4);
    expect(entries.every((e) => e.client.address === t.clientIp && !e.template)).toBe(true);
    expect(entries.map((e) => e.destination.address).sort()).toEqual([t.realAIp, t.realAIp, t.realBIp, t.realBIp]);
    expect(asIpvsadm(await table())).toEqual(ipvsadmConnections());
    const toA = await table({ filter: { destination: { address: t.realAIp, port: 80 } } });
    expect(toA).toHaveLength(2);
  });

  it('the counters (read by the library) count the requests, per service and per real server', async () => {
    // The kernel folds its per-CPU counters into what it reports every 2 s.
    await eventually(async () => {
      const service = await ipvs.getService(web);
      expect(service.stats.connections).toBe(4n);
      expect(service.stats.inPackets).toBeGreaterThan(0n);
      // NAT: the replies come back through the director.
      expect(service.stats.outPackets).toBeGreaterThan(0n);
      const dests = await ipvs.listDestinations(web);
      expect(dests.map((d) => [d.address, d.stats.connections]).sort()).toEqual([[t.realAIp, 2n], [t.realBIp, 2n]]);
    });
    await ipvs.deleteService(web);
  });
});

describe('firewall mark services', () => {
  const marked: ServiceKey = { fwmark: 1 };

  beforeAll(() => {
    nsExec(t.director, 'iptables-legacy', '-t', 'mangle', '-A', 'PREROUTING', '-d', t.vip, '-p', 'tcp', '--dport', '80', '-j', 'MARK', '--set-mark', '1');
  });

  it('schedules the marked packets, round robin', async () => {
    await ipvs.addService({ ...marked, scheduler: 'rr' });
    await ipvs.addDestination(marked, { address: t.realAIp, port: 80, forward: 'masq' });
    await ipvs.addDestination(marked, { address: t.realBIp, port: 80, forward: 'masq' });
    // The NAT test's connections linger (TIME_WAIT): only count new ones.
    const earlier = new Set((await table()).map((e) => ap(e.client)));
    const answers = await httpGets(t.client, `http://${t.vip}/`, 2);
    expect(answers.map((a) => a.server).sort()).toEqual(['A', 'B']);
    // Entries of a fwmark service carry the packet's own address and port.
    const entries = await table({ filter: { service: { address: t.vip, port: 80 } } });
    expect(entries.filter((e) => !earlier.has(ap(e.client))).map((e) => e.destination.address).sort()).toEqual([t.realAIp, t.realBIp]);
    await eventually(async () => expect((await ipvs.getService(marked)).stats.connections).toBe(2n));
  });

  it('with persistence, sticks to one server and keeps a template that names the mark', async () => {
    await ipvs.editService({ ...marked, persistent: 60 });
    const answers = await httpGets(t.client, `http://${t.vip}/`, 3);
    expect(new Set(answers.map((a) => a.server)).size).toBe(1);
    const templates = (await table()).filter((e) => e.template);
    expect(templates).toHaveLength(1);
    expect(templates[0]).toMatchObject({ protocol: 'ip', fwmark: 1, client: { address: t.clientIp, port: 0 }, virtual: { address: '0.0.0.1', port: 0 } });
    expect(asIpvsadm(await table())).toEqual(ipvsadmConnections());
    await ipvs.deleteService(marked);
    nsExec(t.director, 'iptables-legacy', '-t', 'mangle', '-F');
  });
});

describe('L3 mode: SNAT to a routed real server', () => {
  const routed: ServiceKey = { protocol: 'tcp', address: '203.0.113.100', port: 8080 };

  it('a server on another subnet cannot answer without SNAT, and sees the director as the source with it', async () => {
    await ipvs.addService({ ...routed, scheduler: 'rr' });
    await ipvs.addDestination(routed, { address: t.farIp, port: 80, forward: 'masq' });
    // The far server's router has no route back to the client: the reply is lost.
    const lost = await httpGets(t.client, `http://${t.vip}:8080/`, 1, 1500);
    expect(lost[0]!.error).toBeDefined();

    // IPVS must keep conntrack entries for iptables NAT to see its traffic.
    sysctl(t.director, 'net.ipv4.vs.conntrack', 1);
    nsExec(t.director, 'iptables-legacy', '-t', 'nat', '-A', 'POSTROUTING', '-m', 'ipvs', '--vaddr', `${t.vip}/32`, '--vport', '8080',
      '-j', 'SNAT', '--to-source', t.directorRoutedIp);
    const answers = await httpGets(t.client, `http://${t.vip}:8080/`, 2);
    expect(answers.map((a) => [a.server, a.from])).toEqual([['C', t.directorRoutedIp], ['C', t.directorRoutedIp]]);

    // The table still shows the real client: SNAT happens after IPVS.
    const entries = await table({ filter: { service: { port: 8080 }, destination: { address: t.farIp } } });
    expect(entries.length).toBeGreaterThanOrEqual(2);
    expect(entries.every((e) => e.client.address === t.clientIp && e.destination.port === 80)).toBe(true);
  });
});
