/**
 * How many agents run at once, adapted to the API's rate limits the way TCP adapts to congestion:
 * halved when an agent reports being rate limited (HTTP 429, or 529 overloaded), raised by one after
 * `RAISE_AFTER` attempts in a row with no rate limit, never above the configured maximum nor below 1.
 */
export interface Concurrency {
  readonly current: number;
  readonly max: number;
  /** Attempts ended without a rate limit since the figure last moved. */
  readonly calm: number;
  /** When the figure was last halved (ISO time): attempts started before it saw the old figure. */
  readonly loweredAt?: string;
}

/** Attempts in a row with no rate limit before one more agent may run at once. */
export const RAISE_AFTER = 3;

/** HTTP statuses that say the API is asking for fewer requests. */
const RATE_LIMIT_STATUSES: ReadonlySet<number> = new Set([429, 529]);

export function isRateLimitStatus(status: number | undefined): boolean {
  return status !== undefined && RATE_LIMIT_STATUSES.has(status);
}

export function initialConcurrency(max: number): Concurrency {
  return { current: max, max, calm: 0 };
}

/**
 * The figure after an attempt that started at `startedAt` ended at `at`, rate limited or not. A rate
 * limit halves it once per cut: agents that started before the last cut were already counted in it,
 * so eight agents hitting the same limit halve it once, not down to 1.
 */
export function afterAttempt(c: Concurrency, attempt: { readonly rateLimited: boolean; readonly startedAt: string; readonly at: string }): Concurrency {
  if (attempt.rateLimited) {
    if (c.loweredAt !== undefined && attempt.startedAt < c.loweredAt) return c;
    return { current: Math.max(1, Math.floor(c.current / 2)), max: c.max, calm: 0, loweredAt: attempt.at };
  }
  if (c.current >= c.max) return c.calm === 0 ? c : { ...c, calm: 0 };
  const calm = c.calm + 1;
  return calm >= RAISE_AFTER ? { ...c, current: c.current + 1, calm: 0 } : { ...c, calm };
}
