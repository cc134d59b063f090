// The LVS tutorial, direct routing (LVS-DR), end to end in the UML kernel:
// client, director and two real servers on one L2 segment (a bridge in a
// "switch" namespace). The director only rewrites the destination MAC; each
// real server holds the VIP on its loopback, hidden from ARP
// (arp_ignore=1, arp_announce=2), and answers the client directly.
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { Ipvs, type IpvsConnection, type ServiceKey } from '../../lib/index.js';
import { nsExec } from '../helpers/netns.js';
import { buildDrTopology, httpGets, eventually, type DrTopology } from '../helpers/lvs-topology.js';

let t: DrTopology;
let ipvs: Ipvs;
const web: ServiceKey = { protocol: 'tcp', address: '198.51.100.100', port: 80 };

beforeAll(async () => {
  t = await buildDrTopology('lvs-dr');
  ipvs = Ipvs.open({ netns: t.director });
  await ipvs.addService({ ...web, scheduler: 'rr' });
  await ipvs.addDestination(web, { address: t.realAIp, forward: 'route' });
  await ipvs.addDestination(web, { address: t.realBIp, forward: 'route' });
});
afterAll(() => ipvs?.close());

describe('LVS-DR (direct routing)', () => {
  it('the kernel holds the service as ipvsadm shows it', () => {
    const out = nsExec(t.director, 'ipvsadm', '-Ln');
    expect(out).toContain('TCP  198.51.100.100:80 rr');
    expect(out).toMatch(/-> 198\.51\.100\.11:80\s+Route\s+1/);
    expect(out).toMatch(/-> 198\.51\.100\.12:80\s+Route\s+1/);
  });

  it('round robin alternates; each server answers from the VIP, to the real client address', async () => {
    const answers = await httpGets(t.client, `http://${t.vip}/`, 4);
    expect(answers.map((a) => a.error)).toEqual([undefined, undefined, undefined, undefined]);
    const [first, second] = answers.map((a) => a.server);
    expect(new Set([first, second])).toEqual(new Set(['A', 'B']));
    expect(answers.map((a) => a.server)).toEqual([first, second, first, second]);
    expect(answers.every((a) => a.from === t.clientIp && a.to === t.vip)).toBe(true);
  });

  it('the replies bypass the director: it counts packets in, none out', async () => {
    await eventually(async () => {
      const service = await ipvs.getService(web);
      expect(service.stats.connections).toBe(4n);
      expect(service.stats.inPackets).toBeGreaterThan(0n);
      expect(service.stats.outPackets).toBe(0n);
      expect(service.stats.outBytes).toBe(0n);
    });
  });

  it('the director\'s connection table has the four connections', async () => {
    const entries: IpvsConnection[] = [];
    for await (const e of ipvs.connections({ filter: { service: { address: t.vip, port: 80 } } })) entries.push(e);
    expect(entries).toHaveLength(4);
    expect(entries.every((e) => e.client.address === t.clientIp && e.destination.port === 80)).toBe(true);
    expect(entries.map((e) => e.destination.address).sort()).toEqual([t.realAIp, t.realAIp, t.realBIp, t.realBIp]);
    // The director sees only the client's half of each connection.
    const oracle = nsExec(t.director, 'ipvsadm', '-Lcn').trimEnd().split('\n').slice(2);
    expect(oracle).toHaveLength(4);
  });
});
