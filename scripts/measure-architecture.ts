// Measures the numbers quoted in docs/ARCHITECTURE.md, in a throw-away
// namespace: JS decode cost per message, crossings per dump, and what
// batching saves. Run: npx vite-node scripts/measure-architecture.ts (as root).
import { execFileSync } from 'node:child_process';
import { Rtnl } from '../lib/index.js';
import { MessageWriter } from '../lib/codec/writer.js';
import { writeIfinfomsg, decodeLink } from '../lib/families/link/link.js';
import { RTM_NEWLINK } from '../lib/uapi/rtnetlink.js';
import { NLM_F_REQUEST, NLM_F_ACK, NLM_F_CREATE, NLM_F_EXCL } from '../lib/uapi/netlink.js';
import { IFLA_IFNAME, IFLA_LINKINFO, IFLA_INFO_KIND } from '../lib/uapi/if_link.js';
import type { Message } from '../lib/protocol/message.js';

const N = 2000;
const ns = `nlm-arch-${process.pid}`;

function createBridge(w: MessageWriter, name: string): void {
  w.begin(RTM_NEWLINK, NLM_F_REQUEST | NLM_F_ACK | NLM_F_CREATE | NLM_F_EXCL);
  writeIfinfomsg(w);
  w.attrString(IFLA_IFNAME, name, 'name');
  const info = w.nest(IFLA_LINKINFO);
  w.attrString(IFLA_INFO_KIND, 'bridge', 'kind');
  w.endNest(info);
  w.end(`create ${name}`);
}

const ms = (t0: bigint): number => Number(process.hrtime.bigint() - t0) / 1e6;

/** Creates `count` bridges in a fresh namespace, batched or one request at a time. */
async function timeCreate(batched: boolean, count: number): Promise<{ ms: number; sends: number; crossings: number }> {
  // Namespaces are deleted only at the end: tearing one down holds the RTNL
  // lock in the background and would slow the next measurement.
  const name = `${ns}-${batched ? 'b' : 's'}`;
  execFileSync('ip', ['netns', 'add', name]);
  leftovers.push(name);
  {
    const rtnl = Rtnl.open({ netns: name });
    const t0 = process.hrtime.bigint();
    if (batched) {
      const w = new MessageWriter();
      for (let i = 0; i < count; i++) createBridge(w, `b${i}`);
      await rtnl.conn.batch(w);
    } else {
      for (let i = 0; i < count; i++) {
        const w = new MessageWriter(128);
        createBridge(w, `b${i}`);
        await rtnl.conn.request(w);
      }
    }
    const result = { ms: +ms(t0).toFixed(1), sends: rtnl.conn.counters.sends, crossings: rtnl.conn.counters.crossings };
    rtnl.close();
    return result;
  }
}
const leftovers: string[] = [];

async function main(): Promise<void> {
  const batched = await timeCreate(true, N / 2);
  const single = await timeCreate(false, N / 2);
  execFileSync('ip', ['netns', 'add', ns]);
  try {
    const rtnl = Rtnl.open({ netns: ns });
    const w = new MessageWriter();
    for (let i = 0; i < N; i++) createBridge(w, `b${i}`);
    await rtnl.conn.batch(w);
    let t0: bigint;
    // 3. Dump and decode.
    const c0 = { ...rtnl.conn.counters };
    t0 = process.hrtime.bigint();
    const links = await rtnl.links.list();
    const dumpMs = ms(t0);
    const datagrams = rtnl.conn.counters.datagrams - c0.datagrams;
    const crossings = rtnl.conn.counters.crossings - c0.crossings;
    // 4. Decode alone, on the captured messages.
    const captured: Message[] = [];
    await rtnl.conn.dump(
      (() => {
        const d = new MessageWriter();
        d.begin(18, NLM_F_REQUEST | 0x300);
        writeIfinfomsg(d);
        d.end('capture');
        return d;
      })(),
      (m) => {
        captured.push({ ...m, buf: Buffer.from(m.buf) });
        return 1;
      },
    );
    t0 = process.hrtime.bigint();
    const rounds = 20;
    for (let r = 0; r < rounds; r++) for (const m of captured) decodeLink(m);
    const decodeUs = (ms(t0) * 1000) / (rounds * captured.length);
    rtnl.close();
    const out = {
      kernel: execFileSync('uname', ['-r'], { encoding: 'utf8' }).trim(),
      node: process.version,
      createOneAtATime: { links: N / 2, ...single },
      createBatched: { links: N / 2, ...batched },
      dump: { links: links.length, ms: +dumpMs.toFixed(1), datagrams, crossings },
      decodeLinkUsPerMessage: +decodeUs.toFixed(2),
    };
    console.log(JSON.stringify(out, null, 2));
  } finally {
    for (const name of [ns, ...leftovers]) execFileSync('ip', ['netns', 'del', name]);
  }
}

await main();
