// A kernel without IPVS (this host): every IPVS entry point, not only the
// ones test/host/ipvs-absent.test.ts covers, fails with a plain error that
// says why and what to do — no errno riddle, no crash, no half-done work.
import { existsSync } from 'node:fs';
import { describe, it, expect } from 'vitest';
import { Ipvs, FamilyNotFoundError } from '../../lib/index.js';
import { makeNetns } from '../helpers/netns.js';

describe.skipIf(existsSync('/proc/net/ip_vs'))('every IPVS call on a kernel without IPVS', () => {
  it('netlink calls: FamilyNotFoundError (ENOENT) with the fix in the message; the connection table: ENOENT naming the module', async () => {
    using ipvs = Ipvs.open({ netns: makeNetns('ipvs-none') });
    const svc = { protocol: 'tcp', address: '198.51.100.1', port: 80 } as const;
    const calls: Array<[string, () => Promise<unknown>]> = [
      ['info', () => ipvs.info()],
      ['timeouts', () => ipvs.timeouts()],
      ['setTimeouts', () => ipvs.setTimeouts({ tcp: 900 })],
      ['listServices', () => ipvs.listServices()],
      ['listDestinations', () => ipvs.listDestinations(svc)],
      ['addDestination', () => ipvs.addDestination(svc, { address: '192.0.2.10' })],
      ['zero', () => ipvs.zero()],
      ['flush', () => ipvs.flush()],
      ['listDaemons', () => ipvs.listDaemons()],
      ['startDaemon', () => ipvs.startDaemon({ state: 'master', interface: 'lo', syncId: 1 })],
      ['stopDaemon', () => ipvs.stopDaemon('master')],
    ];
    for (const [name, call] of calls) {
      const err = await call().then(() => undefined, (e: unknown) => e);
      expect(err, name).toBeInstanceOf(FamilyNotFoundError);
      expect((err as FamilyNotFoundError).code, name).toBe('ENOENT');
      expect((err as Error).message, name).toMatch(/modprobe ip_vs/);
    }
    // The family lookup is retried, not cached as missing: a later modprobe would be seen.
    const again = await ipvs.info().then(() => undefined, (e: unknown) => e);
    expect(again).toBeInstanceOf(FamilyNotFoundError);
    const conns = async (): Promise<unknown> => {
      for await (const c of ipvs.connections()) return c;
      return undefined;
    };
    await expect(conns()).rejects.toMatchObject({ code: 'ENOENT', message: expect.stringMatching(/modprobe ip_vs/) as unknown });
  });
});
