// decodeNeighbour on real kernel bytes (test/fixtures/neigh-kernel.ts says how each was made).
import { describe, it, expect } from 'vitest';
import { forEachMessage, type Message } from '../../lib/protocol/message.js';
import { decodeNeighbour, type Neighbour } from '../../lib/families/neigh.js';
import { decodeFdb } from '../../lib/families/fdb.js';
import { NEIGHBOUR_FIXTURES, LINK_INDEX } from '../fixtures/neigh-kernel.js';

function message(i: number): Message {
  const out: Message[] = [];
  forEachMessage(Buffer.from(NEIGHBOUR_FIXTURES[i]!.hex, 'hex'), (m) => out.push(m));
  expect(out).toHaveLength(1);
  return out[0]!;
}
const decode = (i: number): Neighbour => decodeNeighbour(message(i))!;

describe('decodeNeighbour (kernel bytes)', () => {
  it('an IPv4 reachable entry', () => {
    const n = decode(0);
    expect(n).toMatchObject({ family: 4, ifindex: LINK_INDEX.va, dst: '192.0.2.5', lladdr: '02:00:00:00:00:05', state: 'reachable', proxy: false, router: false });
    expect(n.cacheInfo).toBeDefined();
    expect(n.probes).toBe(0);
  });

  it('an IPv6 router entry, permanent', () => {
    expect(decode(1)).toMatchObject({ family: 6, dst: '2001:db8::5', lladdr: '02:00:00:00:00:15', state: 'permanent', router: true });
  });

  it('a proxy entry has no link-layer address', () => {
    const n = decode(2);
    expect(n).toMatchObject({ family: 4, dst: '192.0.2.77', proxy: true, ifindex: LINK_INDEX.va });
    expect(n.lladdr).toBeUndefined();
  });

  it('is not the fdb decoder: AF_INET messages are skipped there', () => {
    expect(decodeFdb(message(0))).toBeUndefined();
  });
});
