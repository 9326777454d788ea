import { copyFileSync, mkdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { Chalk } from 'chalk';
import { describe, expect, it } from 'vitest';
import { logsCommand } from '../../src/cli/commands/logs.js';
import { taskLogs } from '../../src/state/orchestrator-files.js';
import { renderTranscript, toolSummary } from '../../src/agents/transcript.js';
import { loadPlan } from '../../src/plan/load.js';
import { logPath, statePath } from '../../src/state/paths.js';
import { newState } from '../../src/state/new-state.js';
import { REPO_ROOT, runCli } from '../support/cli.js';
import { runCommand } from '../support/command.js';
import { makeProject } from '../support/files.js';
import { writeFile } from '../support/tmp.js';

const plain = new Chalk({ level: 0 });
const fixture = (name: string) => path.join(REPO_ROOT, 'test/fixtures/stream', name);
const read = (name: string) => readFileSync(fixture(name), 'utf8');

/** A project with a plan, two logged attempts of P1.1 and state.json recording them. */
async function project(): Promise<string> {
  const dir = makeProject({
    name: 'Logs fixture',
    phases: [
      {
        id: 'P1',
        name: 'One',
        tasks: [
          { id: 'P1.1', title: 'Write a', status: 'completed' },
          { id: 'P1.2', title: 'Not yet', status: 'pending' },
        ],
      },
    ],
  });
  mkdirSync(path.dirname(logPath(dir, 'P1.1', 1)), { recursive: true });
  copyFileSync(fixture('retry-then-success.jsonl'), logPath(dir, 'P1.1', 1));
  copyFileSync(fixture('write-success.jsonl'), logPath(dir, 'P1.1', 2));
  // Another task whose id starts the same way must not be picked up.
  copyFileSync(fixture('api-error-500.jsonl'), logPath(dir, 'P1.11', 1));
  const doc = await loadPlan(path.join(dir, 'plan'));
  const usage = { inputTokens: 1, outputTokens: 1, cacheCreationTokens: 0, cacheReadTokens: 0 };
  const state = newState(doc.plan, 'plan/PROGRESS.json', '2026-01-01T00:00:00.000Z');
  state.attempts.push(
    { taskId: 'P1.1', attempt: 1, outcome: 'retry', reason: 'no completion report', startedAt: '2026-01-01T00:00:00.000Z', finishedAt: '2026-01-01T00:00:01.000Z', durationMs: 1000, costUsd: 0.0001, usage },
    { taskId: 'P1.1', attempt: 2, outcome: 'completed', startedAt: '2026-01-01T00:00:05.000Z', finishedAt: '2026-01-01T00:00:07.500Z', durationMs: 2500, costUsd: 0.0015, usage },
  );
  writeFile(dir, path.relative(dir, statePath(dir)), state);
  return dir;
}

describe('renderTranscript', () => {
  it('shows what claude said, its tool calls and results, and the final result', () => {
    const lines = renderTranscript(read('write-success.jsonl'), plain);
    expect(lines[0]).toMatch(/^session c0130a8a-84cb-4591-9589-5965a6d1f139 · claude-sonnet-4-5 · \/project$/);
    expect(lines).toContain('Writing the file.');
    expect(lines).toContain('→ Write src/a.ts (1 line)');
    expect(lines.some((l) => l.startsWith('  ← File created successfully at: /project/src/a.ts'))).toBe(true);
    const result = lines.findIndex((l) => l.startsWith('✔ result: success · 2 turns · '));
    expect(result).toBeGreaterThan(0);
    expect(lines[result]).toMatch(/\$0\.0015 · tokens 270 in, 42 out, 103 cache read, 7 cache write$/);
    // The final report is what claude said last; it is not printed a second time.
    expect(lines.filter((l) => l.includes('TASK_COMPLETE: P1.1'))).toHaveLength(1);
  });

  it('shows each tool call claude denied, with the rule that would allow it', () => {
    const denied = { tool_name: 'Bash', tool_use_id: 'toolu_1', tool_input: { command: 'npm install left-pad', description: 'Run command' } };
    const lines = renderTranscript(JSON.stringify({ type: 'result', subtype: 'success', is_error: false, result: 'done', permission_denials: [denied] }), plain);
    expect(lines).toContain('  ⊘ denied Bash "npm install left-pad"; allow it with Bash(npm install:*)');
  });

  it('shows API retries, the synthetic error and a failed result', () => {
    const retry = renderTranscript(read('retry-then-success.jsonl'), plain);
    expect(retry).toContain('⟳ API retry 1/2: 529 overloaded, next try in 0.5s');
    const failed = renderTranscript(read('api-error-500.jsonl'), plain);
    expect(failed.some((l) => /^✖ API Error: 500 /.test(l))).toBe(true);
    expect(failed.some((l) => l.startsWith('✖ result: error (API 500)'))).toBe(true);
  });

  it('shows the errors of an error result and the usage-limit events', () => {
    const maxTurns = renderTranscript(read('error-max-turns.jsonl'), plain);
    expect(maxTurns.some((l) => l.startsWith('✖ result: error_max_turns'))).toBe(true);
    expect(maxTurns).toContain('  Reached maximum number of turns (1)');
    const limited = renderTranscript(read('rate-limit-oauth-warning-then-rejected.jsonl'), plain);
    expect(limited.some((l) => /^rate limit allowed_warning \(five_hour\), 92% used, resets 20\d\d-/.test(l))).toBe(true);
    expect(limited.some((l) => l.startsWith('⏸ usage limit reached (five_hour)'))).toBe(true);
    const interrupted = renderTranscript(read('interrupted-sigint.jsonl'), plain);
    expect(interrupted).toContain('user: [Request interrupted by user]');
  });

  it('shortens long tool results unless --full, and copes with noise and a missing result', () => {
    const long = Array.from({ length: 10 }, (_, i) => `line ${i} ${'x'.repeat(200)}`).join('\n');
    const text = [
      'not json at all',
      JSON.stringify({ type: 'assistant', message: { content: [{ type: 'tool_use', id: 't1', name: 'Bash', input: { command: 'npm test\n  --silent' } }] } }),
      JSON.stringify({ type: 'user', message: { content: [{ type: 'tool_result', tool_use_id: 't1', content: [{ type: 'text', text: long }], is_error: true }] } }),
      JSON.stringify({ type: 'assistant', parent_tool_use_id: 'toolu_9', message: { content: [{ type: 'thinking', thinking: 'hmm' }] } }),
      JSON.stringify({ type: 'stream_event' }),
      '',
    ].join('\n');
    const short = renderTranscript(text, plain);
    expect(short[0]).toBe('not JSON: not json at all');
    expect(short[1]).toBe('→ Bash $ npm test --silent');
    expect(short[2]).toMatch(/^ {2}✖ Bash: line 0 x+…$/);
    expect(short[2]!.length).toBeLessThan(180);
    expect(short).toContain('    … 6 more lines (--full shows them)');
    expect(short).toContain('    thinking: hmm');
    expect(short).toContain('(stream_event line)');
    expect(short.at(-1)).toBe('⚠ no result line: claude was stopped or crashed, or it is still running');
    const full = renderTranscript(text, plain, { full: true });
    expect(full.filter((l) => l.includes(`line 9 ${'x'.repeat(200)}`))).toHaveLength(1);
  });

  it('summarises the inputs of the common tools', () => {
    expect(toolSummary('Read', { file_path: '/p/src/x.ts' }, '/p')).toBe('src/x.ts');
    expect(toolSummary('Grep', { pattern: 'TODO', path: '/p/src' }, '/p')).toBe('TODO in src');
    expect(toolSummary('WebFetch', { url: 'https://example.com' }, undefined)).toBe('https://example.com');
    expect(toolSummary('Task', { description: 'write tests', subagent_type: 'l3-worker' }, undefined)).toBe('l3-worker: write tests');
    expect(toolSummary('TodoWrite', { todos: [1, 2] }, undefined)).toBe('2 todos');
    expect(toolSummary('mcp__x__y', { a: 1 }, undefined)).toBe('{"a":1}');
  });
});

describe('logsCommand', () => {
  it('lists only the logs of the task asked for', async () => {
    const dir = await project();
    expect((await taskLogs(dir, 'P1.1')).map((l) => l.attempt)).toEqual([1, 2]);
    expect((await taskLogs(dir, 'P1.11')).map((l) => l.attempt)).toEqual([1]);
    expect(await taskLogs(dir, 'P1.2')).toEqual([]);
  });

  it("prints every attempt with ccasp's verdict from state.json", async () => {
    const dir = await project();
    const r = await runCommand(logsCommand, ['logs', 'P1.1', 'plan'], dir);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(`── P1.1 Write a · attempt 1 ── ${path.join('.claude', 'orchestrator', 'logs', 'P1.1.1.jsonl')}`);
    expect(r.stdout).toContain('rejected: no completion report (2026-01-01T00:00:00.000Z · 1.0s · $0.0001)');
    expect(r.stdout).toContain('  ⟳ API retry 1/2: 529 overloaded');
    expect(r.stdout).toContain('── P1.1 Write a · attempt 2 ──');
    expect(r.stdout).toContain('accepted (2026-01-01T00:00:05.000Z · 2.5s · $0.0015)');
    expect(r.stdout).toContain('  → Write src/a.ts (1 line)');
    expect(r.stdout.indexOf('attempt 1')).toBeLessThan(r.stdout.indexOf('attempt 2'));
  });

  it('shows one attempt with --attempt and the raw lines with --json', async () => {
    const dir = await project();
    const one = await runCommand(logsCommand, ['logs', 'P1.1', 'plan', '--attempt', '2'], dir);
    expect(one.code).toBe(0);
    expect(one.stdout).not.toContain('attempt 1');
    const raw = await runCommand(logsCommand, ['logs', 'P1.1', 'plan', '--json'], dir);
    expect(raw.stdout).toBe(read('retry-then-success.jsonl') + read('write-success.jsonl'));
    const rawOne = await runCommand(logsCommand, ['logs', 'P1.1', 'plan', '--json', '--attempt', '1'], dir);
    expect(rawOne.stdout).toBe(read('retry-then-success.jsonl'));
  });

  it('says so when a task has no logs yet (exit 0) and refuses unknown tasks and attempts (exit 2)', async () => {
    const dir = await project();
    const none = await runCommand(logsCommand, ['logs', 'P1.2', 'plan'], dir);
    expect(none.code).toBe(0);
    expect(none.stdout).toBe('');
    expect(none.stderr).toContain('P1.2 has no agent logs in');
    expect(none.stderr).toContain('status pending');
    const unknown = await runCommand(logsCommand, ['logs', 'P9', 'plan'], dir);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('no task "P9"');
    const attempt = await runCommand(logsCommand, ['logs', 'P1.1', 'plan', '--attempt', '3'], dir);
    expect(attempt.code).toBe(2);
    expect(attempt.stderr).toContain('P1.1 has no log for attempt 3; attempts with logs: 1, 2');
    const bad = await runCommand(logsCommand, ['logs', 'P1.1', 'plan', '--attempt', 'x'], dir);
    expect(bad.code).toBe(2);
  });
});

// Spawns bin/ccasp: passes once main.ts registers logsCommand and dist/ is rebuilt.
describe('ccasp logs (CLI; needs main.ts wiring)', () => {
  it('prints a readable transcript through a pipe, without colour', async () => {
    const dir = await project();
    const r = await runCli(['logs', 'P1.1', 'plan', '--attempt', '2'], { cwd: dir });
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('→ Write src/a.ts (1 line)');
    expect(r.stdout).not.toContain('\u001b[');
  });
});
