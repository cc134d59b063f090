// decodeRoute on real kernel bytes (test/fixtures/route-kernel.ts says how each was made).
import { describe, it, expect } from 'vitest';
import { forEachMessage, type Message } from '../../lib/protocol/message.js';
import { decodeRoute, type Route } from '../../lib/families/route.js';
import { ROUTE_FIXTURES, LINK_INDEX } from '../fixtures/route-kernel.js';

function decode(i: number): Route {
  const out: Message[] = [];
  forEachMessage(Buffer.from(ROUTE_FIXTURES[i]!.hex, 'hex'), (m) => out.push(m));
  expect(out).toHaveLength(1);
  return decodeRoute(out[0]!)!;
}

describe('decodeRoute (kernel bytes)', () => {
  it('a gateway route in main', () => {
    expect(decode(0)).toMatchObject({
      family: 4, dst: '198.18.0.0/24', dstLength: 24, gateway: '198.51.100.244', ifindex: LINK_INDEX.vc, table: 254,
      type: 'unicast', protocol: 'boot', scope: 'universe', onlink: false,
    });
  });

  it('table 1000 arrives in RTA_TABLE, with its metric', () => {
    expect(decode(1)).toMatchObject({ dst: '198.18.1.0/24', table: 1000, metric: 50, gateway: '198.51.100.245' });
  });

  it('IPv4 multipath: weights and per-hop gateway and dev', () => {
    const r = decode(2);
    expect(r.gateway).toBeUndefined();
    expect(r.nexthops).toEqual([
      { gateway: '198.51.100.2', ifindex: LINK_INDEX.vc, weight: 3, flags: [] },
      { ifindex: LINK_INDEX.va, weight: 1, flags: [] },
    ]);
  });

  it('blackhole with protocol static', () => {
    expect(decode(3)).toMatchObject({ dst: '198.18.3.0/24', type: 'blackhole', protocol: 'static' });
  });

  it('IPv6 multipath with metric and preference', () => {
    const r = decode(4);
    expect(r).toMatchObject({ family: 6, dst: '2001:db8:5::/48', metric: 1024, pref: 0 });
    expect(r.nexthops!.map((h) => [h.gateway, h.ifindex, h.weight])).toEqual([
      ['2001:db8::2', LINK_INDEX.va, 2],
      ['2001:db8::3', LINK_INDEX.va, 1],
    ]);
  });

  it('default route with onlink', () => {
    expect(decode(5)).toMatchObject({ dst: 'default', dstLength: 0, gateway: '192.0.2.254', onlink: true, ifindex: LINK_INDEX.va });
  });

  it('a kernel local route in table local', () => {
    expect(decode(6)).toMatchObject({ dst: '192.0.2.1/32', table: 255, type: 'local', protocol: 'kernel', scope: 'host', src: '192.0.2.1' });
  });
});
