// IPVS reliability on the UML kernel (the host has no IPVS):
//  - 10^5 random invalid IPVS calls: every one a ValidationError naming a
//    corrupted field, nothing sent, the IPVS state (services, destinations,
//    timeouts, daemons) unchanged;
//  - without CAP_NET_ADMIN every IPVS command, GETs included, is a typed EPERM.
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { Ipvs } from '../../lib/index.js';
import { makeNetns, ipIn } from '../helpers/netns.js';
import { Rng } from '../reliability/mutate.js';
import { invalidCall } from '../reliability/api-inputs.js';
import { callIpvs, runInvalidCalls } from '../reliability/api-calls.js';
import { runUnprivileged } from '../reliability/unprivileged.js';

const CALLS = Number(process.env.API_FUZZ_CALLS ?? 100_000);
let ns: string;
let ipvs: Ipvs;

beforeAll(async () => {
  ns = makeNetns('fault-ipvs');
  ipIn(ns, 'link', 'add', 'd0', 'type', 'dummy');
  ipIn(ns, 'link', 'set', 'd0', 'up');
  ipIn(ns, 'addr', 'add', '192.0.2.1/24', 'dev', 'd0');
  ipvs = Ipvs.open({ netns: ns });
  await ipvs.addService({ protocol: 'tcp', address: '198.51.100.1', port: 80, scheduler: 'rr' });
  await ipvs.addDestination({ protocol: 'tcp', address: '198.51.100.1', port: 80 }, { address: '192.0.2.10', forward: 'masq' });
});
afterAll(() => ipvs?.close());

async function state(): Promise<string> {
  const snap = await ipvs.snapshot();
  return JSON.stringify({ snap, timeouts: await ipvs.timeouts(), daemons: await ipvs.listDaemons() }, (_k, v: unknown) => (typeof v === 'bigint' ? String(v) : v));
}

describe(`random invalid IPVS calls (${CALLS})`, () => {
  it('all are ValidationErrors naming a corrupted field; nothing is sent; IPVS is unchanged', async () => {
    const before = await state();
    const sends = ipvs.conn.counters.sends;
    const rng = new Rng(0x1b5);
    const { wrong } = await runInvalidCalls(CALLS, () => invalidCall(rng, (api) => api.startsWith('ipvs.')), (call) => callIpvs(ipvs, call));
    expect(wrong).toEqual([]);
    expect(ipvs.conn.counters.sends).toBe(sends);
    expect(await state()).toBe(before);
  }, 600_000);
});

describe('IPVS without CAP_NET_ADMIN', () => {
  it('GETs and writes alike fail with a typed EPERM; the process exits cleanly', () => {
    const r = runUnprivileged(ns, 'ipvs');
    const eperm = 'NetlinkError EPERM -1';
    expect(r).toMatchObject({
      'ipvs.info': eperm,
      'ipvs.listServices': eperm,
      'ipvs.addService': eperm,
      'links.list': 'ok',
      'links.create': eperm,
    });
  }, 180_000);
});
