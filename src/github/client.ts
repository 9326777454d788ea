import { retry } from '@octokit/plugin-retry';
import { throttling, type ThrottlingOptions } from '@octokit/plugin-throttling';
import { Octokit } from '@octokit/rest';
import pkg from '../../package.json' with { type: 'json' };

/**
 * The one place an Octokit is built. Who retries what:
 * - plugin-throttling: 403/429 that GitHub marks as a secondary rate limit, waiting the response's
 *   `retry-after`, and primary limits (`x-ratelimit-remaining: 0`) until the reset. Bounded by
 *   `MAX_LIMIT_RETRIES`, and never a wait longer than `MAX_INLINE_WAIT_S`: a longer one is left to the
 *   outbox worker, which keeps the event and honours `retry-after` in the background.
 * - plugin-retry: 5xx and dropped connections (which Octokit reports as 500), `MAX_RETRIES` times with
 *   its growing backoff. 429 is on its do-not-retry list so that it never retries a rate-limited request
 *   early, ignoring `retry-after`; 401 is too, and disables sync (see worker.ts).
 * Creating a comment is not idempotent: deliver.ts sends it with `retries: 0` and checks the issue for
 * its marker before trying again, rather than letting a blind retry post it twice.
 */
export const MAX_RETRIES = 3;
export const MAX_LIMIT_RETRIES = 2;
/**
 * Longer waits are not made inside a request: the plugins' timers are not unref'd, so a long one would
 * keep ccasp alive after the run ended. The worker waits instead, on a timer that does not.
 */
export const MAX_INLINE_WAIT_S = 10;

export const GithubOctokit = Octokit.plugin(retry, throttling);
export type GithubClient = InstanceType<typeof GithubOctokit>;

export interface LimitEvent {
  readonly kind: 'secondary-limit' | 'rate-limit';
  /** Seconds GitHub asked us to wait (`retry-after`, or until `x-ratelimit-reset`). */
  readonly retryAfter: number;
  readonly retryCount: number;
  readonly willRetry: boolean;
  readonly method: string;
  readonly url: string;
}

export interface ClientOptions {
  readonly token: string;
  readonly baseUrl: string;
  /**
   * Milliseconds per second of server-requested wait. 1000 for real; tests shrink it, so a
   * `retry-after: 1` is still read and obeyed, only faster.
   */
  readonly retryAfterBaseMs?: number;
  /**
   * Space writes as GitHub asks (1 s between writes, 3 s between comments), which is what keeps a
   * run clear of secondary rate limits. Only tests turn it off.
   */
  readonly paceWrites?: boolean;
  /** Hears every rate-limit decision; used for debugging and by tests. */
  readonly onLimit?: (event: LimitEvent) => void;
}

/** The variant of ThrottlingOptions with the plugin switched on. */
type Throttle = Exclude<ThrottlingOptions, { enabled: false }>;
type LimitHandler = Throttle['onRateLimit'];
type Group = NonNullable<Throttle['write']>;

/**
 * A limiter group that runs every job at once. plugin-throttling's groups are shared by the whole
 * process and only read `key(id).schedule(options, fn, ...args)`, so this is all a group must be.
 */
const unpaced = {
  key: () => ({ schedule: <A extends unknown[], R>(_options: unknown, fn: (...args: A) => R, ...args: A): R => fn(...args) }),
} as unknown as Group;

export function createClient(options: ClientOptions): GithubClient {
  const base = options.retryAfterBaseMs ?? 1000;
  const limitHandler =
    (kind: LimitEvent['kind']): LimitHandler =>
    (retryAfter, request, _octokit, retryCount) => {
      const willRetry = retryCount < MAX_LIMIT_RETRIES && retryAfter <= MAX_INLINE_WAIT_S;
      options.onLimit?.({ kind, retryAfter, retryCount, willRetry, method: request.method, url: request.url });
      return willRetry;
    };
  // Octokit's default log writes warnings and errors to the console; ours stays quiet, and the worker
  // reports failures itself, redacted.
  const quiet = () => undefined;
  return new GithubOctokit({
    auth: options.token,
    baseUrl: options.baseUrl,
    userAgent: `ccasp/${pkg.version}`,
    log: { debug: quiet, info: quiet, warn: quiet, error: quiet },
    retry: {
      retries: MAX_RETRIES,
      retryAfterBaseValue: base,
      doNotRetry: [400, 401, 403, 404, 410, 422, 429, 451],
    },
    throttle: {
      retryAfterBaseValue: base,
      onSecondaryRateLimit: limitHandler('secondary-limit'),
      onRateLimit: limitHandler('rate-limit'),
      ...(options.paceWrites === false ? { write: unpaced, notifications: unpaced } : {}),
    },
  });
}
