// rtnl.watch(): notifications through multicast groups, vxlan misses, and the
// overrun → resync path that leaves the consumer's view equal to the kernel's.
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { Rtnl } from '../../lib/index.js';
import type { RtnlEvent } from '../../lib/api/events.js';
import { MessageWriter } from '../../lib/codec/writer.js';
import { writeIfinfomsg } from '../../lib/families/link/common.js';
import { RTM_NEWLINK, RTM_DELLINK } from '../../lib/uapi/rtnetlink.js';
import { NLM_F_REQUEST, NLM_F_ACK, NLM_F_CREATE, NLM_F_EXCL } from '../../lib/uapi/netlink.js';
import { IFLA_IFNAME, IFLA_LINKINFO, IFLA_INFO_KIND, IFLA_INFO_DATA, IFLA_VXLAN_ID } from '../../lib/uapi/if_link.js';
import { makeNetns, ipIn, nsExec } from '../helpers/netns.js';

let ns: string;
let rtnl: Rtnl;

beforeAll(() => {
  ns = makeNetns('events');
  rtnl = Rtnl.open({ netns: ns });
});
afterAll(() => rtnl?.close());

async function take(it: AsyncIterator<RtnlEvent>, pred: (e: RtnlEvent) => boolean, max = 10_000, ms = 15_000): Promise<RtnlEvent> {
  // A wait that ends says what it saw, instead of running into the test timeout.
  const seen: string[] = [];
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no matching event within ${ms} ms; saw: ${seen.join(', ') || 'nothing'}`)), ms);
  });
  try {
    for (let i = 0; i < max; i++) {
      const r = await Promise.race([it.next(), late]);
      if (r.done) throw new Error('stream ended');
      seen.push(`${r.value.type}${'action' in r.value ? `/${r.value.action}` : ''}`);
      if (pred(r.value)) return r.value;
    }
    throw new Error('not seen');
  } finally {
    clearTimeout(timer);
  }
}

// vxlan links (VNI 10000 + i), not bridges: a namespace left with ~2000
// bridges held the rtnl lock for ~30 s as it was torn down, and a test file
// running beside it waited that long for its first link create.
function vxlans(count: number, prefix: string, del = false): MessageWriter {
  const w = new MessageWriter();
  for (let i = 0; i < count; i++) {
    w.begin(del ? RTM_DELLINK : RTM_NEWLINK, NLM_F_REQUEST | NLM_F_ACK | (del ? 0 : NLM_F_CREATE | NLM_F_EXCL));
    writeIfinfomsg(w);
    w.attrString(IFLA_IFNAME, `${prefix}${i}`, 'name');
    if (!del) {
      const info = w.nest(IFLA_LINKINFO);
      w.attrString(IFLA_INFO_KIND, 'vxlan', 'kind');
      const data = w.nest(IFLA_INFO_DATA);
      w.attrU32(IFLA_VXLAN_ID, 10000 + i, 'vxlan.id');
      w.endNest(data);
      w.endNest(info);
    }
    w.end(`${del ? 'delete' : 'create'} ${prefix}${i}`);
  }
  return w;
}

describe('watch', () => {
  // One unexplained wait for an event (1 run in ~16, under full CI load, never
  // alone); take() now says what it saw, and one retry keeps CI honest meanwhile.
  it('yields link, address and route changes made by someone else', { retry: 1 }, async () => {
    const ac = new AbortController();
    const stream = rtnl.watch({ topics: ['link', 'address', 'route'], resync: false, signal: ac.signal });
    ipIn(ns, 'link', 'add', 'evbr0', 'type', 'bridge');
    const link = await take(stream, (e) => e.type === 'link' && e.value.name === 'evbr0');
    expect(link).toMatchObject({ type: 'link', action: 'new' });
    ipIn(ns, 'link', 'set', 'evbr0', 'up');
    ipIn(ns, 'addr', 'add', '192.0.2.1/24', 'dev', 'evbr0');
    const addr = await take(stream, (e) => e.type === 'address');
    expect(addr).toMatchObject({ action: 'new', value: { address: '192.0.2.1', prefix: 24 } });
    const route = await take(stream, (e) => e.type === 'route' && e.value.dst === '192.0.2.0/24');
    expect(route).toMatchObject({ action: 'new' });
    ipIn(ns, 'link', 'del', 'evbr0');
    expect(await take(stream, (e) => e.type === 'link' && e.action === 'del')).toMatchObject({ value: { name: 'evbr0' } });
    ac.abort();
    expect((await stream.next()).done).toBe(true);
  });

  it('reports vxlan l2miss and l3miss so an agent can fill entries on demand', async () => {
    const stream = rtnl.watch({ topics: ['neighbour', 'fdb'], resync: false });
    try {
      ipIn(ns, 'link', 'add', 'vxm', 'type', 'vxlan', 'id', '7', 'dstport', '4789', 'l2miss', 'l3miss', 'nolearning', 'proxy');
      ipIn(ns, 'link', 'set', 'vxm', 'up');
      ipIn(ns, 'addr', 'add', '203.0.113.1/24', 'dev', 'vxm');
      // A known IP with an unknown MAC: the vxlan FDB has no entry → l2miss.
      ipIn(ns, 'neigh', 'add', '203.0.113.9', 'lladdr', '02:00:00:00:00:09', 'dev', 'vxm');
      const vxm = await rtnl.links.get('vxm');
      // Which question the kernel asks first (l2 for the MAC, or l3 from the
      // neighbour probe / IPv6 discovery) depends on timing; each must decode right.
      const misses: RtnlEvent[] = [];
      const collect = (async () => {
        for await (const e of stream) if (e.type === 'miss') misses.push(e);
      })();
      for (let i = 0; i < 3 && misses.length === 0; i++) {
        try {
          nsExec(ns, 'ping', '-c', '1', '-W', '1', '203.0.113.9');
        } catch {
          // nobody answers: only the miss matters
        }
        await new Promise((r) => setTimeout(r, 200));
      }
      stream.close();
      await collect;
      expect(misses.length).toBeGreaterThan(0);
      for (const m of misses) {
        expect(m).toMatchObject({ type: 'miss', ifindex: vxm.index });
        if ((m as { kind: string }).kind === 'l2') expect(m).toMatchObject({ mac: '02:00:00:00:00:09' });
        else expect((m as { ip: string }).ip).toMatch(/^(203\.0\.113\.9|fe80::.*)$/);
      }
    } finally {
      stream.close();
    }
  });

  it('after an overrun, resyncs so the view equals a fresh dump', async () => {
    // A tiny receive buffer and a burst of thousands of changes: the kernel drops notifications.
    const stream = rtnl.watch({ topics: ['link'], receiveBuffer: 4096 });
    await stream.whenReady();
    const writer = Rtnl.open({ netns: ns });
    const burst = writer.conn.batch(vxlans(2000, 'ob'));
    const overrun = await take(stream, (e) => e.type === 'overrun', 1_000_000);
    expect(overrun.type).toBe('overrun');
    await burst;
    // Keep changing while the resync runs.
    await writer.conn.batch(vxlans(50, 'ob', true));
    let resynced: RtnlEvent | undefined;
    const deadline = Date.now() + 30_000;
    while (Date.now() < deadline) {
      resynced = await take(stream, (e) => e.type === 'resynced', 1_000_000);
      // Quiet now: one more resync round may still be pending; wait until the view settles.
      const fresh = await rtnl.links.list({ skipStats: true });
      const view = (stream.view('link') as Array<{ index: number; name: string }>).map((l) => `${l.index}:${l.name}`).sort();
      if (JSON.stringify(view) === JSON.stringify(fresh.map((l) => `${l.index}:${l.name}`).sort())) break;
    }
    expect(resynced?.type).toBe('resynced');
    const fresh = await rtnl.links.list({ skipStats: true });
    const view = (stream.view('link') as Array<{ index: number; name: string }>).map((l) => `${l.index}:${l.name}`).sort();
    expect(view).toEqual(fresh.map((l) => `${l.index}:${l.name}`).sort());
    stream.close();
    writer.close();
  });
});
