// A request whose ack never comes, while a later one's does. The kernel
// handles a socket's requests in order and acks each before reading the
// next, except that netlink_rcv_skb() sends no ack when a handler returns
// -EINTR (IPVS does, stopping a sync daemon whose thread had not run yet: see
// test/uml/ipvs-daemon.test.ts for the real kernel). Here the kernel's replies
// are written by hand and handed to a real Connection as its socket would,
// with its send replaced, as in test/reliability/fuzz-dispatch.ts.
import { describe, it, expect } from 'vitest';
import { Connection } from '../../lib/protocol/connection.js';
import { AckOrder } from '../../lib/protocol/flow.js';
import { MessageWriter } from '../../lib/codec/writer.js';
import { NetlinkError } from '../../lib/protocol/errors.js';
import { NETLINK_ROUTE, NLMSG_ERROR, NLMSG_DONE, NLM_F_REQUEST, NLM_F_ACK, NLM_F_DUMP } from '../../lib/uapi/netlink.js';
import { RTM_GETLINK, IFINFOMSG_LEN } from '../../lib/uapi/rtnetlink.js';

interface Internals {
  pending: { size: number };
  transport: { send(data: Uint8Array, operation: string): void };
  onDatagram(batch: Buffer, start: number, end: number, truncated: boolean): void;
}

/** Hands `datagram` to the connection as the transport does: a range inside a larger receive batch. */
function deliver(inner: Internals, datagram: Buffer): void {
  const batch = Buffer.concat([Buffer.alloc(8, 0xee), datagram, Buffer.alloc(8, 0xee)]);
  inner.onDatagram(batch, 8, 8 + datagram.length, false);
}

function open(): { conn: Connection; inner: Internals; sent: number[] } {
  const conn = new Connection(NETLINK_ROUTE, { receiveBuffer: 0 });
  const inner = conn as unknown as Internals;
  const sent: number[] = [];
  // Records each message's sequence number, in the order they would reach the kernel.
  inner.transport.send = (data) => {
    const b = Buffer.from(data.buffer, data.byteOffset, data.byteLength);
    for (let at = 0; at < b.length; at += (b.readUInt32LE(at) + 3) & ~3) sent.push(b.readUInt32LE(at + 8));
  };
  return { conn, inner, sent };
}

function control(type: number, seq: number, errno: number): Buffer {
  const m = Buffer.alloc(16 + 4 + (type === NLMSG_ERROR ? 16 : 0));
  m.writeUInt32LE(m.length, 0);
  m.writeUInt16LE(type, 4);
  m.writeUInt32LE(seq, 8);
  m.writeInt32LE(errno, 16);
  return m;
}

function requests(n: number): MessageWriter {
  const w = new MessageWriter(256);
  for (let i = 0; i < n; i++) w.begin(RTM_GETLINK, NLM_F_REQUEST | NLM_F_ACK).zeros(IFINFOMSG_LEN).end(`request ${i}`);
  return w;
}

const tick = (): Promise<void> => new Promise((r) => setImmediate(r));

describe('an ack that overtakes an older request', () => {
  it('fails the older requests with EINTR at once, instead of at their timeout', async () => {
    const { conn, inner, sent } = open();
    const results = conn.batch(requests(3), { timeout: 60_000 });
    await tick();
    expect(sent).toHaveLength(3);
    deliver(inner, Buffer.concat([control(NLMSG_ERROR, sent[0]!, 0), control(NLMSG_ERROR, sent[2]!, 0)]));
    const [first, second, third] = await results;
    expect(first).toEqual({ ok: true, replies: [] });
    expect(third).toEqual({ ok: true, replies: [] });
    expect(second!.ok).toBe(false);
    const error = (second as { error: NetlinkError }).error;
    expect(error).toBeInstanceOf(NetlinkError);
    expect(error).toMatchObject({ code: 'EINTR', errno: -4, operation: 'request 1' });
    expect(error.message).toContain('no acknowledgement');
    expect(inner.pending.size).toBe(0);
    conn.close();
  });

  it('holds across calls: a later call\'s ack settles an earlier call', async () => {
    const { conn, inner, sent } = open();
    const first = conn.request(requests(1), { timeout: 60_000 }).catch((e: unknown) => e);
    const second = conn.request(requests(1), { timeout: 60_000 });
    await tick();
    deliver(inner, control(NLMSG_ERROR, sent[1]!, 0));
    await expect(second).resolves.toEqual([]);
    expect(await first).toMatchObject({ code: 'EINTR' });
    conn.close();
  });

  it('leaves a running dump alone: its parts and NLMSG_DONE may follow later acks', async () => {
    const { conn, inner, sent } = open();
    const w = new MessageWriter(64);
    w.begin(RTM_GETLINK, NLM_F_REQUEST | NLM_F_DUMP).zeros(IFINFOMSG_LEN).end('dump');
    const dump = conn.dump(w, () => undefined);
    const request = conn.request(requests(1));
    await tick();
    expect(sent).toHaveLength(2);
    deliver(inner, control(NLMSG_ERROR, sent[1]!, 0));
    await expect(request).resolves.toEqual([]);
    deliver(inner, control(NLMSG_DONE, sent[0]!, 0));
    await expect(dump).resolves.toEqual([]);
    conn.close();
  });

  it('ignores requests already given up (aborted), and acks that arrive in order', async () => {
    const { conn, inner, sent } = open();
    const abort = new AbortController();
    const gone = conn.request(requests(1), { signal: abort.signal }).catch((e: unknown) => e);
    const kept = conn.batch(requests(2));
    await tick();
    abort.abort(new Error('gave up'));
    expect(((await gone) as Error).message).toBe('gave up');
    deliver(inner, Buffer.concat([control(NLMSG_ERROR, sent[1]!, 0), control(NLMSG_ERROR, sent[2]!, -17)]));
    const [a, b] = await kept;
    expect(a).toEqual({ ok: true, replies: [] });
    expect(b).toMatchObject({ ok: false, error: { code: 'EEXIST' } });
    conn.close();
  });
});

describe('AckOrder', () => {
  it('yields what was sent before the acked request, then -1', () => {
    const order = new AckOrder();
    for (const seq of [5, 6, 7, 8]) order.push(seq);
    expect(order.nextOlder(5)).toBe(-1);
    expect(order.nextOlder(8)).toBe(6);
    expect(order.nextOlder(8)).toBe(7);
    expect(order.nextOlder(8)).toBe(-1);
    expect(order.nextOlder(9)).toBe(-1);
  });

  it('keeps its memory bounded while something is always in flight, and grows when many are', () => {
    const order = new AckOrder();
    order.push(1);
    for (let seq = 2; seq < 100_000; seq++) {
      order.push(seq);
      expect(order.nextOlder(seq - 1)).toBe(-1);
    }
    expect((order as unknown as { ring: Uint32Array }).ring.length).toBe(1024);
    // 5000 in flight, sequence numbers near the top of the u32 range, then one ack for the last.
    const many = new AckOrder();
    for (let i = 0; i < 5000; i++) many.push(0xffffe000 + i);
    const older: number[] = [];
    for (let s = many.nextOlder(0xffffe000 + 4999); s !== -1; s = many.nextOlder(0xffffe000 + 4999)) older.push(s);
    expect(older).toHaveLength(4999);
    expect(older[0]).toBe(0xffffe000);
    expect(older[4998]).toBe(0xffffe000 + 4998);
    expect(many.nextOlder(1)).toBe(-1);
  });
});
