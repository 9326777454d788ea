/**
 * What a failed GitHub call means for the outbox, as one union (the worker switches on `kind`):
 * - `auth`: the token was refused (401), or lacks the right to do this (a 403 that is not a rate
 *   limit). Nothing will work this run: sync turns off, events stay in the outbox.
 * - `gone`: the repository or issue does not exist for this token (404, 410). Same treatment.
 * - `rejected`: GitHub refused this one request (400, 422). Retrying the same body cannot help, so
 *   that entry alone is dropped, with a notice.
 * - `transient`: GitHub is down, slow, unreachable or rate limiting beyond what the plugins waited.
 *   Kept and retried later, no sooner than `retryAfterMs` when GitHub said so.
 * - `aborted`: we stopped it (the run ended and the drain timed out).
 */
export type Failure =
  | { readonly kind: 'auth'; readonly status: number; readonly message: string }
  | { readonly kind: 'gone'; readonly status: number; readonly message: string }
  | { readonly kind: 'rejected'; readonly status: number; readonly message: string }
  | { readonly kind: 'transient'; readonly status?: number; readonly retryAfterMs?: number; readonly message: string }
  | { readonly kind: 'aborted'; readonly message: string };

interface HttpErrorLike {
  readonly status?: unknown;
  readonly message?: unknown;
  readonly name?: unknown;
  readonly response?: { readonly headers?: Record<string, unknown> };
}

export function classifyFailure(error: unknown, now: number = Date.now()): Failure {
  const e = (typeof error === 'object' && error !== null ? error : {}) as HttpErrorLike;
  const message = typeof e.message === 'string' ? e.message : String(error);
  if (e.name === 'AbortError') return { kind: 'aborted', message };
  const status = typeof e.status === 'number' ? e.status : undefined;
  // No HTTP status: not an HTTP error at all, e.g. a bug in our own code, or a network failure that
  // the request layer did not wrap. Keep the event; the notice says what happened.
  if (status === undefined) return { kind: 'transient', message };
  const headers = e.response?.headers ?? {};
  const isRateLimit = status === 429 || (status === 403 && (/rate limit/i.test(message) || headers['x-ratelimit-remaining'] === '0'));
  if (isRateLimit) return { kind: 'transient', status, message, ...waitFrom(headers, now) };
  if (status === 401 || status === 403) return { kind: 'auth', status, message };
  if (status === 404 || status === 410) return { kind: 'gone', status, message };
  if (status === 400 || status === 422) return { kind: 'rejected', status, message };
  return { kind: 'transient', status, message, ...waitFrom(headers, now) };
}

/** `retry-after` (seconds, or an HTTP date), else the primary limit's `x-ratelimit-reset` (epoch seconds). */
function waitFrom(headers: Record<string, unknown>, now: number): { retryAfterMs?: number } {
  const after = headers['retry-after'];
  if (typeof after === 'string' && after.trim() !== '') {
    const seconds = Number(after);
    if (Number.isFinite(seconds)) return { retryAfterMs: Math.max(0, seconds * 1000) };
    const date = Date.parse(after);
    if (Number.isFinite(date)) return { retryAfterMs: Math.max(0, date - now) };
  }
  const reset = Number(headers['x-ratelimit-reset']);
  if (headers['x-ratelimit-remaining'] === '0' && Number.isFinite(reset) && reset > 0) return { retryAfterMs: Math.max(0, reset * 1000 - now) };
  return {};
}
