// Decoders on real kernel bytes (test/fixtures/link-messages.ts, each with the
// `ip` command that made it), plus fixtures edited to hold what this library
// does not know: such attributes are kept raw, never fatal.
import { describe, it, expect } from 'vitest';
import { decodeLink, isLinkKind, isPortOf, type Link } from '../../lib/families/link/link.js';
import { AttrTable } from '../../lib/codec/reader.js';
import { LINK_FIXTURES, fixtureBytes, type LinkFixture } from '../fixtures/link-messages.js';
import { IFLA_LINKINFO, IFLA_INFO_DATA, IFLA_INFO_SLAVE_DATA, IFLA_INFO_KIND, IFLA_VXLAN_ID } from '../../lib/uapi/if_link.js';
import { IFINFOMSG_LEN, RTM_NEWLINK } from '../../lib/uapi/rtnetlink.js';

function decodeBytes(b: Buffer): Link {
  return decodeLink({ type: b.readUInt16LE(4), flags: b.readUInt16LE(6), seq: 0, pid: 0, buf: b, offset: 16, end: b.readUInt32LE(0) });
}

const decode = (f: LinkFixture): Link => decodeBytes(fixtureBytes(f));

/** Offset of attribute `type`'s header within [from, to), or -1. */
function findAttr(b: Buffer, from: number, to: number, type: number): number {
  for (let pos = from; pos + 4 <= to; pos += (b.readUInt16LE(pos) + 3) & ~3) {
    if ((b.readUInt16LE(pos + 2) & 0x3fff) === type) return pos;
  }
  return -1;
}

/**
 * Appends an attribute to the nest at the end of `path` (types from the top
 * level down), growing every enclosing length and the message's own.
 */
function appendAttr(msg: Buffer, path: number[], type: number, payload: Buffer): Buffer {
  const headers: number[] = [];
  let from = 16 + IFINFOMSG_LEN;
  let to = msg.readUInt32LE(0);
  for (const t of path) {
    const at = findAttr(msg, from, to, t);
    if (at < 0) throw new Error(`attribute ${t} not found`);
    headers.push(at);
    from = at + 4;
    to = at + msg.readUInt16LE(at);
  }
  const attr = Buffer.alloc((4 + payload.length + 3) & ~3);
  attr.writeUInt16LE(4 + payload.length, 0);
  attr.writeUInt16LE(type, 2);
  payload.copy(attr, 4);
  // `to` is the end of the innermost nest; nests are 4-byte aligned, so this is where the new attribute goes.
  const out = Buffer.concat([msg.subarray(0, to), attr, msg.subarray(to)]);
  for (const h of headers) out.writeUInt16LE(out.readUInt16LE(h) + attr.length, h);
  out.writeUInt32LE(out.readUInt32LE(0) + attr.length, 0);
  return out;
}

describe('link decoders on real kernel bytes', () => {
  it('every fixture is an RTM_NEWLINK that decodes', () => {
    for (const f of Object.values(LINK_FIXTURES)) {
      const b = fixtureBytes(f);
      expect(b.readUInt16LE(4)).toBe(RTM_NEWLINK);
      expect(b.readUInt32LE(0)).toBe(b.length);
      expect(decode(f).name).not.toBe('');
    }
  });

  it('veth: `ip link add va mtu 1400 type veth peer name vb`', () => {
    const l = decode(LINK_FIXTURES.vethVa);
    expect(l).toMatchObject({ name: 'va', kind: 'veth', mtu: 1400, minMtu: 68, maxMtu: 65535, txqlen: 1000, up: false });
    // The peer is IFLA_LINK; veth sends no IFLA_INFO_DATA, so its info is empty.
    expect(l.link).toBe(2);
    expect(l.info).toEqual({});
    expect(typeof l.stats64!.rx_bytes).toBe('bigint');
  });

  it('vxlan over IPv4 with many options', () => {
    const l = decode(LINK_FIXTURES.vxlanV4);
    expect(isLinkKind(l, 'vxlan')).toBe(true);
    if (!isLinkKind(l, 'vxlan')) return;
    expect(l.info).toMatchObject({
      id: 4242,
      remote: '198.51.100.7',
      local: '192.0.2.1',
      dstPort: 4789,
      srcPortRange: { low: 1000, high: 2000 },
      ttl: 9,
      tos: 0x10,
      df: 'set',
      learning: false,
      proxy: true,
      rsc: true,
      l2miss: true,
      l3miss: true,
      ageing: 120,
      limit: 64,
      udpCsum: false,
      gbp: true,
      external: false,
      label: 0,
      labelPolicy: 'fixed',
    });
    expect(l.info.group).toBeUndefined();
    expect(l.info.dev).toBeUndefined();
    expect(l.info.gpe).toBeUndefined();
    expect(l.info.reservedBits).toHaveLength(8);
    expect(l.info.unknown).toBeUndefined();
  });

  it('vxlan over IPv6: multicast group, dev, flow label (be32), ttl inherit', () => {
    const l = decode(LINK_FIXTURES.vxlanV6);
    if (!isLinkKind(l, 'vxlan')) throw new Error('not a vxlan');
    expect(l.info).toMatchObject({
      id: 66,
      group: 'ff05::66',
      local: '2001:db8::1',
      dev: 3,
      dstPort: 4790,
      label: 0x12345,
      ttl: 'inherit',
      udp6ZeroCsumTx: true,
      udp6ZeroCsumRx: true,
      learning: true,
    });
    expect(l.info.remote).toBeUndefined();
  });

  it('bridge: times in centiseconds, STP, priority, multicast, group forward mask', () => {
    const l = decode(LINK_FIXTURES.bridge);
    if (!isLinkKind(l, 'bridge')) throw new Error('not a bridge');
    expect(l.info).toMatchObject({
      stp: true,
      stpState: 1,
      forwardDelayCs: 400,
      helloTimeCs: 300,
      maxAgeCs: 1200,
      ageingTimeCs: 6000,
      priority: 4096,
      mcastSnooping: false,
      groupFwdMask: 8,
      groupAddr: '01:80:c2:00:00:00',
      vlanFiltering: false,
      mcastIgmpVersion: 2,
      mcastMldVersion: 1,
    });
    expect(l.info.bridgeId).toBe(`1000.${l.mac}`);
    expect(l.info.rootId).toBe(l.info.bridgeId);
  });

  it('bridge port: IFLA_INFO_SLAVE_DATA decoded as slaveInfo', () => {
    const l = decode(LINK_FIXTURES.bridgePort);
    expect(l.kind).toBe('veth');
    expect(isPortOf(l, 'bridge')).toBe(true);
    if (!isPortOf(l, 'bridge')) return;
    expect(l.master).toBe(8);
    expect(l.slaveInfo).toMatchObject({
      learning: false,
      flood: false,
      hairpin: true,
      isolated: true,
      neighSuppress: true,
      cost: 77,
      priority: 9,
      state: 'disabled',
      mcastFlood: true,
      bcastFlood: true,
      no: 1,
    });
    expect(l.slaveInfo.bridgeId).toMatch(/^1000\./);
  });

  it('macvlan in source mode with its MAC list, and in bridge mode', () => {
    const s = decode(LINK_FIXTURES.macvlanSource);
    if (!isLinkKind(s, 'macvlan')) throw new Error('not a macvlan');
    expect(s.info).toMatchObject({ mode: 'source', nodst: false, sourceMacCount: 1, sourceMacs: ['02:00:00:00:00:aa'], bcQueueLen: 1000 });
    expect(s.link).toBe(3);
    const b = decode(LINK_FIXTURES.macvlanBridge);
    if (!isLinkKind(b, 'macvlan')) throw new Error('not a macvlan');
    expect(b.info).toMatchObject({ mode: 'bridge', sourceMacCount: 0 });
    expect(b.info.sourceMacs).toBeUndefined();
  });

  it('vlan (captured in UML): 802.1ad, flags, QoS maps', () => {
    const l = decode(LINK_FIXTURES.vlan);
    if (!isLinkKind(l, 'vlan')) throw new Error('not a vlan');
    expect(l.info).toEqual({
      id: 100,
      protocol: '802.1ad',
      flags: 2,
      reorderHdr: false,
      gvrp: true,
      looseBinding: false,
      mvrp: false,
      bridgeBinding: false,
      ingressQos: [{ from: 1, to: 2 }, { from: 2, to: 3 }],
      egressQos: [{ from: 3, to: 4 }],
    });
  });

  it('dummy (captured in UML): no IFLA_INFO_DATA, empty info', () => {
    const l = decode(LINK_FIXTURES.dummy);
    expect(l).toMatchObject({ name: 'd0', kind: 'dummy', mtu: 9000 });
    expect(l.info).toEqual({});
  });
});

describe('attributes this library does not know are kept raw', () => {
  const UNKNOWN = 0x3ff0;

  it('an unknown IFLA_VXLAN_* attribute lands in info.unknown; the rest decodes as before', () => {
    const before = decode(LINK_FIXTURES.vxlanV4);
    const edited = appendAttr(fixtureBytes(LINK_FIXTURES.vxlanV4), [IFLA_LINKINFO, IFLA_INFO_DATA], UNKNOWN, Buffer.from([1, 2, 3, 4, 5]));
    const after = decodeBytes(edited);
    if (!isLinkKind(after, 'vxlan') || !isLinkKind(before, 'vxlan')) throw new Error('not a vxlan');
    expect(after.info.unknown).toEqual([{ type: UNKNOWN, data: Buffer.from([1, 2, 3, 4, 5]) }]);
    expect({ ...after.info, unknown: undefined }).toEqual({ ...before.info, unknown: undefined });
  });

  it('an unknown IFLA_BRPORT_* attribute lands in slaveInfo.unknown', () => {
    const edited = appendAttr(fixtureBytes(LINK_FIXTURES.bridgePort), [IFLA_LINKINFO, IFLA_INFO_SLAVE_DATA], UNKNOWN, Buffer.from([9]));
    const l = decodeBytes(edited);
    if (!isPortOf(l, 'bridge')) throw new Error('not a bridge port');
    expect(l.slaveInfo.unknown).toEqual([{ type: UNKNOWN, data: Buffer.from([9]) }]);
    expect(l.slaveInfo.cost).toBe(77);
  });

  it('unknown attributes of bridge, macvlan and vlan data are kept too', () => {
    for (const f of [LINK_FIXTURES.bridge, LINK_FIXTURES.macvlanBridge, LINK_FIXTURES.vlan]) {
      const l = decodeBytes(appendAttr(fixtureBytes(f), [IFLA_LINKINFO, IFLA_INFO_DATA], UNKNOWN, Buffer.alloc(4)));
      expect((l.info as { unknown?: unknown }).unknown).toEqual([{ type: UNKNOWN, data: Buffer.alloc(4) }]);
    }
  });

  it('a kind this library does not know keeps its IFLA_INFO_DATA raw', () => {
    const b = fixtureBytes(LINK_FIXTURES.vxlanV4);
    const info = findAttr(b, 16 + IFINFOMSG_LEN, b.length, IFLA_LINKINFO);
    const kind = findAttr(b, info + 4, info + b.readUInt16LE(info), IFLA_INFO_KIND);
    b.write('vxlaz', kind + 4, 'latin1');
    const l = decodeBytes(b);
    expect(l.kind).toBe('vxlaz');
    const raw = (l.info as { raw: Buffer }).raw;
    expect(Buffer.isBuffer(raw)).toBe(true);
    // The raw bytes are the kernel's IFLA_INFO_DATA payload: the VNI is in there.
    expect(new AttrTable(raw, 0, raw.length).u32(IFLA_VXLAN_ID)).toBe(4242);
  });
});
