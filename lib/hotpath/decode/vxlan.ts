// VXLAN header (RFC 7348): 8 flag bits (0x08 = I, the VNI is valid), 24
// reserved bits, a 24-bit VNI and 8 reserved bits. The inner Ethernet frame
// that follows is decoded by frame.ts, which knows every layer.
import { VXLAN_HEADER_LEN, VXLAN_HF_VNI } from '../../uapi/packet.js';
import { TRUNCATED, type LayerResult } from './layer.js';

export interface VxlanHeader {
  /** The flags byte; 0x08 (the I flag) on every standard VXLAN packet. */
  flags: number;
  /** True when the I flag is set, i.e. `vni` is meaningful. */
  vniValid: boolean;
  vni: number;
}

export function decodeVxlan(buf: Buffer, offset: number, end: number): LayerResult<VxlanHeader> {
  if (end - offset < VXLAN_HEADER_LEN) return TRUNCATED;
  const word = buf.readUInt32BE(offset);
  const header: VxlanHeader = {
    flags: word >>> 24,
    vniValid: (word & VXLAN_HF_VNI) !== 0,
    vni: buf.readUInt32BE(offset + 4) >>> 8,
  };
  return { header, next: offset + VXLAN_HEADER_LEN, end };
}
