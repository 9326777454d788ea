/**
 * Drives the real claude CLI (node_modules/.bin/claude) against the scripted
 * Messages API on 127.0.0.1 and pins down what it prints: that the scripted
 * server makes claude behave as the real API does, for what ccasp reads.
 *
 * UPDATE_STREAM_FIXTURES=1 rewrites test/fixtures/stream/*.jsonl from these runs,
 * and runs the checks of claude behaviour ccasp does not rely on (RECORDING).
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  apiError,
  authError,
  bashTool,
  byPrompt,
  completionReport,
  cwdOf,
  hang,
  overloaded,
  promptOf,
  serverError,
  text,
  toolResultsOf,
  toolResultText,
  turn,
  turnOf,
  writeTool,
  type ScriptSource,
} from '../support/scripted-api.js';
import { runClaude, startClaude, type ClaudeRun } from '../support/run-claude.js';
import { finalResult, MODEL, ofType, RECORDING, saveFixture, setupClaude, T } from '../support/scripted-claude.js';
import { tempDir } from '../support/tmp.js';

interface ContentBlock {
  type: string;
  text?: string;
  id?: string;
  name?: string;
  input?: Record<string, unknown>;
  tool_use_id?: string;
  content?: unknown;
  is_error?: boolean;
}
interface MessageLine {
  message: { content: ContentBlock[]; model?: string };
}

function blocks(run: ClaudeRun, type: 'assistant' | 'user'): ContentBlock[] {
  return ofType(run, type).flatMap((e) => (e as unknown as MessageLine).message.content);
}

describe('real claude against the scripted API', () => {
  it('Write tool + completion report: file written, stream-json lines and usage', { timeout: T }, async () => {
    const report = completionReport({ taskId: 'P1.1', status: 'completed', artifacts: ['src/a.ts'], summary: 'Added a.ts' });
    const fileContent = 'export const a = 1;\n';
    const u1 = { input_tokens: 120, output_tokens: 30, cache_creation_input_tokens: 7, cache_read_input_tokens: 3 };
    const u2 = { input_tokens: 150, output_tokens: 12, cache_creation_input_tokens: 0, cache_read_input_tokens: 100 };
    const env = await setupClaude((_req, ctx) => {
      if (ctx.turn === 0) {
        return turn([text('Writing the file.'), writeTool(`${ctx.cwd}/src/a.ts`, fileContent)], { usage: u1 });
      }
      return turn(text(report), { usage: u2 });
    });

    const run = await env.run('Task P1.1: create src/a.ts');
    saveFixture('write-success', run, env);

    expect(run.timedOut).toBe(false);
    expect(run.exitCode).toBe(0);
    // (1) the real Write tool ran
    expect(readFileSync(join(env.cwd, 'src/a.ts'), 'utf8')).toBe(fileContent);

    // (2) stream-json shape
    expect(run.events[0]).toMatchObject({
      type: 'system',
      subtype: 'init',
      cwd: env.cwd,
      session_id: run.sessionId,
      model: MODEL,
      permissionMode: 'acceptEdits',
      apiKeySource: 'ANTHROPIC_API_KEY',
      claude_code_version: '2.1.197',
    });
    const assistant = blocks(run, 'assistant');
    expect(assistant).toEqual([
      { type: 'text', text: 'Writing the file.' },
      { type: 'tool_use', id: expect.stringMatching(/^toolu_/), name: 'Write', input: { file_path: join(env.cwd, 'src/a.ts'), content: fileContent } },
      { type: 'text', text: report },
    ]);
    // One assistant line per content block, each carrying message_start usage.
    expect(ofType(run, 'assistant')).toHaveLength(3);
    const toolId = assistant[1]?.id;
    const userLines = ofType(run, 'user');
    expect(userLines).toHaveLength(1);
    expect(userLines[0]).toMatchObject({
      message: { role: 'user', content: [{ type: 'tool_result', tool_use_id: toolId }] },
      tool_use_result: { type: 'create', filePath: join(env.cwd, 'src/a.ts'), content: fileContent },
    });
    const result = finalResult(run);
    expect(result).toMatchObject({
      type: 'result',
      subtype: 'success',
      is_error: false,
      api_error_status: null,
      result: report,
      num_turns: 2,
      stop_reason: 'end_turn',
      session_id: run.sessionId,
      terminal_reason: 'completed',
      // Summed over both responses: input-side from message_start, output from message_delta.
      usage: {
        input_tokens: u1.input_tokens + u2.input_tokens,
        output_tokens: u1.output_tokens + u2.output_tokens,
        cache_creation_input_tokens: u1.cache_creation_input_tokens + u2.cache_creation_input_tokens,
        cache_read_input_tokens: u1.cache_read_input_tokens + u2.cache_read_input_tokens,
      },
      modelUsage: {
        [MODEL]: { inputTokens: 270, outputTokens: 42, cacheCreationInputTokens: 7, cacheReadInputTokens: 103 },
      },
    });
    expect(result['total_cost_usd']).toEqual(expect.any(Number));
    expect(result['duration_ms']).toEqual(expect.any(Number));

    // What claude sent: the HEAD / probe and one streamed main-loop call per turn.
    const main = env.api.mainRequests();
    expect(main).toHaveLength(2);
    expect(env.api.requests.filter((r) => r.kind !== 'main').map((r) => `${r.method} ${r.path}`)).toEqual(['HEAD /']);
    for (const r of main) {
      expect(r).toMatchObject({ url: '/v1/messages?beta=true', model: MODEL, stream: true, sessionId: run.sessionId });
      expect(r.headers['x-api-key']).toBe('test-key');
      expect(r.toolNames).toEqual(expect.arrayContaining(['Bash', 'Write', 'Edit', 'Read']));
      expect(cwdOf(r)).toBe(env.cwd);
      expect(promptOf(r)).toBe('Task P1.1: create src/a.ts');
    }
    expect(main.map(turnOf)).toEqual([0, 1]);
    const results = toolResultsOf(main[1]!);
    expect(results).toHaveLength(1);
    expect(toolResultText(results[0]!)).toContain('File created successfully');
    expect(env.api.scriptErrors).toEqual([]);
  });

  it.runIf(RECORDING)('Bash tool_use runs in the cwd and its output comes back as tool_result', { timeout: T }, async () => {
    const env = await setupClaude([turn(bashTool('printf hi > out.txt && echo bash-said-done')), turn(text('ok'))]);
    const run = await env.run('run it');
    expect(run.exitCode).toBe(0);
    expect(readFileSync(join(env.cwd, 'out.txt'), 'utf8')).toBe('hi');
    expect(blocks(run, 'user')).toEqual([
      { type: 'tool_result', tool_use_id: expect.any(String), content: 'bash-said-done', is_error: false },
    ]);
    expect(ofType(run, 'user')[0]).toMatchObject({ tool_use_result: { stdout: 'bash-said-done', stderr: '', interrupted: false } });
    expect(toolResultText(toolResultsOf(env.api.mainRequests()[1]!)[0]!)).toBe('bash-said-done');
    expect(finalResult(run)).toMatchObject({ subtype: 'success', is_error: false, result: 'ok' });
  });

  it.runIf(RECORDING)('--max-turns 1 with a tool call ends with error_max_turns', { timeout: T }, async () => {
    const env2 = await setupClaude((_r, ctx) =>
      ctx.turn === 0 ? turn(writeTool(`${ctx.cwd}/src/b.ts`, 'b\n'), { usage: { input_tokens: 50, output_tokens: 9 } }) : turn(text('unreachable')),
    );
    const run = await env2.run('one turn only', { extraArgs: ['--max-turns', '1'] });
    saveFixture('error-max-turns', run, env2);
    expect(run.exitCode).toBe(1);
    // The tool of turn 1 still ran; only the follow-up request is never made.
    expect(readFileSync(join(env2.cwd, 'src/b.ts'), 'utf8')).toBe('b\n');
    expect(env2.api.mainRequests()).toHaveLength(1);
    const result = finalResult(run);
    expect(result).toMatchObject({
      type: 'result',
      subtype: 'error_max_turns',
      is_error: true,
      num_turns: 2,
      stop_reason: 'tool_use',
      terminal_reason: 'max_turns',
      errors: ['Reached maximum number of turns (1)'],
      usage: { input_tokens: 50, output_tokens: 9 },
    });
    // Error-subtype results carry neither `result` nor `api_error_status`.
    expect(result).not.toHaveProperty('result');
    expect(result).not.toHaveProperty('api_error_status');
  });

  it.each([
    // lineError: the assistant line's `error` is classified differently from
    // api_retry's for 529 ("server_error" vs "overloaded").
    { name: 'api-error-500', reply: serverError(), status: 500, error: 'server_error', lineError: 'server_error', text: /^API Error: 500 Internal server error\./ },
    { name: 'api-error-529', reply: overloaded(), status: 529, error: 'overloaded', lineError: 'server_error', text: /^API Error: 529 Overloaded\./ },
    { name: 'api-error-401', reply: authError(), status: 401, error: 'authentication_failed', lineError: 'authentication_failed', text: /^Invalid API key · Fix external API key$/ },
  ])('HTTP $status: api_retry events, synthetic assistant line, is_error result', { timeout: T }, async (c) => {
    const env = await setupClaude(() => c.reply);
    const run = await env.run('fail please', { env: { CLAUDE_CODE_MAX_RETRIES: '1' } });
    saveFixture(c.name, run, env);

    expect(run.exitCode).toBe(1);
    expect(run.durationMs).toBeLessThan(10_000);
    // 1 try + 1 retry
    expect(env.api.mainRequests()).toHaveLength(2);
    expect(ofType(run, 'system', 'api_retry')).toEqual([
      {
        type: 'system',
        subtype: 'api_retry',
        attempt: 1,
        max_retries: 1,
        retry_delay_ms: expect.any(Number),
        error_status: c.status,
        error: c.error,
        session_id: run.sessionId,
        uuid: expect.any(String),
      },
    ]);
    const assistant = ofType(run, 'assistant');
    expect(assistant).toHaveLength(1);
    expect(assistant[0]).toMatchObject({
      error: c.lineError,
      // From the failed response's request-id header.
      request_id: expect.stringMatching(/^req_scripted_/),
      message: { model: '<synthetic>', stop_reason: 'stop_sequence', content: [{ type: 'text', text: expect.stringMatching(c.text) }] },
    });
    expect(finalResult(run)).toMatchObject({
      type: 'result',
      // Not an error subtype: API failures are "success" with is_error.
      subtype: 'success',
      is_error: true,
      api_error_status: c.status,
      result: expect.stringMatching(c.text),
      num_turns: 1,
      total_cost_usd: 0,
      modelUsage: {},
      usage: { input_tokens: 0, output_tokens: 0 },
    });
  });

  it.runIf(RECORDING)('a 400 is not retried', { timeout: T }, async () => {
    const env = await setupClaude(() => apiError(400, 'invalid_request_error', 'prompt is too long'));
    const run = await env.run('x', { env: { CLAUDE_CODE_MAX_RETRIES: '3' } });
    expect(env.api.mainRequests()).toHaveLength(1);
    expect(ofType(run, 'system', 'api_retry')).toEqual([]);
    expect(finalResult(run)).toMatchObject({ subtype: 'success', is_error: true, api_error_status: 400 });
  });

  it('a 529 that clears on retry ends in success', { timeout: T }, async () => {
    const env = await setupClaude((_r, ctx) => (ctx.attempt === 0 ? overloaded() : turn(text('recovered'))));
    const run = await env.run('x', { env: { CLAUDE_CODE_MAX_RETRIES: '2' } });
    saveFixture('retry-then-success', run, env);
    expect(run.exitCode).toBe(0);
    expect(ofType(run, 'system', 'api_retry')).toMatchObject([{ attempt: 1, max_retries: 2, error_status: 529, error: 'overloaded' }]);
    expect(finalResult(run)).toMatchObject({ subtype: 'success', is_error: false, result: 'recovered', api_error_status: null });
  });

  it.runIf(RECORDING)('no response at all: API_TIMEOUT_MS bounds it, error_status null', { timeout: T }, async () => {
    const env = await setupClaude(() => hang('before-headers'));
    const run = await env.run('x', { env: { API_TIMEOUT_MS: '1500', CLAUDE_CODE_MAX_RETRIES: '0' } });
    expect(run.exitCode).toBe(1);
    expect(finalResult(run)).toMatchObject({ subtype: 'success', is_error: true, api_error_status: null, result: 'Request timed out' });
  });

  it.runIf(RECORDING)('a stream that stalls mid-response keeps claude waiting; SIGTERM kills it with no result line', { timeout: T }, async () => {
    const env = await setupClaude(() => hang('mid-stream'));
    const started = startClaude({ apiUrl: env.api.url, cwd: env.cwd, configDir: env.configDir, prompt: 'x', model: MODEL, timeoutMs: T - 2_000 });
    await env.api.waitForRequest((r) => r.kind === 'main');
    await new Promise((r) => setTimeout(r, 1_500));
    expect(started.child.exitCode).toBeNull();
    started.child.kill('SIGTERM');
    const run = await started.done;
    expect(run.timedOut).toBe(false);
    // claude traps SIGTERM and exits 143 itself rather than dying of the signal.
    expect(run.exitCode).toBe(143);
    expect(run.events.map((e) => e.type)).toEqual(['system']);
    expect(env.api.mainRequests()[0]?.reply).toEqual({ kind: 'hang', status: 200 });
  });

  it.runIf(RECORDING)('SIGINT during a stalled stream: error_during_execution result, exit code 0', { timeout: T }, async () => {
    const env = await setupClaude(() => hang('mid-stream'));
    const started = startClaude({ apiUrl: env.api.url, cwd: env.cwd, configDir: env.configDir, prompt: 'x', model: MODEL, timeoutMs: T - 2_000 });
    await env.api.waitForRequest((r) => r.kind === 'main');
    // Time for claude to read the message_start the server sent: under a busy full suite 500 ms was
    // sometimes too little, and an interrupt before it is a different case from the one recorded here.
    await new Promise((r) => setTimeout(r, 1_500));
    started.child.kill('SIGINT');
    const run = await started.done;
    saveFixture('interrupted-sigint', run, env);
    expect(run.exitCode).toBe(0);
    expect(ofType(run, 'user')).toMatchObject([{ message: { role: 'user', content: [{ type: 'text', text: '[Request interrupted by user]' }] } }]);
    expect(finalResult(run)).toMatchObject({
      subtype: 'error_during_execution',
      is_error: true,
      stop_reason: null,
      terminal_reason: 'aborted_streaming',
      errors: [expect.any(String)],
    });
  });

  it('one server serves concurrent claude processes, routed by task id in the prompt', { timeout: T }, async () => {
    const script = (id: string, file: string): ScriptSource => (_r, ctx) =>
      ctx.turn === 0
        ? turn(writeTool(`${ctx.cwd}/${file}`, `// ${id}\n`))
        : turn(text(completionReport({ taskId: id, artifacts: [file], summary: `wrote ${file}` })));
    const env = await setupClaude(byPrompt({ 'P1.1': script('P1.1', 'one.ts'), 'P1.2': script('P1.2', 'two.ts') }));
    const cwd2 = tempDir('ccasp-cwd-');
    const [r1, r2] = await Promise.all([
      env.run('Implement task P1.1'),
      runClaude({ apiUrl: env.api.url, cwd: cwd2, prompt: 'Implement task P1.2', model: MODEL, timeoutMs: T - 2_000 }),
    ]);
    expect(readFileSync(join(env.cwd, 'one.ts'), 'utf8')).toBe('// P1.1\n');
    expect(readFileSync(join(cwd2, 'two.ts'), 'utf8')).toBe('// P1.2\n');
    expect(existsSync(join(env.cwd, 'two.ts'))).toBe(false);
    expect(finalResult(r1)['result']).toMatch(/^TASK_COMPLETE: P1.1\n/);
    expect(finalResult(r2)['result']).toMatch(/^TASK_COMPLETE: P1.2\n/);
    expect(new Set(env.api.mainRequests().map((r) => r.sessionId))).toEqual(new Set([r1.sessionId, r2.sessionId]));
    expect(env.api.scriptErrors).toEqual([]);
  });
});
