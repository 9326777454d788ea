/**
 * The scripted Messages API server on its own (no claude): its server-sent events, its answers to
 * everything claude sends besides the main loop, its rate-limit headers, and the stream fixtures
 * recorded through it (test/e2e/claude-stream.test.ts and claude-rate-limits.test.ts record them).
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { text, turn, unifiedRateLimitHeaders, usageLimitReached, writeTool } from './scripted-api.js';
import type { StreamLine } from './run-claude.js';
import { FIXTURE_DIR, scriptedServer } from './scripted-claude.js';

const RATE_LIMIT_MESSAGE = "This request would exceed your account's rate limit. Please try again later.";

describe('scripted API server (no claude)', () => {
  it('streams a turn as Messages API server-sent events', async () => {
    const s = await scriptedServer([turn([text('hi'), writeTool('/x/a.ts', 'A')], { usage: { input_tokens: 7, output_tokens: 3 } })], { chunkSize: 4 });
    const res = await fetch(`${s.url}/v1/messages?beta=true`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'm', stream: true, tools: [{ name: 'Write' }], messages: [{ role: 'user', content: 'go' }] }),
    });
    expect(res.headers.get('content-type')).toMatch(/^text\/event-stream/);
    const events = (await res.text())
      .split('\n\n')
      .filter((c) => c.trim())
      .map((chunk) => {
        const [ev, data] = chunk.split('\n');
        const parsed: unknown = JSON.parse((data ?? '').replace(/^data: /, ''));
        return { event: (ev ?? '').replace(/^event: /, ''), data: parsed as Record<string, unknown> };
      });
    expect(events.map((e) => e.event)).toEqual([
      'message_start',
      'ping',
      'content_block_start',
      'content_block_delta',
      'content_block_stop',
      'content_block_start',
      ...Array<string>(Math.ceil(JSON.stringify({ file_path: '/x/a.ts', content: 'A' }).length / 4)).fill('content_block_delta'),
      'content_block_stop',
      'message_delta',
      'message_stop',
    ]);
    for (const e of events) expect(e.data['type']).toBe(e.event);
    const json = events
      .filter((e) => e.event === 'content_block_delta' && e.data['index'] === 1)
      .map((e) => (e.data['delta'] as { partial_json: string }).partial_json)
      .join('');
    expect(JSON.parse(json)).toEqual({ file_path: '/x/a.ts', content: 'A' });
    expect(events.find((e) => e.event === 'message_delta')?.data).toEqual({
      type: 'message_delta',
      delta: { stop_reason: 'tool_use', stop_sequence: null },
      usage: { output_tokens: 3 },
    });
    expect(s.mainRequests()[0]?.reply).toEqual({ kind: 'turn', status: 200 });
  });

  it('answers side calls, count_tokens, the probe and unknown paths harmlessly', async () => {
    const s = await scriptedServer([]);
    const post = (path: string, body: unknown): Promise<Response> =>
      fetch(`${s.url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });

    const side = await post('/v1/messages', { model: 'claude-haiku', max_tokens: 10, messages: [{ role: 'user', content: 'title?' }] });
    expect(await side.json()).toMatchObject({ type: 'message', role: 'assistant', content: [{ type: 'text', text: 'OK' }], stop_reason: 'end_turn' });
    const sideStream = await post('/v1/messages', { model: 'claude-haiku', stream: true, messages: [{ role: 'user', content: 'x' }] });
    expect(await sideStream.text()).toContain('event: message_stop');
    const count = await post('/v1/messages/count_tokens', { model: 'm', messages: [{ role: 'user', content: 'hello' }] });
    expect(await count.json()).toEqual({ input_tokens: expect.any(Number) });
    expect((await fetch(`${s.url}/`, { method: 'HEAD' })).status).toBe(200);
    const other = await fetch(`${s.url}/v1/models`);
    expect(other.status).toBe(404);
    expect(await other.json()).toMatchObject({ type: 'error', error: { type: 'not_found_error' } });

    // A main-loop request the script has no answer for fails loudly with a
    // non-retryable 400 instead of hanging the test.
    const main = await post('/v1/messages', { model: 'm', tools: [{ name: 'Bash' }], messages: [{ role: 'user', content: 'x' }] });
    expect(main.status).toBe(400);
    expect(s.scriptErrors).toHaveLength(1);
    expect(s.requests.map((r) => r.kind)).toEqual(['side', 'side', 'count_tokens', 'probe', 'other', 'main']);
  });
});

describe('scripted API server: rate-limit headers (no claude)', () => {
  it('sends per-turn headers on streamed and non-streamed 200s, and on usageLimitReached 429s', async () => {
    const h = unifiedRateLimitHeaders({ status: 'allowed_warning', resetsAt: 1_800_000_000, utilization: 0.92, surpassedThreshold: 0.9 });
    expect(h).toEqual({
      'anthropic-ratelimit-unified-status': 'allowed_warning',
      'anthropic-ratelimit-unified-reset': '1800000000',
      'anthropic-ratelimit-unified-5h-reset': '1800000000',
      'anthropic-ratelimit-unified-representative-claim': 'five_hour',
      'anthropic-ratelimit-unified-5h-utilization': '0.92',
      'anthropic-ratelimit-unified-5h-surpassed-threshold': '0.9',
    });
    const s = await scriptedServer((_r, ctx) => (ctx.turn === 0 ? turn(text('hi'), { headers: h }) : usageLimitReached(1_800_000_000, { retryAfter: 5 })));
    const post = (body: Record<string, unknown>): Promise<Response> =>
      fetch(`${s.url}/v1/messages`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ model: 'm', tools: [{ name: 'Bash' }], ...body }) });

    for (const stream of [true, false]) {
      const res = await post({ stream, messages: [{ role: 'user', content: 'x' }] });
      expect(res.status).toBe(200);
      expect(res.headers.get('anthropic-ratelimit-unified-status')).toBe('allowed_warning');
      expect(res.headers.get('anthropic-ratelimit-unified-5h-surpassed-threshold')).toBe('0.9');
      expect(res.headers.get('request-id')).toMatch(/^req_scripted_/);
      await res.text();
    }
    const rejected = await post({ messages: [{ role: 'user', content: 'x' }, { role: 'assistant', content: 'y' }, { role: 'user', content: 'z' }] });
    expect(rejected.status).toBe(429);
    expect(rejected.headers.get('anthropic-ratelimit-unified-status')).toBe('rejected');
    expect(rejected.headers.get('anthropic-ratelimit-unified-reset')).toBe('1800000000');
    expect(rejected.headers.get('anthropic-ratelimit-unified-representative-claim')).toBe('five_hour');
    expect(rejected.headers.get('retry-after')).toBe('5');
    expect(await rejected.json()).toMatchObject({ type: 'error', error: { type: 'rate_limit_error', message: RATE_LIMIT_MESSAGE } });
  });
});

describe('committed stream fixtures', () => {
  const files = existsSync(FIXTURE_DIR) ? readdirSync(FIXTURE_DIR).filter((f) => f.endsWith('.jsonl')) : [];

  it('exist for the cases the parser needs', () => {
    expect(files).toEqual(expect.arrayContaining(['write-success.jsonl', 'api-error-500.jsonl', 'api-error-401.jsonl', 'error-max-turns.jsonl']));
  });

  it.each(files)('%s: JSON lines from system init to result, no temp paths', (f) => {
    const raw = readFileSync(join(FIXTURE_DIR, f), 'utf8');
    const lines = raw.trimEnd().split('\n').map((l) => JSON.parse(l) as StreamLine);
    expect(lines[0]).toMatchObject({ type: 'system', subtype: 'init', cwd: '/project' });
    expect(lines.at(-1)?.type).toBe('result');
    expect(raw).not.toMatch(/\/tmp\/|ccasp-cwd-|ccasp-cfg-/);
  });
});
