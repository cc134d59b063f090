// 10^5 random invalid calls to the public rtnetlink API (links, addresses,
// fdb, routes, neighbours, batches) in a namespace: every one rejects with a
// ValidationError naming a field that was made invalid, not a byte is sent
// (the socket's send counter does not move), and a dump of everything before
// and after shows the kernel unchanged. (The IPVS half runs in UML:
// test/uml/fault-validation.test.ts.)
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { Rtnl } from '../../lib/index.js';
import { makeNetns } from '../helpers/netns.js';
import { Rng } from '../reliability/mutate.js';
import { invalidCall, invalidBatch } from '../reliability/api-inputs.js';
import { callRtnl, runInvalidCalls } from '../reliability/api-calls.js';

const CALLS = Number(process.env.API_FUZZ_CALLS ?? 100_000);
let rtnl: Rtnl;

beforeAll(async () => {
  rtnl = Rtnl.open({ netns: makeNetns('sec-valid') });
  // Something of each kind for the calls to (not) touch.
  await rtnl.links.create({ kind: 'vxlan', name: 'vxf9', id: 9, dstPort: 4789, local: '198.51.100.1' });
  await rtnl.links.create({ kind: 'bridge', name: 'brf9' });
  await rtnl.addresses.add({ dev: 'brf9', address: '192.0.2.1/24' });
  await rtnl.fdb.append({ dev: 'vxf9', mac: '00:00:00:00:00:00', dst: '198.51.100.9' });
});
afterAll(() => rtnl?.close());

async function everything(): Promise<string> {
  const strip = (o: object): unknown => JSON.parse(JSON.stringify(o, (k, v: unknown) => (k === 'stats64' || k === 'cacheInfo' || k === 'updated' || k.endsWith('Timer') || k.endsWith('TimerCs') || typeof v === 'bigint' ? undefined : v)));
  return JSON.stringify({
    links: strip(await rtnl.links.list()),
    addresses: strip(await rtnl.addresses.list()),
    routes: strip(await rtnl.routes.list()),
    neighbours: strip(await rtnl.neighbours.list()),
    fdb: strip(await rtnl.fdb.list()),
  });
}

describe(`random invalid API calls (${CALLS}) against a live namespace`, () => {
  it('all are ValidationErrors naming a corrupted field, nothing is sent, the kernel is unchanged', async () => {
    const before = await everything();
    const sends = rtnl.conn.counters.sends;
    const rng = new Rng(0x5ec);
    const { wrong, byApi } = await runInvalidCalls(CALLS, () => (rng.chance(0.1) ? invalidBatch(rng) : invalidCall(rng, (api) => !api.startsWith('ipvs.'))), (call) => callRtnl(rtnl, call));
    expect(wrong).toEqual([]);
    expect(rtnl.conn.counters.sends).toBe(sends);
    expect(await everything()).toBe(before);
    console.log(`API fuzz: ${CALLS} invalid calls, all ValidationError, 0 sent; by API: ${[...byApi].map(([k, v]) => `${k} ${v}`).join(', ')}`);
  }, 300_000);
});
