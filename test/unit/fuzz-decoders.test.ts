// Fuzzing the decoders and the receive path with mutated real kernel bytes
// (test/reliability/*). npm test runs 10^5 decoder inputs and 2·10^4
// datagrams; scripts/reliability/fuzz.sh runs the 10^6 version.
import { describe, it, expect } from 'vitest';
import { runDecoderFuzz, formatReport } from '../reliability/fuzz-decoders.js';
import { runDispatchFuzz } from '../reliability/fuzz-dispatch.js';

describe('decoder fuzzing (10^5 mutated and random inputs)', () => {
  it('every decoder returns or throws a DecodeError: no other error, no hang', () => {
    const report = runDecoderFuzz({ iterations: 100_000, seed: 0x5eed });
    if (report.failureCount > 0) console.error(formatReport(report));
    expect(report.failureCount).toBe(0);
    expect(report.iterations).toBe(100_000);
    // Both outcomes are exercised: the mutations are neither all harmless nor all fatal.
    expect(report.returned).toBeGreaterThan(20_000);
    expect(report.decodeErrorCount).toBeGreaterThan(20_000);
    for (const decoder of ['decodeLink', 'decodeAddress', 'decodeRoute', 'decodeNeighbour', 'decodeFdb', 'decodeEvent',
      'decodeService', 'decodeDestination4', 'decodeDaemon', 'decodeFrame', 'parseConnections', 'forEachMessage+AttrTable']) {
      expect(report.returnedByDecoder.get(decoder) ?? 0, decoder).toBeGreaterThan(0);
    }
    // No input takes long: a loop that never ends would show here (GC pauses stay well below).
    expect(report.slowestMs).toBeLessThan(1000);
  }, 120_000);
});

describe('receive-path fuzzing (2·10^4 datagrams into a real Connection)', () => {
  it('replies, acks and extended acks that do not parse fail their request with a typed error and leak nothing', async () => {
    const report = await runDispatchFuzz({ iterations: 20_000, seed: 0xd15 });
    expect(report.failures).toEqual([]);
    expect(report.leaked).toBe(0);
    expect(report.outcomes.get('ok') ?? 0).toBeGreaterThan(100);
    expect(report.outcomes.get('NetlinkError') ?? 0).toBeGreaterThan(100);
    expect(report.outcomes.get('DecodeError') ?? 0).toBeGreaterThan(100);
  }, 120_000);
});
