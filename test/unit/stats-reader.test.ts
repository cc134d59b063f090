// The stats reader's allocation-free decoders on real kernel bytes
// (test/fixtures/stats-reader-kernel.ts, captured in UML with the reader's
// own socket), checked against the library's ordinary decoders and against
// what ipvsadm and `ip -s` printed for the same state; the slot table's rules
// (stable slots, removal, no reuse within a poll, generations, growth); and
// the /proc parsers used without CAP_NET_ADMIN.
import { describe, it, expect } from 'vitest';
import { AttrTable } from '../../lib/codec/reader.js';
import { decodeServiceIn } from '../../lib/families/ipvs/service.js';
import { buildDestinationDump, decodeDestinationIn } from '../../lib/families/ipvs/destination.js';
import { serviceIdOf } from '../../lib/families/ipvs/validate.js';
import { REPLY_HEADER } from '../../lib/transport/dump-channel.js';
import { ReplyBuffer, RequestBuffer } from '../../lib/hotpath/raw.js';
import { ServiceSlots, DestinationSlots, IPVS_STRIDE, IPVS_RATE_STRIDE, DESTINATION_GAUGE_STRIDE } from '../../lib/hotpath/ipvs-slots.js';
import { LinkSlots, LINK_STRIDE, LINK_COUNTERS } from '../../lib/hotpath/link-slots.js';
import { SlotTable } from '../../lib/hotpath/slots.js';
import { parseProcIpvs, parseProcIpvsStats } from '../../lib/hotpath/proc-ipvs.js';
import { IPVS_CMD_ATTR_SERVICE, IPVS_CMD_ATTR_DEST } from '../../lib/uapi/ip_vs.js';
import { AF_INET6 } from '../../lib/uapi/linux.js';
import {
  IPVS_FAMILY_ID, SERVICE_REPLIES, DEST_REPLIES, LINK_STATS_REPLIES, IPVSADM_STATS, IP_LINK_LO, PROC_IP_VS, PROC_IP_VS_STATS,
} from '../fixtures/stats-reader-kernel.js';

// The decoders walk a byte range; these take the tables the tests build.
const serviceOf = (t: AttrTable) => decodeServiceIn(t.buf, t.from, t.to);
const destinationOf = (t: AttrTable, family: 4 | 6) => decodeDestinationIn(t.buf, t.from, t.to, family);

/** Puts captured replies where a DumpChannel lands them; returns the end offset. */
function load(r: ReplyBuffer, hex: string): number {
  const bytes = Buffer.from(hex, 'hex');
  r.u8.set(bytes, REPLY_HEADER);
  return REPLY_HEADER + bytes.length;
}

/** Offsets of the messages of type `type` in [REPLY_HEADER, end). */
function messages(r: ReplyBuffer, end: number, type: number): number[] {
  const out: number[] = [];
  for (let p = REPLY_HEADER; p + 16 <= end; p += (r.msgLen(p) + 3) & ~3) if (r.msgType(p) === type) out.push(p);
  return out;
}

/** The nested attribute `type` of a generic netlink message, decoded by the library's own reader. */
function nestOf(r: ReplyBuffer, p: number, type: number): AttrTable {
  return new AttrTable(r.buf, p + 20, p + r.msgLen(p)).nested(type)!;
}

/** `ipvsadm -Ln --stats --exact` rows: "TCP 198.51.100.1:80" / "-> 192.0.2.10:80" → five counters. */
function ipvsadmRows(): Map<string, bigint[]> {
  const rows = new Map<string, bigint[]>();
  for (const line of IPVSADM_STATS.split('\n').slice(3)) {
    const cols = line.trim().split(/\s+/);
    if (cols.length < 7) continue;
    rows.set(`${cols[0]} ${cols[1]}`, cols.slice(2).map(BigInt));
  }
  return rows;
}

const five = (a: BigUint64Array, slot: number): bigint[] => [...a.subarray(slot * IPVS_STRIDE, slot * IPVS_STRIDE + 5)];

function readAllServices(services: ServiceSlots, r: ReplyBuffer, end: number, skip?: number): number[] {
  services.table.begin(true);
  const slots = messages(r, end, IPVS_FAMILY_ID).map((p, i) => (i === skip ? -1 : services.read(r, p)));
  services.table.sweep();
  return slots;
}

describe('service slots on real GET_SERVICE replies', () => {
  it('take identity, labels and counters as the ordinary decoder and ipvsadm see them', () => {
    const r = new ReplyBuffer(1 << 16);
    const end = load(r, SERVICE_REPLIES);
    const services = new ServiceSlots(4, IPVS_FAMILY_ID);
    const slots = readAllServices(services, r, end);
    expect(new Set(slots).size).toBe(4);
    expect(services.table.count).toBe(4);
    expect([...services.table.added.subarray(0, services.table.addedCount)].sort()).toEqual([...slots].sort());
    const rows = ipvsadmRows();
    messages(r, end, IPVS_FAMILY_ID).forEach((p, i) => {
      const { stats, ...labels } = serviceOf(nestOf(r, p, IPVS_CMD_ATTR_SERVICE));
      const slot = slots[i]!;
      expect(services.labels[slot]).toEqual(labels);
      expect([...services.counters.subarray(slot * IPVS_STRIDE, (slot + 1) * IPVS_STRIDE)]).toEqual(Object.values(stats));
      const key = labels.fwmark !== undefined ? `FWM ${labels.fwmark}` : `${labels.protocol!.toUpperCase()} ${labels.family === 6 ? `[${labels.address}]` : labels.address}:${labels.port}`;
      expect(five(services.counters, slot)).toEqual(rows.get(key));
    });
    const udp = slots[messages(r, end, IPVS_FAMILY_ID).findIndex((p) => serviceOf(nestOf(r, p, IPVS_CMD_ATTR_SERVICE)).address === '198.51.100.3')]!;
    expect(five(services.counters, udp)).toEqual([3n, 3n, 0n, 102n, 0n]);
  });

  it('build each GET_DEST request once, byte for byte as buildDestinationDump does', () => {
    const r = new ReplyBuffer(1 << 16);
    const end = load(r, SERVICE_REPLIES);
    const services = new ServiceSlots(4, IPVS_FAMILY_ID);
    readAllServices(services, r, end);
    const into = new RequestBuffer(4096);
    const slotOf = new Int32Array(8);
    const offsetOf = new Int32Array(8);
    const bytes = services.writeRequests(into, 64, slotOf, offsetOf);
    const expected = [0, 1, 2, 3].map((i) => buildDestinationDump(IPVS_FAMILY_ID, serviceIdOf({ ...services.labels[slotOf[i]!]!, stats: {} as never })).view());
    expect(Buffer.from(into.u8.subarray(64, 64 + bytes))).toEqual(Buffer.concat(expected));
    expect([...offsetOf.subarray(0, 4)]).toEqual([64, 64 + expected[0]!.length, 64 + expected[0]!.length + expected[1]!.length, 64 + bytes - expected[3]!.length]);
  });

  it('keep their slots across polls; a vanished service is listed once and its slot reused only in a later poll', () => {
    const r = new ReplyBuffer(1 << 16);
    const end = load(r, SERVICE_REPLIES);
    const services = new ServiceSlots(4, IPVS_FAMILY_ID);
    const first = readAllServices(services, r, end);
    const generations = [...services.table.generation.subarray(0, 4)];
    expect(readAllServices(services, r, end)).toEqual(first);
    expect(services.table.addedCount + services.table.removedCount).toBe(0);

    // Poll 3: the second service is missing (deleted); its labels stay readable.
    readAllServices(services, r, end, 1);
    expect([...services.table.removed.subarray(0, services.table.removedCount)]).toEqual([first[1]]);
    expect(services.table.live[first[1]!]).toBe(0);
    expect(services.labels[first[1]!]).toBeDefined();
    expect(services.table.count).toBe(3);

    // Poll 4: it is back; it gets the freed slot again, with a new generation.
    const again = readAllServices(services, r, end);
    expect(again).toEqual(first);
    expect([...services.table.added.subarray(0, services.table.addedCount)]).toEqual([first[1]]);
    expect(services.table.generation[first[1]!]).toBe(generations[1]! + 1);
  });

  it('compute per-second rates from consecutive samples, treating a drop as a counter reset', () => {
    const r = new ReplyBuffer(1 << 16);
    const end = load(r, SERVICE_REPLIES);
    const services = new ServiceSlots(4, IPVS_FAMILY_ID);
    r.elapsedUs[0] = 0;
    const slots = readAllServices(services, r, end);
    expect([...services.rates]).toEqual(new Array(services.rates.length).fill(0));
    // Pretend one second earlier every counter was half of now, or larger (reset).
    const udp = slots.find((s) => services.counters[s * IPVS_STRIDE] === 3n)!;
    services.counters[udp * IPVS_STRIDE + 0] = 1n; // connections 1 → 3
    services.counters[udp * IPVS_STRIDE + 3] = 500n; // inBytes 500 → 102: a reset
    r.elapsedUs[0] = 2_000_000;
    readAllServices(services, r, end);
    expect(services.rates[udp * IPVS_RATE_STRIDE + 0]).toBe(1); // (3 - 1) / 2
    expect(services.rates[udp * IPVS_RATE_STRIDE + 3]).toBe(51); // 102 / 2
    expect(services.rates[udp * IPVS_RATE_STRIDE + 1]).toBe(0);
  });
});

describe('destination slots on real GET_DEST replies', () => {
  it('take labels, gauges and counters as the ordinary decoder and ipvsadm see them', () => {
    const r = new ReplyBuffer(1 << 16);
    const dests = new DestinationSlots(2);
    dests.table.begin(true);
    const rows = ipvsadmRows();
    let seen = 0;
    DEST_REPLIES.forEach((d, serviceSlot) => {
      const end = load(r, d.hex);
      for (const p of messages(r, end, IPVS_FAMILY_ID)) {
        const slot = dests.read(r, p, serviceSlot, d.family === 6 ? AF_INET6 : 2);
        const dest = destinationOf(nestOf(r, p, IPVS_CMD_ATTR_DEST), d.family);
        expect(dests.labels[slot]).toMatchObject({ address: dest.address, port: dest.port, family: dest.family, forward: dest.forward, service: serviceSlot });
        expect([...dests.gauges.subarray(slot * DESTINATION_GAUGE_STRIDE, (slot + 1) * DESTINATION_GAUGE_STRIDE)]).toEqual([
          dest.weight, dest.activeConnections, dest.inactiveConnections, dest.persistentConnections, dest.upperThreshold, dest.lowerThreshold,
        ]);
        expect([...dests.counters.subarray(slot * IPVS_STRIDE, (slot + 1) * IPVS_STRIDE)]).toEqual(Object.values(dest.stats));
        expect(five(dests.counters, slot)).toEqual(rows.get(`-> ${dest.family === 6 ? `[${dest.address}]` : dest.address}:${dest.port}`));
        expect(dests.service[slot]).toBe(serviceSlot);
        seen++;
      }
    });
    expect(seen).toBe(5);
    // Grew from 2 slots to 8 on the way, keeping what it had.
    expect(dests.table.capacity).toBe(8);
    expect(dests.table.count).toBe(5);
    const tunnel = dests.labels.find((l) => l?.forward === 'tunnel');
    expect(tunnel).toMatchObject({ address: '2001:db8::10', family: 6, tunnel: { type: 'ipip' } });
  });

  it('of a service whose listing failed are kept, the others swept', () => {
    const r = new ReplyBuffer(1 << 16);
    const dests = new DestinationSlots(8);
    dests.table.begin(true);
    DEST_REPLIES.forEach((d, s) => messages(r, load(r, d.hex), IPVS_FAMILY_ID).forEach((p) => dests.read(r, p, s, d.family === 6 ? AF_INET6 : 2)));
    dests.table.sweep();
    dests.table.begin(true);
    dests.table.keepWhere(dests.service, 3);
    dests.table.sweep();
    expect(dests.table.count).toBe(1);
    expect(dests.table.removedCount).toBe(4);
  });
});

describe('link slots on a real RTM_NEWSTATS reply', () => {
  it('read every stats64 counter of the link, as `ip -s link` shows them', () => {
    const links = new LinkSlots(['lo']);
    const requests = new RequestBuffer(64);
    links.assign([{ index: 1, name: 'lo' }], requests);
    expect(links.number(requests, 7)).toBe(28);
    expect(requests.u32[2]).toBe(7);
    const r = new ReplyBuffer(1 << 16);
    const end = load(r, LINK_STATS_REPLIES);
    links.read(r, end, REPLY_HEADER, 7);
    const ip = JSON.parse(IP_LINK_LO)[0].stats64;
    const field = (name: (typeof LINK_COUNTERS)[number]): bigint => links.counters[LINK_COUNTERS.indexOf(name)]!;
    expect([field('rx_bytes'), field('rx_packets'), field('tx_bytes'), field('tx_packets')]).toEqual(
      [ip.rx.bytes, ip.rx.packets, ip.tx.bytes, ip.tx.packets].map(BigInt),
    );
    expect(links.present[0]).toBe(1);
    expect(links.counters.length).toBe(LINK_STRIDE);
  });

  it('mark a link absent when the kernel answers ENODEV', () => {
    const links = new LinkSlots(['gone0']);
    const requests = new RequestBuffer(64);
    links.assign([{ index: 99, name: 'gone0' }], requests);
    links.number(requests, 40);
    const r = new ReplyBuffer(1 << 16);
    // NLMSG_ERROR, seq 40, errno -ENODEV, echoing the request header.
    const err = Buffer.alloc(36);
    err.writeUInt32LE(36, 0);
    err.writeUInt16LE(2, 4);
    err.writeUInt32LE(40, 8);
    err.writeInt32LE(-19, 16);
    r.u8.set(err, REPLY_HEADER);
    links.read(r, REPLY_HEADER + 36, REPLY_HEADER, 40);
    expect(links.present[0]).toBe(0);
    expect(links.missing).toBe(true);
  });
});

describe('the slot table', () => {
  it('finds every key after growth and removals (open addressing with rehash)', () => {
    const table = new SlotTable(2, 4, () => {});
    const claim = (a: number, b: number): number => {
      table.key[0] = a;
      table.key[1] = b;
      return table.claim();
    };
    table.begin(true);
    const slots = new Map<number, number>();
    for (let i = 0; i < 1000; i++) slots.set(i, claim(i, i * 7));
    table.sweep();
    expect(table.capacity).toBe(1024);
    expect(new Set(slots.values()).size).toBe(1000);
    table.begin(true);
    for (let i = 0; i < 1000; i += 2) expect(claim(i, i * 7)).toBe(slots.get(i));
    expect(table.sweep()).toBe(500);
    table.begin(true);
    for (let i = 0; i < 1000; i += 2) expect(claim(i, i * 7)).toBe(slots.get(i));
    // New keys take freed slots (no growth), each freed slot once.
    const reused = new Set<number>();
    for (let i = 0; i < 500; i++) reused.add(claim(5000 + i, 1));
    expect(table.sweep()).toBe(0);
    expect(reused.size).toBe(500);
    expect(table.capacity).toBe(1024);
    expect(table.highWater).toBe(1000);
  });

  it('does not reuse a slot freed in the same poll', () => {
    const table = new SlotTable(1, 4, () => {});
    const claim = (k: number): number => {
      table.key[0] = k;
      return table.claim();
    };
    table.begin(true);
    const a = claim(1);
    table.sweep();
    table.begin(true);
    const b = claim(2); // 1 is gone in this poll, but is only freed by sweep()
    expect(b).not.toBe(a);
    table.sweep();
    table.begin(true);
    expect(claim(3)).toBe(a);
  });
});

describe('/proc fallback parsers', () => {
  it('read /proc/net/ip_vs: services, destinations, weights and connection counts', () => {
    const services = parseProcIpvs(PROC_IP_VS);
    expect(services.map((s) => [s.proto, s.address, s.port, s.fwmark, s.scheduler])).toEqual([
      ['UDP', '2001:db8::1', 53, 0, 'sh'],
      ['UDP', '198.51.100.3', 53, 0, 'rr'],
      ['TCP', '198.51.100.1', 80, 0, 'wlc'],
      ['FWM', '', 0, 7, 'rr'],
    ]);
    expect(services[2]!.destinations).toEqual([
      { address: '2001:db8::10', family: 6, port: 80, forward: 'Tunnel', weight: 2, activeConnections: 0, inactiveConnections: 0 },
      { address: '192.0.2.10', family: 4, port: 80, forward: 'Masq', weight: 3, activeConnections: 0, inactiveConnections: 0 },
    ]);
    expect(services[3]!.destinations[0]).toMatchObject({ address: '192.0.2.30', port: 0, forward: 'Route', weight: 1 });
  });

  it('read /proc/net/ip_vs_stats: totals in hex, matching the sum ipvsadm shows', () => {
    const totals = parseProcIpvsStats(PROC_IP_VS_STATS);
    expect(totals).toMatchObject({ connections: 3n, inPackets: 3n, outPackets: 0n, inBytes: 0x66n, outBytes: 0n });
    expect(totals.inBytes).toBe(102n);
  });
});
