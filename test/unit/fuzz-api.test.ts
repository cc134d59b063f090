// 10^5 random invalid inputs to the request builders every public call runs
// first (test/reliability/api-inputs.ts): each must be a ValidationError
// naming a field that was made invalid — never a TypeError from deeper down,
// never accepted. The host and UML suites send the same calls through the
// real API and check the kernel did not change.
import { describe, it, expect } from 'vitest';
import { ValidationError } from '../../lib/protocol/errors.js';
import { Rng } from '../reliability/mutate.js';
import { invalidCall, namesCorrupted } from '../reliability/api-inputs.js';
import { buildCall } from '../reliability/api-builders.js';

describe('random invalid API input (10^5 calls, builders only)', () => {
  it('is refused with a ValidationError naming a corrupted field', () => {
    const rng = new Rng(0xa91);
    const wrong: string[] = [];
    let refused = 0;
    for (let i = 0; i < 100_000; i++) {
      const { call, corrupted } = invalidCall(rng, (api) => api !== 'ipvs.setTimeouts');
      try {
        buildCall(call);
        wrong.push(`accepted: ${call.api} ${corrupted.join(',')} ${show(call)}`);
      } catch (err) {
        if (!(err instanceof ValidationError)) wrong.push(`${(err as Error)?.name}: ${(err as Error)?.message} ← ${call.api} ${corrupted.join(',')}`);
        else if (!namesCorrupted(err.field, corrupted)) wrong.push(`field ${err.field} ← ${call.api} ${corrupted.join(',')}: ${err.message}`);
        else refused++;
      }
      if (wrong.length > 30) break;
    }
    expect([...new Set(wrong)]).toEqual([]);
    expect(refused).toBe(100_000);
  });
});

function show(v: unknown): string {
  try {
    return JSON.stringify(v, (_k, x: unknown) => (typeof x === 'bigint' ? `${x}n` : typeof x === 'symbol' || typeof x === 'function' ? String(x) : Number.isNaN(x) ? 'NaN' : x));
  } catch {
    return String(v);
  }
}
