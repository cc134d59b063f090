// BulkDump: many dump requests in one native call on a DumpChannel (what
// ipvs.snapshot() uses for its per-service GET_DEST dumps), tried here on
// rtnetlink, which the host kernel has: replies come back per request, in
// order, across chunks and a replies buffer that has to grow; a request the
// kernel refuses reports its own errno and the others go on.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MessageWriter } from '../../lib/codec/writer.js';
import { BulkDump } from '../../lib/protocol/bulk-dump.js';
import { DumpChannel } from '../../lib/transport/dump-channel.js';
import { decodeLink } from '../../lib/families/link/link.js';
import { IFINFOMSG_LEN, RTM_GETLINK } from '../../lib/uapi/rtnetlink.js';
import { NETLINK_ROUTE, NLM_F_DUMP, NLM_F_REQUEST, NLM_F_ACK } from '../../lib/uapi/netlink.js';
import { ipIn, ipJson, makeNetns } from '../helpers/netns.js';

let ns: string;
let bulk: BulkDump;

beforeAll(() => {
  ns = makeNetns('bulk');
  for (let i = 0; i < 8; i++) ipIn(ns, 'link', 'add', `bb${i}`, 'type', 'bridge');
  bulk = new BulkDump(() => new DumpChannel(NETLINK_ROUTE, { netns: ns, timeout: 5000 }, 'open a dump channel'), 5000);
});
afterAll(() => bulk?.close());

const what = (i: number): string => `request ${i}`;

function linkDump(w: MessageWriter): void {
  w.begin(RTM_GETLINK, NLM_F_REQUEST | NLM_F_DUMP).zeros(IFINFOMSG_LEN).end('list links');
}

/** A GET for one ifindex (not a dump): an ack-terminated request, ENODEV when there is no such link. */
function linkGet(w: MessageWriter, index: number): void {
  w.begin(RTM_GETLINK, NLM_F_REQUEST | NLM_F_ACK).u8(0).u8(0).u16(0).i32(index).u32(0).u32(0).end(`get link ${index}`);
}

describe('BulkDump over a DumpChannel', () => {
  it('1200 link dumps (3 chunks, several MiB of replies): every request gets every link, in order', async () => {
    const names = ipJson<Array<{ ifname: string }>>(ns, 'link', 'show').map((l) => l.ifname).sort();
    const w = new MessageWriter();
    for (let i = 0; i < 1200; i++) linkDump(w);
    const got: string[][] = Array.from({ length: 1200 }, () => []);
    const errors: number[] = [];
    await bulk.run(w.view(), what, {
      message: (i, msg) => {
        const link = decodeLink(msg);
        if (link) got[i]!.push(link.name);
      },
      error: (i) => errors.push(i),
    });
    expect(errors).toEqual([]);
    for (const list of got) expect([...list].sort()).toEqual(names);
  });

  it('a request the kernel refuses reports its own errno; the requests around it still answer', async () => {
    const w = new MessageWriter();
    linkDump(w);
    linkGet(w, 999_999);
    linkDump(w);
    const counts = [0, 0, 0];
    const errors: Array<[number, number]> = [];
    await bulk.run(w.view(), what, { message: (i) => counts[i]!++, error: (i, errno) => errors.push([i, errno]) });
    expect(errors).toEqual([[1, -19 /* ENODEV */]]);
    expect(counts[0]).toBe(9);
    expect(counts[1]).toBe(0);
    expect(counts[2]).toBe(9);
  });

  it('concurrent runs take turns on the one channel and each gets its own replies', async () => {
    const runs = [1, 50, 3].map(async (n) => {
      const w = new MessageWriter();
      for (let i = 0; i < n; i++) linkDump(w);
      let messages = 0;
      await bulk.run(w.view(), what, { message: () => messages++, error: () => undefined });
      return messages;
    });
    expect(await Promise.all(runs)).toEqual([9, 450, 27]);
  });

  it('a request buffer whose lengths do not add up is refused, naming the request', async () => {
    const w = new MessageWriter();
    linkDump(w);
    const cut = w.view().subarray(0, 20);
    await expect(bulk.run(cut, what, { message: () => undefined, error: () => undefined })).rejects.toThrow('request 0 at byte 0 has length 32');
  });

  it('an aborted run rejects with the reason, and the next run works on a fresh channel', async () => {
    const w = new MessageWriter();
    for (let i = 0; i < 2000; i++) linkDump(w);
    const controller = new AbortController();
    const run = bulk.run(w.view(), what, { message: () => undefined, error: () => undefined }, { signal: controller.signal });
    setImmediate(() => controller.abort(new Error('stop')));
    await expect(run).rejects.toThrow('stop');
    const again = new MessageWriter();
    linkDump(again);
    let messages = 0;
    await bulk.run(again.view(), what, { message: () => messages++, error: () => undefined });
    expect(messages).toBe(9);
  });
});
