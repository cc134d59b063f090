// Netlink messages from a user-space process, not the kernel, sent straight
// to the library's socket (unicast to its port id: allowed between user
// sockets) or to a multicast group it listens to. They pretend to come from
// the kernel (nlmsg_pid 0) and carry the sequence numbers of the library's
// next requests; the library must drop them (conn.droppedForeign), never take
// one for a reply or a notification. test/reliability/nl-spoof.py sends them.
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { join } from 'node:path';
import { Rtnl } from '../../lib/index.js';
import type { EventStream } from '../../lib/api/events.js';
import type { Connection } from '../../lib/protocol/connection.js';
import { NETLINK_ROUTE } from '../../lib/uapi/netlink.js';
import { RTNLGRP_LINK } from '../../lib/uapi/rtnetlink.js';
import { makeNetns, nsExec } from '../helpers/netns.js';

const SPOOF = join(import.meta.dirname, '..', 'reliability', 'nl-spoof.py');
let ns: string;
let rtnl: Rtnl;

beforeAll(() => {
  ns = makeNetns('sec-foreign');
  rtnl = Rtnl.open({ netns: ns });
});
afterAll(() => rtnl?.close());

const spoof = (...args: Array<string | number>): number => Number(nsExec(ns, 'python3', SPOOF, ...args.map(String)).trim());
const nextSeq = (conn: Connection): number => (conn as unknown as { seq: number }).seq + 1;
const streamConn = (s: EventStream): Connection => (s as unknown as { conn: Connection }).conn;

describe('messages from user-space senders', () => {
  it('spoofed error acks for the next 200 sequence numbers are dropped; the real requests succeed', async () => {
    await rtnl.links.get('lo');
    const dropped = rtnl.conn.droppedForeign;
    const first = nextSeq(rtnl.conn);
    // They wait in the socket's queue ahead of the real replies.
    expect(spoof('ack', NETLINK_ROUTE, rtnl.conn.portId, 200, first)).toBe(200);
    for (let i = 0; i < 200; i++) {
      const link = await rtnl.links.get('lo');
      expect(link.index).toBe(1);
    }
    expect(rtnl.conn.droppedForeign - dropped).toBe(200);
  });

  it('spoofed notifications, unicast or to the multicast group, never become events', async () => {
    const stream = rtnl.watch({ topics: ['link'] });
    await stream.whenReady();
    const conn = streamConn(stream);
    const dropped = conn.droppedForeign;
    expect(spoof('link', NETLINK_ROUTE, conn.portId, 50)).toBe(50);
    expect(spoof('group', NETLINK_ROUTE, RTNLGRP_LINK, 50)).toBe(50);
    // A real change after the spoofed ones: the first event must be it.
    await rtnl.links.create({ kind: 'bridge', name: 'real0' });
    const first = await stream.next();
    expect(first.value).toMatchObject({ type: 'link', action: 'new', value: { name: 'real0' } });
    expect(conn.droppedForeign - dropped).toBe(100);
    expect((stream.view('link') as Array<{ name: string }>).some((l) => l.name === 'spoof0')).toBe(false);
    stream.close();
  });
});
