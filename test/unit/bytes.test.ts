// The indexed integer reads the decoders use, against Buffer's own read methods.
import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import { s32le, u16be, u16le, u32be, u32le } from '../../lib/codec/bytes.js';

describe('codec/bytes', () => {
  it('read what Buffer reads, at every offset', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 4, maxLength: 24 }), fc.nat(), (bytes, n) => {
        const buf = Buffer.from(bytes);
        const at = n % (buf.length - 3);
        expect(u16le(buf, at)).toBe(buf.readUInt16LE(at));
        expect(u16be(buf, at)).toBe(buf.readUInt16BE(at));
        expect(u32le(buf, at)).toBe(buf.readUInt32LE(at));
        expect(s32le(buf, at)).toBe(buf.readInt32LE(at));
        expect(u32be(buf, at)).toBe(buf.readUInt32BE(at));
      }),
      { numRuns: 2000 },
    );
    const top = Buffer.from([0xff, 0xff, 0xff, 0xff]);
    expect([u32le(top, 0), s32le(top, 0), u32be(top, 0), u16le(top, 0)]).toEqual([0xffffffff, -1, 0xffffffff, 0xffff]);
  });
});
