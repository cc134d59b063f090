// The first IPVS slice inside the UML kernel: GET_INFO and GET/SET_CONFIG,
// checked against ipvsadm in a namespace the test creates.
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { Ipvs } from '../../lib/index.js';
import { makeNetns, nsExec } from '../helpers/netns.js';

let ns: string;
let ipvs: Ipvs;

beforeAll(() => {
  ns = makeNetns('ipvs-info');
  ipvs = Ipvs.open({ netns: ns });
});
afterAll(() => ipvs?.close());

describe('IPVS info and timeouts', () => {
  it('reads the version and table size ipvsadm prints', async () => {
    const info = await ipvs.info();
    const banner = nsExec(ns, 'ipvsadm', '-Ln').split('\n')[0]!;
    expect(banner).toBe(`IP Virtual Server version ${info.version} (size=${info.connTableSize})`);
    expect(info.versionCode).toBeGreaterThan(0);
  });

  it('reads and sets timeouts as ipvsadm --set / -L --timeout do', async () => {
    const before = await ipvs.timeouts();
    expect(nsExec(ns, 'ipvsadm', '-L', '--timeout').trim()).toBe(
      `Timeout (tcp tcpfin udp): ${before.tcp} ${before.tcpFin} ${before.udp}`,
    );
    await ipvs.setTimeouts({ tcp: 901, udp: 301 });
    const after = await ipvs.timeouts();
    expect(after).toEqual({ tcp: 901, tcpFin: before.tcpFin, udp: 301 });
    expect(nsExec(ns, 'ipvsadm', '-L', '--timeout').trim()).toBe(`Timeout (tcp tcpfin udp): 901 ${before.tcpFin} 301`);
  });

  it('IPVS state is per namespace', async () => {
    const other = makeNetns('ipvs-info-b');
    using there = Ipvs.open({ netns: other });
    expect((await there.timeouts()).tcp).not.toBe(901);
  });
});
