// Request builders without a kernel: what goes on the wire (byte order, only
// the attributes the caller set), that the kinds' decoders read it back, and
// that every bad input is a ValidationError naming its field with the
// caller's writer left untouched.
import { describe, it, expect } from 'vitest';
import { fieldsOf, MessageWriter, type WrittenMessage } from '../../lib/codec/writer.js';
import { AttrTable } from '../../lib/codec/reader.js';
import { ValidationError } from '../../lib/protocol/errors.js';
import { writeLinkCreate, writeLinkSet, writeLinkDelete, type LinkSpec, type LinkChanges } from '../../lib/families/link/requests.js';
import { LinkRefCollector, ResolvedLinkRefs } from '../../lib/families/link/refs.js';
import { linkKind } from '../../lib/families/link/kinds/index.js';
import {
  IFLA_IFNAME, IFLA_LINKINFO, IFLA_INFO_KIND, IFLA_INFO_DATA, IFLA_INFO_SLAVE_KIND, IFLA_INFO_SLAVE_DATA, IFLA_MASTER,
  IFLA_MTU, IFLA_IFALIAS, IFLA_LINK, IFLA_NET_NS_FD, IFLA_VXLAN_PORT, IFLA_VXLAN_LABEL, IFLA_VXLAN_PORT_RANGE,
  IFLA_VXLAN_LEARNING, IFLA_VXLAN_GROUP6, IFLA_VXLAN_TTL_INHERIT, IFLA_VXLAN_TTL, IFLA_VXLAN_LINK, IFLA_BR_MULTI_BOOLOPT,
  IFLA_BR_FORWARD_DELAY, IFLA_BR_VLAN_PROTOCOL, IFLA_BRPORT_LEARNING, IFLA_BRPORT_COST, IFLA_VLAN_FLAGS,
  IFLA_VLAN_PROTOCOL, IFLA_MACVLAN_FLAGS, VETH_INFO_PEER,
} from '../../lib/uapi/if_link.js';
import { RTM_NEWLINK, RTM_DELLINK, IFINFOMSG_LEN } from '../../lib/uapi/rtnetlink.js';
import { NLM_F_CREATE, NLM_F_EXCL, NLM_F_REQUEST, NLM_F_ACK } from '../../lib/uapi/netlink.js';
import { IFF_UP } from '../../lib/uapi/if.js';

const refs = new ResolvedLinkRefs(new Map([['va', 7], ['br0', 9], ['up0', 11]]), new Map([['/run/netns/other', 42]]));

interface Parsed {
  type: number;
  flags: number;
  index: number;
  ifiFlags: number;
  ifiChange: number;
  attrs: AttrTable;
  message: WrittenMessage;
}

function parse(w: MessageWriter, message: WrittenMessage): Parsed {
  const b = w.view();
  const o = message.start;
  return {
    type: b.readUInt16LE(o + 4),
    flags: b.readUInt16LE(o + 6),
    index: b.readInt32LE(o + 16 + 4),
    ifiFlags: b.readUInt32LE(o + 16 + 8),
    ifiChange: b.readUInt32LE(o + 16 + 12),
    attrs: new AttrTable(b, o + 16 + IFINFOMSG_LEN, o + message.length),
    message,
  };
}

function create(spec: LinkSpec): Parsed[] {
  const w = new MessageWriter();
  return writeLinkCreate(w, spec, refs).map((m) => parse(w, m));
}

function set(link: string | number, changes: LinkChanges): Parsed {
  const w = new MessageWriter();
  const [m] = writeLinkSet(w, link, changes, refs);
  return parse(w, m!);
}

const data = (p: Parsed): AttrTable => p.attrs.nested(IFLA_LINKINFO)!.nested(IFLA_INFO_DATA)!;

describe('writeLinkCreate', () => {
  it('vxlan: header, only the attributes set, network byte order where the kernel wants it', () => {
    const [p, more] = create({
      kind: 'vxlan', name: 'vx0', up: true, mtu: 1450, id: 42, remote: '198.51.100.7', local: '192.0.2.1', dev: 'va',
      dstPort: 4789, srcPortRange: { low: 1000, high: 2000 }, ttl: 9, gbp: true,
    });
    expect(more).toBeUndefined();
    expect(p!.type).toBe(RTM_NEWLINK);
    expect(p!.flags).toBe(NLM_F_REQUEST | NLM_F_ACK | NLM_F_CREATE | NLM_F_EXCL);
    expect([p!.ifiFlags, p!.ifiChange]).toEqual([IFF_UP, IFF_UP]);
    expect(p!.attrs.str(IFLA_IFNAME)).toBe('vx0');
    expect(p!.attrs.u32(IFLA_MTU)).toBe(1450);
    expect(p!.attrs.nested(IFLA_LINKINFO)!.str(IFLA_INFO_KIND)).toBe('vxlan');
    const d = data(p!);
    expect(d.bytes(IFLA_VXLAN_PORT)).toEqual(Buffer.from([0x12, 0xb5]));
    expect(d.bytes(IFLA_VXLAN_PORT_RANGE)).toEqual(Buffer.from([0x03, 0xe8, 0x07, 0xd0]));
    expect(d.u32(IFLA_VXLAN_LINK)).toBe(7);
    expect(d.u8(IFLA_VXLAN_TTL)).toBe(9);
    // Left out, so not sent: the kernel's default (learning on) stands.
    expect(d.has(IFLA_VXLAN_LEARNING)).toBe(false);
    expect(d.has(IFLA_VXLAN_TTL_INHERIT)).toBe(false);
    expect(p!.message.what).toBe('create link vx0 (vxlan)');
  });

  it('vxlan: what is written decodes back to what was asked', () => {
    const spec = {
      id: 7, group: 'ff05::1', local: '2001:db8::1', dstPort: 8472, label: 0xabcde, ttl: 'inherit' as const, tos: 'inherit' as const,
      df: 'inherit' as const, learning: false, proxy: true, rsc: true, l2miss: true, l3miss: true, ageing: 30, limit: 5,
      udpCsum: false, udp6ZeroCsumTx: true, udp6ZeroCsumRx: true, remcsumTx: true, remcsumRx: true, remcsumNoPartial: true,
      gbp: true, localbypass: false, mcRoute: true, labelPolicy: 'inherit' as const,
    };
    const [p] = create({ kind: 'vxlan', name: 'vx6', ...spec });
    const d = data(p!);
    expect(d.bytes(IFLA_VXLAN_GROUP6)).toHaveLength(16);
    expect(d.bytes(IFLA_VXLAN_LABEL)).toEqual(Buffer.from([0x00, 0x0a, 0xbc, 0xde]));
    expect(d.bytes(IFLA_VXLAN_TTL_INHERIT)).toHaveLength(0);
    expect(linkKind('vxlan')!.decode(d)).toEqual(spec);
  });

  it('maps each attribute back to the caller field for extack', () => {
    const [p] = create({ kind: 'vxlan', name: 'vx0', id: 1, dstPort: 4789 });
    const fields = fieldsOf(p!.message).map((f) => f.field);
    expect(fields).toEqual(expect.arrayContaining(['name', 'kind', 'vxlan.id', 'vxlan.dstPort']));
    const port = fieldsOf(p!.message).find((f) => f.field === 'vxlan.dstPort')!;
    const b = Buffer.from(p!.attrs.buf.subarray(p!.message.start, p!.message.start + p!.message.length));
    expect(b.readUInt16LE(port.offset + 2) & 0x3fff).toBe(IFLA_VXLAN_PORT);
  });

  it('bridge: times as given (centiseconds), be16 VLAN protocol, boolopts as {value, mask}', () => {
    const [p] = create({ kind: 'bridge', name: 'br1', forwardDelayCs: 400, vlanProtocol: '802.1ad', noLinkLocalLearn: true, mstEnable: false });
    const d = data(p!);
    expect(d.u32(IFLA_BR_FORWARD_DELAY)).toBe(400);
    expect(d.bytes(IFLA_BR_VLAN_PROTOCOL)).toEqual(Buffer.from([0x88, 0xa8]));
    const bo = d.bytes(IFLA_BR_MULTI_BOOLOPT)!;
    expect([bo.readUInt32LE(0), bo.readUInt32LE(4)]).toEqual([0b001, 0b101]);
    expect(linkKind('bridge')!.decode(d)).toMatchObject({ forwardDelayCs: 400, vlanProtocol: '802.1ad', noLinkLocalLearn: true, mstEnable: false });
  });

  it('veth: the peer is an ifinfomsg plus attributes, with its own namespace fd', () => {
    const [p] = create({ kind: 'veth', name: 'v0', peer: { name: 'v1', netns: 'other', mtu: 1400 } });
    const peer = data(p!).bytes(VETH_INFO_PEER)!;
    const t = new AttrTable(peer, IFINFOMSG_LEN, peer.length);
    expect(t.str(IFLA_IFNAME)).toBe('v1');
    expect(t.u32(IFLA_NET_NS_FD)).toBe(42);
    expect(t.u32(IFLA_MTU)).toBe(1400);
  });

  it('macvlan and vlan: IFLA_LINK at the top, flags with masks', () => {
    const [m] = create({ kind: 'macvlan', name: 'mv0', link: 'va', mode: 'passthru', nopromisc: true });
    expect(m!.attrs.u32(IFLA_LINK)).toBe(7);
    expect(data(m!).u16(IFLA_MACVLAN_FLAGS)).toBe(1);
    const [v] = create({ kind: 'vlan', name: 'va.5', link: 7, id: 5, protocol: '802.1Q', reorderHdr: false, gvrp: true });
    expect(v!.attrs.u32(IFLA_LINK)).toBe(7);
    expect(data(v!).bytes(IFLA_VLAN_PROTOCOL)).toEqual(Buffer.from([0x81, 0x00]));
    const f = data(v!).bytes(IFLA_VLAN_FLAGS)!;
    expect([f.readUInt32LE(0), f.readUInt32LE(4)]).toEqual([0x2, 0x3]);
  });

  it('an alias is set by a second message (the kernel ignores it at creation)', () => {
    const [c, a] = create({ kind: 'bridge', name: 'br1', alias: 'lab bridge', netns: 'other' });
    expect(c!.attrs.has(IFLA_IFALIAS)).toBe(false);
    // The move to another namespace waits for the second message, so the alias can be set by name first.
    expect(c!.attrs.has(IFLA_NET_NS_FD)).toBe(false);
    expect(a!.flags & NLM_F_CREATE).toBe(0);
    expect(a!.attrs.str(IFLA_IFNAME)).toBe('br1');
    expect(a!.attrs.str(IFLA_IFALIAS)).toBe('lab bridge');
    expect(a!.attrs.u32(IFLA_NET_NS_FD)).toBe(42);
  });
});

describe('writeLinkSet and writeLinkDelete', () => {
  it('by name: IFLA_IFNAME finds the link; a rename needs the ifindex', () => {
    const byName = set('va', { mtu: 1300, up: false, master: null });
    expect(byName.index).toBe(0);
    expect(byName.attrs.str(IFLA_IFNAME)).toBe('va');
    expect([byName.ifiFlags, byName.ifiChange]).toEqual([0, IFF_UP]);
    expect(byName.attrs.u32(IFLA_MASTER)).toBe(0);
    const rename = set('va', { name: 'wan0' });
    expect(rename.index).toBe(7);
    expect(rename.attrs.str(IFLA_IFNAME)).toBe('wan0');
  });

  it('kind settings and bridge-port settings go in IFLA_LINKINFO', () => {
    const p = set('up0', { kind: 'bridge', stp: true, bridgePort: { learning: false, cost: 10 } });
    const info = p.attrs.nested(IFLA_LINKINFO)!;
    expect(info.str(IFLA_INFO_KIND)).toBe('bridge');
    expect(info.str(IFLA_INFO_SLAVE_KIND)).toBe('bridge');
    const port = info.nested(IFLA_INFO_SLAVE_DATA)!;
    expect(port.u8(IFLA_BRPORT_LEARNING)).toBe(0);
    expect(port.u32(IFLA_BRPORT_COST)).toBe(10);
  });

  it('an empty alias removes it (zero-length IFLA_IFALIAS)', () => {
    expect(set(3, { alias: '' }).attrs.bytes(IFLA_IFALIAS)).toHaveLength(0);
  });

  it('delete by index or by name', () => {
    const w = new MessageWriter();
    writeLinkDelete(w, 5);
    writeLinkDelete(w, 'va');
    const [a, b] = w.messages.map((m) => parse(w, m));
    expect([a!.type, a!.index]).toEqual([RTM_DELLINK, 5]);
    expect([b!.index, b!.attrs.str(IFLA_IFNAME)]).toEqual([0, 'va']);
  });
});

describe('validation before anything is written', () => {
  const base = { kind: 'vxlan', name: 'vx0', id: 1 } as const;
  const bad: Array<[string, unknown]> = [
    ['name', { ...base, name: 'x'.repeat(16) }],
    ['name', { ...base, name: 'a/b' }],
    ['name', { ...base, name: 'a b' }],
    ['kind', { ...base, kind: '' }],
    ['vxlan.id', { ...base, id: 0x1000000 }],
    ['vxlan.id', { ...base, id: -1 }],
    ['vxlan.id', { kind: 'vxlan', name: 'vx0' }],
    ['vxlan.dstPort', { ...base, dstPort: 0 }],
    ['vxlan.dstPort', { ...base, dstPort: 65536 }],
    ['vxlan.srcPortRange', { ...base, srcPortRange: { low: 2000, high: 1000 } }],
    ['vxlan.srcPortRange.high', { ...base, srcPortRange: { low: 1, high: 70000 } }],
    ['vxlan.ttl', { ...base, ttl: 256 }],
    ['vxlan.tos', { ...base, tos: 300 }],
    ['vxlan.label', { ...base, label: 0x100000 }],
    ['vxlan.remote', { ...base, remote: '239.1.1.1' }],
    ['vxlan.remote', { ...base, remote: '198.51.100.300' }],
    ['vxlan.group', { ...base, group: '198.51.100.1' }],
    ['vxlan.group', { ...base, group: '239.1.1.1', remote: '198.51.100.1' }],
    ['vxlan.local', { ...base, local: '239.1.1.1' }],
    ['vxlan.local', { ...base, remote: '198.51.100.1', local: '2001:db8::1' }],
    ['vxlan.df', { ...base, df: 'maybe' }],
    ['vxlan.learning', { ...base, learning: 'yes' }],
    ['vxlan.ageing', { ...base, ageing: 1.5 }],
    ['vxlan.dev', { ...base, dev: 'bad/name' }],
    ['vxlan.reservedBits', { ...base, reservedBits: Buffer.alloc(4) }],
    ['mtu', { ...base, mtu: 0 }],
    ['mtu', { ...base, mtu: 2 ** 31 }],
    ['mac', { ...base, mac: '02:00:00:00:00' }],
    ['mac', { ...base, mac: 'zz:00:00:00:00:00' }],
    ['txqlen', { ...base, txqlen: -1 }],
    ['alias', { ...base, alias: 'x'.repeat(256) }],
    ['master', { ...base, master: 0 }],
    ['up', { ...base, up: 1 }],
    ['netns', { ...base, netns: '../etc' }],
    ['peer', { kind: 'veth', name: 'v0' }],
    ['peer.name', { kind: 'veth', name: 'v0', peer: { name: 'this-name-is-too-long' } }],
    ['peer.netns', { kind: 'veth', name: 'v0', peer: { name: 'v1', netns: 'no/such' } }],
    ['peer.mtu', { kind: 'veth', name: 'v0', peer: { name: 'v1', mtu: -5 } }],
    ['vlan.id', { kind: 'vlan', name: 'v.5', link: 'va', id: 4095 }],
    ['vlan.id', { kind: 'vlan', name: 'v.5', link: 'va' }],
    ['link', { kind: 'vlan', name: 'v.5', id: 5 }],
    ['vlan.protocol', { kind: 'vlan', name: 'v.5', link: 'va', id: 5, protocol: '802.1x' }],
    ['vlan.egressQos[0].to', { kind: 'vlan', name: 'v.5', link: 'va', id: 5, egressQos: [{ from: 1, to: 8 }] }],
    ['link', { kind: 'macvlan', name: 'mv0' }],
    ['macvlan.mode', { kind: 'macvlan', name: 'mv0', link: 'va', mode: 'hub' }],
    ['macvlan.sourceMacs[1]', { kind: 'macvlan', name: 'mv0', link: 'va', mode: 'source', sourceMacs: ['02:00:00:00:00:01', 'nope'] }],
    ['bridge.priority', { kind: 'bridge', name: 'br1', priority: 65536 }],
    ['bridge.defaultPvid', { kind: 'bridge', name: 'br1', defaultPvid: 4095 }],
    ['bridge.forwardDelayCs', { kind: 'bridge', name: 'br1', forwardDelayCs: -1 }],
    ['bridge.mcastIgmpVersion', { kind: 'bridge', name: 'br1', mcastIgmpVersion: 4 }],
    ['bridge.groupAddr', { kind: 'bridge', name: 'br1', groupAddr: 'bad' }],
    ['bridge.stp', { kind: 'bridge', name: 'br1', stp: 'on' }],
  ];

  it.each(bad)('%s: %j', (field, spec) => {
    const w = new MessageWriter();
    writeLinkDelete(w, 'earlier');
    const bytes = Buffer.from(w.view());
    let err: unknown;
    try {
      writeLinkCreate(w, spec as LinkSpec, new LinkRefCollector());
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ValidationError);
    expect((err as ValidationError).field).toBe(field);
    // The writer holds exactly what it held before.
    expect(w.messages).toHaveLength(1);
    expect(Buffer.from(w.view())).toEqual(bytes);
  });

  const badChanges: Array<[string, unknown]> = [
    ['name', { name: '' }],
    ['master', { master: 'x'.repeat(20) }],
    ['kind', { kind: 'veth' }],
    ['vxlan.ttl', { kind: 'vxlan', ttl: -1 }],
    ['bridgePort.cost', { bridgePort: { cost: 0 } }],
    ['bridgePort.cost', { bridgePort: { cost: 65536 } }],
    ['bridgePort.priority', { bridgePort: { priority: 64 } }],
    ['bridgePort.learning', { bridgePort: { learning: 1 } }],
    ['bridgePort.state', { bridgePort: { state: 'open' } }],
    ['bridgePort', { bridgePort: 5 }],
  ];

  it.each(badChanges)('set %s: %j', (field, changes) => {
    expect(() => writeLinkSet(new MessageWriter(), 'va', changes as LinkChanges, refs)).toThrow(
      expect.objectContaining({ name: 'ValidationError', field }),
    );
  });

  it('the recording pass collects the names and namespaces to resolve', () => {
    const c = new LinkRefCollector();
    writeLinkCreate(new MessageWriter(), { kind: 'vxlan', name: 'vx0', id: 1, dev: 'eth9', master: 'br0', netns: 'blue' }, c);
    expect([...c.names]).toEqual([['br0', 'master'], ['eth9', 'vxlan.dev']]);
    expect([...c.namespaces]).toEqual([['/run/netns/blue', 'netns']]);
  });
});
