// PacketTap on the real kernel: two namespaces joined by a veth pair (the
// underlay), a VXLAN overlay bridged on each side, and a tap on host A's
// underlay veth. `ping` makes the traffic and is the oracle for its count.
import { describe, it, expect, beforeAll } from 'vitest';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { PacketTap, ValidationError, type CapturedFrame } from '../../lib/index.js';
import { makeNetns, ipIn } from '../helpers/netns.js';

const run = promisify(execFile);
let A: string;
let B: string;

beforeAll(() => {
  A = makeNetns('tap-a');
  B = makeNetns('tap-b');
  ipIn(A, 'link', 'add', 'veth0', 'type', 'veth', 'peer', 'name', 'veth0', 'netns', B);
  const sides = [
    [A, '198.51.100.1', '198.51.100.2', '192.0.2.1'],
    [B, '198.51.100.2', '198.51.100.1', '192.0.2.2'],
  ] as const;
  for (const [ns, self, peer, overlay] of sides) {
    ipIn(ns, 'addr', 'add', `${self}/24`, 'dev', 'veth0');
    ipIn(ns, 'link', 'set', 'veth0', 'up');
    ipIn(ns, 'link', 'add', 'vxlan42', 'type', 'vxlan', 'id', '42', 'remote', peer, 'local', self, 'dstport', '4789', 'dev', 'veth0');
    ipIn(ns, 'link', 'add', 'vbr0', 'type', 'bridge');
    ipIn(ns, 'link', 'set', 'vxlan42', 'master', 'vbr0');
    ipIn(ns, 'addr', 'add', `${overlay}/24`, 'dev', 'vbr0');
    ipIn(ns, 'link', 'set', 'vxlan42', 'up');
    ipIn(ns, 'link', 'set', 'vbr0', 'up');
  }
});

function pingFromA(...args: string[]): Promise<{ stdout: string }> {
  return run('ip', ['netns', 'exec', A, 'ping', ...args]);
}

/** Collects every frame until the tap ends. */
async function collect(tap: PacketTap): Promise<CapturedFrame[]> {
  const frames: CapturedFrame[] = [];
  for await (const batch of tap) frames.push(...batch);
  return frames;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('PacketTap on a VXLAN underlay', () => {
  it('decodes VXLAN (vni 42) carrying the inner ICMP echo requests and replies of a ping', async () => {
    const started = BigInt(Date.now()) * 1_000_000n;
    const tap = PacketTap.open({ netns: A, interface: 'veth0', filter: 'udp port 4789', snaplen: 262144 });
    expect(tap.ifindex).toBeGreaterThan(0);
    const collecting = collect(tap);
    const { stdout } = await pingFromA('-c', '3', '-i', '0.2', '-W', '5', '192.0.2.2');
    expect(stdout).toMatch(/3 packets transmitted, 3 received/);
    await sleep(200); // a few block timeouts: the last partly filled block is retired
    tap.close();
    const frames = await collecting;

    const echoes = frames.filter((f) => f.layers.vxlan?.inner.icmp?.echo !== undefined);
    for (const f of frames) {
      const d = f.layers;
      expect(d.udp?.destinationPort).toBe(4789);
      expect(d.vxlan).toMatchObject({ flags: 0x08, vniValid: true, vni: 42 });
      expect(f.timestamp).toBeGreaterThanOrEqual(started);
      expect(f.truncated).toBe(false);
    }
    const requests = echoes.filter((f) => f.layers.vxlan!.inner.icmp!.echo === 'request');
    const replies = echoes.filter((f) => f.layers.vxlan!.inner.icmp!.echo === 'reply');
    // Exactly what ping says it sent and received.
    expect(requests.map((f) => f.layers.vxlan!.inner.icmp!.sequence)).toEqual([1, 2, 3]);
    expect(replies.map((f) => f.layers.vxlan!.inner.icmp!.sequence)).toEqual([1, 2, 3]);
    for (const f of requests) {
      expect(f.packetType).toBe('outgoing');
      expect(f.layers.ip).toMatchObject({ source: '198.51.100.1', destination: '198.51.100.2' });
      expect(f.layers.vxlan!.inner.ip).toMatchObject({ source: '192.0.2.1', destination: '192.0.2.2' });
    }
    for (const f of replies) {
      expect(f.packetType).toBe('host');
      expect(f.layers.ip).toMatchObject({ source: '198.51.100.2', destination: '198.51.100.1' });
      expect(f.layers.vxlan!.inner.ip).toMatchObject({ source: '192.0.2.2', destination: '192.0.2.1' });
    }

    const stats = tap.stats();
    expect(stats.delivered).toBe(BigInt(frames.length));
    expect(stats.seen).toBe(BigInt(frames.length));
    expect(typeof stats.dropped).toBe('bigint');
    expect(stats.dropped).toBe(0n);
  });

  it('yields no frames when the filter matches nothing, and ends after `duration`', async () => {
    const tap = PacketTap.open({ netns: A, interface: 'veth0', filter: 'udp port 9', duration: 800 });
    const collecting = collect(tap);
    await pingFromA('-c', '2', '-i', '0.2', '192.0.2.2');
    expect(await collecting).toEqual([]);
    expect(tap.isClosed).toBe(true);
    expect(tap.stats()).toMatchObject({ seen: 0n, dropped: 0n, delivered: 0n });
  });

  it('stops reading a ring nobody consumes: the kernel drops and counts, memory stays bounded', async () => {
    const tap = PacketTap.open({
      netns: A,
      interface: 'veth0',
      filter: 'udp port 4789',
      snaplen: 2048,
      ringSize: 512 << 10, // two 256 KiB blocks
      highWaterMark: 1,
    });
    // Nobody iterates while a flood runs through the overlay.
    await pingFromA('-f', '-q', '-c', '3000', '192.0.2.2');
    await sleep(100);
    const stats = tap.stats();
    expect(stats.dropped).toBeGreaterThan(0n);
    expect(stats.seen).toBeGreaterThanOrEqual(3000n);
    // One batch was taken before polling paused; everything else stayed in (or fell off) the ring.
    expect(stats.delivered).toBeLessThan(stats.seen - stats.dropped);
    // Consuming resumes reading what the ring still holds.
    const seenBefore = stats.delivered;
    const it = tap[Symbol.asyncIterator]();
    expect((await it.next()).done).toBe(false);
    expect((await it.next()).done).toBe(false);
    expect(tap.stats().delivered).toBeGreaterThan(seenBefore);
    tap.close();
    expect((await it.next()).done).toBe(true);
  });

  it('ends the iteration cleanly when closed mid-iteration, and when the loop breaks', async () => {
    const tap = PacketTap.open({ netns: A, interface: 'veth0' });
    setTimeout(() => tap.close(), 100);
    const frames = await collect(tap); // resolves (done), does not reject
    expect(Array.isArray(frames)).toBe(true);
    expect(tap.isClosed).toBe(true);

    const again = PacketTap.open({ netns: A, interface: 'veth0', filter: 'udp port 4789' });
    const pinging = pingFromA('-c', '5', '-i', '0.2', '192.0.2.2');
    for await (const batch of again) {
      expect(batch.length).toBeGreaterThan(0);
      break;
    }
    expect(again.isClosed).toBe(true);
    await pinging;
  });

  it('rejects a waiting iteration with the abort reason', async () => {
    const controller = new AbortController();
    const tap = PacketTap.open({ netns: A, interface: 'veth0', filter: 'udp port 9', signal: controller.signal });
    const waiting = tap[Symbol.asyncIterator]().next();
    controller.abort();
    await expect(waiting).rejects.toMatchObject({ name: 'AbortError' });
    expect(tap.isClosed).toBe(true);
  });
});

describe('PacketTap and the interface state', () => {
  it('refuses an interface that is down, and fails a waiting iteration when it goes down', async () => {
    ipIn(B, 'link', 'add', 'tdown0', 'type', 'veth', 'peer', 'name', 'tdown1');
    expect(() => PacketTap.open({ netns: B, interface: 'tdown0' })).toThrow(expect.objectContaining({ code: 'ENETDOWN' }));
    ipIn(B, 'link', 'set', 'tdown0', 'up');
    ipIn(B, 'link', 'set', 'tdown1', 'up');
    const tap = PacketTap.open({ netns: B, interface: 'tdown0', filter: 'udp port 9' });
    const waiting = tap[Symbol.asyncIterator]().next();
    ipIn(B, 'link', 'set', 'tdown0', 'down');
    await expect(waiting).rejects.toMatchObject({ code: 'ENETDOWN', errno: -100 });
    expect(tap.isClosed).toBe(true);
  });
});

describe('PacketTap input checks', () => {
  it('rejects a bad filter expression as a ValidationError naming `filter`, with pcap’s message', () => {
    const err = (() => {
      try {
        PacketTap.open({ netns: A, interface: 'veth0', filter: 'udp port' });
      } catch (e) {
        return e;
      }
      return undefined;
    })();
    expect(err).toBeInstanceOf(ValidationError);
    expect(err).toMatchObject({ field: 'filter', code: 'ERR_NL_INVALID' });
    expect((err as Error).message).toMatch(/syntax error/);
  });

  it('names the field of other bad options before opening anything', () => {
    expect(() => PacketTap.open({ netns: A, interface: 'veth0', snaplen: 0 })).toThrow(expect.objectContaining({ field: 'snaplen' }));
    expect(() => PacketTap.open({ netns: A, interface: 'x'.repeat(16) })).toThrow(expect.objectContaining({ field: 'interface' }));
    expect(() => PacketTap.open({ netns: A, interface: 'veth0', vxlanPorts: [0] })).toThrow(
      expect.objectContaining({ field: 'vxlanPorts' }),
    );
    expect(() => PacketTap.open({ netns: '../etc', interface: 'veth0' })).toThrow(expect.objectContaining({ field: 'netns' }));
  });

  it('fails like a system call for an interface that is not in the namespace', () => {
    expect(() => PacketTap.open({ netns: B, interface: 'vbr9' })).toThrow(
      expect.objectContaining({ code: 'ENODEV', syscall: 'if_nametoindex' }),
    );
  });
});
