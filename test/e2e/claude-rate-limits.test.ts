/**
 * How claude 2.1.197 reports rate limits in stream-json, pinned down against
 * the scripted API. See docs/claude-stream.md, "Rate limits".
 *
 * - `rate_limit_event` lines come only from the `anthropic-ratelimit-unified-*`
 *   response headers, and only for claude.ai-subscription (OAuth) auth. With
 *   `ANTHROPIC_API_KEY` they are never printed, whatever the headers say.
 * - OAuth is simulated with `CLAUDE_CODE_OAUTH_TOKEN=<fake>` and an empty
 *   `ANTHROPIC_API_KEY`; the token only ever reaches the scripted server
 *   (strace showed no other connect() than to 127.0.0.1:<port>).
 *
 * UPDATE_STREAM_FIXTURES=1 rewrites test/fixtures/stream/rate-limit-*.jsonl, and runs
 * the checks of claude behaviour ccasp does not rely on (RECORDING).
 */
import { describe, expect, it } from 'vitest';
import {
  apiError,
  text,
  turn,
  unifiedRateLimitHeaders,
  usageLimitReached,
  writeTool,
} from '../support/scripted-api.js';
import type { ClaudeRun } from '../support/run-claude.js';
import { finalResult, ofType, RECORDING, saveFixture, setupClaude, T } from '../support/scripted-claude.js';

/** claude.ai-subscription auth, pointed at the scripted server like the API key is. */
const OAUTH_ENV = { ANTHROPIC_API_KEY: '', CLAUDE_CODE_OAUTH_TOKEN: 'fake-oauth-token-for-scripted-api' };

const RATE_LIMIT_MESSAGE = "This request would exceed your account's rate limit. Please try again later.";


const nowSec = (): number => Math.floor(Date.now() / 1000);

/** `type` or `type/subtype` per line, for asserting line order. */
function kinds(run: ClaudeRun): string[] {
  return run.events.map((e) => {
    if (e.type === 'system') return `system/${String(e['subtype'])}`;
    if (e.type === 'assistant') {
      const m = e['message'] as { model?: string; content?: { type: string }[] };
      return m.model === '<synthetic>' ? 'assistant/synthetic' : `assistant/${m.content?.[0]?.type ?? '?'}`;
    }
    if (e.type === 'rate_limit_event') return `rate_limit_event/${(e['rate_limit_info'] as { status: string }).status}`;
    return e.type;
  });
}

describe('API-key auth (what ccasp runs with in tests)', () => {
  it.runIf(RECORDING)('ignores unified rate-limit headers on a 200: no rate_limit_event', { timeout: T }, async () => {
    const env = await setupClaude([
      turn(text('done'), { headers: unifiedRateLimitHeaders({ status: 'allowed_warning', resetsAt: nowSec() + 3600, utilization: 0.95, surpassedThreshold: 0.9 }) }),
    ]);
    const run = await env.run('x');
    expect(run.exitCode).toBe(0);
    expect(kinds(run)).toEqual(['system/init', 'assistant/text', 'result']);
    expect(run.events[0]).toMatchObject({ apiKeySource: 'ANTHROPIC_API_KEY' });
  });

  it.runIf(RECORDING)('429 + retry-after: api_retry with retry_delay_ms = retry-after × 1000, then the API error result', { timeout: T }, async () => {
    // Headers as a subscriber's 429 would carry them: with an API key claude reads only retry-after.
    const env = await setupClaude(() => usageLimitReached(nowSec() + 3600, { retryAfter: 2 }));
    const run = await env.run('x', { env: { CLAUDE_CODE_MAX_RETRIES: '1' } });
    saveFixture('rate-limit-429-retry-after', run, env);

    expect(run.exitCode).toBe(1);
    expect(env.api.mainRequests()).toHaveLength(2);
    const [first, second] = env.api.mainRequests();
    // claude slept the full retry-after between the two tries.
    expect(second!.at - first!.at).toBeGreaterThanOrEqual(1_900);
    expect(kinds(run)).toEqual(['system/init', 'system/api_retry', 'assistant/synthetic', 'result']);
    expect(ofType(run, 'system', 'api_retry')).toEqual([
      {
        type: 'system',
        subtype: 'api_retry',
        attempt: 1,
        max_retries: 1,
        retry_delay_ms: 2000,
        error_status: 429,
        error: 'rate_limit',
        session_id: run.sessionId,
        uuid: expect.any(String),
      },
    ]);
    expect(ofType(run, 'assistant')[0]).toMatchObject({
      error: 'rate_limit',
      message: { model: '<synthetic>', content: [{ type: 'text', text: `API Error: Request rejected (429) · ${RATE_LIMIT_MESSAGE}` }] },
    });
    expect(finalResult(run)).toMatchObject({
      type: 'result',
      subtype: 'success',
      is_error: true,
      api_error_status: 429,
      result: `API Error: Request rejected (429) · ${RATE_LIMIT_MESSAGE}`,
      stop_reason: 'stop_sequence',
      terminal_reason: 'completed',
      num_turns: 1,
    });
  });

  it.runIf(RECORDING)('429 with retry-after > 60 s: no retry at all, even with retries left', { timeout: T }, async () => {
    const env = await setupClaude(() => apiError(429, 'rate_limit_error', RATE_LIMIT_MESSAGE, { 'retry-after': '61' }));
    const run = await env.run('x', { env: { CLAUDE_CODE_MAX_RETRIES: '3' } });
    saveFixture('rate-limit-429-retry-after-too-long', run, env);

    expect(run.exitCode).toBe(1);
    expect(run.durationMs).toBeLessThan(10_000);
    expect(env.api.mainRequests()).toHaveLength(1);
    expect(kinds(run)).toEqual(['system/init', 'assistant/synthetic', 'result']);
    expect(finalResult(run)).toMatchObject({ subtype: 'success', is_error: true, api_error_status: 429, result: `API Error: Request rejected (429) · ${RATE_LIMIT_MESSAGE}` });
  });

  it.runIf(RECORDING)('CLAUDE_CODE_RETRY_WATCHDOG=1: on a 429 claude sleeps until anthropic-ratelimit-unified-reset itself, then carries on', { timeout: T }, async () => {
    const env = await setupClaude((_r, ctx) => (ctx.attempt === 0 ? usageLimitReached(nowSec() + 4, { retryAfter: 1 }) : turn(text('after the reset'))));
    // MAX_RETRIES does not bound watchdog retries; 0 here proves it.
    const run = await env.run('x', { env: { CLAUDE_CODE_RETRY_WATCHDOG: '1', CLAUDE_CODE_MAX_RETRIES: '0' } });
    saveFixture('rate-limit-watchdog-wait', run, env);

    expect(run.exitCode).toBe(0);
    const [first, second] = env.api.mainRequests();
    expect(second!.at - first!.at).toBeGreaterThanOrEqual(2_500);
    expect(kinds(run)).toEqual(['system/init', 'system/api_retry', 'assistant/text', 'result']);
    const retry = ofType(run, 'system', 'api_retry')[0]!;
    expect(retry).toMatchObject({ attempt: 1, max_retries: 0, error_status: 429, error: 'rate_limit' });
    // Time left until the reset (not retry-after), in ms, an integer.
    expect(retry['retry_delay_ms']).toBeGreaterThan(2_500);
    expect(retry['retry_delay_ms']).toBeLessThanOrEqual(4_000);
    expect(Number.isInteger(retry['retry_delay_ms'])).toBe(true);
    expect(finalResult(run)).toMatchObject({ subtype: 'success', is_error: false, result: 'after the reset' });
  });
});

describe('claude.ai subscription auth (CLAUDE_CODE_OAUTH_TOKEN)', () => {
  it('warning, then usage limit reached: rate_limit_event lines, no retry, "You\'ve hit your session limit"', { timeout: T }, async () => {
    const resetsAt = nowSec() + 2 * 3600;
    const env = await setupClaude((_r, ctx) =>
      ctx.turn === 0
        ? turn(writeTool(`${ctx.cwd}/a.txt`, 'a\n'), {
            headers: unifiedRateLimitHeaders({ status: 'allowed_warning', resetsAt, utilization: 0.92, surpassedThreshold: 0.9 }),
          })
        : usageLimitReached(resetsAt, { retryAfter: 1 }),
    );
    const run = await env.run('x', { env: { ...OAUTH_ENV, CLAUDE_CODE_MAX_RETRIES: '2' } });
    saveFixture('rate-limit-oauth-warning-then-rejected', run, env);

    expect(run.exitCode).toBe(1);
    expect(run.durationMs).toBeLessThan(10_000);
    expect(run.events[0]).toMatchObject({ type: 'system', subtype: 'init', apiKeySource: 'none' });
    const main = env.api.mainRequests();
    expect(main[0]?.headers['authorization']).toBe(`Bearer ${OAUTH_ENV.CLAUDE_CODE_OAUTH_TOKEN}`);
    expect(main[0]?.headers['x-api-key']).toBeUndefined();
    // Subscribers' 429s are not retried (MAX_RETRIES notwithstanding).
    expect(main).toHaveLength(2);
    expect(kinds(run)).toEqual([
      'system/init',
      'assistant/tool_use',
      'rate_limit_event/allowed_warning',
      'user',
      'rate_limit_event/rejected',
      'assistant/synthetic',
      'result',
    ]);
    expect(ofType(run, 'rate_limit_event')).toEqual([
      {
        type: 'rate_limit_event',
        rate_limit_info: { status: 'allowed_warning', resetsAt, rateLimitType: 'five_hour', utilization: 0.92, isUsingOverage: false, surpassedThreshold: 0.9 },
        uuid: expect.any(String),
        session_id: run.sessionId,
      },
      {
        type: 'rate_limit_event',
        // resetsAt: epoch seconds, verbatim from anthropic-ratelimit-unified-reset.
        rate_limit_info: { status: 'rejected', resetsAt, rateLimitType: 'five_hour', isUsingOverage: false },
        uuid: expect.any(String),
        session_id: run.sessionId,
      },
    ]);
    // "resets <local time> (<TZ>)", e.g. "resets 7:42am (UTC)"; a date is added when the reset is not today.
    const text = /^You've hit your session limit · resets .+$/;
    expect(ofType(run, 'assistant').at(-1)).toMatchObject({
      error: 'rate_limit',
      message: { model: '<synthetic>', content: [{ type: 'text', text: expect.stringMatching(text) }] },
    });
    expect(finalResult(run)).toMatchObject({
      type: 'result',
      subtype: 'success',
      is_error: true,
      api_error_status: 429,
      result: expect.stringMatching(text),
      num_turns: 2,
      terminal_reason: 'completed',
    });
    expect(ofType(run, 'system', 'api_retry')).toEqual([]);
  });

  it.runIf(RECORDING)('every first response yields a rate_limit_event, even without any rate-limit header', { timeout: T }, async () => {
    const env = await setupClaude([turn(text('done'))]);
    const run = await env.run('x', { env: OAUTH_ENV });
    expect(run.exitCode).toBe(0);
    expect(kinds(run)).toEqual(['system/init', 'assistant/text', 'rate_limit_event/allowed', 'result']);
    expect(ofType(run, 'rate_limit_event')[0]?.['rate_limit_info']).toEqual({ status: 'allowed', isUsingOverage: false });
  });

  it.runIf(RECORDING)('429 without unified headers: "not your usage limit" text, still a rejected rate_limit_event', { timeout: T }, async () => {
    const env = await setupClaude(() => apiError(429, 'rate_limit_error', RATE_LIMIT_MESSAGE, { 'retry-after': '1' }));
    const run = await env.run('x', { env: { ...OAUTH_ENV, CLAUDE_CODE_MAX_RETRIES: '1' } });
    saveFixture('rate-limit-oauth-429-plain', run, env);

    expect(run.exitCode).toBe(1);
    expect(env.api.mainRequests()).toHaveLength(1);
    expect(kinds(run)).toEqual(['system/init', 'rate_limit_event/rejected', 'assistant/synthetic', 'result']);
    expect(ofType(run, 'rate_limit_event')[0]?.['rate_limit_info']).toEqual({ status: 'rejected', isUsingOverage: false });
    expect(finalResult(run)).toMatchObject({
      is_error: true,
      api_error_status: 429,
      result: `API Error: Server is temporarily limiting requests (not your usage limit) · ${RATE_LIMIT_MESSAGE}`,
    });
  });
});
