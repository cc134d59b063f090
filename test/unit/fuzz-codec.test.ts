// Property tests (fast-check): for every attribute codec, encoding then
// decoding gives back what was encoded, and input an encoder refuses is
// refused with a ValidationError naming a field the caller set.
import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import { isIP } from 'node:net';
import { fieldsOf, MessageWriter } from '../../lib/codec/writer.js';
import { AttrTable } from '../../lib/codec/reader.js';
import { ipToBytes, bytesToIp, macToBytes, bytesToMac, ipFamily } from '../../lib/codec/address.js';
import { ValidationError } from '../../lib/protocol/errors.js';
import { writeFields, readFields, type FieldDef, type FieldCodec } from '../../lib/families/link/fields.js';
import { linkKind } from '../../lib/families/link/kinds/index.js';
import { ResolvedLinkRefs } from '../../lib/families/link/refs.js';
import { decodeLink, type Link } from '../../lib/families/link/link.js';
import { LINK_FIXTURES, fixtureBytes } from '../fixtures/link-messages.js';
import { IFLA_MACVLAN_MACADDR_MODE } from '../../lib/uapi/if_link.js';

const RUNS = { numRuns: 2000 };

describe('MessageWriter → AttrTable, every attribute type', () => {
  type Attr =
    | { kind: 'u8' | 'u16' | 'be16' | 'u32' | 's32' | 'be32'; value: number }
    | { kind: 'u64'; value: bigint }
    | { kind: 'flag' }
    | { kind: 'string'; value: string }
    | { kind: 'bytes'; value: Uint8Array }
    | { kind: 'nest'; value: Attr[] };

  const scalar: fc.Arbitrary<Attr> = fc.oneof(
    fc.record({ kind: fc.constant('u8' as const), value: fc.integer({ min: 0, max: 0xff }) }),
    fc.record({ kind: fc.constantFrom('u16' as const, 'be16' as const), value: fc.integer({ min: 0, max: 0xffff }) }),
    fc.record({ kind: fc.constantFrom('u32' as const, 'be32' as const), value: fc.integer({ min: 0, max: 0xffffffff }) }),
    fc.record({ kind: fc.constant('s32' as const), value: fc.integer({ min: -0x80000000, max: 0x7fffffff }) }),
    fc.record({ kind: fc.constant('u64' as const), value: fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }) }),
    fc.constant({ kind: 'flag' as const }),
    // NUL ends a string on the wire: strings that hold one cannot come back whole.
    fc.record({ kind: fc.constant('string' as const), value: fc.string({ unit: 'grapheme', maxLength: 40 }).filter((s) => !s.includes('\0')) }),
    fc.record({ kind: fc.constant('bytes' as const), value: fc.uint8Array({ maxLength: 64 }) }),
  );
  const attrs: fc.Arbitrary<Attr[]> = fc.letrec<{ list: Attr[]; attr: Attr }>((tie) => ({
    attr: fc.oneof({ depthSize: 'small', withCrossShrink: true }, scalar, fc.record({ kind: fc.constant('nest' as const), value: tie('list') })),
    list: fc.array(tie('attr'), { maxLength: 8 }),
  })).list;

  function write(w: MessageWriter, list: Attr[]): void {
    list.forEach((a, type) => {
      switch (a.kind) {
        case 'u8': w.attrU8(type, a.value, `f${type}`); break;
        case 'u16': w.attrU16(type, a.value); break;
        case 'be16': w.attrBe16(type, a.value); break;
        case 'u32': w.attrU32(type, a.value); break;
        case 's32': w.attrS32(type, a.value); break;
        case 'be32': w.attrBe32(type, a.value); break;
        case 'u64': w.attrU64(type, a.value); break;
        case 'flag': w.attrFlag(type); break;
        case 'string': w.attrString(type, a.value); break;
        case 'bytes': w.attrBytes(type, a.value); break;
        case 'nest': {
          const at = w.nest(type);
          write(w, a.value);
          w.endNest(at);
        }
      }
    });
  }

  function check(t: AttrTable, list: Attr[]): void {
    expect(t.types).toEqual(list.map((_, i) => i));
    list.forEach((a, type) => {
      switch (a.kind) {
        case 'u8': expect(t.u8(type)).toBe(a.value); break;
        case 'u16': expect(t.u16(type)).toBe(a.value); break;
        case 'be16': expect(t.be16(type)).toBe(a.value); break;
        case 'u32': expect(t.u32(type)).toBe(a.value); break;
        case 's32': expect(t.s32(type)).toBe(a.value); break;
        case 'be32': expect(t.be32(type)).toBe(a.value); break;
        case 'u64': expect(t.u64(type)).toBe(a.value); break;
        case 'flag': expect(t.flag(type)).toBe(true); break;
        case 'string': expect(t.str(type)).toBe(a.value); break;
        case 'bytes': expect(Buffer.compare(t.bytes(type)!, Buffer.from(a.value))).toBe(0); break;
        case 'nest': check(t.nested(type)!, a.value);
      }
    });
  }

  it('reads back every value, nested to any depth, with lengths and padding right', () => {
    fc.assert(
      fc.property(attrs, (list) => {
        const w = new MessageWriter(16);
        w.begin(0x10, 0).u32(0);
        write(w, list);
        const m = w.end('test');
        const b = w.view();
        expect(b.readUInt32LE(m.start)).toBe(b.length);
        expect(b.length % 4).toBe(0);
        check(new AttrTable(b, 20, b.length), list);
      }),
      RUNS,
    );
  });

  it('records the caller field of each attribute at its offset (for extack)', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 0xff }), { minLength: 1, maxLength: 20 }), (values) => {
        const w = new MessageWriter(8);
        w.begin(0x10, 0);
        values.forEach((v, i) => w.attrU8(i, v, `field${i}`));
        const m = w.end('test');
        fieldsOf(m).forEach((f, i) => {
          expect(f.field).toBe(`field${i}`);
          expect(w.view().readUInt16LE(m.start + f.offset + 2)).toBe(i);
        });
      }),
      RUNS,
    );
  });
});

describe('addresses', () => {
  it('IPv4: bytes → text → bytes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 4, maxLength: 4 }), (bytes) => {
        const text = bytesToIp(bytes);
        expect(isIP(text)).toBe(4);
        expect([...ipToBytes(text, 'ip')]).toEqual([...bytes]);
      }),
      RUNS,
    );
  });

  it('IPv6: bytes → text (RFC 5952, as inet_ntop) → bytes, and text → bytes → canonical text', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 16, maxLength: 16 }), (bytes) => {
        const text = bytesToIp(bytes);
        expect(isIP(text)).toBe(6);
        expect([...ipToBytes(text, 'ip')]).toEqual([...bytes]);
        // Node's own parser agrees on the bytes.
        expect(new URL(`http://[${text}]/`).hostname).toBe(`[${bytesToIp(ipToBytes(new URL(`http://[${text}]/`).hostname.slice(1, -1), 'ip'))}]`);
      }),
      RUNS,
    );
    fc.assert(
      fc.property(fc.ipV6(), (text) => {
        const bytes = ipToBytes(text, 'ip');
        expect(bytes.length).toBe(16);
        expect([...ipToBytes(bytesToIp(bytes), 'ip')]).toEqual([...bytes]);
      }),
      RUNS,
    );
  });

  it('anything that is not an address is a ValidationError naming the field', () => {
    fc.assert(
      fc.property(fc.oneof(fc.string(), fc.integer(), fc.constant(null), fc.constant(undefined), fc.object()), (junk) => {
        if (typeof junk === 'string' && isIP(junk) !== 0) return;
        expect(() => ipToBytes(junk as string, 'x.addr')).toThrow(ValidationError);
        try {
          ipFamily(junk as string, 'x.addr');
        } catch (err) {
          expect((err as ValidationError).field).toBe('x.addr');
        }
      }),
      RUNS,
    );
  });

  it('MACs: bytes → text → bytes; junk is a ValidationError', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 6, maxLength: 6 }), (bytes) => {
        expect([...macToBytes(bytesToMac(bytes), 'mac')]).toEqual([...bytes]);
      }),
      RUNS,
    );
    fc.assert(
      fc.property(fc.string(), (s) => {
        if (/^[0-9a-f]{2}(:[0-9a-f]{2}){5}$/i.test(s)) return;
        expect(() => macToBytes(s, 'mac')).toThrow(ValidationError);
      }),
      RUNS,
    );
  });
});

describe('table-driven link fields (fields.ts)', () => {
  const CODECS: FieldCodec[] = ['bool', 'flag', 'u8', 'u16', 'u32', 's32', 'be16', 'u64'];
  const RANGE: Record<string, [number, number]> = {
    u8: [0, 0xff], u16: [0, 0xffff], be16: [0, 0xffff], u32: [0, 0xffffffff], s32: [-0x80000000, 0x7fffffff], u64: [0, Number.MAX_SAFE_INTEGER],
  };
  const table = fc.uniqueArray(fc.record({ type: fc.integer({ min: 1, max: 60 }), codec: fc.constantFrom(...CODECS) }), {
    selector: (d) => d.type, minLength: 1, maxLength: 12,
  });

  it('writeFields → readFields is the identity on every accepted value; the rest is refused with the field', () => {
    fc.assert(
      fc.property(table, fc.array(fc.oneof(fc.boolean(), fc.integer({ min: -0x7fffffff, max: 0x7fffffff }), fc.integer({ min: 0, max: 0xffffffff }), fc.double(), fc.string()), { minLength: 12, maxLength: 12 }), (defs, raw) => {
        const fields: FieldDef[] = defs.map((d, i) => ({ key: `k${i}`, type: d.type, codec: d.codec }));
        const values: Record<string, unknown> = {};
        fields.forEach((d, i) => {
          values[d.key] = raw[i];
        });
        // Drop what the table refuses, checking each refusal names its field.
        for (;;) {
          const w = new MessageWriter(64);
          w.begin(0x10, 0);
          try {
            writeFields(w, fields, values, 'x.');
          } catch (err) {
            expect(err).toBeInstanceOf(ValidationError);
            const key = (err as ValidationError).field.slice(2);
            expect(Object.keys(values)).toContain(key);
            delete values[key];
            continue;
          }
          w.end('test');
          const out: Record<string, unknown> = {};
          readFields(new AttrTable(w.view(), 16, w.view().length), fields, out);
          for (const d of fields) {
            const v = values[d.key];
            if (v === undefined) expect(out[d.key]).toBeUndefined();
            else if (d.codec === 'flag' && v === false) expect(out[d.key]).toBeUndefined(); // false is "not sent"
            else {
              // -0 is accepted as 0 and comes back as 0.
              expect(out[d.key] === v).toBe(true);
              if (d.codec !== 'bool' && d.codec !== 'flag') {
                const [lo, hi] = RANGE[d.codec]!;
                expect(v as number).toBeGreaterThanOrEqual(lo);
                expect(v as number).toBeLessThanOrEqual(hi);
              }
            }
          }
          return;
        }
      }),
      RUNS,
    );
  });
});

// Each kind's encode → decode, driven by the fields its decoder reports for a
// real link (test/fixtures/link-messages.ts): every key the kernel reports is
// set to random values; what encode accepts must decode to itself.
describe('link kinds: encode → decode', () => {
  const refs = new ResolvedLinkRefs(new Map([['up0', 11]]));
  const decoded = (f: { hex: string }): Link => {
    const b = fixtureBytes(f as never);
    return decodeLink({ type: 0, flags: 0, seq: 0, pid: 0, buf: b, offset: 16, end: b.length });
  };
  const cases: Array<{ kind: string; infos: Record<string, unknown>[]; base: Record<string, unknown>; prefix: string; requestOnly?: number[] }> = [
    { kind: 'vxlan', infos: [decoded(LINK_FIXTURES.vxlanV4).info, decoded(LINK_FIXTURES.vxlanV6).info] as never, base: { id: 7 }, prefix: 'vxlan.' },
    { kind: 'bridge', infos: [decoded(LINK_FIXTURES.bridge).info] as never, base: {}, prefix: 'bridge.' },
    { kind: 'macvlan', infos: [decoded(LINK_FIXTURES.macvlanSource).info, decoded(LINK_FIXTURES.macvlanBridge).info] as never, base: { link: 'up0' }, prefix: 'macvlan.', requestOnly: [IFLA_MACVLAN_MACADDR_MODE] },
    { kind: 'vlan', infos: [decoded(LINK_FIXTURES.vlan).info] as never, base: { link: 'up0', id: 5 }, prefix: 'vlan.' },
    { kind: 'bridge:port', infos: [decoded(LINK_FIXTURES.bridgePort).slaveInfo] as never, base: {}, prefix: 'bridgePort.' },
  ];

  const valueFor = (observed: unknown): fc.Arbitrary<unknown> => {
    if (typeof observed === 'boolean') return fc.boolean();
    if (typeof observed === 'number') {
      return fc.oneof(fc.constant(observed), fc.integer({ min: 0, max: 0xff }), fc.integer({ min: 0, max: 0xffff }), fc.integer({ min: 0, max: 0xffffffff }), fc.integer({ min: -3, max: -1 }), fc.double());
    }
    if (typeof observed === 'string') return fc.oneof(fc.constant(observed), fc.string({ maxLength: 8 }));
    if (Buffer.isBuffer(observed)) return fc.oneof(fc.constant(observed), fc.uint8Array({ maxLength: 10 }).map((u) => Buffer.from(u)));
    return fc.constant(observed);
  };

  /** Wire-level synonyms: a value the kernel cannot tell from another. */
  const same = (kind: string, key: string, sent: unknown, read: unknown): boolean => {
    if (kind === 'vxlan' && key === 'tos' && sent === 1) return read === 'inherit';
    if (Buffer.isBuffer(read) && (sent instanceof Uint8Array)) return Buffer.from(sent).equals(read);
    if (typeof sent === 'number') return read === sent; // -0 reads back as 0
    return JSON.stringify(read) === JSON.stringify(sent);
  };

  for (const c of cases) {
    it(`${c.kind}: what encode accepts decodes to itself; refusals are ValidationErrors naming a field that was set`, () => {
      const k = linkKind(c.kind)!;
      const keys = new Map<string, unknown>();
      for (const info of c.infos) for (const [key, v] of Object.entries(info)) if (key !== 'unknown' && !keys.has(key)) keys.set(key, v);
      const encode = (o: Record<string, unknown>): Buffer => {
        const w = new MessageWriter(256);
        w.begin(0x10, 0);
        k.encode!(w, o as never, refs, 'create');
        w.end('test');
        return Buffer.from(w.view());
      };
      const baseBytes = encode(c.base);
      // The keys encode writes something for (the decoder also reports read-only state).
      const writes = (key: string, v: unknown): boolean => {
        try {
          return !encode({ ...c.base, [key]: v }).equals(baseBytes);
        } catch {
          return false;
        }
      };
      const settable = [...keys].filter(([key, v]) => !(key in c.base) && (writes(key, v) || (typeof v === 'boolean' && writes(key, !v))));
      expect(settable.length).toBeGreaterThan(0);
      const arb = fc.record(Object.fromEntries(settable.map(([key, v]) => [key, valueFor(v)])), { requiredKeys: [] });
      fc.assert(
        fc.property(arb, (random) => {
          const options: Record<string, unknown> = { ...random, ...c.base };
          let bytes: Buffer | undefined;
          for (let tries = 0; tries < 80 && bytes === undefined; tries++) {
            try {
              bytes = encode(options);
            } catch (err) {
              expect(err).toBeInstanceOf(ValidationError);
              const field = (err as ValidationError).field.startsWith(c.prefix) ? (err as ValidationError).field.slice(c.prefix.length) : (err as ValidationError).field;
              const key = Object.keys(options).find((x) => field === x || field.startsWith(`${x}.`));
              expect(key, `${(err as Error).message} names no field that was set`).toBeDefined();
              delete options[key!];
            }
          }
          expect(bytes).toBeDefined();
          const info = k.decode(new AttrTable(bytes!, 16, bytes!.length)) as Record<string, unknown>;
          expect((info.unknown as Array<{ type: number }> | undefined)?.filter((u) => !c.requestOnly?.includes(u.type)) ?? []).toEqual([]);
          for (const [key, sent] of Object.entries(options)) {
            if (key in c.base && !(key in info)) continue;
            if (!(key in info)) {
              // Not on the wire: read-only, or a flag set to false; either way encode wrote nothing for it.
              expect(encode({ ...c.base, [key]: sent }).equals(baseBytes), `${c.kind}.${key}=${String(sent)} was sent but did not come back`).toBe(true);
              continue;
            }
            expect(same(c.kind, key, sent, info[key]), `${c.kind}.${key}: sent ${JSON.stringify(sent)}, read ${JSON.stringify(info[key])}`).toBe(true);
          }
        }),
        { numRuns: 500 },
      );
    });
  }
});
