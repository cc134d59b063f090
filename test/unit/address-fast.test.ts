// The char-code parsers behind MessageWriter.attrIp/attrMac (lib/codec/address.ts)
// against the references they replace: node's isIP for IP text, the old
// /^[0-9a-f]{2}(:[0-9a-f]{2}){5}$/i for MACs, and attrBytes(ipToBytes/macToBytes)
// for the bytes and errors. No kernel.
import { describe, it, expect } from 'vitest';
import { isIP } from 'node:net';
import { MessageWriter } from '../../lib/codec/writer.js';
import { parseIpv4, ipv4Bits, ipv4FromBits, isIpv4, parseMac, ipFamily, ipToBytes, macToBytes, bytesToIp, bytesToMac, macAt } from '../../lib/codec/address.js';
import { ValidationError } from '../../lib/protocol/errors.js';
import { fdbRequest } from '../../lib/families/fdb.js';

// Deterministic, so a failure reproduces.
function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}
const random = rng(0x5eed);
const pick = <T>(xs: readonly T[]): T => xs[Math.floor(random() * xs.length)]!;
const int = (n: number): number => Math.floor(random() * n);

const IP_EDGES = [
  '', '.', '...', '0.0.0.0', '255.255.255.255', '1.2.3', '1.2.3.4.5', '1.2.3.04', '01.2.3.4', '00.0.0.0', '0.0.0.00',
  '256.1.1.1', '1.1.1.256', '1.1.1.-1', ' 1.1.1.1', '1.1.1.1 ', '1.1.1.1\n', '1..1.1', '.1.1.1', '1.1.1.', '1.1.1.1.',
  '1e1.1.1.1', '0x1.1.1.1', '1.1.1.1/24', '١.١.١.١', '192.0.2.1%eth0', '999.999.999.999', '1000.1.1.1', '12.34.56.789',
  '::', '::1', '2001:db8::1', '::ffff:192.0.2.1', '::ffff:192.0.2.01', '::ffff:1.2.3', '64:ff9b::198.51.100.7',
  'fe80::1%eth0', '2001:db8:0:0:0:0:2:1', '2001:db8::1::1', '1:2:3:4:5:6:7:8', '1:2:3:4:5:6:7:8:9', ':::', 'gggg::1',
  '1:2:3:4:5:6:1.2.3.4', '0:0:0:0:0:ffff:10.0.0.1',
];

/** Strings near dotted quads: the alphabet of IPs plus a few intruders. */
function randomIpLike(): string {
  const r = random();
  if (r < 0.4) {
    // A quad with random parts, sometimes out of range or with leading zeros.
    const parts = Array.from({ length: pick([4, 4, 4, 4, 3, 5]) }, () =>
      random() < 0.9 ? String(int(256)) : pick([String(256 + int(800)), `0${int(10)}`, '', '00', '-1', '1a']),
    );
    return parts.join(random() < 0.95 ? '.' : ':');
  }
  if (r < 0.7) {
    const alphabet = '0123456789.....:abcdefABCDEF% x-/';
    return Array.from({ length: int(18) }, () => alphabet[int(alphabet.length)]).join('');
  }
  // An IPv6 text, with an IPv4 tail now and then.
  const groups = Array.from({ length: 1 + int(8) }, () => int(0x10000).toString(16));
  let text = groups.join(':');
  if (random() < 0.3) text = `::${text}`;
  if (random() < 0.3) text = `${groups.slice(0, int(6)).join(':')}::ffff:${int(300)}.${int(256)}.${int(256)}.${pick(['0', '1', '07', '255'])}`;
  return text;
}

const MAC_RE = /^[0-9a-f]{2}(:[0-9a-f]{2}){5}$/i;
const MAC_EDGES = [
  '', '00:00:00:00:00:00', 'ff:ff:ff:ff:ff:ff', 'FF:FF:FF:FF:FF:FF', '0A:1b:2c:3d:4e:5f', '00:11:22:33:44', '00:11:22:33:44:55:66',
  '00-11-22-33-44-55', '0:11:22:33:44:55', '000:11:22:33:44:5', '00:11:22:33:44:5g', '00:11:22:33:44:55 ', ' 00:11:22:33:44:55',
  '00:11:22:33:44:55\n', '001122334455', '00:11:22:33:44::5', 'gg:11:22:33:44:55', '0@:11:22:33:44:55', '0`:11:22:33:44:55',
  '0G:11:22:33:44:55', '0[:11:22:33:44:55', '0/:11:22:33:44:55',
];

function randomMacLike(): string {
  if (random() < 0.5) {
    // Six hex pairs with one change.
    const chars = Array.from({ length: 6 }, () => int(256).toString(16).padStart(2, '0')).join(':').split('');
    const at = int(chars.length + 1);
    const alphabet = '0123456789abcdefABCDEFgG:-@`[/ ';
    const change = int(3);
    if (change === 0) chars[Math.min(at, chars.length - 1)] = alphabet[int(alphabet.length)]!;
    else if (change === 1) chars.splice(at, 1);
    else chars.splice(at, 0, alphabet[int(alphabet.length)]!);
    return chars.join('');
  }
  return Array.from({ length: 6 }, () => int(256).toString(16).padStart(2, '0')).join(':');
}

function written(fn: (w: MessageWriter) => void): Buffer {
  const w = new MessageWriter(64);
  w.begin(1, 0);
  fn(w);
  w.end('test');
  return Buffer.from(w.view());
}

/** The error a call throws, as [field, message], or undefined. */
function errorOf(fn: () => unknown): [string, string] | undefined {
  try {
    fn();
    return undefined;
  } catch (err) {
    expect(err).toBeInstanceOf(ValidationError);
    return [(err as ValidationError).field, (err as Error).message];
  }
}

describe('parseIpv4 / ipFamily against node:net isIP', () => {
  const cases = [...IP_EDGES, ...Array.from({ length: 20000 }, randomIpLike)];

  it('accepts exactly the strings isIP calls IPv4, with the right value', () => {
    for (const text of cases) {
      const v = parseIpv4(text);
      expect({ text, v4: v >= 0 }).toEqual({ text, v4: isIP(text) === 4 });
      if (v >= 0) expect(v).toBe(text.split('.').reduce((acc, part) => acc * 256 + Number(part), 0));
      // The same answer as signed bits (NaN for not a quad), and as a boolean.
      const bits = ipv4Bits(text);
      expect({ text, bits: v >= 0 ? bits : Number.isNaN(bits) }).toEqual({ text, bits: v >= 0 ? v | 0 : true });
      expect(isIpv4(text)).toBe(v >= 0);
      if (v >= 0) expect(ipv4FromBits(bits)).toBe(text);
    }
    expect(ipv4Bits('255.255.255.255')).toBe(-1);
    expect(ipv4Bits('198.18.0.1')).toBe((198 << 24) | (18 << 16) | 1);
  });

  it('ipFamily agrees with isIP on every string, and names the field when it throws', () => {
    for (const text of cases) {
      const family = isIP(text);
      if (family === 0) expect(errorOf(() => ipFamily(text, 'dst'))).toEqual(['dst', `dst: not an IP address: ${JSON.stringify(text)}`]);
      else expect({ text, family: ipFamily(text, 'dst') }).toEqual({ text, family });
    }
    for (const bad of [undefined, null, 7, {}, ['1.2.3.4']]) {
      expect(errorOf(() => ipFamily(bad as unknown as string, 'gateway'))?.[0]).toBe('gateway');
    }
  });

  it('ipToBytes: IPv4 as the four numbers, IPv6 round-trips through bytesToIp', () => {
    for (const text of cases) {
      const family = isIP(text);
      if (family === 0) {
        expect(() => ipToBytes(text, 'ip')).toThrow(ValidationError);
      } else if (family === 4) {
        expect([...ipToBytes(text, 'ip')]).toEqual(text.split('.').map(Number));
      } else {
        const bytes = ipToBytes(text, 'ip');
        expect(bytes).toHaveLength(16);
        expect([...ipToBytes(bytesToIp(bytes), 'ip')]).toEqual([...bytes]);
      }
    }
    // An embedded IPv4 tail lands in the last four bytes.
    expect([...ipToBytes('::ffff:192.0.2.1', 'ip')]).toEqual([0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 192, 0, 2, 1]);
    expect([...ipToBytes('64:ff9b::198.51.100.7', 'ip').subarray(12)]).toEqual([198, 51, 100, 7]);
  });
});

describe('parseMac against the former regex', () => {
  const cases = [...MAC_EDGES, ...Array.from({ length: 20000 }, randomMacLike)];

  it('accepts exactly what /^[0-9a-f]{2}(:[0-9a-f]{2}){5}$/i accepts, with the right value', () => {
    for (const text of cases) {
      const v = parseMac(text);
      expect({ text, ok: v >= 0 }).toEqual({ text, ok: MAC_RE.test(text) });
      if (v >= 0) expect(v).toBe(parseInt(text.replace(/:/g, ''), 16));
    }
  });

  it('macToBytes keeps its bytes and its error', () => {
    expect([...macToBytes('0A:1b:2c:3d:4e:5f', 'mac')]).toEqual([0x0a, 0x1b, 0x2c, 0x3d, 0x4e, 0x5f]);
    expect([...macToBytes('ff:ff:ff:ff:ff:ff', 'mac')]).toEqual([255, 255, 255, 255, 255, 255]);
    expect(errorOf(() => macToBytes('00:11:22:33:44', 'lladdr'))).toEqual([
      'lladdr',
      'lladdr: not a MAC address (xx:xx:xx:xx:xx:xx): "00:11:22:33:44"',
    ]);
    expect(errorOf(() => macToBytes(42 as unknown as string, 'mac'))?.[0]).toBe('mac');
  });
});

describe('bytesToMac / macAt against the former byte-by-byte text', () => {
  const reference = (bytes: Uint8Array): string => Array.from(bytes, (b) => (b < 16 ? '0' : '') + b.toString(16)).join(':');
  it('every length from 0 to 20 (6 takes its own path), read in place at any offset', () => {
    for (let n = 0; n <= 20; n++) {
      for (let k = 0; k < 200; k++) {
        const buf = Uint8Array.from({ length: n + 7 }, () => Math.floor(random() * 256));
        const at = Math.floor(random() * 7);
        const bytes = buf.subarray(at, at + n);
        expect(macAt(buf, at, n)).toBe(reference(bytes));
        expect(bytesToMac(bytes)).toBe(reference(bytes));
      }
    }
    expect(bytesToMac(Uint8Array.of(0, 0x0f, 0x10, 0xa0, 0xff, 0x5e))).toBe('00:0f:10:a0:ff:5e');
  });
});

describe('bytesToIp (IPv4) against the former joined text', () => {
  it('every value of each byte, at any offset, is the same text and one flat string', () => {
    const buf = Buffer.alloc(9);
    for (let v = 0; v < 256; v++) {
      for (const at of [0, 5]) {
        buf.fill(0);
        buf[at] = v;
        buf[at + 1] = 255 - v;
        buf[at + 2] = (v * 7) & 0xff;
        buf[at + 3] = v >> 1;
        expect(bytesToIp(buf, at, 4)).toBe(`${buf[at]}.${buf[at + 1]}.${buf[at + 2]}.${buf[at + 3]}`);
      }
    }
    // The scratch it is written into is reused: earlier results stay as they were.
    const a = bytesToIp(Buffer.from([198, 18, 100, 200]));
    const b = bytesToIp(Buffer.from([1, 2, 3, 4]));
    expect([a, b]).toEqual(['198.18.100.200', '1.2.3.4']);
  });
});

describe('MessageWriter.attrIp / attrMac', () => {
  it('write the same bytes as attrBytes(ipToBytes(...)) and attrBytes(macToBytes(...))', () => {
    const ips = [...IP_EDGES, ...Array.from({ length: 3000 }, randomIpLike)].filter((t) => isIP(t) !== 0);
    for (const ip of ips) {
      expect(written((w) => w.attrU8(9, 1).attrIp(1, ip, 'dst').attrU16(2, 7))).toEqual(
        written((w) => w.attrU8(9, 1).attrBytes(1, ipToBytes(ip, 'dst'), 'dst').attrU16(2, 7)),
      );
    }
    const macs = [...MAC_EDGES, ...Array.from({ length: 3000 }, randomMacLike)].filter((t) => MAC_RE.test(t));
    for (const mac of macs) {
      expect(written((w) => w.attrMac(2, mac, 'mac').attrU32(3, 5))).toEqual(written((w) => w.attrBytes(2, macToBytes(mac, 'mac'), 'mac').attrU32(3, 5)));
    }
  });

  it('record the field for extack mapping, like attrBytes', () => {
    const w = new MessageWriter(64);
    w.begin(1, 0).u32(0);
    w.attrMac(2, '02:00:00:00:00:01', 'mac').attrIp(1, '2001:db8::1', 'dst').attrIp(3, '192.0.2.1', 'gateway');
    const m = w.end('test');
    expect(m.fields.names.slice(m.fieldFrom, m.fieldTo)).toEqual(['mac', 'dst', 'gateway']);
    expect(m.fields.offsets.slice(m.fieldFrom, m.fieldTo)).toEqual([20, 32, 52]);
  });

  it('throw the same ValidationError before writing anything', () => {
    for (const bad of ['1.2.3.04', '1.2.3', 'nope', '2001:db8::1::1', '']) {
      const w = new MessageWriter(64);
      w.begin(1, 0);
      const before = w.length;
      expect(errorOf(() => w.attrIp(1, bad, 'nexthops[1].gateway'))).toEqual(errorOf(() => ipToBytes(bad, 'nexthops[1].gateway')));
      expect(w.length).toBe(before);
    }
    for (const bad of ['00:11:22:33:44', '00-11-22-33-44-55', '', 'zz:11:22:33:44:55']) {
      const w = new MessageWriter(64);
      w.begin(1, 0);
      const before = w.length;
      expect(errorOf(() => w.attrMac(2, bad, 'mac'))).toEqual(errorOf(() => macToBytes(bad, 'mac')));
      expect(w.length).toBe(before);
    }
  });
});

describe('MessageWriter.endLabelled', () => {
  it('ends the message like end(), reading its text and field prefix from the label only when asked', () => {
    let reads = 0;
    const label = {
      get what(): string {
        reads++;
        return 'add fdb entry 02:00:00:00:00:01 on vx0';
      },
      get fieldPrefix(): string {
        reads++;
        return 'ops[3].';
      },
    };
    const plain = new MessageWriter(64);
    plain.begin(28, 5).u32(1).attrIp(1, '192.0.2.1', 'dst');
    const p = plain.end('x', 'ops[3].');
    const w = new MessageWriter(64);
    w.begin(28, 5).u32(1).attrIp(1, '192.0.2.1', 'dst');
    w.endLabelled(label);
    expect(reads).toBe(0);
    expect(w.count).toBe(1);
    // The record is made when asked for, and reads nothing from the label until its text is read.
    const m = w.message(0);
    expect(reads).toBe(0);
    expect(() => w.message(1)).toThrow(RangeError);
    expect([m.start, m.length, m.fieldFrom, m.fieldTo, m.fieldPrefix]).toEqual([p.start, p.length, p.fieldFrom, p.fieldTo, p.fieldPrefix]);
    expect(Buffer.from(w.view())).toEqual(Buffer.from(plain.view()));
    expect(reads).toBe(1);
    expect(m.what).toBe('add fdb entry 02:00:00:00:00:01 on vx0');
    expect(reads).toBe(2);
  });
});

describe('fdb requests', () => {
  it('encode mac and dst as before, and say what they do only when asked', () => {
    const ifindex = (): number => 7;
    const w = new MessageWriter(64);
    const describe = fdbRequest('append', { dev: 'vx0', mac: '02:00:00:0A:0b:0c', dst: '198.51.100.7', vlan: 10 }).write(w, ifindex);
    const m = w.messages[0]!;
    expect(m.what).toBe('append fdb entry 02:00:00:0A:0b:0c dst 198.51.100.7 vlan 10 on vx0');
    expect(describe(-17, m.what, 0)).toBe('fdb entry 02:00:00:0A:0b:0c dst 198.51.100.7 vlan 10 on vx0 already exists');
    expect(describe(-95, m.what, 0)).toBe('fdb entry 02:00:00:0A:0b:0c dst 198.51.100.7 vlan 10 on vx0: the device has no such forwarding database');
    expect(describe(-1, m.what, 0)).toBeUndefined();
    // ndmsg (12 bytes) then NDA_LLADDR (6 bytes, padded) then NDA_DST (4 bytes).
    const view = w.view();
    expect([...view.subarray(28 + 4, 28 + 10)]).toEqual([2, 0, 0, 0x0a, 0x0b, 0x0c]);
    expect([...view.subarray(40 + 4, 40 + 8)]).toEqual([198, 51, 100, 7]);
  });

  it('reject a bad mac or dst before anything is written, with the same errors', () => {
    expect(errorOf(() => fdbRequest('add', { dev: 'vx0', mac: '02:00:00:00:00' }))).toEqual(errorOf(() => macToBytes('02:00:00:00:00', 'mac')));
    expect(errorOf(() => fdbRequest('add', { dev: 'vx0', mac: '02:00:00:00:00:01', dst: '198.51.100.07' }))).toEqual([
      'dst',
      'dst: not an IP address: "198.51.100.07"',
    ]);
  });
});
