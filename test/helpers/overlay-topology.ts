// The VXLAN tutorial's networks, built through the library only (no `ip`):
// namespaces stand in for hosts, veth pairs for the underlay cables, and on
// every host a bridge vbr0 with the overlay address and vxlan42 as its port.
// `ip`/`bridge`/`ping` appear only in the tests, as oracles and traffic.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { Rtnl, Bridge, Vxlan, PacketTap, type CapturedFrame } from '../../lib/index.js';

const run = promisify(execFile);

export const VNI = 42;
export const VXLAN_PORT = 4789;
export const BRIDGE = 'vbr0';
export const VXLAN = `vxlan${VNI}`;

/** One host of the overlay: its namespace, a socket in it, and its addresses. */
export interface OverlayHost {
  ns: string;
  rtnl: Rtnl;
  /** The underlay device's name in this namespace. */
  underlay: string;
  /** Underlay (VTEP) address. */
  local: string;
  /** Overlay address on vbr0, without prefix. */
  overlay: string;
}

export function openHost(ns: string, underlay: string, local: string, overlay: string): OverlayHost {
  return { ns, rtnl: Rtnl.open({ netns: ns }), underlay, local, overlay };
}

/**
 * A veth pair from `a` to `b` (a cable between two hosts), both ends up;
 * `master` enslaves a's end to a bridge there (a switch port).
 */
export async function cable(a: Rtnl, aName: string, b: { ns: string; rtnl: Rtnl; name: string }, master?: string): Promise<void> {
  await a.links.create({ kind: 'veth', name: aName, up: true, master, peer: { name: b.name, netns: b.ns } });
  // The peer cannot be brought up from the creating request: it is set up in its own namespace.
  await b.rtnl.links.set(b.name, { up: true });
}

export interface VtepOptions {
  /** Unicast default remote (the two-host tutorial); left out for an FDB-driven (agent) VTEP. */
  remote?: string;
  /** VXLAN learning; left out: the kernel default (on). */
  learning?: boolean;
}

/**
 * The tutorial on one host: the underlay address, `brctl addbr vbr0` + its
 * overlay address, `ip link add vxlan42 type vxlan id 42 dev ... remote ...
 * local ... dstport 4789`, `brctl addif vbr0 vxlan42`, everything up.
 */
export async function buildVtep(host: OverlayHost, options: VtepOptions = {}): Promise<void> {
  const { rtnl } = host;
  await rtnl.addresses.add({ dev: host.underlay, address: `${host.local}/24` });
  await Bridge.create(rtnl, { name: BRIDGE, up: true });
  await rtnl.addresses.add({ dev: BRIDGE, address: `${host.overlay}/24` });
  await Vxlan.create(rtnl, {
    name: VXLAN, id: VNI, dev: host.underlay, local: host.local, dstPort: VXLAN_PORT, up: true,
    ...(options.remote === undefined ? {} : { remote: options.remote }),
    ...(options.learning === undefined ? {} : { learning: options.learning }),
  });
  await Bridge.addPort(rtnl, BRIDGE, VXLAN);
}

/** `ping` from a namespace; resolves with its output (rejects when a reply is missing after `wait` seconds). */
export async function ping(ns: string, to: string, count = 3, wait = 5): Promise<string> {
  const { stdout } = await run('ip', ['netns', 'exec', ns, 'ping', '-c', String(count), '-i', '0.2', '-W', String(wait), to]);
  return stdout;
}

/** Every frame a tap yields until it is closed. */
export async function collect(tap: PacketTap): Promise<CapturedFrame[]> {
  const frames: CapturedFrame[] = [];
  for await (const batch of tap) frames.push(...batch);
  return frames;
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** One entry of `bridge -j fdb show`. */
export interface BridgeFdbJson {
  mac: string;
  dst?: string;
  viaIf?: string;
  master?: string;
  vlan?: number;
  flags: string[];
  state: string;
}
