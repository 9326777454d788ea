import { describe, expect, it } from 'vitest';
import { afterAttempt, initialConcurrency, isRateLimitStatus, RAISE_AFTER, type Concurrency } from '../../src/orchestrator/concurrency.js';

const at = (s: number) => new Date(Date.UTC(2026, 0, 1, 0, 0, s)).toISOString();
const calm = (startedAt: string, end: string) => ({ rateLimited: false, startedAt, at: end });
const limited = (startedAt: string, end: string) => ({ rateLimited: true, startedAt, at: end });

describe('adaptive concurrency', () => {
  it('halves on a rate limit, never below 1', () => {
    let c: Concurrency = initialConcurrency(8);
    c = afterAttempt(c, limited(at(0), at(1)));
    expect(c.current).toBe(4);
    c = afterAttempt(c, limited(at(2), at(3)));
    c = afterAttempt(c, limited(at(4), at(5)));
    c = afterAttempt(c, limited(at(6), at(7)));
    expect(c.current).toBe(1);
  });

  it('halves once for agents that were all running when the limit hit, not once each', () => {
    let c: Concurrency = initialConcurrency(8);
    // Eight agents started together; each ends rate limited, one after the other.
    for (let i = 1; i <= 8; i++) c = afterAttempt(c, limited(at(0), at(i)));
    expect(c.current).toBe(4);
    // An agent started after the cut and still rate limited halves it again.
    c = afterAttempt(c, limited(at(9), at(10)));
    expect(c.current).toBe(2);
  });

  it(`raises by one after ${RAISE_AFTER} attempts in a row without a rate limit, up to the configured most`, () => {
    let c: Concurrency = afterAttempt(initialConcurrency(3), limited(at(0), at(1)));
    expect(c.current).toBe(1);
    const steps: number[] = [];
    for (let i = 0; i < RAISE_AFTER * 3; i++) {
      c = afterAttempt(c, calm(at(2), at(3 + i)));
      steps.push(c.current);
    }
    expect(steps).toEqual([1, 1, 2, 2, 2, 3, 3, 3, 3]);
    // A rate limit in between starts the count again.
    c = afterAttempt(c, limited(at(20), at(21)));
    c = afterAttempt(c, calm(at(22), at(23)));
    c = afterAttempt(c, calm(at(22), at(24)));
    expect(c.current).toBe(1);
  });

  it('counts 429 and 529 as rate limits, other failures not', () => {
    expect([429, 529, 500, 401, undefined].map(isRateLimitStatus)).toEqual([true, true, false, false, false]);
  });
});
