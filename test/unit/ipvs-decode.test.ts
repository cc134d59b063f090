// The IPVS service and destination decoders on real kernel bytes (captured in
// UML, see test/fixtures/ipvs-dumps.ts for the ipvsadm commands that made the
// state), checked against what ipvsadm printed for the same state.
import { describe, it, expect } from 'vitest';
import type { Message } from '../../lib/protocol/message.js';
import { AttrTable, findAttr, payloadLength } from '../../lib/codec/reader.js';
import { DecodeError } from '../../lib/protocol/errors.js';
import { decodeService, decodeServiceIn } from '../../lib/families/ipvs/service.js';
import { destinationDecoder, decodeDestinationIn } from '../../lib/families/ipvs/destination.js';
import { decodeStatsAt } from '../../lib/families/ipvs/stats.js';
import { SERVICE_DUMP, TCP_DEST_DUMP, UDP_DEST_DUMP, UDP_SERVICE_GET } from '../fixtures/ipvs-dumps.js';
import type { Service } from '../../lib/families/ipvs/types.js';
import { GENL_HDRLEN } from '../../lib/uapi/genetlink.js';
import {
  IPVS_CMD_ATTR_SERVICE, IPVS_CMD_ATTR_DEST, IPVS_SVC_ATTR_STATS, IPVS_DEST_ATTR_ADDR_FAMILY, IPVS_DEST_ATTR_WEIGHT, IPVS_DEST_ATTR_PORT,
} from '../../lib/uapi/ip_vs.js';

function msg(hex: string): Message {
  const buf = Buffer.from(hex, 'hex');
  return { type: buf.readUInt16LE(4), flags: buf.readUInt16LE(6), seq: buf.readUInt32LE(8), pid: buf.readUInt32LE(12), buf, offset: 16, end: buf.readUInt32LE(0) };
}

const services = SERVICE_DUMP.map((h) => decodeService(msg(h))!);
const find = (pred: (s: Service) => boolean): Service => {
  const s = services.find(pred);
  if (!s) throw new Error('service not in fixture');
  return s;
};

describe('IPVS service decoder (kernel bytes)', () => {
  it('decodes every service of the dump', () => {
    expect(services).toHaveLength(5);
    for (const s of services) expect(s.unknown).toBeUndefined();
  });

  it('-A -t 198.51.100.1:80 -s sh -b sh-fallback,sh-port -p 60 -M 255.255.255.0', () => {
    const s = find((x) => x.protocol === 'tcp');
    expect(s).toMatchObject({
      protocol: 'tcp', address: '198.51.100.1', port: 80, family: 4, scheduler: 'sh', persistent: 60, netmask: '255.255.255.0',
      flags: { onePacket: false, shFallback: true, shPort: true, mhFallback: false, mhPort: false },
    });
    expect(s.fwmark).toBeUndefined();
    expect(s.pe).toBeUndefined();
    // PERSISTENT | HASHED | SCHED1 | SCHED2, as the kernel reports them.
    expect(s.flagBits).toBe(0x1 | 0x2 | 0x8 | 0x10);
  });

  it('-A -u [2001:db8::1]:53 -s rr -p 360 --pe sip -o (IPv6 prefix default 128)', () => {
    const s = find((x) => x.protocol === 'udp' && x.family === 6);
    expect(s).toMatchObject({ address: '2001:db8::1', port: 53, scheduler: 'rr', persistent: 360, netmask: 128, pe: 'sip' });
    expect(s.flags.onePacket).toBe(true);
  });

  it('-A -f 5 -6 -s mh -b mh-port -p 100 -M 64', () => {
    const s = find((x) => x.fwmark !== undefined);
    expect(s).toMatchObject({ fwmark: 5, family: 6, scheduler: 'mh', persistent: 100, netmask: 64 });
    expect(s.flags).toEqual({ onePacket: false, shFallback: false, shPort: false, mhFallback: false, mhPort: true });
    expect(s.protocol).toBeUndefined();
    expect(s.address).toBeUndefined();
  });

  it('-A --sctp-service 198.51.100.2:9 -s wrr (not persistent: mask all ones)', () => {
    const s = find((x) => x.protocol === 'sctp');
    expect(s).toMatchObject({ address: '198.51.100.2', port: 9, scheduler: 'wrr', persistent: 0, netmask: '255.255.255.255' });
  });

  it('counters as bigint from STATS64 (3 datagrams, 102 bytes)', () => {
    const s = find((x) => x.protocol === 'udp' && x.family === 4);
    expect(s.stats.connections).toBe(3n);
    expect(s.stats.inPackets).toBe(3n);
    expect(s.stats.outPackets).toBe(0n);
    expect(s.stats.inBytes).toBe(102n);
    expect(typeof s.stats.inBps).toBe('bigint');
  });

  it('a GET_SERVICE reply decodes like the dump entry', () => {
    const one = decodeService(msg(UDP_SERVICE_GET))!;
    const fromDump = find((x) => x.protocol === 'udp' && x.family === 4);
    expect({ ...one, stats: undefined }).toEqual({ ...fromDump, stats: undefined });
  });

  it('falls back to the 32-bit STATS nest when STATS64 is absent', () => {
    const m = msg(SERVICE_DUMP.find((h) => decodeService(msg(h))!.stats.connections === 3n)!);
    const top = new AttrTable(m.buf, m.offset + GENL_HDRLEN, m.end);
    const nest = top.nested(IPVS_CMD_ATTR_SERVICE)!;
    const stats32 = nest.offsetOf(IPVS_SVC_ATTR_STATS) - 4;
    const fromOld = decodeStatsAt(m.buf, stats32);
    expect(fromOld.connections).toBe(3n);
    expect(fromOld.inBytes).toBe(102n);
    expect(decodeStatsAt(m.buf, -1).connections).toBe(0n);
  });

  it('keeps attributes it does not know, raw', () => {
    // Append an unknown attribute (type 200) inside the service nest.
    const m = msg(SERVICE_DUMP[0]!);
    const top = new AttrTable(m.buf, m.offset + GENL_HDRLEN, m.end);
    const nest = top.bytes(IPVS_CMD_ATTR_SERVICE)!;
    const extra = Buffer.from('0800c800deadbeef', 'hex');
    const s = decodeServiceIn(Buffer.concat([nest, extra]), 0, nest.length + extra.length);
    expect(s.unknown).toEqual([{ type: 200, data: Buffer.from('deadbeef', 'hex') }]);
  });
});

describe('IPVS destination decoder (kernel bytes)', () => {
  const dests = TCP_DEST_DUMP.map((h) => destinationDecoder(4)(msg(h))!);
  const byAddr = (a: string) => dests.find((d) => d.address === a)!;

  it('decodes all five destinations', () => {
    expect(dests.map((d) => d.address).sort()).toEqual(['192.0.2.10', '192.0.2.11', '192.0.2.12', '192.0.2.13', '2001:db8::10']);
  });

  it('-r 192.0.2.10:80 -i --tun-type gue --tun-port 6080 --tun-remcsum -w 3 -x 10 -y 5', () => {
    expect(byAddr('192.0.2.10')).toMatchObject({
      family: 4, port: 80, forward: 'tunnel', weight: 3, upperThreshold: 10, lowerThreshold: 5,
      tunnel: { type: 'gue', port: 6080, checksum: 'remcsum' },
      activeConnections: 0, inactiveConnections: 0, persistentConnections: 0,
    });
  });

  it('-r [2001:db8::10]:80 -i -w 2: an IPv6 server in an IPv4 service (ADDR_FAMILY)', () => {
    expect(byAddr('2001:db8::10')).toMatchObject({ family: 6, port: 80, forward: 'tunnel', weight: 2, tunnel: { type: 'ipip', port: 0, checksum: 'none' } });
  });

  it('-r 192.0.2.11:8080 -m -w 0 (masq, drained); -r 192.0.2.12:80 -g -w 7; gre with csum', () => {
    const masq = byAddr('192.0.2.11');
    expect(masq).toMatchObject({ port: 8080, forward: 'masq', weight: 0 });
    expect(masq.tunnel).toBeUndefined();
    expect(byAddr('192.0.2.12')).toMatchObject({ port: 80, forward: 'route', weight: 7 });
    expect(byAddr('192.0.2.13')).toMatchObject({ forward: 'tunnel', weight: 1, tunnel: { type: 'gre', port: 0, checksum: 'csum' } });
  });

  it('destination counters (3 datagrams) and connection counts', () => {
    const [d] = UDP_DEST_DUMP.map((h) => destinationDecoder(4)(msg(h))!);
    expect(d).toMatchObject({ address: '192.0.2.20', port: 53, forward: 'route', inactiveConnections: 3 });
    expect(d!.stats.connections).toBe(3n);
    expect(d!.stats.inBytes).toBe(102n);
  });

  it('uses the service family when the kernel sends no ADDR_FAMILY (before 3.18)', () => {
    const m = msg(TCP_DEST_DUMP.find((h) => destinationDecoder(4)(msg(h))!.address === '192.0.2.12')!);
    const top = new AttrTable(m.buf, m.offset + GENL_HDRLEN, m.end);
    const nest = top.bytes(IPVS_CMD_ATTR_DEST)!;
    // Rebuild the nest without IPVS_DEST_ATTR_ADDR_FAMILY.
    const parts: Buffer[] = [];
    for (const a of new AttrTable(nest, 0, nest.length).each()) {
      if (a.type === IPVS_DEST_ATTR_ADDR_FAMILY) continue;
      const h = Buffer.alloc(4);
      h.writeUInt16LE(a.data.length + 4, 0);
      h.writeUInt16LE(a.type, 2);
      parts.push(h, a.data, Buffer.alloc((4 - (a.data.length % 4)) % 4));
    }
    const stripped = Buffer.concat(parts);
    const d = decodeDestinationIn(stripped, 0, stripped.length, 4);
    expect(d).toMatchObject({ address: '192.0.2.12', family: 4, port: 80, forward: 'route' });
  });

  // The nest of 192.0.2.12 (-g -w 7), with `extra` attributes after it.
  const routeNest = (extra: string): Buffer => {
    const m = msg(TCP_DEST_DUMP.find((h) => destinationDecoder(4)(msg(h))!.address === '192.0.2.12')!);
    const at = findAttr(m.buf, m.offset + GENL_HDRLEN, m.end, IPVS_CMD_ATTR_DEST);
    return Buffer.concat([m.buf.subarray(at + 4, at + 4 + payloadLength(m.buf, at)), Buffer.from(extra, 'hex')]);
  };
  const attr = (type: number, payload: string): string => {
    const h = Buffer.alloc(4);
    h.writeUInt16LE(4 + payload.length / 2, 0);
    h.writeUInt16LE(type, 2);
    return h.toString('hex') + payload;
  };

  it('a repeated attribute: the first counts (as AttrTable keeps it); unknown types are kept raw, repeats included', () => {
    const nest = routeNest(attr(IPVS_DEST_ATTR_WEIGHT, '63000000') + attr(40, 'aa000000') + attr(40, 'bb000000') + attr(20, 'cc000000'));
    const d = decodeDestinationIn(nest, 0, nest.length, 4);
    expect(d.weight).toBe(7);
    expect(d.unknown).toEqual([
      { type: 40, data: Buffer.from('aa000000', 'hex') },
      { type: 40, data: Buffer.from('bb000000', 'hex') },
      { type: 20, data: Buffer.from('cc000000', 'hex') },
    ]);
    // Copied: they outlive the bytes they came from.
    nest.fill(0);
    expect(d.unknown![0]!.data.toString('hex')).toBe('aa000000');
  });

  it('a payload too short for its type, or a length beyond the nest, is a DecodeError', () => {
    const port = Buffer.from(attr(IPVS_DEST_ATTR_PORT, '00'.repeat(1)) + '000000', 'hex');
    expect(() => decodeDestinationIn(port, 0, port.length, 4)).toThrow(DecodeError);
    expect(() => decodeDestinationIn(port, 0, port.length, 4)).toThrow(`attribute ${IPVS_DEST_ATTR_PORT} has 1 bytes, expected at least 2`);
    const nest = routeNest('');
    expect(() => decodeDestinationIn(nest, 0, nest.length - 4, 4)).toThrow(/beyond its container/);
  });
});
