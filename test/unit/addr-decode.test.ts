// decodeAddress on real kernel bytes (test/fixtures/addr-kernel.ts says how each was made).
import { describe, it, expect } from 'vitest';
import { forEachMessage, type Message } from '../../lib/protocol/message.js';
import { decodeAddress, type Address } from '../../lib/families/addr.js';
import { ADDRESS_FIXTURES, LINK_INDEX } from '../fixtures/addr-kernel.js';

function decode(i: number): Address {
  const out: Message[] = [];
  forEachMessage(Buffer.from(ADDRESS_FIXTURES[i]!.hex, 'hex'), (m) => out.push(m));
  expect(out).toHaveLength(1);
  return decodeAddress(out[0]!)!;
}

describe('decodeAddress (kernel bytes)', () => {
  it('IPv4 with broadcast, label, noprefixroute and finite lifetimes', () => {
    const a = decode(0);
    expect(a).toMatchObject({
      family: 4, ifindex: LINK_INDEX.va, address: '192.0.2.1', prefix: 24, broadcast: '192.0.2.255', label: 'va:web', scope: 'universe',
    });
    expect(a.flags).toEqual(['noprefixroute']);
    expect(a.peer).toBeUndefined();
    expect(a.validLifetime).toBeLessThanOrEqual(100);
    expect(a.preferredLifetime).toBeLessThanOrEqual(50);
    expect(typeof a.created).toBe('number');
    expect(a.unknown).toBeUndefined();
  });

  it('IPv4 point-to-point: local and peer differ', () => {
    expect(decode(1)).toMatchObject({ address: '203.0.113.1', peer: '203.0.113.2', prefix: 32, scope: 'link', flags: ['permanent'], validLifetime: 'forever', preferredLifetime: 'forever' });
  });

  it('IPv6 nodad, and an IPv4 secondary', () => {
    const v6 = decode(2);
    expect(v6).toMatchObject({ family: 6, address: '2001:db8::1', prefix: 64, scope: 'universe' });
    expect(v6.flags).toEqual(expect.arrayContaining(['nodad', 'permanent']));
    expect(v6.label).toBeUndefined();
    expect(decode(3).flags).toEqual(['secondary', 'permanent']);
  });

  it('keeps attributes it does not know, raw', () => {
    const buf = Buffer.from(ADDRESS_FIXTURES[1]!.hex, 'hex');
    // Append an attribute of type 99 (4 bytes payload) and fix the message length.
    const extra = Buffer.from('0800630001020304', 'hex');
    const grown = Buffer.concat([buf, extra]);
    grown.writeUInt32LE(grown.length, 0);
    let a: Address | undefined;
    forEachMessage(grown, (m) => (a = decodeAddress(m)));
    expect(a!.address).toBe('203.0.113.1');
    expect(a!.unknown).toEqual([{ type: 99, data: Buffer.from('01020304', 'hex') }]);
  });
});
