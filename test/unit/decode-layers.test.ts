// Layer decoders on hand-built headers, for cases the captured fixtures do
// not cover: IPv6 extension-header chains, IPv6 fragments, ICMP errors.
import { describe, it, expect } from 'vitest';
import { decodeIpv6, decodeIp, startsDatagram, type Ipv6Header } from '../../lib/hotpath/decode/ip.js';
import { decodeIcmp } from '../../lib/hotpath/decode/icmp.js';
import { decodeVxlan } from '../../lib/hotpath/decode/vxlan.js';
import { decodeEthernet } from '../../lib/hotpath/decode/ethernet.js';
import { isDecoded } from '../../lib/hotpath/decode/layer.js';
import { frame } from '../fixtures/frames-captured.js';

// The IPv6 header of a captured echo request (2001:db8::1 -> ::2), with its next header and payload length replaced.
function ipv6(nextHeader: number, rest: Buffer): Buffer {
  const h = Buffer.from(frame('ipv6-icmpv6-echo/request').subarray(14, 54));
  h[6] = nextHeader;
  h.writeUInt16BE(rest.length, 4);
  return Buffer.concat([h, rest]);
}

describe('IPv6 extension headers', () => {
  it('walks Destination Options, Routing and AH to the upper layer', () => {
    const dstopts = Buffer.from([43, 0, 1, 4, 0, 0, 0, 0]); // -> Routing, 8 bytes (PadN)
    const routing = Buffer.from([51, 0, 0, 0, 0, 0, 0, 0]); // -> AH, 8 bytes, segments left 0
    const ah = Buffer.concat([Buffer.from([17, 4, 0, 0]), Buffer.alloc(20)]); // -> UDP, (4+2)*4 = 24 bytes
    const udp = Buffer.from([0x30, 0x39, 0x12, 0xb5, 0, 8, 0, 0]);
    const bytes = ipv6(60, Buffer.concat([dstopts, routing, ah, udp]));
    const r = decodeIpv6(bytes, 0, bytes.length);
    expect(isDecoded(r)).toBe(true);
    if (!isDecoded(r)) return;
    expect(r.header).toMatchObject({ protocol: 17, extensionHeaders: [60, 43, 51], headerLength: 40 + 8 + 8 + 24 });
    expect(r.next).toBe(80);
    expect(r.truncated).toBeUndefined();
  });

  it('reads a Fragment header and tells a later fragment from the first', () => {
    const first = ipv6(44, Buffer.concat([Buffer.from([58, 0, 0x00, 0x01, 0xde, 0xad, 0xbe, 0xef]), Buffer.alloc(8)]));
    const r1 = decodeIpv6(first, 0, first.length);
    if (!isDecoded(r1)) throw new Error('not decoded');
    expect(r1.header.fragment).toEqual({ offset: 0, moreFragments: true, id: 0xdeadbeef });
    expect(startsDatagram(r1.header)).toBe(true);
    const later = ipv6(44, Buffer.concat([Buffer.from([58, 0, 0x05, 0xc8, 0xde, 0xad, 0xbe, 0xef]), Buffer.alloc(8)]));
    const r2 = decodeIpv6(later, 0, later.length);
    if (!isDecoded(r2)) throw new Error('not decoded');
    expect(r2.header.fragment).toEqual({ offset: 1480, moreFragments: false, id: 0xdeadbeef });
    expect(startsDatagram(r2.header)).toBe(false);
  });

  it('marks a chain cut short as truncated but keeps the fixed header', () => {
    const bytes = ipv6(0, Buffer.from([58, 1, 0, 0, 0, 0, 0, 0])); // claims 16 bytes, has 8
    const r = decodeIpv6(bytes, 0, bytes.length);
    if (!isDecoded(r)) throw new Error('not decoded');
    expect(r.truncated).toBe(true);
    expect((r.header as Ipv6Header).source).toBe('2001:db8::1');
  });

  it('rejects an unknown IP version as malformed', () => {
    expect(decodeIp(Buffer.from([0x50, 0, 0, 0]), 0, 4)).toEqual({ malformed: 'ip: version 5' });
  });
});

describe('ICMP', () => {
  it('has no echo id for an error message', () => {
    const unreachable = Buffer.from([3, 3, 0xab, 0xcd, 0, 0, 0, 0]);
    const r = decodeIcmp(unreachable, 0, 8, 4);
    if (!isDecoded(r)) throw new Error('not decoded');
    expect(r.header).toEqual({ version: 4, type: 3, code: 3, checksum: 0xabcd });
  });

  it('keeps type and code when the capture ends before the echo id', () => {
    const r = decodeIcmp(Buffer.from([8, 0, 0, 0, 0x12]), 0, 5, 4);
    if (!isDecoded(r)) throw new Error('not decoded');
    expect(r.truncated).toBe(true);
    expect(r.header).toMatchObject({ type: 8, echo: 'request' });
    expect(r.header.id).toBeUndefined();
  });
});

describe('VXLAN and Ethernet edges', () => {
  it('reads the largest VNI', () => {
    const r = decodeVxlan(Buffer.from([0x08, 0, 0, 0, 0xff, 0xff, 0xff, 0]), 0, 8);
    if (!isDecoded(r)) throw new Error('not decoded');
    expect(r.header).toEqual({ flags: 8, vniValid: true, vni: 0xffffff });
  });

  it('reports the VLAN tags that fit when the capture ends inside the next one', () => {
    const qinq = frame('qinq-icmp-echo/request');
    const r = decodeEthernet(qinq, 0, 20);
    if (!isDecoded(r)) throw new Error('not decoded');
    expect(r.truncated).toBe(true);
    expect(r.header.vlans.map((v) => v.id)).toEqual([200]);
  });
});
