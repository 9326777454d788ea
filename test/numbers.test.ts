import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { bar, thousands } from '../src/numbers.js';

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

describe('bar', () => {
  it('fills one cell per 1/width of the percentage, clamped to 0..100', () => {
    expect(bar(0)).toBe('░'.repeat(20));
    expect(bar(100)).toBe('█'.repeat(20));
    expect(bar(50, 10)).toBe('█████░░░░░');
    expect(bar(-5, 4)).toBe('░░░░');
    expect(bar(140, 4)).toBe('████');
  });
});
