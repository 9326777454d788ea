import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { runCli } from '../support/cli.js';
import { makeProject, readStateJson as readState, taskStatuses } from '../support/files.js';
import { processesWith } from '../support/processes.js';
import { authError, serverError, usageLimitReached, type RecordedRequest, type ScriptedApi } from '../support/scripted-api.js';
import { honestAgent, runEnv, scriptedApi, taskMarker } from './harness.js';

/**
 * How ccasp reads the real claude binary meeting API errors (against the scripted API): a 5xx that
 * claude retries itself, refused credentials that claude would retry for minutes, and a
 * subscription's usage limit with its reset time. One claude start each.
 */

const onePlan = () => makeProject({ name: 'Errors', phases: [{ id: 'P1', name: 'Only', tasks: [{ id: 'T1', title: 'Make a.txt', file: 'a.txt', status: 'pending' }] }] });

const answeredWith = (api: ScriptedApi, status: number): RecordedRequest[] => api.mainRequests().filter((r) => r.reply?.status === status);

describe('API errors, through the real claude binary', () => {
  it('leaves a 5xx to claude\'s own retry: the task completes in its first attempt', async () => {
    const dir = onePlan();
    const honest = honestAgent('T1', ['a.txt']);
    const api = await scriptedApi({ [taskMarker('T1')]: (req, ctx) => (ctx.attempt === 0 && ctx.turn === 0 ? serverError() : honest(req, ctx)) });
    const r = await runCli(['run', 'plan', '--max-retries', '0'], { cwd: dir, env: runEnv(api.url, { CLAUDE_CODE_MAX_RETRIES: '1' }) });
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(api.scriptErrors).toEqual([]);
    expect(answeredWith(api, 500)).toHaveLength(1);
    const state = readState(dir);
    expect(state.attempts).toEqual([expect.objectContaining({ taskId: 'T1', attempt: 1, outcome: 'completed' })]);
    // claude said it was retrying, and ccasp let it.
    expect(readFileSync(state.attempts[0]!.log!, 'utf8')).toMatch(/"subtype":"api_retry".*"error_status":500/);
  });

  it('ends the agent at once when the credentials are refused (401), without waiting out claude\'s own retries', async () => {
    const dir = onePlan();
    const api = await scriptedApi({ [taskMarker('T1')]: () => authError() });
    // claude itself would retry a 401 ten times over about three minutes; only ccasp's cut at the
    // first `api_retry` line can make this run short.
    const r = await runCli(['run', 'plan', '--max-retries', '3'], { cwd: dir, env: runEnv(api.url, { CLAUDE_CODE_MAX_RETRIES: '10' }) });
    expect(r.code, r.stdout + r.stderr).toBe(5);
    expect(r.stdout).toContain('the Anthropic API refused the credentials (HTTP 401)');
    // One refused request, perhaps a second if claude's first retry (≈0.5 s later) beat the kill.
    expect(answeredWith(api, 401).length).toBeGreaterThanOrEqual(1);
    expect(answeredWith(api, 401).length).toBeLessThanOrEqual(2);
    const state = readState(dir);
    expect(state.attempts).toEqual([expect.objectContaining({ taskId: 'T1', attempt: 1, outcome: 'fatal' })]);
    expect(state.attempts[0]!.reason).toMatch(/refused the credentials \(HTTP 401\)/);
    // The agent was ended, not left retrying in the background.
    expect(processesWith(state.attempts[0]!.sessionId!)).toEqual([]);
  });

  it('stops at a usage limit, naming its reset time, and pauses the run (--no-wait: exit 7)', async () => {
    const dir = onePlan();
    const resetsAt = Math.ceil(Date.now() / 1000) + 3600;
    const api = await scriptedApi({ [taskMarker('T1')]: () => usageLimitReached(resetsAt) });
    // claude reports usage limits only when logged in to a subscription; a fake OAuth token makes it one.
    const env = runEnv(api.url, { ANTHROPIC_API_KEY: '', CLAUDE_CODE_OAUTH_TOKEN: 'fake-oauth-token-for-tests' });
    const r = await runCli(['run', 'plan', '--no-wait'], { cwd: dir, env });
    expect(r.code, r.stdout + r.stderr).toBe(7);
    expect(r.stdout).toContain(`usage limit reached; it resets at ${new Date(resetsAt * 1000).toISOString()}`);
    expect(taskStatuses(dir)).toEqual({ T1: 'pending' });
    const state = readState(dir);
    expect(state.status).toBe('paused');
    expect(state.attempts.map((a) => a.outcome)).toEqual(['rate-limited']);
    expect(state.failedTasks).toEqual([]);
  });
});
