// The table of requests awaiting answers (lib/protocol/pending-table.ts):
// a ring by sequence number, with a Map for the rare request whose slot is taken.
import { describe, it, expect } from 'vitest';
import { PendingTable } from '../../lib/protocol/pending-table.js';

const req = (seq: number): { seq: number } => ({ seq });

describe('PendingTable', () => {
  it('finds, deletes and counts requests, in the ring and past it', () => {
    const t = new PendingTable<{ seq: number }>(8);
    const a = req(5);
    const b = req(13); // same slot as 5: goes to the overflow map
    const c = req(6);
    t.add(a);
    t.add(b);
    t.add(c);
    expect(t.size).toBe(3);
    expect(t.get(5)).toBe(a);
    expect(t.get(13)).toBe(b);
    expect(t.get(21)).toBeUndefined(); // same slot, never added
    expect(t.delete(5)).toBe(true);
    expect(t.get(13)).toBe(b); // still found once its slot is free
    expect(t.delete(5)).toBe(false);
    expect(t.all().map((p) => p.seq).sort((x, y) => x - y)).toEqual([6, 13]);
    expect(t.delete(13)).toBe(true);
    expect(t.delete(6)).toBe(true);
    expect(t.size).toBe(0);
    expect(t.all()).toEqual([]);
  });

  it('keeps every request of a long run with a few stragglers, as a connection does', () => {
    const t = new PendingTable<{ seq: number }>(16);
    const stuck = [req(1), req(2)]; // e.g. a dump, and a request waiting out its timeout
    for (const p of stuck) t.add(p);
    let next = 3;
    for (let round = 0; round < 100; round++) {
      const batch = Array.from({ length: 10 }, () => req(next++));
      for (const p of batch) t.add(p);
      for (const p of batch) expect(t.get(p.seq)).toBe(p);
      for (const p of batch) expect(t.delete(p.seq)).toBe(true);
    }
    expect(t.size).toBe(2);
    expect(t.get(1)).toBe(stuck[0]);
    expect(t.get(2)).toBe(stuck[1]);
  });

  it('wants a power of two', () => {
    expect(() => new PendingTable(100)).toThrow(RangeError);
  });
});
