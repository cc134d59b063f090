// veth (kind "veth"): a pair of links made in one request. The peer travels
// in VETH_INFO_PEER as a struct ifinfomsg followed by ordinary IFLA_*
// attributes (drivers/net/veth.c, veth_newlink), so it may have its own
// name, MTU, MAC, queue length and namespace. veth reports no IFLA_INFO_DATA:
// the peer shows up as the link's IFLA_LINK (+ IFLA_LINK_NETNSID).
import { ValidationError } from '../../../protocol/errors.js';
import { writeIfinfomsg } from '../common.js';
import { writeLinkBasics, type LinkBasics } from '../basics.js';
import { registerKind, type LinkKind, type UnknownAttributes } from './registry.js';
import { VETH_INFO_PEER } from '../../../uapi/if_link.js';

export interface VethPeer extends LinkBasics {
  /** The peer's interface name. */
  name: string;
}

export interface VethOptions {
  peer: VethPeer;
}

/** veth has no settings of its own to report; anything the kernel adds stays raw. */
export type VethInfo = UnknownAttributes;

export const vethKind: LinkKind<Partial<VethOptions>, VethInfo> = {
  kind: 'veth',
  changeable: false,
  encode(w, o, refs) {
    const peer = o.peer;
    if (typeof peer !== 'object' || peer === null) throw new ValidationError('peer', 'a veth link needs its peer: { name, netns? }');
    if (peer.name === undefined) throw new ValidationError('peer.name', 'the peer needs a name');
    // VETH_INFO_PEER's policy is a plain length check, as iproute2 sends it: no NLA_F_NESTED.
    const at = w.nestPlain(VETH_INFO_PEER, 'peer');
    writeIfinfomsg(w);
    writeLinkBasics(w, peer, refs, 'peer.');
    w.endNest(at);
  },
  decode(t) {
    const unknown = t.unknown(new Set());
    return unknown ? { unknown } : {};
  },
};

registerKind(vethKind);
