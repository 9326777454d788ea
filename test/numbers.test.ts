import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { thousands } from '../src/numbers.js';

describe('thousands', () => {
  it('writes whole numbers as toLocaleString("en-US") does', () => {
    fc.assert(
      fc.property(fc.oneof(fc.integer(), fc.maxSafeInteger(), fc.integer({ min: -1e7, max: 1e7 })), (n) => {
        expect(thousands(n)).toBe(n.toLocaleString('en-US'));
      }),
      { numRuns: 2000 },
    );
    for (const n of [0, 999, 1000, 999_999, 1_000_000, -1234]) expect(thousands(n)).toBe(n.toLocaleString('en-US'));
  });
});
