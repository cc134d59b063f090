// A caller without CAP_NET_ADMIN (root with the capability dropped by
// setpriv, as an agent in a restricted container would be): every write is a
// typed EPERM NetlinkError, reads still work, nothing crashes. The IPVS half
// (which needs the capability even for GETs) runs in UML:
// test/uml/fault-unprivileged.test.ts.
import { describe, it, expect } from 'vitest';
import { makeNetns, ipJson } from '../helpers/netns.js';
import { runUnprivileged } from '../reliability/unprivileged.js';

describe('without CAP_NET_ADMIN', () => {
  it('writes fail with a typed EPERM, reads work, the process exits cleanly', () => {
    const ns = makeNetns('sec-unpriv');
    const before = [ipJson(ns, 'link', 'show'), ipJson(ns, 'addr', 'show'), ipJson(ns, 'route', 'show', 'table', 'all')];
    const r = runUnprivileged(ns);
    const eperm = 'NetlinkError EPERM -1';
    expect(r).toMatchObject({
      'links.list': 'ok',
      'links.get': 'ok',
      'links.create': eperm,
      'links.set': eperm,
      'addresses.add': eperm,
      'fdb.add': eperm,
      batch: eperm,
    });
    // SO_RCVBUFFORCE needs the capability: the socket fell back to SO_RCVBUF (feature bit 8 off).
    expect(Number(r.features) & 8).toBe(0);
    // Nothing changed in the kernel.
    expect([ipJson(ns, 'link', 'show'), ipJson(ns, 'addr', 'show'), ipJson(ns, 'route', 'show', 'table', 'all')]).toEqual(before);
  }, 120_000);
});
