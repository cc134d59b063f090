// Property tests (fast-check) for the family encoders whose messages the same
// family's decoder can read: what a request writes decodes to what the
// caller asked for. (The kernel's replies use the layouts requests use.)
import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import { MessageWriter } from '../../lib/codec/writer.js';
import { AttrTable } from '../../lib/codec/reader.js';
import { bytesToIp, ipToBytes } from '../../lib/codec/address.js';
import type { Message } from '../../lib/protocol/message.js';
import { addressRequest, decodeAddress } from '../../lib/families/addr.js';
import { fdbRequest, decodeFdb, type FdbState } from '../../lib/families/fdb.js';
import { neighbourRequest, decodeNeighbour } from '../../lib/families/neigh.js';
import { routeRequest, decodeRoute } from '../../lib/families/route.js';
import { resolveService, serviceId, SCHEDULERS } from '../../lib/families/ipvs/validate.js';
import { resolveDestination } from '../../lib/families/ipvs/validate-destination.js';
import { writeServiceNest, decodeServiceIn, compareService } from '../../lib/families/ipvs/service.js';
import { writeDestinationNest, decodeDestinationIn, compareDestination } from '../../lib/families/ipvs/destination.js';
import type { ServiceSpec, DestinationSpec } from '../../lib/families/ipvs/types.js';
import { GENL_HDRLEN } from '../../lib/uapi/genetlink.js';
import { IPVS_CMD_ATTR_SERVICE, IPVS_CMD_ATTR_DEST } from '../../lib/uapi/ip_vs.js';

// The decoders walk a byte range; these take the tables the tests build.
const serviceOf = (t: AttrTable) => decodeServiceIn(t.buf, t.from, t.to);
const destinationOf = (t: AttrTable, family: 4 | 6) => decodeDestinationIn(t.buf, t.from, t.to, family);

const RUNS = { numRuns: 1000 };
const IFINDEX = 7;
const ifindex = (): number => IFINDEX;

/** The one message a request writes, as a decoder sees it. */
function written(write: (w: MessageWriter) => void): Message {
  const w = new MessageWriter(128);
  write(w);
  const b = Buffer.from(w.view());
  return { type: b.readUInt16LE(4), flags: b.readUInt16LE(6), seq: 0, pid: 0, buf: b, offset: 16, end: b.readUInt32LE(0) };
}

const canonical = (ip: string): string => bytesToIp(ipToBytes(ip, 'ip'));
const v4 = fc.ipV4();
const v6 = fc.ipV6();
const ip = fc.oneof(v4, v6);
const mac = fc.uint8Array({ minLength: 6, maxLength: 6 }).map((b) => [...b].map((x) => x.toString(16).padStart(2, '0')).join(':'));

describe('address request → decodeAddress', () => {
  it('address, prefix, peer, label, metric and lifetimes come back', () => {
    const spec = fc.oneof(
      fc.record({ address: v4, prefix: fc.integer({ min: 0, max: 32 }), peer: fc.option(v4, { nil: undefined }), label: fc.option(fc.stringMatching(/^[a-z]{1,15}$/), { nil: undefined }) }),
      fc.record({ address: v6, prefix: fc.integer({ min: 0, max: 128 }), peer: fc.option(v6, { nil: undefined }) }),
    );
    fc.assert(
      fc.property(spec, fc.option(fc.integer({ min: 0, max: 0xffffffff }), { nil: undefined }), fc.integer({ min: 1, max: 0xfffffffe }), (s, metric, valid) => {
        const full = { dev: 'x', ...s, metric, validLifetime: valid, preferredLifetime: Math.floor(valid / 2) };
        const a = decodeAddress(written((w) => addressRequest('add', full).write(w, ifindex)))!;
        expect(a.address).toBe(canonical(s.address));
        expect(a.prefix).toBe(s.prefix);
        expect(a.ifindex).toBe(IFINDEX);
        expect(a.peer).toBe(s.peer !== undefined && canonical(s.peer) !== canonical(s.address) ? canonical(s.peer) : undefined);
        expect(a.label).toBe('label' in s ? s.label : undefined);
        expect(a.metric).toBe(metric);
        expect(a.validLifetime).toBe(valid);
        expect(a.preferredLifetime).toBe(Math.floor(valid / 2));
      }),
      RUNS,
    );
  });
});

describe('fdb request → decodeFdb', () => {
  it('mac, dst, vni, port, vlan, state and flags come back', () => {
    fc.assert(
      fc.property(
        fc.record({
          mac, dst: fc.option(ip, { nil: undefined }), vni: fc.option(fc.integer({ min: 0, max: 0xffffff }), { nil: undefined }),
          srcVni: fc.option(fc.integer({ min: 0, max: 0xffffff }), { nil: undefined }), port: fc.option(fc.integer({ min: 0, max: 0xffff }), { nil: undefined }),
          vlan: fc.option(fc.integer({ min: 1, max: 4094 }), { nil: undefined }), state: fc.constantFrom<FdbState>('permanent', 'static', 'dynamic'),
          master: fc.boolean(), sticky: fc.boolean(), externLearn: fc.boolean(),
        }),
        (s) => {
          const e = decodeFdb(written((w) => fdbRequest('append', { dev: 'x', ...s }).write(w, ifindex)))!;
          expect(e.mac).toBe(s.mac);
          expect(e.dst).toBe(s.dst === undefined ? undefined : canonical(s.dst));
          expect(e.vni).toBe(s.vni);
          expect(e.srcVni).toBe(s.srcVni);
          expect(e.port).toBe(s.port);
          expect(e.vlan).toBe(s.vlan);
          expect(e.state).toBe(s.state);
          expect([e.master, e.self, e.sticky, e.externLearn]).toEqual([s.master, !s.master, s.sticky, s.externLearn]);
        },
      ),
      RUNS,
    );
  });
});

describe('neighbour request → decodeNeighbour', () => {
  it('dst, lladdr, state, flags and protocol come back', () => {
    fc.assert(
      fc.property(fc.record({ dst: ip, lladdr: mac, state: fc.constantFrom('permanent', 'noarp', 'reachable', 'stale', 'delay', 'probe', 'failed', 'incomplete') as fc.Arbitrary<'permanent'>, router: fc.boolean(), protocol: fc.integer({ min: 0, max: 255 }) }), (s) => {
        const n = decodeNeighbour(written((w) => neighbourRequest('add', { dev: 'x', ...s }).write(w, ifindex)))!;
        expect([n.dst, n.lladdr, n.state, n.router, n.protocol, n.ifindex]).toEqual([canonical(s.dst), s.lladdr, s.state, s.router, s.protocol, IFINDEX]);
      }),
      RUNS,
    );
  });
});

describe('route request → decodeRoute', () => {
  const network = (bytes: Uint8Array, len: number): Uint8Array => bytes.map((b, i) => (i * 8 >= len ? 0 : i * 8 + 8 <= len ? b : b & (0xff << (8 - (len - i * 8)))));
  it('dst, gateway, table, metric, protocol and next hops come back', () => {
    const route = fc.oneof(
      fc.tuple(fc.uint8Array({ minLength: 4, maxLength: 4 }), fc.integer({ min: 1, max: 32 }), v4, fc.array(v4, { maxLength: 3 })),
      fc.tuple(fc.uint8Array({ minLength: 16, maxLength: 16 }), fc.integer({ min: 1, max: 128 }), v6, fc.array(v6, { maxLength: 3 })),
    );
    fc.assert(
      fc.property(route, fc.integer({ min: 1, max: 0xffffffff }), fc.option(fc.integer({ min: 0, max: 0xffffffff }), { nil: undefined }), fc.constantFrom('static', 'boot', 'bgp', 'kernel') as fc.Arbitrary<'static'>, ([bytes, len, gw, hops], table, metric, protocol) => {
        const dst = `${bytesToIp(network(bytes, len))}/${len}`;
        const spec = hops.length > 0
          ? { dst, table, metric, protocol, nexthops: hops.map((h, i) => ({ gateway: h, dev: 'x', weight: i + 1 })) }
          : { dst, table, metric, protocol, gateway: gw, dev: 'x' };
        const r = decodeRoute(written((w) => routeRequest('add', spec).write(w, ifindex)))!;
        expect([r.dst, r.table, r.metric, r.protocol, r.type]).toEqual([dst, table, metric, protocol, 'unicast']);
        if (hops.length > 0) expect(r.nexthops).toEqual(hops.map((h, i) => ({ gateway: canonical(h), ifindex: IFINDEX, weight: i + 1, flags: [] })));
        else expect([r.gateway, r.ifindex]).toEqual([canonical(gw), IFINDEX]);
      }),
      RUNS,
    );
  });
});

describe('IPVS service and destination nests → their decoders', () => {
  const genl = (write: (w: MessageWriter) => void, type: number): AttrTable => {
    const m = written((w) => {
      w.begin(0x1c, 0).u8(1).u8(1).u16(0);
      write(w);
      w.end('test');
    });
    return new AttrTable(m.buf, m.offset + GENL_HDRLEN, m.end).nested(type)!;
  };
  const service: fc.Arbitrary<ServiceSpec> = fc.oneof(
    fc.record({ protocol: fc.constantFrom('tcp', 'udp', 'sctp'), address: v4, port: fc.integer({ min: 1, max: 0xffff }), netmask: fc.integer({ min: 0, max: 32 }).map((n) => bytesToIp(Buffer.from([0, 0, 0, 0].map((_, i) => (n >= (i + 1) * 8 ? 0xff : n <= i * 8 ? 0 : (0xff << (8 - (n - i * 8))) & 0xff))))) }),
    fc.record({ protocol: fc.constantFrom('tcp', 'udp', 'sctp'), address: v6, port: fc.integer({ min: 1, max: 0xffff }), netmask: fc.integer({ min: 1, max: 128 }) }),
    fc.record({ fwmark: fc.integer({ min: 1, max: 0xffffffff }), family: fc.constantFrom(4, 6) as fc.Arbitrary<4 | 6> }),
  ).chain((key) =>
    fc.record({ scheduler: fc.constantFrom(...SCHEDULERS), persistent: fc.integer({ min: 0, max: 4294967 }), onePacket: fc.boolean(), pe: fc.option(fc.constant('sip'), { nil: undefined }) }).map(
      ({ scheduler, persistent, onePacket, pe }) => ({ ...key, scheduler, persistent, flags: { onePacket }, ...(pe && persistent > 0 ? { pe } : {}) }) as ServiceSpec,
    ),
  );

  it('every service field comes back (compareService finds no difference)', () => {
    fc.assert(
      fc.property(service, (spec) => {
        const r = resolveService(spec, 'service', {});
        const read = serviceOf(genl((w) => writeServiceNest(w, r), IPVS_CMD_ATTR_SERVICE));
        expect(compareService(r, read, 'service')).toEqual([]);
        if (spec.fwmark !== undefined) expect(read.fwmark).toBe(spec.fwmark);
        else expect([read.protocol, read.address, read.port]).toEqual([spec.protocol, canonical(spec.address), spec.port]);
      }),
      RUNS,
    );
  });

  it('every destination field comes back (compareDestination finds no difference)', () => {
    const dest: fc.Arbitrary<DestinationSpec> = fc.record({
      address: ip, port: fc.integer({ min: 1, max: 0xffff }), weight: fc.integer({ min: 0, max: 0x7fffffff }),
      upperThreshold: fc.integer({ min: 0, max: 0x7fffffff }),
      tunnel: fc.constantFrom(undefined, { type: 'ipip' }, { type: 'gue', port: 6080, checksum: 'remcsum' }, { type: 'gre', checksum: 'csum' }),
    }).map((d) => ({ ...d, lowerThreshold: Math.floor(d.upperThreshold / 2), forward: d.tunnel ? 'tunnel' : 'tunnel' }) as DestinationSpec);
    fc.assert(
      fc.property(fc.constantFrom(4, 6), dest, (family, spec) => {
        const svc = serviceId({ protocol: 'tcp', address: family === 4 ? '198.51.100.1' : '2001:db8::1', port: 80 });
        const r = resolveDestination(spec, svc, 'destination');
        const read = destinationOf(genl((w) => writeDestinationNest(w, r), IPVS_CMD_ATTR_DEST), svc.family);
        expect(compareDestination(r, read, 'destination')).toEqual([]);
        expect([read.address, read.port]).toEqual([canonical(spec.address), spec.port]);
      }),
      RUNS,
    );
  });
});
