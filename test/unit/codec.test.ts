// The attribute codec and address formatting, without a kernel.
import { describe, it, expect } from 'vitest';
import { isIPv6 } from 'node:net';
import { MessageWriter, fieldsOf } from '../../lib/codec/writer.js';
import { AttrTable } from '../../lib/codec/reader.js';
import { ipToBytes, bytesToIp, macToBytes, bytesToMac, ipFamily } from '../../lib/codec/address.js';
import { forEachMessage } from '../../lib/protocol/message.js';
import { DecodeError, ValidationError, NetlinkError } from '../../lib/protocol/errors.js';

describe('MessageWriter and AttrTable', () => {
  it('round-trip every attribute type, nested, with 4-byte alignment', () => {
    const w = new MessageWriter(8); // tiny start: forces growth
    w.begin(100, 0x5).u32(7);
    w.attrU8(1, 0xab, 'a').attrU16(2, 0xbeef).attrBe16(3, 4789).attrU32(4, 0xdeadbeef).attrS32(5, -5);
    w.attrBe32(6, 0xffffff00).attrU64(7, 2n ** 63n + 5n).attrString(8, 'vxlan42').attrBytes(9, Buffer.from([1, 2, 3]));
    w.attrFlag(10);
    const nest = w.nest(11, 'outer');
    w.attrU32(1, 42, 'outer.id');
    w.endNest(nest);
    const m = w.end('test');
    expect(m.length % 4).toBe(0);
    const bytes = w.view();
    expect(bytes.readUInt32LE(0)).toBe(bytes.length);
    const msgs: Array<{ type: number; offset: number; end: number }> = [];
    forEachMessage(bytes, (msg) => msgs.push(msg));
    expect(msgs).toHaveLength(1);
    expect(msgs[0]!.type).toBe(100);
    const t = new AttrTable(bytes, msgs[0]!.offset + 4, msgs[0]!.end);
    expect(t.u8(1)).toBe(0xab);
    expect(t.u16(2)).toBe(0xbeef);
    expect(t.be16(3)).toBe(4789);
    expect(t.u32(4)).toBe(0xdeadbeef);
    expect(t.s32(5)).toBe(-5);
    expect(t.be32(6)).toBe(0xffffff00);
    expect(t.u64(7)).toBe(2n ** 63n + 5n);
    expect(t.str(8)).toBe('vxlan42');
    expect([...t.bytes(9)!]).toEqual([1, 2, 3]);
    expect(t.flag(10)).toBe(true);
    expect(t.flag(12)).toBe(false);
    expect(t.nested(11)!.u32(1)).toBe(42);
    expect(m.fields.names.slice(m.fieldFrom, m.fieldTo)).toEqual(['a', 'outer', 'outer.id']);
    expect(t.unknown(new Set([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]))!.map((a) => a.type)).toEqual([11]);
    expect(t.unknown(new Set([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]))).toBeUndefined();
  });

  it('finds unknown attributes of any type, low or high, repeats included', () => {
    const w = new MessageWriter();
    w.begin(100, 0);
    w.attrU32(3, 1, 'a');
    w.attrU32(31, 2, 'b');
    w.attrU32(40, 3, 'c');
    w.attrU32(3, 4, 'a again');
    w.end('m');
    const bytes = w.view();
    const t = new AttrTable(bytes, 16, bytes.length);
    expect(t.unknown(new Set([3, 31, 40]))).toBeUndefined();
    expect(t.unknown(new Set([3, 31]))!.map((a) => a.type)).toEqual([40]);
    expect(t.unknown(new Set([3, 40]))!.map((a) => a.type)).toEqual([31]);
    expect(t.unknown(new Set([31, 40]))!.map((a) => [a.type, a.data.readUInt32LE(0)])).toEqual([[3, 1], [3, 4]]);
    expect(t.unknown(new Set())).toHaveLength(4);
  });

  it('writes several messages back to back for one sendmsg', () => {
    const w = new MessageWriter();
    for (let i = 0; i < 3; i++) {
      w.begin(16, 1);
      w.attrU32(1, i);
      w.end(`m${i}`);
    }
    const seen: number[] = [];
    forEachMessage(w.view(), (msg) => seen.push(new AttrTable(msg.buf, msg.offset, msg.end).u32(1)!));
    expect(seen).toEqual([0, 1, 2]);
  });

  it('as a MessageSource: messages by position; without field names or records, the same bytes', () => {
    const named = new MessageWriter();
    const bare = new MessageWriter(64, { fieldNames: false });
    for (const w of [named, bare]) {
      for (let i = 0; i < 3; i++) {
        w.begin(16, 1).attrU32(1, i, 'id').attrIp(2, `192.0.2.${i}`, 'dst');
        if (w === named) w.end(`m${i}`);
        else w.endUnrecorded();
      }
    }
    expect(bare.view()).toEqual(named.view());
    expect(named.count).toBe(3);
    expect(bare.count).toBe(0); // unrecorded: read by offset (EncodedOps keeps them)
    expect([named.startOf(1), named.lengthOf(1)]).toEqual([named.lengthOf(0), named.lengthOf(1)]);
    expect(named.message(2).what).toBe('m2');
    expect(fieldsOf(named.message(0))).toEqual([{ offset: 16, field: 'id' }, { offset: 24, field: 'dst' }]);
    bare.begin(16, 1).attrU32(1, 9, 'id');
    expect(fieldsOf(bare.end('named late'))).toEqual([]);
  });

  it('rejects attributes that overrun their container with a DecodeError', () => {
    const buf = Buffer.from([8, 0, 1, 0, 0, 0, 0, 0, 0xff, 0, 2, 0]);
    expect(() => new AttrTable(buf, 0, buf.length)).toThrow(DecodeError);
    expect(() => forEachMessage(Buffer.from([40, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]), () => {})).toThrow(DecodeError);
  });

  it('reads a too-short attribute as a DecodeError, not garbage', () => {
    const w = new MessageWriter();
    w.begin(1, 0).attrU16(1, 5).end('x');
    const b = w.view();
    const t = new AttrTable(b, 16, b.length);
    expect(() => t.u32(1)).toThrow(DecodeError);
  });
});

describe('addresses', () => {
  const v6 = ['::', '::1', '2001:db8::1', '2001:db8:0:1:0:0:0:1', 'fe80::1:2:3:4', '2001:db8:1:2:3:4:5:6', '::ffff:192.0.2.1', '1::'];
  it.each(v6)('IPv6 %s formats as inet_ntop does', (ip) => {
    const bytes = ipToBytes(ip, 'ip');
    expect(bytes).toHaveLength(16);
    const text = bytesToIp(bytes);
    expect(isIPv6(text)).toBe(true);
    expect(ipToBytes(text, 'ip')).toEqual(bytes);
  });
  it('compresses the longest zero run (RFC 5952)', () => {
    expect(bytesToIp(ipToBytes('2001:db8:0:1:0:0:0:1', 'ip'))).toBe('2001:db8:0:1::1');
    expect(bytesToIp(ipToBytes('2001:0db8:0000:0000:0001:0000:0000:0001', 'ip'))).toBe('2001:db8::1:0:0:1');
  });
  it('IPv4 round trip', () => {
    expect(bytesToIp(ipToBytes('198.51.100.7', 'ip'))).toBe('198.51.100.7');
    expect(ipFamily('192.0.2.1', 'x')).toBe(4);
  });
  it('bad addresses name the field', () => {
    expect(() => ipToBytes('300.1.1.1', 'service.address')).toThrow(ValidationError);
    try {
      ipToBytes('nope', 'destination.address');
    } catch (e) {
      expect((e as ValidationError).field).toBe('destination.address');
      expect((e as Error).message).toContain('destination.address');
    }
    expect(() => macToBytes('00:11:22:33:44', 'mac')).toThrow(/mac/);
  });
  it('MACs', () => {
    expect(bytesToMac(macToBytes('0A:1b:2c:3d:4e:5f', 'mac'))).toBe('0a:1b:2c:3d:4e:5f');
  });
});

describe('errors', () => {
  it('look like Node SystemErrors', () => {
    const e = new NetlinkError({ errno: 17, operation: 'add service 192.0.2.1:80/tcp', extack: 'Service already exists' });
    expect(e.code).toBe('EEXIST');
    expect(e.errno).toBe(-17);
    expect(e.syscall).toBe('netlink');
    expect(e.message).toBe('add service 192.0.2.1:80/tcp: Service already exists (EEXIST)');
  });
});
