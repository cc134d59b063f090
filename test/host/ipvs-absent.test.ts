// On a kernel without IPVS (this host: no ip_vs module), every IPVS call
// fails with a plain FamilyNotFoundError rather than a cryptic errno.
import { existsSync } from 'node:fs';
import { describe, it, expect } from 'vitest';
import { Ipvs, FamilyNotFoundError } from '../../lib/index.js';
import { makeNetns } from '../helpers/netns.js';

const hasIpvs = existsSync('/proc/net/ip_vs');

describe.skipIf(hasIpvs)('IPVS absent from the kernel', () => {
  it('listServices() rejects with FamilyNotFoundError', async () => {
    using ipvs = Ipvs.open();
    const err = await ipvs.listServices().then(() => undefined, (e: unknown) => e);
    expect(err).toBeInstanceOf(FamilyNotFoundError);
    expect((err as FamilyNotFoundError).message).toMatch(/^IPVS is not available in this kernel/);
    expect((err as FamilyNotFoundError).code).toBe('ENOENT');
  });

  it('so do writes, snapshot and batch (and nothing is left half-done)', async () => {
    using ipvs = Ipvs.open({ netns: makeNetns('ipvs-absent') });
    const calls = [
      () => ipvs.addService({ protocol: 'tcp', address: '198.51.100.1', port: 80 }),
      () => ipvs.snapshot(),
      () => ipvs.batch([{ op: 'flush' }]),
      () => ipvs.getService({ fwmark: 1 }),
    ];
    for (const call of calls) {
      const err = await call().then(() => undefined, (e: unknown) => e);
      expect(err).toBeInstanceOf(FamilyNotFoundError);
      expect((err as Error).message).toMatch(/^IPVS is not available in this kernel/);
    }
  });
});
