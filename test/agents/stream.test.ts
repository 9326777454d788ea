import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { StreamReader } from '../../src/agents/stream.js';

const FIXTURES = path.join(path.dirname(fileURLToPath(import.meta.url)), '../fixtures/stream');

/** Feeds a captured stream to a reader line by line, as the delegate does with claude's stdout. */
function read(fixture: string): { reader: StreamReader; lines: string[] } {
  const lines = readFileSync(path.join(FIXTURES, fixture), 'utf8').split('\n');
  const reader = new StreamReader();
  for (const line of lines) reader.push(line);
  return { reader, lines };
}

describe('StreamReader on captured claude streams', () => {
  it('write-success: session, tool call, report text, usage and cost', () => {
    const { reader } = read('write-success.jsonl');
    expect(reader.sessionId).toBe('c0130a8a-84cb-4591-9589-5965a6d1f139');
    expect(reader.model).toBe('claude-sonnet-4-5');
    expect(reader.toolCalls).toBe(1);
    expect(reader.apiRetries).toEqual([]);
    expect(reader.unparsed).toBe(0);
    expect(reader.result).toEqual({
      isError: false,
      subtype: 'success',
      text: 'TASK_COMPLETE: P1.1\nSTATUS: completed\nARTIFACTS: [src/a.ts]\nSUMMARY: Added a.ts',
      errors: [],
      sessionId: 'c0130a8a-84cb-4591-9589-5965a6d1f139',
      numTurns: 2,
      durationMs: 110,
      costUsd: 0.00149715,
      // Totals from the result line, not the per-response snapshots on assistant lines.
      usage: { inputTokens: 270, outputTokens: 42, cacheCreationTokens: 7, cacheReadTokens: 103 },
      denials: [],
    });
    expect(reader.result).not.toHaveProperty('apiErrorStatus');
  });

  it('error-max-turns: error subtype, errors list, no result text', () => {
    const { reader } = read('error-max-turns.jsonl');
    expect(reader.sessionId).toBe('8c49ff14-a8d2-44d2-8299-ed5b44403789');
    expect(reader.toolCalls).toBe(1);
    expect(reader.result).toMatchObject({
      isError: true,
      subtype: 'error_max_turns',
      text: '',
      errors: ['Reached maximum number of turns (1)'],
      numTurns: 2,
      costUsd: 0.000285,
      usage: { inputTokens: 50, outputTokens: 9, cacheCreationTokens: 0, cacheReadTokens: 0 },
    });
    expect(reader.result).not.toHaveProperty('apiErrorStatus');
  });

  it('api-error-401: the retry status and the result status are both 401', () => {
    const { reader } = read('api-error-401.jsonl');
    expect(reader.sessionId).toBe('c46f557a-4911-4fcb-87c0-7924f36df3a3');
    expect(reader.apiRetries).toEqual([{ status: 401, message: 'authentication_failed' }]);
    expect(reader.toolCalls).toBe(0);
    expect(reader.result).toMatchObject({
      isError: true,
      subtype: 'success',
      apiErrorStatus: 401,
      text: 'Invalid API key · Fix external API key',
      numTurns: 1,
      costUsd: 0,
      usage: { inputTokens: 0, outputTokens: 0, cacheCreationTokens: 0, cacheReadTokens: 0 },
    });
  });

  it.each([
    ['api-error-500.jsonl', 500, 'server_error', '48df1619-5b1a-4753-ae07-5340c027dcce'],
    ['api-error-529.jsonl', 529, 'overloaded', '5ef3cdf1-70c9-401a-a851-54bf91818c52'],
  ])('%s: server error status from retry and result', (fixture, status, error, session) => {
    const { reader } = read(fixture);
    expect(reader.sessionId).toBe(session);
    expect(reader.apiRetries).toEqual([{ status, message: error }]);
    expect(reader.result).toMatchObject({ isError: true, subtype: 'success', apiErrorStatus: status, numTurns: 1 });
    expect(reader.result?.text).toMatch(new RegExp(`^API Error: ${status} `));
  });

  it('retry-then-success: a 529 retry, then a clean result', () => {
    const { reader } = read('retry-then-success.jsonl');
    expect(reader.apiRetries).toEqual([{ status: 529, message: 'overloaded' }]);
    expect(reader.result).toMatchObject({ isError: false, subtype: 'success', text: 'recovered', numTurns: 1, costUsd: 0.000105 });
    expect(reader.result).not.toHaveProperty('apiErrorStatus');
  });

  it('interrupted-sigint: error_during_execution with its diagnostic', () => {
    const { reader } = read('interrupted-sigint.jsonl');
    expect(reader.sessionId).toBe('9705d11d-af3e-4eb3-b8b5-6bb4b1976c55');
    expect(reader.toolCalls).toBe(0);
    expect(reader.result).toMatchObject({
      isError: true,
      subtype: 'error_during_execution',
      text: '',
      errors: ['[ede_diagnostic] result_type=user last_content_type=n/a stop_reason=null'],
      numTurns: 2,
    });
  });

  it('rate limits: only a rejected rate_limit_event with a reset time is a usage limit', () => {
    // A subscriber's usage limit: warned, then rejected, with the reset time in epoch seconds.
    expect(read('rate-limit-oauth-warning-then-rejected.jsonl').reader.rateLimitedUntil).toBe(1795686366 * 1000);
    // A subscriber's plain 429 is rejected without a reset time; with an API key there is no event at all.
    for (const fixture of ['rate-limit-oauth-429-plain.jsonl', 'rate-limit-429-retry-after.jsonl', 'rate-limit-429-retry-after-too-long.jsonl', 'rate-limit-watchdog-wait.jsonl']) {
      expect(read(fixture).reader.rateLimitedUntil, fixture).toBeUndefined();
    }
    expect(read('rate-limit-429-retry-after.jsonl').reader.apiRetries).toEqual([{ status: 429, message: 'rate_limit' }]);
  });

  it('recognises every non-empty line of every fixture', () => {
    for (const fixture of ['write-success.jsonl', 'error-max-turns.jsonl', 'api-error-401.jsonl', 'api-error-500.jsonl', 'api-error-529.jsonl', 'retry-then-success.jsonl', 'interrupted-sigint.jsonl']) {
      const reader = new StreamReader();
      const lines = readFileSync(path.join(FIXTURES, fixture), 'utf8').split('\n').filter((l) => l.trim() !== '');
      const parsed = lines.map((l) => reader.push(l));
      expect(parsed.every((p) => p !== undefined), fixture).toBe(true);
      expect(parsed.at(-1)?.type, fixture).toBe('result');
    }
  });

  it('a stream cut off before its result line leaves the result undefined', () => {
    const lines = readFileSync(path.join(FIXTURES, 'write-success.jsonl'), 'utf8').split('\n').filter((l) => l.trim() !== '');
    const reader = new StreamReader();
    for (const line of lines.slice(0, -1)) reader.push(line);
    expect(reader.sessionId).toBe('c0130a8a-84cb-4591-9589-5965a6d1f139');
    expect(reader.toolCalls).toBe(1);
    expect(reader.result).toBeUndefined();
  });
});

describe('StreamReader: permission denials', () => {
  // The result line's `permission_denials` as claude 2.1.197 printed it for two refused Bash calls.
  const resultWith = (denials: unknown): string =>
    JSON.stringify({ type: 'result', subtype: 'success', is_error: false, result: 'done', session_id: 's', num_turns: 3, permission_denials: denials });

  it('keeps each refused call with the rule that would allow it', () => {
    const reader = new StreamReader();
    reader.push(
      resultWith([
        { tool_name: 'Bash', tool_use_id: 'toolu_1', tool_input: { command: 'npm install left-pad', description: 'Run command' } },
        { tool_name: 'Bash', tool_use_id: 'toolu_4', tool_input: { command: 'node -e "console.log(1)" && echo x', description: 'Run command' } },
      ]),
    );
    expect(reader.result?.denials).toEqual([
      { tool: 'Bash', input: 'npm install left-pad', rule: 'Bash(npm install:*)' },
      { tool: 'Bash', input: 'node -e "console.log(1)" && echo x', rule: 'Bash(node:*),Bash(echo:*)' },
    ]);
  });

  it('a shape it does not know costs the denials, not the result', () => {
    const reader = new StreamReader();
    reader.push(resultWith('three'));
    expect(reader.result).toMatchObject({ text: 'done', denials: [] });
  });
});

describe('StreamReader: noise', () => {
  it('ignores garbage lines and unknown types without throwing', () => {
    const reader = new StreamReader();
    const noise = [
      '',
      '   ',
      'Warning: something on stdout',
      '{not json',
      '{"type":"stream_event","event":{"type":"message_start"}}',
      '{"type":"system","subtype":"compact_boundary","session_id":"x"}',
      '{"type":"result"}',
      '{"type":"assistant","message":"not an object"}',
      '{}',
      '[1,2,3]',
      'null',
      '{"type":"system","subtype":"init"}',
    ];
    for (const line of noise) expect(reader.push(line)).toBeUndefined();
    expect(reader.sessionId).toBeUndefined();
    expect(reader.result).toBeUndefined();
    expect(reader.apiRetries).toEqual([]);
    expect(reader.toolCalls).toBe(0);
    expect(reader.unparsed).toBe(1);
  });

  it('keeps reading after noise between real lines', () => {
    const lines = readFileSync(path.join(FIXTURES, 'write-success.jsonl'), 'utf8').split('\n');
    const reader = new StreamReader();
    for (const line of lines) {
      reader.push(line);
      reader.push('{"broken": ');
      reader.push('{"type":"mystery"}');
    }
    expect(reader.result?.text).toContain('TASK_COMPLETE: P1.1');
    expect(reader.toolCalls).toBe(1);
  });

  it('counts every tool_use block of an assistant line', () => {
    const reader = new StreamReader();
    reader.push(
      JSON.stringify({
        type: 'assistant',
        message: { content: [{ type: 'text', text: 'hi' }, { type: 'tool_use', name: 'Read', input: {} }, { type: 'tool_use', name: 'Bash', input: {} }] },
      }),
    );
    expect(reader.toolCalls).toBe(2);
  });

  it('records an api_retry without an HTTP status', () => {
    const reader = new StreamReader();
    reader.push('{"type":"system","subtype":"api_retry","attempt":1,"error_status":null,"error":"unknown"}');
    expect(reader.apiRetries).toEqual([{ message: 'unknown' }]);
  });

  it('accepts CRLF and surrounding spaces on a line', () => {
    const reader = new StreamReader();
    reader.push('  {"type":"system","subtype":"init","session_id":"abc"}\r');
    expect(reader.sessionId).toBe('abc');
  });
});
