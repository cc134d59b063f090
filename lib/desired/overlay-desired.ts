// The desired VXLAN overlay of one host (the flannel case): a vxlan device,
// optionally enslaved to a bridge, and per peer the head-end replication
// entry (all-zero MAC → the peer's underlay address), a unicast FDB entry for
// the peer's MAC, and a permanent ARP/NDP entry for its overlay address.
// Checked and normalised here, with the field named, before anything is read.
import { ValidationError } from '../protocol/errors.js';
import { MessageWriter } from '../codec/writer.js';
import { bytesToIp, bytesToMac, ipFamily, ipToBytes, macToBytes } from '../codec/address.js';
import { writeLinkCreate, type BridgeSpec, type VxlanSpec } from '../families/link/requests.js';
import { LinkRefCollector } from '../families/link/refs.js';
import { validateIfname, type LinkRef } from '../families/link/link.js';
import type { VxlanOptions } from '../families/link/kinds/index.js';
import { addressRequest } from '../families/addr.js';
import { isPlainObject, underField } from './fields.js';

/** The vxlan device: its name and VXLAN settings; `remote`/`group` are not used (the peers are the remotes). */
export type OverlayVxlan = { name: string; mtu?: number; mac?: string } & Omit<VxlanOptions, 'remote' | 'group'>;

export interface OverlayBridge {
  name: string;
  mtu?: number;
  mac?: string;
}

export interface OverlayPeer {
  /** The peer's underlay (VTEP) address: where VXLAN packets for it go. */
  underlay: string;
  /** Its address on the overlay; with `mac`, a permanent ARP/NDP entry. */
  overlayIp?: string;
  /** The MAC of its overlay device: a unicast FDB entry (no flooding to find it). */
  mac?: string;
}

export interface OverlayDesired {
  vxlan: OverlayVxlan;
  /** A bridge with the vxlan device as a port; the overlay's addresses and neighbours then live on it. */
  bridge?: OverlayBridge;
  /** CIDRs on the overlay device (the bridge, else the vxlan device); added when missing, never removed. */
  addresses?: string[];
  peers: OverlayPeer[];
}

export const ZERO_MAC = '00:00:00:00:00:00';

export interface FdbWant {
  key: string;
  mac: string;
  dst: string;
}

export interface NeighbourWant {
  dst: string;
  lladdr: string;
}

export interface NormalOverlay {
  vxlan: { name: string; spec: VxlanSpec; options: Record<string, unknown>; dev?: LinkRef; mtu?: number; mac?: string };
  bridge?: { name: string; spec: BridgeSpec; mtu?: number; mac?: string };
  /** The device that carries addresses and neighbours. */
  l3: string;
  addresses: Array<{ text: string; address: string; prefix: number }>;
  fdb: Map<string, FdbWant>;
  neighbours: Map<string, NeighbourWant>;
}

export const fdbKey = (mac: string, dst: string): string => `${mac}|${dst}`;

const normalIp = (ip: string, field: string): string => bytesToIp(ipToBytes(ip, field));
const normalMac = (mac: string, field: string): string => bytesToMac(macToBytes(mac, field));

function cidr(text: unknown, field: string): { address: string; prefix: number; text: string } {
  if (typeof text !== 'string') throw new ValidationError(field, `a CIDR such as '192.0.2.1/24', got ${JSON.stringify(text)}`);
  const [ip, len, extra] = text.split('/');
  const family = ipFamily(ip!, field);
  const max = family === 4 ? 32 : 128;
  const prefix = len === undefined ? max : Number(len);
  if (extra !== undefined || !/^\d+$/.test(len ?? String(max)) || prefix > max) throw new ValidationError(field, `a CIDR such as '192.0.2.1/24', got ${JSON.stringify(text)}`);
  const address = normalIp(ip!, field);
  return { address, prefix, text: `${address}/${prefix}` };
}

/** Checks a desired overlay and normalises its addresses; throws a ValidationError naming the field. */
export function normalizeOverlay(desired: OverlayDesired): NormalOverlay {
  if (!isPlainObject(desired)) throw new ValidationError('overlay', 'an object: { vxlan, bridge?, addresses?, peers }');
  if (!isPlainObject(desired.vxlan)) throw new ValidationError('vxlan', 'an object: { name, id, ... }');
  const { name: vxName, mtu: vxMtu, mac: vxMac, ...vxOptions } = desired.vxlan;
  validateIfname(vxName, 'vxlan.name');
  for (const k of ['remote', 'group'] as const) {
    if ((vxOptions as Record<string, unknown>)[k] !== undefined) throw new ValidationError(`vxlan.${k}`, 'an overlay has no default remote: each peer gets its own head-end replication entry');
  }
  let bridge: NormalOverlay['bridge'];
  if (desired.bridge !== undefined) {
    if (!isPlainObject(desired.bridge)) throw new ValidationError('bridge', 'an object: { name, mtu?, mac? }');
    const { name, mtu, mac } = desired.bridge;
    validateIfname(name, 'bridge.name');
    if (name === vxName) throw new ValidationError('bridge.name', `the bridge and the vxlan device are both named ${JSON.stringify(name)}`);
    const spec = { kind: 'bridge', name, up: true, mtu, mac } as BridgeSpec;
    underField('bridge', () => writeLinkCreate(new MessageWriter(256), spec, new LinkRefCollector()));
    bridge = { name, spec, mtu, mac: mac === undefined ? undefined : normalMac(mac, 'bridge.mac') };
  }
  const vxSpec = { ...vxOptions, kind: 'vxlan', name: vxName, up: true, mtu: vxMtu, mac: vxMac, master: bridge?.name } as VxlanSpec;
  underField('vxlan', () => writeLinkCreate(new MessageWriter(512), vxSpec, new LinkRefCollector()));
  const { dev, ...options } = vxOptions;
  const l3 = bridge?.name ?? vxName;

  const addresses = (desired.addresses ?? []).map((a, i) => {
    const field = `addresses[${i}]`;
    const c = cidr(a, field);
    underField(field, () => addressRequest('add', { dev: l3, address: c.address, prefix: c.prefix }));
    return c;
  });
  if (desired.addresses !== undefined && !Array.isArray(desired.addresses)) throw new ValidationError('addresses', 'an array of CIDRs');

  if (!Array.isArray(desired.peers)) throw new ValidationError('peers', 'an array of { underlay, overlayIp?, mac? }');
  const fdb = new Map<string, FdbWant>();
  const neighbours = new Map<string, NeighbourWant>();
  const seen = new Map<string, string>();
  const once = (what: string, field: string): void => {
    const before = seen.get(what);
    if (before !== undefined) throw new ValidationError(field, `${what.replace(/^\w+ /, '')} is already given by ${before}`);
    seen.set(what, field);
  };
  desired.peers.forEach((p, i) => {
    const field = `peers[${i}]`;
    if (!isPlainObject(p)) throw new ValidationError(field, 'a peer is an object: { underlay, overlayIp?, mac? }');
    const dst = normalIp(p.underlay, `${field}.underlay`);
    once(`underlay ${dst}`, `${field}.underlay`);
    fdb.set(fdbKey(ZERO_MAC, dst), { key: fdbKey(ZERO_MAC, dst), mac: ZERO_MAC, dst });
    const mac = p.mac === undefined ? undefined : normalMac(p.mac, `${field}.mac`);
    if (mac !== undefined) {
      if (mac === ZERO_MAC) throw new ValidationError(`${field}.mac`, 'the all-zero MAC is the replication entry, not a peer MAC');
      once(`mac ${mac}`, `${field}.mac`);
      fdb.set(fdbKey(mac, dst), { key: fdbKey(mac, dst), mac, dst });
    }
    if (p.overlayIp !== undefined) {
      const ip = normalIp(p.overlayIp, `${field}.overlayIp`);
      once(`overlayIp ${ip}`, `${field}.overlayIp`);
      if (mac !== undefined) neighbours.set(ip, { dst: ip, lladdr: mac });
    }
  });
  return {
    vxlan: { name: vxName, spec: vxSpec, options, dev, mtu: vxMtu, mac: vxMac === undefined ? undefined : normalMac(vxMac, 'vxlan.mac') },
    bridge,
    l3,
    addresses,
    fdb,
    neighbours,
  };
}
