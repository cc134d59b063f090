// Frame decoders on real frames captured from the kernel by PacketTap (see
// test/fixtures/frames-captured.ts for the command behind each one). The
// expected values come from those commands: addresses, ports, VNI, tags.
import { describe, it, expect } from 'vitest';
import { decodeFrame, type DecodedFrame } from '../../lib/hotpath/decode/frame.js';
import { FRAMES, frame } from '../fixtures/frames-captured.js';

const ETH_P_IP = 0x0800;
const ETH_P_IPV6 = 0x86dd;

describe('VXLAN frames (ping and TCP across the overlay)', () => {
  it('decodes the outer UDP, the VXLAN header and the inner ICMP echo request', () => {
    const d = decodeFrame(frame('vxlan-icmp-echo/request'));
    expect(d.truncated).toBe(false);
    expect(d.ethernet).toMatchObject({ etherType: ETH_P_IP, vlans: [], headerLength: 14 });
    expect(d.ip).toMatchObject({ version: 4, source: '198.51.100.1', destination: '198.51.100.2', protocol: 17, ttl: 64 });
    expect(d.udp).toMatchObject({ destinationPort: 4789, length: 114 });
    expect(d.vxlan).toMatchObject({ flags: 0x08, vniValid: true, vni: 42 });
    const inner = d.vxlan!.inner;
    expect(inner.ethernet?.etherType).toBe(ETH_P_IP);
    expect(inner.ip).toMatchObject({ version: 4, source: '192.0.2.1', destination: '192.0.2.2', protocol: 1 });
    expect(inner.icmp).toMatchObject({ version: 4, type: 8, code: 0, echo: 'request', sequence: 1 });
    // ping's default 56 data bytes follow the 8-byte ICMP header.
    expect(inner.payload.length).toBe(56);
    // The top-level payload of a VXLAN packet is the inner frame.
    expect(d.payload.length).toBe(148 - 50);
  });

  it('decodes the echo reply coming back, with the same echo id', () => {
    const req = decodeFrame(frame('vxlan-icmp-echo/request')).vxlan!.inner;
    const rep = decodeFrame(frame('vxlan-icmp-echo/reply'));
    expect(rep.ip).toMatchObject({ source: '198.51.100.2', destination: '198.51.100.1' });
    expect(rep.vxlan?.vni).toBe(42);
    const inner = rep.vxlan!.inner;
    expect(inner.ip).toMatchObject({ source: '192.0.2.2', destination: '192.0.2.1' });
    expect(inner.icmp).toMatchObject({ type: 0, echo: 'reply', id: req.icmp!.id, sequence: 1 });
    // The inner MACs are swapped between request and reply.
    expect(inner.ethernet!.source).toBe(req.ethernet!.destination);
  });

  it('decodes inner TCP: a SYN with options, then the RST+ACK of a closed port', () => {
    const syn = decodeFrame(frame('vxlan-tcp/syn')).vxlan!.inner;
    expect(syn.tcp).toMatchObject({ destinationPort: 7, headerLength: 40 });
    expect(syn.tcp!.flags).toEqual({ fin: false, syn: true, rst: false, psh: false, ack: false, urg: false, ece: false, cwr: false });
    expect(syn.payload.length).toBe(0);
    const rst = decodeFrame(frame('vxlan-tcp/rst')).vxlan!.inner;
    expect(rst.tcp).toMatchObject({ sourcePort: 7, destinationPort: syn.tcp!.sourcePort, headerLength: 20, seq: 0 });
    expect(rst.tcp!.flags).toMatchObject({ rst: true, ack: true, syn: false });
    expect(rst.tcp!.ack).toBe((syn.tcp!.seq + 1) >>> 0);
  });

  it('recognises VXLAN only on the configured ports', () => {
    const bytes = frame('vxlan-icmp-echo/request');
    const off = decodeFrame(bytes, { vxlanPorts: [8472] });
    expect(off.vxlan).toBeUndefined();
    expect(off.udp?.destinationPort).toBe(4789);
    expect(off.payload.length).toBe(148 - 42);
    // The same packet sent to 8472 (Linux's historical VXLAN port).
    const moved = Buffer.from(bytes);
    moved.writeUInt16BE(8472, 14 + 20 + 2);
    expect(decodeFrame(moved).vxlan).toBeUndefined();
    expect(decodeFrame(moved, { vxlanPorts: new Set([4789, 8472]) }).vxlan?.vni).toBe(42);
  });

  it('does not walk the inner frame when the I flag is clear', () => {
    const bytes = Buffer.from(frame('vxlan-icmp-echo/request'));
    bytes[42] = 0;
    const d = decodeFrame(bytes);
    expect(d.vxlan).toMatchObject({ flags: 0, vniValid: false });
    expect(d.vxlan!.inner.ethernet).toBeUndefined();
  });
});

describe('VLAN tags (offloaded by the kernel, put back by the tap)', () => {
  it('decodes one 802.1Q tag', () => {
    const fx = FRAMES.find((f) => f.name === 'vlan-icmp-echo/request')!;
    expect(fx.vlanRestored).toBe(true);
    const d = decodeFrame(frame(fx.name));
    expect(d.ethernet!.vlans).toEqual([{ tpid: 0x8100, priority: 5, dropEligible: false, id: 100 }]);
    expect(d.ethernet).toMatchObject({ etherType: ETH_P_IP, headerLength: 18 });
    expect(d.ip).toMatchObject({ source: '203.0.113.1', destination: '203.0.113.2', dontFragment: true, id: 0x1234 });
    expect(d.icmp).toMatchObject({ echo: 'request', id: 0x4242, sequence: 1 });
    expect(d.payload.toString()).toBe('nl-lvs tagged echo');
  });

  it('decodes an 802.1ad outer tag over an 802.1Q inner tag', () => {
    const d = decodeFrame(frame('qinq-icmp-echo/request'));
    expect(d.ethernet!.vlans).toEqual([
      { tpid: 0x88a8, priority: 3, dropEligible: false, id: 200 },
      { tpid: 0x8100, priority: 0, dropEligible: false, id: 300 },
    ]);
    expect(d.ethernet!.headerLength).toBe(22);
    expect(d.ip).toMatchObject({ source: '198.18.0.1', destination: '198.18.0.2' });
    expect(d.icmp?.echo).toBe('request');
  });

  it('leaves Ethernet padding out of the payload (the IP total length ends it)', () => {
    const padded = Buffer.concat([frame('vlan-icmp-echo/request'), Buffer.alloc(6)]);
    expect(decodeFrame(padded).payload.toString()).toBe('nl-lvs tagged echo');
  });
});

describe('IPv6', () => {
  it('decodes ICMPv6 echo request and reply', () => {
    const req = decodeFrame(frame('ipv6-icmpv6-echo/request'));
    expect(req.ethernet?.etherType).toBe(ETH_P_IPV6);
    expect(req.ip).toMatchObject({
      version: 6,
      source: '2001:db8::1',
      destination: '2001:db8::2',
      protocol: 58,
      hopLimit: 64,
      payloadLength: 64,
      headerLength: 40,
      extensionHeaders: [],
    });
    expect(req.icmp).toMatchObject({ version: 6, type: 128, code: 0, echo: 'request', sequence: 1 });
    const rep = decodeFrame(frame('ipv6-icmpv6-echo/reply'));
    expect(rep.icmp).toMatchObject({ version: 6, type: 129, echo: 'reply', id: req.icmp!.id });
  });

  it('decodes TCP over IPv6', () => {
    const syn = decodeFrame(frame('ipv6-tcp/syn'));
    expect(syn.ip).toMatchObject({ version: 6, protocol: 6 });
    expect(syn.tcp).toMatchObject({ destinationPort: 7, flags: { syn: true, ack: false } });
    const rst = decodeFrame(frame('ipv6-tcp/rst'));
    expect(rst.tcp).toMatchObject({ sourcePort: 7, flags: { rst: true, ack: true } });
  });

  it('skips a Hop-by-Hop Options header to reach the MLD report behind it', () => {
    const d = decodeFrame(frame('ipv6-mld-hop-by-hop/report'));
    expect(d.ip).toMatchObject({ version: 6, destination: 'ff02::16', extensionHeaders: [0], protocol: 58, headerLength: 48 });
    expect(d.icmp).toMatchObject({ version: 6, type: 143 });
    expect(d.icmp!.echo).toBeUndefined();
  });
});

describe('IPv4 fragments', () => {
  it('decodes ICMP in the first fragment only', () => {
    const first = decodeFrame(frame('ipv4-fragments/first'));
    expect(first.ip).toMatchObject({ moreFragments: true, fragmentOffset: 0, totalLength: 1500 });
    expect(first.icmp?.echo).toBe('request');
    const second = decodeFrame(frame('ipv4-fragments/second'));
    expect(second.ip).toMatchObject({ moreFragments: false, fragmentOffset: 1480 });
    expect((second.ip as { id: number }).id).toBe((first.ip as { id: number }).id);
    expect(second.icmp).toBeUndefined();
    expect(second.payload.length).toBe(2008 - 1480);
  });
});

/** Offset where the deepest decoded header ends. */
function headersEnd(d: DecodedFrame, data: Buffer): number {
  if (d.vxlan !== undefined && d.vxlan.inner.ethernet !== undefined) return headersEnd(d.vxlan.inner, data);
  return d.payload.byteOffset - data.byteOffset;
}

describe('truncated captures', () => {
  it('decodes a frame cut by the snaplen as far as it goes and says where it stopped', () => {
    const fx = FRAMES.find((f) => f.name === 'vxlan-icmp-truncated/request')!;
    const bytes = frame(fx.name);
    expect(bytes.length).toBe(64);
    expect(fx.length).toBe(148);
    const d = decodeFrame(bytes);
    expect(d.truncated).toBe(true);
    expect(d.truncatedIn).toBe('vxlan');
    expect(d.vxlan?.vni).toBe(42);
    expect(d.vxlan!.inner.ethernet?.etherType).toBe(ETH_P_IP);
    expect(d.vxlan!.inner.ip).toBeUndefined();
    expect(d.vxlan!.inner.truncatedIn).toBe('ip');
  });

  it('never throws on any prefix of any captured frame, and flags every cut header', () => {
    for (const fx of FRAMES) {
      const full = frame(fx.name);
      const end = headersEnd(decodeFrame(full), full);
      for (let n = 0; n < full.length; n++) {
        const cut = full.subarray(0, n);
        const d = decodeFrame(cut);
        if (n < end) expect(d.truncated, `${fx.name} cut at ${n}`).toBe(true);
        if (n < 14) expect(d.truncatedIn).toBe('ethernet');
      }
    }
  });

  it('keeps what fits when the capture ends inside TCP options', () => {
    const full = frame('ipv6-tcp/syn');
    const d = decodeFrame(full.subarray(0, 14 + 40 + 24));
    expect(d.tcp).toMatchObject({ destinationPort: 7, headerLength: 40 });
    expect(d).toMatchObject({ truncated: true, truncatedIn: 'tcp' });
  });
});

describe('malformed headers', () => {
  it('stops at an IPv4 header length below 20 and says why', () => {
    const bytes = Buffer.from(frame('vxlan-icmp-echo/request'));
    bytes[14] = 0x44;
    const d = decodeFrame(bytes);
    expect(d.ethernet).toBeDefined();
    expect(d.ip).toBeUndefined();
    expect(d.malformed).toMatch(/ipv4: header length 16/);
    expect(d.truncated).toBe(false);
  });

  it('stops at a TCP data offset below 5', () => {
    const bytes = Buffer.from(frame('ipv6-tcp/rst'));
    bytes[14 + 40 + 12] = 0x40;
    const d = decodeFrame(bytes);
    expect(d.tcp).toBeUndefined();
    expect(d.malformed).toMatch(/tcp: header length 16/);
  });

  it('accepts a plain Uint8Array', () => {
    const bytes = new Uint8Array(frame('vlan-icmp-echo/request'));
    expect(decodeFrame(bytes).icmp?.id).toBe(0x4242);
  });
});
