// A batch of plain fdb ops is kept as columns and each message laid out field
// by field (FdbColumns.write), not through FdbRequest and the MessageWriter's
// attribute methods. The bytes must be the ones FdbRequest writes for the
// same op: those are what an error's field offsets are read against.
import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import { MessageWriter } from '../../lib/codec/writer.js';
import { FdbColumns, FdbChunk } from '../../lib/families/fdb-columns.js';
import { fdbRequest, type FdbAction, type FdbSpec } from '../../lib/families/fdb.js';
import { ValidationError } from '../../lib/protocol/errors.js';

const ACTIONS: FdbAction[] = ['add', 'append', 'replace', 'delete'];
const IFINDEX: Record<string, number> = { vx0: 7, br0: 0x7fffffff, 5: 5 };
const ifindex = (dev: string | number): number => IFINDEX[String(dev)]!;

const mac = fc.array(fc.integer({ min: 0, max: 255 }), { minLength: 6, maxLength: 6 }).map((b) => b.map((x) => x.toString(16).padStart(2, '0')).join(':'));
const ipv4 = fc.ipV4();
const plainSpec: fc.Arbitrary<FdbSpec> = fc.record(
  {
    dev: fc.constantFrom<string | number>('vx0', 'br0', 5),
    mac,
    dst: ipv4,
    state: fc.constantFrom('permanent' as const, 'static' as const, 'dynamic' as const),
    self: fc.boolean(),
    master: fc.boolean(),
    sticky: fc.boolean(),
    externLearn: fc.boolean(),
    router: fc.boolean(),
  },
  { requiredKeys: ['dev', 'mac'] },
);

function requestBytes(action: FdbAction, spec: FdbSpec): Buffer {
  const w = new MessageWriter(128);
  fdbRequest(action, spec).write(w, (d) => ifindex(d));
  return Buffer.from(w.view());
}

function columnBytes(ops: Array<{ action: FdbAction; spec: FdbSpec }>): Buffer[] {
  const columns = new FdbColumns(ops.length);
  for (const { action, spec } of ops) expect(columns.add(action, spec)).toBe(true);
  const bySlot = Int32Array.from(columns.devs, (d) => ifindex(d));
  const chunk = new FdbChunk(columns, 4, bySlot, (i) => ops[i]!, (d) => ifindex(d));
  const out: Buffer[] = [];
  for (let from = 0; from < ops.length; from += 4) {
    chunk.fill(from, Math.min(ops.length, from + 4));
    for (let k = 0; k < chunk.count; k++) out.push(Buffer.from(chunk.view().subarray(chunk.startOf(k), chunk.startOf(k) + chunk.lengthOf(k))));
  }
  return out;
}

describe('FdbColumns', () => {
  it('writes the bytes FdbRequest writes, for every action, flag, state, device and address', () => {
    fc.assert(
      fc.property(fc.array(fc.record({ action: fc.constantFrom(...ACTIONS), spec: plainSpec }), { minLength: 1, maxLength: 11 }), (ops) => {
        expect(columnBytes(ops)).toEqual(ops.map(({ action, spec }) => requestBytes(action, spec)));
      }),
      { numRuns: 300 },
    );
  });

  it('names a message in an error as FdbRequest does, with its field offsets', () => {
    const ops = [
      { action: 'add' as const, spec: { dev: 'vx0', mac: '02:00:00:00:00:01', dst: '192.0.2.1' } },
      { action: 'delete' as const, spec: { dev: 'br0', mac: '02:00:00:00:00:02', master: true } },
    ];
    const columns = new FdbColumns(2);
    for (const { action, spec } of ops) columns.add(action, spec);
    const chunk = new FdbChunk(columns, 2, Int32Array.from(columns.devs, (d) => ifindex(d)), (i) => ops[i]!, (d) => ifindex(d)).fill(0, 2);
    const alone = new MessageWriter(128);
    fdbRequest('delete', ops[1]!.spec).write(alone, (d) => ifindex(d));
    expect(chunk.message(1).what).toBe('delete fdb entry 02:00:00:00:00:02 on br0');
    expect(chunk.message(1).what).toBe(alone.message(0).what);
    expect(chunk.message(0).fields.names.slice(chunk.message(0).fieldFrom, chunk.message(0).fieldTo)).toEqual(['mac', 'dst']);
    // An op changed by the caller after it was checked is named by its place.
    (ops[0]!.spec as { mac: unknown }).mac = 42;
    expect(chunk.message(0).what).toBe('ops[0]');
  });

  it('leaves to FdbRequest what is not plain, and checks the rest as it does', () => {
    const columns = new FdbColumns(8);
    expect(columns.add('add', { dev: 'vx0', mac: '00:00:00:00:00:00', dst: '2001:db8::1' })).toBe(false);
    expect(columns.add('add', { dev: 'vx0', mac: '02:00:00:00:00:01', vni: 5 })).toBe(false);
    expect(columns.add('add', { dev: 'vx0', mac: '02:00:00:00:00:01', vlan: 10 })).toBe(false);
    expect(columns.add('add', { dev: 'vx0', mac: '02:00:00:00:00:01', via: 'eth0' })).toBe(false);
    for (const bad of [{ dev: 'vx0', mac: '02:00:00:00:00' }, { dev: 'vx0', mac: '02:00:00:00:00:01', dst: '192.0.2.256' }, { dev: '', mac: '02:00:00:00:00:01' }]) {
      const fromColumns = (() => { try { columns.add('add', bad); } catch (e) { return e as ValidationError; } })();
      const fromRequest = (() => { try { fdbRequest('add', bad); } catch (e) { return e as ValidationError; } })();
      expect(fromColumns).toBeInstanceOf(ValidationError);
      expect([fromColumns!.field, fromColumns!.message]).toEqual([fromRequest!.field, fromRequest!.message]);
    }
  });
});
