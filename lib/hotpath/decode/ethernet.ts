// Ethernet II header and any stack of 802.1Q / 802.1ad VLAN tags after it.
// Frames from the tap carry their VLAN tags in the bytes even when the NIC
// offloaded them (the native side puts them back), so tags are read here.
import { bytesToMac } from '../../codec/address.js';
import { ETH_ALEN, ETH_HLEN, ETH_P_8021AD, ETH_P_8021Q } from '../../uapi/linux.js';
import { ETH_P_QINQ1 } from '../../uapi/packet.js';
import { TRUNCATED, type LayerResult } from './layer.js';

/** Tag control information of one 802.1Q tag (IEEE 802.1Q: PCP 3 bits, DEI 1 bit, VID 12 bits). */
export interface VlanTag {
  /** The tag's EtherType: 0x8100 (802.1Q), 0x88a8 (802.1ad) or 0x9100 (pre-standard QinQ). */
  tpid: number;
  /** Priority code point, 0-7. */
  priority: number;
  /** Drop eligible indicator. */
  dropEligible: boolean;
  /** VLAN id, 0-4095. */
  id: number;
}

export interface EthernetHeader {
  destination: string;
  source: string;
  /** Outermost first; empty when the frame is untagged. */
  vlans: VlanTag[];
  /** The EtherType after the last tag; a value below 0x0600 is an 802.3 length, not a type. */
  etherType: number;
  /** Bytes of the header including tags. */
  headerLength: number;
}

const VLAN_TAG_LEN = 4;
const ETHERTYPE_OFFSET = 2 * ETH_ALEN;
// Any deeper stack is not a real frame; stop instead of walking it.
const MAX_VLAN_TAGS = 8;

function isVlanTpid(type: number): boolean {
  return type === ETH_P_8021Q || type === ETH_P_8021AD || type === ETH_P_QINQ1;
}

export function decodeEthernet(buf: Buffer, offset: number, end: number): LayerResult<EthernetHeader> {
  if (end - offset < ETH_HLEN) return TRUNCATED;
  const destination = bytesToMac(buf.subarray(offset, offset + ETH_ALEN));
  const source = bytesToMac(buf.subarray(offset + ETH_ALEN, offset + ETHERTYPE_OFFSET));
  let pos = offset + ETHERTYPE_OFFSET;
  let etherType = buf.readUInt16BE(pos);
  pos += 2;
  const vlans: VlanTag[] = [];
  while (isVlanTpid(etherType)) {
    if (vlans.length === MAX_VLAN_TAGS) return { malformed: `ethernet: more than ${MAX_VLAN_TAGS} VLAN tags` };
    if (end - pos < VLAN_TAG_LEN) {
      // The tags that fit are still worth reporting.
      return {
        header: { destination, source, vlans, etherType, headerLength: pos - offset },
        next: pos,
        end,
        truncated: true,
      };
    }
    const tci = buf.readUInt16BE(pos);
    vlans.push({ tpid: etherType, priority: tci >> 13, dropEligible: (tci & 0x1000) !== 0, id: tci & 0x0fff });
    etherType = buf.readUInt16BE(pos + 2);
    pos += VLAN_TAG_LEN;
  }
  return { header: { destination, source, vlans, etherType, headerLength: pos - offset }, next: pos, end };
}
