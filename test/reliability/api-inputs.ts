// Random invalid input for the public API: a valid call with one to three of
// its fields replaced by a value that is wrong for that field (wrong type,
// out of range, malformed text, a name that could escape a path). Every such
// call must fail with a ValidationError naming one of the fields, before a
// byte reaches the kernel.
import type { Rng } from './mutate.js';

export type ApiCall =
  | { api: 'links.create'; spec: Record<string, unknown> }
  | { api: 'links.set'; link: unknown; changes: Record<string, unknown> }
  | { api: 'links.delete'; link: unknown }
  | { api: 'addresses.add' | 'addresses.delete'; spec: Record<string, unknown> }
  | { api: 'fdb.add' | 'fdb.append' | 'fdb.delete'; spec: Record<string, unknown> }
  | { api: 'routes.add'; spec: Record<string, unknown> }
  | { api: 'neighbours.add'; spec: Record<string, unknown> }
  | { api: 'batch'; ops: Array<Record<string, unknown>> }
  | { api: 'ipvs.addService'; spec: Record<string, unknown> }
  | { api: 'ipvs.addDestination'; service: Record<string, unknown>; spec: Record<string, unknown> }
  | { api: 'ipvs.startDaemon'; spec: Record<string, unknown> }
  | { api: 'ipvs.setTimeouts'; spec: Record<string, unknown> };

export interface InvalidCall {
  call: ApiCall;
  /** Dotted paths of the fields made invalid; the error must name one of them. */
  corrupted: string[];
}

const sym = Symbol('junk');
const fn = (): number => 1;
const ANY_TYPE = [NaN, Infinity, {}, 10n, sym, fn];
const NAME = ['', 'a'.repeat(16), 'a/b', 'a b', '.', '..', 'x:y', 'a\0b', '../../etc', 1.5, -1, 0, true, [], ...ANY_TYPE];
const IP = ['', '1.2.3', '256.1.1.1', '::g', '2001:db8::1::2', 'example.com', ' 192.0.2.1', 7, true, null, [], ...ANY_TYPE];
const MAC = ['', '02:00:00:00:00', '02:00:00:00:00:zz', '02-00-00-00-00-01', '02:00:00:00:00:01:02', 5, true, null, ...ANY_TYPE];
const BOOL = ['true', 1, 0, null, ...ANY_TYPE];
const ENUM = ['bogus', '', 'RR', 5, null, true, ...ANY_TYPE];
const OBJ = [5, 'x', true, 10n, sym, null];
const ARRAY = [5, 'x', {}, 10n, sym, ['bogus'], [5], [null]];
const int = (min: number, max: number): unknown[] => [min - 1, max + 1, 1.5, -0.5, '5', true, null, [], -Infinity, ...ANY_TYPE];

type Pools = Record<string, unknown[]>;

interface Template {
  api: ApiCall['api'];
  /** A valid call's arguments, by name. */
  valid: () => Record<string, unknown>;
  /** Invalid values for each field path ('spec.mtu', 'changes.vxlan… ' as the path into the arguments). */
  pools: Pools;
}

const vxlanSpec = (): Record<string, unknown> => ({ kind: 'vxlan', name: 'vxf0', id: 42, remote: '198.51.100.7', local: '198.51.100.1', dstPort: 4789, ttl: 8, learning: false });

const TEMPLATES: Template[] = [
  {
    api: 'links.create',
    valid: () => ({ spec: vxlanSpec() }),
    pools: {
      'spec.name': NAME, 'spec.kind': ['', 'x'.repeat(80), 5, null, ...ANY_TYPE], 'spec.id': int(0, 0xffffff), 'spec.remote': [...IP, '224.0.0.1'],
      'spec.local': [...IP, '2001:db8::1'], 'spec.dstPort': int(1, 0xffff), 'spec.ttl': [...int(0, 255), 'inherit2'], 'spec.learning': BOOL,
      'spec.mtu': int(1, 0x7fffffff), 'spec.mac': MAC, 'spec.txqlen': int(0, 0xffffffff), 'spec.alias': ['x'.repeat(300), 'a\0b', 5, ...ANY_TYPE],
      'spec.up': BOOL, 'spec.master': NAME, 'spec.netns': ['../x', 'a b', '..', 'x/../y', '', 5, ...ANY_TYPE], 'spec.df': ENUM, 'spec.label': int(0, 0xfffff),
      'spec.srcPortRange': [...OBJ, { low: 5, high: 1 }, { low: -1, high: 2 }], 'spec.tos': [...int(0, 255), 'bogus'],
    },
  },
  {
    api: 'links.create',
    valid: () => ({ spec: { kind: 'bridge', name: 'brf0', stp: false, priority: 4096, vlanFiltering: true, ageingTimeCs: 1000 } }),
    pools: { 'spec.name': NAME, 'spec.stp': BOOL, 'spec.priority': int(0, 0xffff), 'spec.vlanFiltering': BOOL, 'spec.ageingTimeCs': int(0, 0xffffffff), 'spec.vlanProtocol': ENUM, 'spec.groupAddr': MAC },
  },
  {
    api: 'links.create',
    valid: () => ({ spec: { kind: 'veth', name: 'vf0', peer: { name: 'vf1', mtu: 1400 } } }),
    pools: { 'spec.name': NAME, 'spec.peer': OBJ, 'spec.peer.name': NAME, 'spec.peer.mtu': int(1, 0x7fffffff), 'spec.peer.mac': MAC, 'spec.peer.netns': ['../x', '..', 'a b', 5] },
  },
  {
    api: 'links.set',
    valid: () => ({ link: 'lo', changes: { mtu: 65536, up: true } }),
    pools: { link: NAME, 'changes.mtu': int(1, 0x7fffffff), 'changes.up': BOOL, 'changes.name': NAME, 'changes.mac': MAC, 'changes.alias': ['x'.repeat(300), 5, ...ANY_TYPE], 'changes.master': NAME, 'changes.kind': ['dummy', 'veth', '', 5] },
  },
  { api: 'links.delete', valid: () => ({ link: 'lo' }), pools: { link: NAME } },
  {
    api: 'addresses.add',
    valid: () => ({ spec: { dev: 'lo', address: '192.0.2.1/24', label: 'lo:x', scope: 'host', metric: 5, validLifetime: 100, preferredLifetime: 50, flags: ['noprefixroute'] } }),
    pools: {
      'spec.dev': NAME, 'spec.address': [...IP, '192.0.2.1/33', '192.0.2.1/x', '192.0.2.1/'], 'spec.prefix': int(0, 32), 'spec.label': ['', 'x'.repeat(16), 5, ...ANY_TYPE],
      'spec.scope': ['bogus', 256, -1, true, ...ANY_TYPE], 'spec.metric': int(0, 0xffffffff), 'spec.validLifetime': [0, -1, 1.5, 'never', ...ANY_TYPE],
      'spec.preferredLifetime': [101, -1, 'never', ...ANY_TYPE], 'spec.flags': [...ARRAY, ['secondary']], 'spec.peer': [...IP, '2001:db8::1'], 'spec.broadcast': [...IP, '2001:db8::1'],
    },
  },
  {
    api: 'addresses.delete',
    valid: () => ({ spec: { dev: 'lo', address: '2001:db8::1/64' } }),
    pools: { 'spec.dev': NAME, 'spec.address': [...IP, '2001:db8::1/129'], 'spec.prefix': int(0, 128) },
  },
  {
    api: 'fdb.add',
    valid: () => ({ spec: { dev: 'lo', mac: '02:00:00:00:00:01', dst: '198.51.100.9', vni: 42, port: 4789, vlan: 10, state: 'static', self: true } }),
    pools: {
      'spec.dev': NAME, 'spec.mac': MAC, 'spec.dst': IP, 'spec.vni': int(0, 0xffffff), 'spec.srcVni': int(0, 0xffffff), 'spec.port': int(0, 0xffff),
      'spec.vlan': int(1, 4094), 'spec.state': ENUM, 'spec.via': NAME, 'spec.nhid': int(1, 0xffffffff),
    },
  },
  { api: 'fdb.append', valid: () => ({ spec: { dev: 'lo', mac: '00:00:00:00:00:00', dst: '2001:db8::9' } }), pools: { 'spec.dev': NAME, 'spec.mac': MAC, 'spec.dst': IP } },
  { api: 'fdb.delete', valid: () => ({ spec: { dev: 'lo', mac: '02:00:00:00:00:01' } }), pools: { 'spec.dev': NAME, 'spec.mac': MAC } },
  {
    api: 'routes.add',
    valid: () => ({ spec: { dst: '198.51.100.0/24', gateway: '192.0.2.254', table: 100, metric: 10, protocol: 'static' } }),
    pools: {
      'spec.dst': [...IP, '198.51.100.1/24', '198.51.100.0/33'], 'spec.gateway': [...IP, '2001:db8::1'], 'spec.table': [...int(0, 0xffffffff), 'bogus'],
      'spec.metric': int(0, 0xffffffff), 'spec.protocol': [...int(0, 255), 'bogus'], 'spec.type': [...int(0, 255), 'bogus'], 'spec.nexthops': [...ARRAY, [], [{}], [{ gateway: 'x' }], [{ dev: 'lo', weight: 0 }]],
      'spec.family': [5, '4', ...ANY_TYPE], 'spec.src': IP,
    },
  },
  {
    api: 'neighbours.add',
    valid: () => ({ spec: { dev: 'lo', dst: '192.0.2.9', lladdr: '02:00:00:00:00:09', state: 'permanent' } }),
    pools: { 'spec.dev': NAME, 'spec.dst': IP, 'spec.lladdr': ['', 'zz', '1:2:3:', 5, ...ANY_TYPE], 'spec.state': ENUM, 'spec.protocol': int(0, 255) },
  },
  {
    api: 'ipvs.addService',
    valid: () => ({ spec: { protocol: 'tcp', address: '198.51.100.1', port: 80, scheduler: 'rr', persistent: 60, netmask: '255.255.255.0' } }),
    pools: {
      'spec.protocol': ENUM, 'spec.address': IP, 'spec.port': int(1, 0xffff), 'spec.scheduler': ENUM, 'spec.persistent': int(0, Math.floor(0xffffffff / 1000)),
      'spec.netmask': ['255.0.255.0', 33, -1, '2001:db8::', 'x', true, ...ANY_TYPE], 'spec.flags': [...OBJ, { bogus: true }, { onePacket: 'yes' }, { shPort: true }], 'spec.pe': ['x'.repeat(40), 5, ...ANY_TYPE],
    },
  },
  {
    api: 'ipvs.addService',
    valid: () => ({ spec: { fwmark: 5, family: 6, scheduler: 'mh', netmask: 64, flags: { mhPort: true } } }),
    pools: { 'spec.fwmark': [-1, 2 ** 32, 1.5, '5', null, ...ANY_TYPE], 'spec.family': [5, '6', 0, ...ANY_TYPE], 'spec.netmask': [129, -1, '255.255.255.0', ...ANY_TYPE], 'spec.flags': [{ shPort: true }, { bogus: true }, 5, 'x', 10n, sym] },
  },
  {
    api: 'ipvs.addDestination',
    valid: () => ({ service: { protocol: 'tcp', address: '198.51.100.1', port: 80 }, spec: { address: '192.0.2.10', port: 8080, forward: 'masq', weight: 5, upperThreshold: 100, lowerThreshold: 10 } }),
    pools: {
      'service.address': IP, 'service.port': int(1, 0xffff), 'service.protocol': ENUM, 'spec.address': [...IP, '2001:db8::10'], 'spec.port': int(1, 0xffff), 'spec.forward': ENUM,
      'spec.weight': int(0, 0x7fffffff), 'spec.upperThreshold': int(0, 0x7fffffff), 'spec.lowerThreshold': [...int(0, 0xffffffff), 101], 'spec.tunnel': [...OBJ, { type: 'bogus' }, { type: 'gue' }, { type: 'ipip', checksum: 'csum' }],
    },
  },
  {
    api: 'ipvs.startDaemon',
    valid: () => ({ spec: { state: 'master', interface: 'lo', syncId: 5, group: '239.1.2.3', port: 9000, ttl: 2, maxLength: 1400 } }),
    pools: {
      'spec.state': ENUM, 'spec.interface': NAME, 'spec.syncId': int(0, 255), 'spec.group': [...IP, '192.0.2.1'], 'spec.port': int(1, 0xffff), 'spec.ttl': int(1, 255), 'spec.maxLength': int(1, 0xffff),
    },
  },
  { api: 'ipvs.setTimeouts', valid: () => ({ spec: { tcp: 900, tcpFin: 120, udp: 300 } }), pools: { 'spec.tcp': int(0, 2147483), 'spec.tcpFin': int(0, 2147483), 'spec.udp': int(0, 2147483) } },
];

function setPath(target: Record<string, unknown>, path: string, value: unknown): void {
  const parts = path.split('.');
  let o = target;
  for (const p of parts.slice(0, -1)) {
    if (typeof o[p] !== 'object' || o[p] === null) o[p] = {};
    o = o[p] as Record<string, unknown>;
  }
  o[parts[parts.length - 1]!] = value;
}

/** One invalid call, for the APIs matching `apis` (a prefix such as 'ipvs.' or '' for the rtnetlink ones). */
export function invalidCall(rng: Rng, filter: (api: string) => boolean): InvalidCall {
  const templates = TEMPLATES.filter((t) => filter(t.api));
  const t = rng.pick(templates);
  const args = t.valid();
  const paths = Object.keys(t.pools);
  const corrupted = new Set<string>();
  for (let n = 1 + (rng.chance(0.3) ? rng.below(3) : 0); n > 0; n--) corrupted.add(rng.pick(paths));
  // A path inside a field that is itself corrupted would be overwritten: keep the outer one.
  const chosen = [...corrupted].filter((p) => ![...corrupted].some((q) => q !== p && p.startsWith(`${q}.`)));
  for (const p of chosen.sort((a, b) => b.length - a.length)) setPath(args, p, rng.pick(t.pools[p]!));
  if (t.api === 'batch') return { call: { api: 'batch', ops: args.ops as never }, corrupted: chosen };
  return { call: { api: t.api, ...args } as ApiCall, corrupted: chosen };
}

/** The same calls as rtnl.batch operations: a valid op or two around the invalid one. */
export function invalidBatch(rng: Rng): InvalidCall {
  const { call, corrupted } = invalidCall(rng, (a) => a === 'addresses.add' || a === 'fdb.add' || a === 'fdb.append' || a === 'routes.add' || a === 'neighbours.add' || a === 'links.create');
  const names: Record<string, string> = { 'addresses.add': 'address.add', 'fdb.add': 'fdb.add', 'fdb.append': 'fdb.append', 'routes.add': 'route.add', 'neighbours.add': 'neighbour.add', 'links.create': 'link.create' };
  const opName = names[call.api]!;
  const bad = { op: opName, ...(call as { spec: Record<string, unknown> }).spec };
  const good: Record<string, unknown> = { op: 'address.add', dev: 'lo', address: '198.18.0.1/32' };
  const at = rng.below(3);
  const ops: Array<Record<string, unknown>> = [good, good, good];
  ops[at] = bad;
  return { call: { api: 'batch', ops }, corrupted: corrupted.map((p) => `ops[${at}].${p.replace(/^spec\./, '')}`) };
}

/** True when a ValidationError's field names one of the corrupted paths (allowing the library's own prefixes). */
export function namesCorrupted(field: string, corrupted: string[]): boolean {
  const leaf = (p: string): string => p.replace(/^(spec|changes|args)\./, '');
  return corrupted.some((p) => {
    const l = leaf(p);
    const last = l.split('.').pop()!;
    return field === l || field.endsWith(`.${l}`) || field.endsWith(l) || field.split(/[.[\]]/).includes(last) || field.startsWith(`${l}.`) || field.includes(`.${l}.`);
  });
}
