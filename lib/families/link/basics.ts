// The top-level attributes a link is made with: name, MTU, MAC, queue length
// and namespace. Shared by create/set and by a veth's peer, which carries
// its own ifinfomsg and attributes inside VETH_INFO_PEER.
import type { MessageWriter } from '../../codec/writer.js';
import { macToBytes } from '../../codec/address.js';
import { validateIfname, checkInt } from './common.js';
import type { LinkRefs } from './kinds/registry.js';
import { IFLA_IFNAME, IFLA_MTU, IFLA_ADDRESS, IFLA_TXQLEN, IFLA_NET_NS_FD } from '../../uapi/if_link.js';

/** MTUs are u32 on the wire and int in the kernel; each device type checks its own bounds. */
export const MAX_MTU = 0x7fffffff;

export interface LinkBasics {
  name?: string;
  /** Bytes; the kernel enforces the device's own min/max (e.g. 68..65535 for veth). */
  mtu?: number;
  /** xx:xx:xx:xx:xx:xx */
  mac?: string;
  /** Transmit queue length, in packets. */
  txqlen?: number;
  /** Network namespace to put the link in: a name from `ip netns` or a path. */
  netns?: string;
}

/** Writes the basics the caller set; `prefix` names fields ('' or 'peer.'). */
export function writeLinkBasics(w: MessageWriter, o: LinkBasics, refs: LinkRefs, prefix = ''): void {
  if (o.name !== undefined) w.attrString(IFLA_IFNAME, validateIfname(o.name, `${prefix}name`), `${prefix}name`);
  if (o.mtu !== undefined) w.attrU32(IFLA_MTU, checkInt(o.mtu, `${prefix}mtu`, 1, MAX_MTU), `${prefix}mtu`);
  if (o.mac !== undefined) w.attrBytes(IFLA_ADDRESS, macToBytes(o.mac, `${prefix}mac`), `${prefix}mac`);
  if (o.txqlen !== undefined) w.attrU32(IFLA_TXQLEN, checkInt(o.txqlen, `${prefix}txqlen`, 0, 0xffffffff), `${prefix}txqlen`);
  if (o.netns !== undefined) w.attrU32(IFLA_NET_NS_FD, refs.netnsFd(o.netns, `${prefix}netns`), `${prefix}netns`);
}
