// IPVS input checks, edit merging, the bytes the encoders write, and the
// read-back comparison: pure functions, no kernel.
import { describe, it, expect } from 'vitest';
import { MessageWriter } from '../../lib/codec/writer.js';
import { AttrTable } from '../../lib/codec/reader.js';
import { ValidationError } from '../../lib/protocol/errors.js';
import { resolveService, serviceId, IpvsReadBackError } from '../../lib/families/ipvs/validate.js';
import { resolveDestination, destinationId } from '../../lib/families/ipvs/validate-destination.js';
import { writeServiceNest, decodeServiceIn, asService, compareService, serviceNeedsReadBack } from '../../lib/families/ipvs/service.js';
import {
  writeDestinationNest, decodeDestinationIn, asDestination, compareDestination, destinationNeedsReadBack,
} from '../../lib/families/ipvs/destination.js';
import type { ServiceSpec, DestinationSpec, ServiceKey } from '../../lib/families/ipvs/types.js';
import {
  IPVS_CMD_ATTR_SERVICE, IPVS_CMD_ATTR_DEST, IPVS_SVC_ATTR_PORT, IPVS_SVC_ATTR_NETMASK, IPVS_SVC_ATTR_FLAGS,
  IPVS_SVC_ATTR_PE_NAME, IPVS_SVC_ATTR_SCHED_NAME, IPVS_DEST_ATTR_PORT, IPVS_DEST_ATTR_TUN_PORT, IPVS_DEST_ATTR_TUN_TYPE,
  IPVS_DEST_ATTR_ADDR_FAMILY, IPVS_DEST_ATTR_TUN_FLAGS, IP_VS_SVC_F_PERSISTENT, IP_VS_SVC_F_ONEPACKET,
  IP_VS_SVC_F_SCHED_SH_PORT, IP_VS_SVC_F_SCHED_MH_FALLBACK,
} from '../../lib/uapi/ip_vs.js';
import { AF_INET6 } from '../../lib/uapi/linux.js';

// The decoders walk a byte range; these take the tables the tests build.
const serviceOf = (t: AttrTable) => decodeServiceIn(t.buf, t.from, t.to);
const destinationOf = (t: AttrTable, family: 4 | 6) => decodeDestinationIn(t.buf, t.from, t.to, family);

const TCP: ServiceKey = { protocol: 'tcp', address: '198.51.100.1', port: 80 };
const svcId = serviceId(TCP);

function fieldOf(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(ValidationError);
    return (err as ValidationError).field;
  }
  throw new Error('no ValidationError');
}

/** The attribute table inside the first nest of a one-message writer. */
function nestOf(w: MessageWriter, type: number): AttrTable {
  const buf = Buffer.from(w.view());
  const top = new AttrTable(buf, 16 + 4, buf.length);
  return top.nested(type)!;
}

describe('service input checks', () => {
  const bad: Array<[string, ServiceSpec | Record<string, unknown>, string]> = [
    ['bad IP', { protocol: 'tcp', address: '198.51.100.300', port: 80 }, 'service.address'],
    ['port 0', { protocol: 'tcp', address: '198.51.100.1', port: 0 }, 'service.port'],
    ['port 65536', { protocol: 'tcp', address: '198.51.100.1', port: 65536 }, 'service.port'],
    ['protocol icmp', { protocol: 'icmp', address: '198.51.100.1', port: 80 }, 'service.protocol'],
    ['fwmark 0', { fwmark: 0 }, 'service.fwmark'],
    ['fwmark family 5', { fwmark: 1, family: 5 }, 'service.family'],
    ['fwmark and address', { fwmark: 1, address: '198.51.100.1' }, 'service'],
    ['unknown scheduler', { ...TCP, scheduler: 'fastest' }, 'service.scheduler'],
    ['IPv6 prefix 129', { protocol: 'tcp', address: '2001:db8::1', port: 80, netmask: 129 }, 'service.netmask'],
    ['IPv6 prefix 0', { protocol: 'tcp', address: '2001:db8::1', port: 80, netmask: 0 }, 'service.netmask'],
    ['IPv6 dotted mask', { protocol: 'tcp', address: '2001:db8::1', port: 80, netmask: '255.255.255.0' }, 'service.netmask'],
    ['non-contiguous mask', { ...TCP, netmask: '255.0.255.0' }, 'service.netmask'],
    ['mask not an address', { ...TCP, netmask: 'ffff' }, 'service.netmask'],
    ['IPv4 prefix 33', { ...TCP, netmask: 33 }, 'service.netmask'],
    ['negative persistence', { ...TCP, persistent: -1 }, 'service.persistent'],
    ['fractional persistence', { ...TCP, persistent: 1.5 }, 'service.persistent'],
    ['pe name too long', { ...TCP, pe: 'a'.repeat(16) }, 'service.pe'],
    ['sh flag on rr', { ...TCP, scheduler: 'rr', flags: { shPort: true } }, 'service.flags.shPort'],
    ['mh flag on sh', { ...TCP, scheduler: 'sh', flags: { mhFallback: true } }, 'service.flags.mhFallback'],
    ['unknown flag', { ...TCP, flags: { fast: true } }, 'service.flags.fast'],
  ];
  for (const [name, spec, field] of bad) {
    it(`${name} → ValidationError(${field})`, () => {
      expect(fieldOf(() => resolveService(spec as ServiceSpec, 'service', {}))).toBe(field);
    });
  }

  it('a custom scheduler needs allowUnknownScheduler, and still a sane name', () => {
    expect(resolveService({ ...TCP, scheduler: 'mysched' }, 'service', { allowUnknownScheduler: true }).scheduler).toBe('mysched');
    expect(fieldOf(() => resolveService({ ...TCP, scheduler: 'a'.repeat(16) }, 'service', { allowUnknownScheduler: true }))).toBe('service.scheduler');
  });

  it('formats keys like ipvsadm', () => {
    expect(serviceId(TCP).text).toBe('198.51.100.1:80/tcp');
    expect(serviceId({ protocol: 'udp', address: '2001:DB8:0::1', port: 53 }).text).toBe('[2001:db8::1]:53/udp');
    expect(serviceId({ fwmark: 1 }).text).toBe('fwmark 1');
    expect(serviceId({ fwmark: 1, family: 6 }).text).toBe('fwmark 1 (IPv6)');
  });
});

describe('destination input checks', () => {
  const bad: Array<[string, DestinationSpec | Record<string, unknown>, string]> = [
    ['bad IP', { address: 'x' }, 'destination.address'],
    ['unknown forward', { address: '192.0.2.10', forward: 'nat' }, 'destination.forward'],
    ['weight -1', { address: '192.0.2.10', weight: -1 }, 'destination.weight'],
    ['weight 2^31', { address: '192.0.2.10', weight: 2 ** 31 }, 'destination.weight'],
    ['lower above upper', { address: '192.0.2.10', upperThreshold: 10, lowerThreshold: 11 }, 'destination.lowerThreshold'],
    ['lower without upper', { address: '192.0.2.10', lowerThreshold: 5 }, 'destination.lowerThreshold'],
    ['upper above INT_MAX', { address: '192.0.2.10', upperThreshold: 2 ** 31 }, 'destination.upperThreshold'],
    ['port 0 in a port service', { address: '192.0.2.10', port: 0 }, 'destination.port'],
    ['tunnel options without tunnel', { address: '192.0.2.10', forward: 'route', tunnel: { type: 'gue', port: 1 } }, 'destination.tunnel'],
    ['unknown tunnel type', { address: '192.0.2.10', forward: 'tunnel', tunnel: { type: 'vxlan' } }, 'destination.tunnel.type'],
    ['gue without port', { address: '192.0.2.10', forward: 'tunnel', tunnel: { type: 'gue' } }, 'destination.tunnel.port'],
    ['ipip with port', { address: '192.0.2.10', forward: 'tunnel', tunnel: { type: 'ipip', port: 5 } }, 'destination.tunnel.port'],
    ['ipip with csum', { address: '192.0.2.10', forward: 'tunnel', tunnel: { type: 'ipip', checksum: 'csum' } }, 'destination.tunnel.checksum'],
    ['gre with remcsum', { address: '192.0.2.10', forward: 'tunnel', tunnel: { type: 'gre', checksum: 'remcsum' } }, 'destination.tunnel.checksum'],
    ['IPv6 server in IPv4 service by route', { address: '2001:db8::10', forward: 'route' }, 'destination.address'],
  ];
  for (const [name, spec, field] of bad) {
    it(`${name} → ValidationError(${field})`, () => {
      expect(fieldOf(() => resolveDestination(spec as DestinationSpec, svcId, 'destination'))).toBe(field);
    });
  }

  it('defaults like ipvsadm: route, weight 1, the service port; fwmark services may use port 0', () => {
    const d = resolveDestination({ address: '192.0.2.10' }, svcId, 'destination');
    expect(asDestination(d)).toMatchObject({ forward: 'route', weight: 1, port: 80, upperThreshold: 0, lowerThreshold: 0 });
    expect(destinationId({ address: '192.0.2.10' }, serviceId({ fwmark: 3 })).port).toBe(0);
    expect(destinationId({ address: '2001:db8::a', port: 8080 }, svcId).text).toBe('[2001:db8::a]:8080');
  });
});

describe('edits merge with the current state', () => {
  const current = asService(resolveService({ ...TCP, scheduler: 'sh', persistent: 60, netmask: '255.255.255.0', flags: { shPort: true, onePacket: true }, pe: 'sip' }, 's', {}));

  it('fields left out keep their values', () => {
    const r = resolveService({ ...TCP, persistent: 120 }, 'service', {}, current);
    expect(asService(r)).toMatchObject({ scheduler: 'sh', persistent: 120, netmask: '255.255.255.0', pe: 'sip', flags: { shPort: true, onePacket: true } });
  });

  it('a new scheduler drops the old one’s flags, keeps the others', () => {
    const r = resolveService({ ...TCP, scheduler: 'rr' }, 'service', {}, current);
    expect(r.flags).toBe(IP_VS_SVC_F_PERSISTENT | IP_VS_SVC_F_ONEPACKET);
  });

  it('persistent: 0 ends persistence; pe: "" removes the engine', () => {
    const r = resolveService({ ...TCP, persistent: 0, pe: '' }, 'service', {}, current);
    expect(r.flags & IP_VS_SVC_F_PERSISTENT).toBe(0);
    expect(asService(r).pe).toBeUndefined();
  });

  it('a destination edit keeps the tunnel while forwarding stays tunnel', () => {
    const cur = asDestination(resolveDestination({ address: '192.0.2.10', forward: 'tunnel', tunnel: { type: 'gue', port: 6080, checksum: 'csum' }, upperThreshold: 10, lowerThreshold: 2 }, svcId, 'd'));
    const r = resolveDestination({ address: '192.0.2.10', weight: 0 }, svcId, 'destination', cur);
    expect(asDestination(r)).toMatchObject({ forward: 'tunnel', weight: 0, upperThreshold: 10, lowerThreshold: 2, tunnel: { type: 'gue', port: 6080, checksum: 'csum' } });
    // Lowering the upper threshold below the kept lower one is caught before the kernel.
    expect(fieldOf(() => resolveDestination({ address: '192.0.2.10', upperThreshold: 1 }, svcId, 'destination', cur))).toBe('destination.upperThreshold');
    // Leaving tunnel forwarding drops the tunnel options.
    expect(resolveDestination({ address: '192.0.2.10', forward: 'masq' }, svcId, 'destination', cur).tunnel).toBeUndefined();
  });
});

describe('encoders', () => {
  it('service: big-endian port and IPv4 mask, flags with mask, sched and pe', () => {
    const w = new MessageWriter();
    w.begin(0x20, 0).u32(0);
    writeServiceNest(w, resolveService({ ...TCP, scheduler: 'sh', persistent: 60, netmask: '255.255.255.0', flags: { shPort: true }, pe: 'sip' }, 'service', {}));
    w.end('test');
    const t = nestOf(w, IPVS_CMD_ATTR_SERVICE);
    expect(t.bytes(IPVS_SVC_ATTR_PORT)!.toString('hex')).toBe('0050');
    expect(t.bytes(IPVS_SVC_ATTR_NETMASK)!.toString('hex')).toBe('ffffff00');
    expect(t.str(IPVS_SVC_ATTR_SCHED_NAME)).toBe('sh');
    expect(t.str(IPVS_SVC_ATTR_PE_NAME)).toBe('sip');
    const flags = t.bytes(IPVS_SVC_ATTR_FLAGS)!;
    expect(flags.readUInt32LE(0)).toBe(IP_VS_SVC_F_PERSISTENT | IP_VS_SVC_F_SCHED_SH_PORT);
    expect(flags.readUInt32LE(4) & IP_VS_SVC_F_SCHED_SH_PORT).toBeTruthy();
    // And it decodes back to the same service.
    expect(serviceOf(t)).toMatchObject({ address: '198.51.100.1', port: 80, scheduler: 'sh', persistent: 60, netmask: '255.255.255.0', pe: 'sip' });
  });

  it('service: an IPv6 prefix goes in host order', () => {
    const w = new MessageWriter();
    w.begin(0x20, 0).u32(0);
    writeServiceNest(w, resolveService({ fwmark: 4, family: 6, scheduler: 'mh', flags: { mhFallback: true }, netmask: 64 }, 'service', {}));
    w.end('test');
    const t = nestOf(w, IPVS_CMD_ATTR_SERVICE);
    expect(t.u32(IPVS_SVC_ATTR_NETMASK)).toBe(64);
    expect(serviceOf(t)).toMatchObject({ fwmark: 4, family: 6, netmask: 64, flagBits: IP_VS_SVC_F_SCHED_MH_FALLBACK });
  });

  it('destination: ports big-endian, address family always, tunnel only when set', () => {
    const w = new MessageWriter();
    w.begin(0x20, 0).u32(0);
    writeDestinationNest(w, resolveDestination({ address: '2001:db8::10', port: 8080, forward: 'tunnel', tunnel: { type: 'gue', port: 6080, checksum: 'remcsum' } }, svcId, 'destination'));
    w.end('test');
    const t = nestOf(w, IPVS_CMD_ATTR_DEST);
    expect(t.bytes(IPVS_DEST_ATTR_PORT)!.toString('hex')).toBe('1f90');
    expect(t.bytes(IPVS_DEST_ATTR_TUN_PORT)!.toString('hex')).toBe('17c0');
    expect(t.u16(IPVS_DEST_ATTR_ADDR_FAMILY)).toBe(AF_INET6);
    expect(destinationOf(t, 4)).toMatchObject({ address: '2001:db8::10', family: 6, port: 8080, tunnel: { type: 'gue', port: 6080, checksum: 'remcsum' } });

    const plain = new MessageWriter();
    plain.begin(0x20, 0).u32(0);
    writeDestinationNest(plain, resolveDestination({ address: '192.0.2.10', forward: 'tunnel' }, svcId, 'destination'));
    plain.end('test');
    const p = nestOf(plain, IPVS_CMD_ATTR_DEST);
    expect(p.has(IPVS_DEST_ATTR_TUN_TYPE) || p.has(IPVS_DEST_ATTR_TUN_PORT) || p.has(IPVS_DEST_ATTR_TUN_FLAGS)).toBe(false);
  });
});

describe('read-back', () => {
  it('is wanted only for attributes old kernels drop', () => {
    expect(serviceNeedsReadBack(resolveService({ ...TCP }, 's', {}))).toBe(false);
    expect(serviceNeedsReadBack(resolveService({ ...TCP, pe: 'sip' }, 's', {}))).toBe(true);
    expect(destinationNeedsReadBack(resolveDestination({ address: '192.0.2.1', forward: 'tunnel' }, svcId, 'd'), svcId)).toBe(false);
    expect(destinationNeedsReadBack(resolveDestination({ address: '192.0.2.1', forward: 'tunnel', tunnel: { type: 'gre' } }, svcId, 'd'), svcId)).toBe(true);
    expect(destinationNeedsReadBack(resolveDestination({ address: '2001:db8::1', forward: 'tunnel' }, svcId, 'd'), svcId)).toBe(true);
  });

  it('names what a kernel without tunnel attributes dropped', () => {
    const r = resolveDestination({ address: '192.0.2.10', forward: 'tunnel', tunnel: { type: 'gue', port: 6080 } }, svcId, 'destination');
    const asOldKernel = { ...asDestination(r), tunnel: { type: 'ipip' as const, port: 0, checksum: 'none' as const } };
    const diff = compareDestination(r, asOldKernel, 'destination');
    expect(diff.map((d) => d.field)).toEqual(['destination.tunnel']);
    const err = new IpvsReadBackError('add destination 192.0.2.10:80 to service 198.51.100.1:80/tcp', diff);
    expect(err.code).toBe('ERR_NL_IPVS_READBACK');
    expect(err.message).toMatch(/did not keep destination\.tunnel/);
    expect(compareDestination(r, asDestination(r), 'destination')).toEqual([]);
    const s = resolveService({ ...TCP, pe: 'sip' }, 'service', {});
    expect(compareService(s, { ...asService(s), pe: undefined }, 'service').map((d) => d.field)).toEqual(['service.pe']);
  });
});
