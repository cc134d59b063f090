// The protocol core against the real kernel: extended acks mapped back to the
// caller's field, batches with one result per message, interrupted dumps,
// timeouts and AbortSignal, and foreign senders ignored.
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { spawn } from 'node:child_process';
import { Rtnl, NetlinkError, DumpInterruptedError } from '../../lib/index.js';
import { MessageWriter } from '../../lib/codec/writer.js';
import { writeIfinfomsg, decodeLink } from '../../lib/families/link/link.js';
import { RTM_NEWLINK, RTM_DELLINK, RTM_GETLINK } from '../../lib/uapi/rtnetlink.js';
import { NLM_F_REQUEST, NLM_F_ACK, NLM_F_CREATE, NLM_F_EXCL, NLM_F_DUMP, NLMSG_NOOP, NLMSG_ERROR, NLMSG_DONE } from '../../lib/uapi/netlink.js';
import { native } from '../../lib/transport/native.js';
import { IFLA_IFNAME, IFLA_LINKINFO, IFLA_INFO_KIND, IFLA_INFO_DATA, IFLA_VXLAN_ID } from '../../lib/uapi/if_link.js';
import { makeNetns, ipIn, ipJson } from '../helpers/netns.js';

let ns: string;
let rtnl: Rtnl;

beforeAll(() => {
  ns = makeNetns('proto');
  rtnl = Rtnl.open({ netns: ns });
});
afterAll(() => rtnl?.close());

/** RTM_NEWLINK for a bridge (or a vxlan with a given id), written by hand. */
function newLink(w: MessageWriter, name: string, vni?: number): void {
  w.begin(RTM_NEWLINK, NLM_F_REQUEST | NLM_F_ACK | NLM_F_CREATE | NLM_F_EXCL);
  writeIfinfomsg(w);
  w.attrString(IFLA_IFNAME, name, 'name');
  const info = w.nest(IFLA_LINKINFO);
  w.attrString(IFLA_INFO_KIND, vni === undefined ? 'bridge' : 'vxlan', 'kind');
  if (vni !== undefined) {
    const data = w.nest(IFLA_INFO_DATA);
    w.attrU32(IFLA_VXLAN_ID, vni, 'vxlan.id');
    w.endNest(data);
  }
  w.endNest(info);
  w.end(`create link ${name}`);
}

describe('kernel errors', () => {
  it('keep errno, code and the extack text, and name the field the kernel pointed at', async () => {
    const w = new MessageWriter();
    newLink(w, 'vx-bad', 1 << 24);
    const err = (await rtnl.conn.request(w).catch((e: unknown) => e)) as NetlinkError;
    expect(err).toBeInstanceOf(NetlinkError);
    expect(err.code).toBe('ERANGE');
    expect(err.errno).toBe(-34);
    expect(err.extack).toMatch(/VXLAN ID/i);
    expect(err.extackOffset).toBeGreaterThan(0);
    expect(err.field).toBe('vxlan.id');
    expect(err.message).toContain('create link vx-bad');
  });

  it('EEXIST for a duplicate', async () => {
    const w = new MessageWriter();
    newLink(w, 'dup0');
    await rtnl.conn.request(w);
    const again = new MessageWriter();
    newLink(again, 'dup0');
    await expect(rtnl.conn.request(again)).rejects.toMatchObject({ code: 'EEXIST', errno: -17 });
  });
});

describe('batches', () => {
  it('send many messages in few sendmsg calls and return one result per message, in order', async () => {
    const w = new MessageWriter();
    // vxlan, not bridge: a namespace of hundreds of bridges holds the rtnl
    // lock for seconds as it is torn down, stalling the test files beside it.
    for (let i = 0; i < 300; i++) newLink(w, `b${i}`, 1000 + i);
    newLink(w, 'b7'); // a duplicate in the middle
    for (let i = 300; i < 310; i++) newLink(w, `b${i}`, 1000 + i);
    const results = await rtnl.conn.batch(w);
    expect(results).toHaveLength(311);
    expect(results.filter((r) => r.ok)).toHaveLength(310);
    expect(results[300]).toMatchObject({ ok: false, error: { code: 'EEXIST' } });
    const names = ipJson<Array<{ ifname: string }>>(ns, 'link', 'show').map((l) => l.ifname);
    expect(names).toContain('b309');
  });

  it('one ack per sendmsg (ackPerSend): failures anywhere, even last in a send, still come back as errors; replies still arrive', async () => {
    const existing = new MessageWriter();
    newLink(existing, 'qd', 2999);
    await rtnl.conn.request(existing);
    const w = new MessageWriter();
    // 600 creates go out in 256-message sends: messages 255, 256 and 511 are a send's last and first.
    const duplicates = new Set([0, 255, 256, 400, 511, 599]);
    for (let i = 0; i < 600; i++) newLink(w, duplicates.has(i) ? 'qd' : `q${i}`, 3000 + i);
    // A get among them: its reply comes whether or not an ack is asked for.
    w.begin(RTM_GETLINK, NLM_F_REQUEST | NLM_F_ACK);
    writeIfinfomsg(w, 1);
    w.end('get link 1');
    const before = { ...rtnl.conn.counters };
    const results = await rtnl.conn.batch(w, { ackPerSend: true, decode: decodeLink });
    expect(results).toHaveLength(601);
    const failed = results.flatMap((r, i) => (r.ok ? [] : [i]));
    expect(failed).toEqual([...duplicates]);
    for (const i of failed) expect(results[i]).toMatchObject({ ok: false, error: { code: 'EEXIST', message: expect.stringContaining('create link qd') } });
    expect(results[600]).toMatchObject({ ok: true, replies: [expect.objectContaining({ name: 'lo', index: 1 })] });
    // The kernel sent an ack per send, an error per failure and the get's reply: not 601 acks.
    const sends = rtnl.conn.counters.sends - before.sends;
    expect(rtnl.conn.counters.datagrams - before.datagrams).toBeLessThanOrEqual(sends + duplicates.size + 1);
    const names = new Set(ipJson<Array<{ ifname: string }>>(ns, 'link', 'show').map((l) => l.ifname));
    for (let i = 0; i < 600; i++) expect(names.has(`q${i}`)).toBe(!duplicates.has(i));
  });

  it('stop at the first error when asked, reporting the rest as skipped', async () => {
    const w = new MessageWriter();
    newLink(w, 'b0'); // exists
    newLink(w, 's1');
    const results = await rtnl.conn.batch(w, { stopOnError: true });
    expect(results[0]!.ok).toBe(false);
    // Both went out in one sendmsg, so the second was already processed: it is reported honestly.
    expect(results[1]!.ok).toBe(true);
  });
});

describe('answers read right after the send', () => {
  const nextTurn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

  it('a request settles without waiting for a turn of the event loop', async () => {
    // Each in a fresh turn, where the first such read is always allowed.
    const withoutTurn = async (request: () => Promise<unknown>): Promise<boolean> => {
      await nextTurn();
      let turned = false;
      setImmediate(() => (turned = true));
      await request();
      return !turned;
    };
    expect(await withoutTurn(() => rtnl.links.get('lo'))).toBe(true);
    expect(await withoutTurn(() => rtnl.links.create({ kind: 'bridge', name: 'eager0' }))).toBe(true);
    expect(await withoutTurn(() => rtnl.links.delete('eager0'))).toBe(true);
  });

  it('a caller awaiting request after request still lets the event loop turn', async () => {
    let turns = 0;
    let running = true;
    const spin = (): void => {
      turns++;
      if (running) setImmediate(spin);
    };
    setImmediate(spin);
    for (let i = 0; i < 1000; i++) expect((await rtnl.links.get('lo')).index).toBe(1);
    running = false;
    // One turn at least per 64 answers taken at once (EAGER_PER_TURN).
    expect(turns).toBeGreaterThanOrEqual(Math.floor(1000 / 65));
  });

  // The requests' reads take the dump's parts too (a read lets the kernel
  // fill the next part): the dump must still come out whole and in order.
  it('a dump running among requests read at once comes out whole', async () => {
    let stop = false;
    let requests = 0;
    const loop = (async () => {
      while (!stop) {
        await rtnl.links.get('lo');
        requests++;
      }
    })();
    const links = await rtnl.links.list({ skipStats: true });
    stop = true;
    await loop;
    expect(links.map((l) => l.name).sort()).toEqual(ipJson<Array<{ ifname: string }>>(ns, 'link', 'show').map((l) => l.ifname).sort());
    expect(requests).toBeGreaterThan(0);
  });
});

describe('reads into the landing buffer', () => {
  /** The messages in framed datagrams: [type, error] each. */
  function acksIn(bytes: Buffer, end: number): Array<[number, number]> {
    const out: Array<[number, number]> = [];
    for (let pos = 0; pos + 8 <= end; pos += 8 + bytes.readUInt32LE(pos)) {
      const at = pos + 8;
      out.push([bytes.readUInt16LE(at + 4), bytes.readInt32LE(at + 16)]);
    }
    return out;
  }

  it('plain acks land in the reused buffer (a byte count comes back); anything else comes in a Buffer of its own', () => {
    const socket = new native.NativeSocket(0 /* NETLINK_ROUTE */, `/run/netns/${ns}`, 1 << 20, () => {});
    try {
      const landing = Buffer.alloc(64 << 10);
      socket.setLanding(landing);
      const noops = new MessageWriter();
      for (let i = 0; i < 10; i++) noops.begin(NLMSG_NOOP, NLM_F_REQUEST | NLM_F_ACK).end('no-op');
      expect(socket.send(noops.view())).toBe(noops.length);
      const got = socket.receive();
      expect(typeof got).toBe('number');
      expect(acksIn(landing, got as number)).toEqual(Array.from({ length: 10 }, () => [NLMSG_ERROR, 0]));

      // An error ack (a link create with no kind) is not a plain ack: the read gets a Buffer, and the landing is untouched.
      landing.fill(0xee);
      const bad = new MessageWriter();
      bad.begin(NLMSG_NOOP, NLM_F_REQUEST | NLM_F_ACK).end('no-op');
      bad.begin(RTM_NEWLINK, NLM_F_REQUEST | NLM_F_ACK | NLM_F_CREATE | NLM_F_EXCL);
      writeIfinfomsg(bad);
      bad.end('create a link with no kind');
      socket.send(bad.view());
      const mixed = socket.receive();
      expect(Buffer.isBuffer(mixed)).toBe(true);
      const acks = acksIn(mixed as Buffer, (mixed as Buffer).length);
      expect(acks[0]).toEqual([NLMSG_ERROR, 0]);
      expect(acks[1]![0]).toBe(NLMSG_ERROR);
      expect(acks[1]![1]).toBeLessThan(0);
      expect(landing.every((b) => b === 0xee)).toBe(true);
    } finally {
      socket.close();
    }
  });

  it('sockets share one read area, and each read is handed over whole before another socket reads', () => {
    // Each message's header: [type, sequence number].
    const headersIn = (bytes: Buffer, end: number): Array<[number, number]> => {
      const out: Array<[number, number]> = [];
      for (let pos = 0; pos + 8 <= end; pos += 8 + bytes.readUInt32LE(pos)) {
        for (let at = pos + 8; at + 16 <= pos + 8 + bytes.readUInt32LE(pos); at += (bytes.readUInt32LE(at) + 3) & ~3) {
          out.push([bytes.readUInt16LE(at + 4), bytes.readUInt32LE(at + 8)]);
        }
      }
      return out;
    };
    const noops = (seqs: number[]): Buffer => {
      const w = new MessageWriter();
      for (const seq of seqs) {
        const at = w.length;
        w.begin(NLMSG_NOOP, NLM_F_REQUEST | NLM_F_ACK).end('no-op');
        w.view().writeUInt32LE(seq, at + 8);
      }
      return w.view();
    };
    const a = new native.NativeSocket(0 /* NETLINK_ROUTE */, `/run/netns/${ns}`, 1 << 20, () => {});
    const b = new native.NativeSocket(0, `/run/netns/${ns}`, 1 << 20, () => {});
    try {
      const landingA = Buffer.alloc(64 << 10);
      const landingB = Buffer.alloc(64 << 10);
      a.setLanding(landingA);
      b.setLanding(landingB);
      const seqsA = Array.from({ length: 200 }, (_, i) => 1 + i);
      const seqsB = Array.from({ length: 7 }, (_, i) => 1001 + i);
      a.send(noops(seqsA));
      b.send(noops(seqsB));
      const gotA = a.receive() as number;
      const gotB = b.receive() as number;
      expect(headersIn(landingA, gotA)).toEqual(seqsA.map((seq) => [NLMSG_ERROR, seq]));
      expect(headersIn(landingB, gotB)).toEqual(seqsB.map((seq) => [NLMSG_ERROR, seq]));

      // A dump's parts come in a Buffer of their own, which a later read on another socket leaves alone.
      const dump = new MessageWriter();
      dump.begin(RTM_GETLINK, NLM_F_REQUEST | NLM_F_DUMP);
      writeIfinfomsg(dump);
      dump.end('list links');
      dump.view().writeUInt32LE(77, 8);
      a.send(dump.view());
      b.send(noops([2001]));
      const parts = a.receive() as Buffer;
      const copy = Buffer.from(parts);
      expect(headersIn(landingB, b.receive() as number)).toEqual([[NLMSG_ERROR, 2001]]);
      expect(parts.equals(copy)).toBe(true);
      const headers = headersIn(parts, parts.length);
      expect(headers.length).toBeGreaterThan(0);
      expect(headers.every(([type, seq]) => seq === 77 && (type === RTM_NEWLINK || type === NLMSG_DONE))).toBe(true);
    } finally {
      a.close();
      b.close();
    }
  });
});

describe('dumps', () => {
  it('never return an interrupted dump as complete', async () => {
    // 400 links make a dump of many datagrams; a concurrent writer changes the
    // list while it runs, so the kernel flags parts with NLM_F_DUMP_INTR.
    const w = new MessageWriter();
    for (let i = 0; i < 400; i++) newLink(w, `d${i}`, 5000 + i);
    await rtnl.conn.batch(w);
    const churn = spawn('sh', ['-c', `while true; do ip -n ${ns} link add churn type bridge; ip -n ${ns} link del churn; done`], { stdio: 'ignore' });
    let interrupted = 0;
    let complete = 0;
    try {
      for (let i = 0; i < 60; i++) {
        try {
          const links = await rtnl.links.list({}, { retries: 0 });
          const names = new Set(links.map((l) => l.name));
          for (let j = 0; j < 400; j++) expect(names.has(`d${j}`)).toBe(true);
          complete++;
        } catch (err) {
          expect(err).toBeInstanceOf(DumpInterruptedError);
          expect((err as DumpInterruptedError).partial.length).toBeGreaterThan(0);
          interrupted++;
        }
      }
    } finally {
      churn.kill('SIGKILL');
    }
    expect(interrupted + complete).toBe(60);
    expect(interrupted).toBeGreaterThan(0);
    // With retries (the default), the same dumps come back whole.
    const whole = await rtnl.links.list();
    expect(whole.length).toBeGreaterThanOrEqual(401);
  });
});

describe('timeouts and abort', () => {
  it('abort before sending rejects with the signal reason; the socket keeps working', async () => {
    const ac = new AbortController();
    ac.abort(new Error('stop'));
    await expect(rtnl.links.list({}, { signal: ac.signal })).rejects.toThrow('stop');
    expect((await rtnl.links.list()).length).toBeGreaterThan(0);
  });

  it('abort mid-dump leaves the socket usable for the next dump', async () => {
    const ac = new AbortController();
    const p = rtnl.links.list({}, { signal: ac.signal });
    queueMicrotask(() => ac.abort(new Error('mid-dump')));
    await expect(p).rejects.toThrow('mid-dump');
    const links = await rtnl.links.list();
    expect(links.length).toBeGreaterThan(400);
  });

  it('close() fails what is waiting, and later calls fail plainly', async () => {
    const r = Rtnl.open({ netns: ns });
    const p = r.links.list();
    r.close();
    await expect(p).rejects.toMatchObject({ code: 'ERR_NL_CLOSED' });
    await expect(r.links.list()).rejects.toMatchObject({ code: 'ERR_NL_CLOSED' });
  });
});

describe('deletes', () => {
  it('delete by index through a raw request', async () => {
    const [link] = await rtnl.conn.request(
      (() => {
        const w = new MessageWriter();
        newLink(w, 'gone0');
        return w;
      })(),
      { decode: decodeLink },
    );
    expect(link).toBeUndefined(); // NEWLINK answers with an ack only
    const l = await rtnl.links.get('gone0');
    const w = new MessageWriter();
    w.begin(RTM_DELLINK, NLM_F_REQUEST | NLM_F_ACK);
    writeIfinfomsg(w, l.index);
    w.end('delete link gone0');
    await rtnl.conn.request(w);
    expect(ipIn(ns, 'link', 'show')).not.toContain('gone0');
  });
});
