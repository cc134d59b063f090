// decodeFdb on real kernel bytes (test/fixtures/fdb-kernel.ts says how each was made).
import { describe, it, expect } from 'vitest';
import { forEachMessage, type Message } from '../../lib/protocol/message.js';
import { decodeFdb, type FdbEntry } from '../../lib/families/fdb.js';
import { decodeNeighbour } from '../../lib/families/neigh.js';
import { FDB_FIXTURES, LINK_INDEX } from '../fixtures/fdb-kernel.js';

function message(i: number): Message {
  const out: Message[] = [];
  forEachMessage(Buffer.from(FDB_FIXTURES[i]!.hex, 'hex'), (m) => out.push(m));
  expect(out).toHaveLength(1);
  return out[0]!;
}
const decode = (i: number): FdbEntry => decodeFdb(message(i))!;

describe('decodeFdb (kernel bytes)', () => {
  it('vxlan remote with dst, port (big-endian), vni and via', () => {
    const e = decode(0);
    expect(e).toMatchObject({
      mac: '02:00:00:00:00:01', ifindex: LINK_INDEX.vx42, dst: '198.51.100.1', port: 4790, vni: 4242, viaIfindex: LINK_INDEX.vb,
      state: 'permanent', self: true, master: false, sticky: false,
    });
    expect(e.cacheInfo).toBeDefined();
    expect(e.unknown).toBeUndefined();
  });

  it('the all-zero MAC of head-end replication', () => {
    expect(decode(1)).toMatchObject({ mac: '00:00:00:00:00:00', dst: '198.51.100.2', state: 'permanent', self: true });
  });

  it('nhid instead of a dst', () => {
    const e = decode(2);
    expect(e).toMatchObject({ mac: '02:00:00:00:00:04', nhid: 10 });
    expect(e.dst).toBeUndefined();
  });

  it('src_vni on a collect-metadata device', () => {
    expect(decode(3)).toMatchObject({ mac: '02:00:00:00:00:03', ifindex: LINK_INDEX.vxe, dst: '198.51.100.3', vni: 77, srcVni: 77 });
  });

  it('bridge entries: static + sticky; dynamic + extern_learn; NDA_MASTER names the bridge', () => {
    expect(decode(4)).toMatchObject({ mac: '02:00:00:00:01:03', ifindex: LINK_INDEX.vc, bridgeIfindex: LINK_INDEX.br0, state: 'static', sticky: true, self: false });
    expect(decode(5)).toMatchObject({ mac: '02:00:00:00:01:04', bridgeIfindex: LINK_INDEX.br0, state: 'dynamic', externLearn: true });
  });

  it('is not the neighbour decoder: AF_BRIDGE messages are skipped there', () => {
    expect(decodeNeighbour(message(0))).toBeUndefined();
  });
});
