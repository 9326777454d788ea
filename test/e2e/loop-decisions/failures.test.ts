import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { authError, completionReport, hang, overloaded, serverError, text, toolUse, turn, type RecordedRequest, type Script, type ScriptedApi } from '../../support/scripted-api.js';
import { honestAgent, runEnv, scriptedApi, taskMarker } from '../harness.js';
import { runCli } from '../../support/cli.js';
import { makeProject, readPlan, readStateJson as readState, taskStatuses } from '../../support/files.js';
import { processesWith } from '../../support/processes.js';

/**
 * How ccasp handles agents that fail: API errors, refused credentials, silence, false claims, a
 * failed phase with another agent still at work, and a person unblocking a task. Everything is
 * checked in PROGRESS.json and state.json, not only in the exit code.
 */

const task = (id: string, file: string, extra: Record<string, unknown> = {}) => ({ id, title: `Make ${file}`, file, status: 'pending', ...extra });

const onePhase = (name: string, ...tasks: ReturnType<typeof task>[]) => makeProject({ name, phases: [{ id: 'P1', name: 'Only', tasks }] });

/**
 * One script per ccasp attempt: each attempt is a new claude conversation (a new session id), so the
 * n-th session that reaches this route is answered by the n-th script (the last one from then on).
 */
function perAttempt(...scripts: Script[]): Script {
  const sessions: (string | null)[] = [];
  return (req, ctx) => {
    if (!sessions.includes(ctx.sessionId)) sessions.push(ctx.sessionId);
    const index = Math.min(sessions.indexOf(ctx.sessionId), scripts.length - 1);
    return scripts[index]!(req, ctx);
  };
}

/** Main-loop requests whose conversation is about `taskId`. */
const requestsFor = (api: ScriptedApi, taskId: string): RecordedRequest[] =>
  api.mainRequests().filter((r) => r.messages[0]?.content.some((b) => b.text?.includes(taskMarker(taskId))) === true);

const answeredWith = (api: ScriptedApi, status: number): RecordedRequest[] => api.mainRequests().filter((r) => r.reply?.status === status);

describe('API errors through the real claude binary', () => {
  it('retries after an API 500 and completes on the second attempt', async () => {
    const dir = onePhase('Server error', task('T1', 'a.txt'));
    const api = await scriptedApi({ [taskMarker('T1')]: perAttempt(() => serverError(), honestAgent('T1', ['a.txt'])) });
    const r = await runCli(['run', 'plan', '--max-retries', '2'], { cwd: dir, env: runEnv(api.url) });
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(api.scriptErrors).toEqual([]);
    // CLAUDE_CODE_MAX_RETRIES=0: claude gave up at once, and the retry was ccasp's own.
    expect(answeredWith(api, 500)).toHaveLength(1);
    expect(r.stdout).toMatch(/T1 attempt 1 rejected: the agent ended in error \(API error 500\).* — retrying/);

    const plan = readPlan(dir);
    expect(plan.status).toBe('completed');
    expect(plan.phases[0]).toMatchObject({ status: 'completed' });
    expect(plan.phases[0]!.tasks[0]).toMatchObject({ status: 'completed', attempts: 2 });
    expect(plan.phases[0]!.tasks[0]!.blocker).toBeUndefined();
    const state = readState(dir);
    expect(state.status).toBe('completed');
    expect(state.failedTasks).toHaveLength(1);
    expect(state.failedTasks[0]).toMatchObject({ taskId: 'T1', attempt: 1, outcome: 'retry' });
    expect(state.failedTasks[0]!.reason).toMatch(/API error 500/);
    expect(state.failedTasks[0]!.reason).toContain('Internal server error');
    expect(state.attempts.map((a) => a.outcome)).toEqual(['retry', 'completed']);
    expect(state.blockedTasks).toEqual([]);
    expect(state.completedTasks).toEqual(['T1']);
    expect(state.activeAgents).toEqual([]);
  });

  it('retries after an API 529 overload and completes on the second attempt', async () => {
    const dir = onePhase('Overloaded', task('T1', 'a.txt'));
    const api = await scriptedApi({ [taskMarker('T1')]: perAttempt(() => overloaded(), honestAgent('T1', ['a.txt'])) });
    const r = await runCli(['run', 'plan', '--max-retries', '2'], { cwd: dir, env: runEnv(api.url) });
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(answeredWith(api, 529)).toHaveLength(1);

    expect(readPlan(dir).phases[0]!.tasks[0]).toMatchObject({ status: 'completed', attempts: 2 });
    expect(readPlan(dir).phases[0]!.status).toBe('completed');
    const state = readState(dir);
    expect(state.status).toBe('completed');
    expect(state.failedTasks).toEqual([expect.objectContaining({ taskId: 'T1', attempt: 1, outcome: 'retry' })]);
    expect(state.failedTasks[0]!.reason).toMatch(/API error 529/);
    expect(state.failedTasks[0]!.reason).toContain('Overloaded');
    expect(state.blockedTasks).toEqual([]);
  });

  it('treats refused credentials (401) as fatal at once, without waiting out claude\'s own retries', async () => {
    const dir = makeProject({
      name: 'Bad key',
      phases: [
        { id: 'P1', name: 'One', tasks: [task('T1', 'a.txt')] },
        { id: 'P2', name: 'Two', tasks: [task('T2', 'b.txt', { dependencies: ['T1'] })] },
      ],
    });
    // The key is refused until a person fixes it (here: until the first conversation is over).
    const api = await scriptedApi({
      [taskMarker('T1')]: perAttempt(() => authError(), honestAgent('T1', ['a.txt'])),
      [taskMarker('T2')]: honestAgent('T2', ['b.txt']),
    });
    // claude itself would retry a 401 ten times over about three minutes; only ccasp's cut at the
    // first `api_retry` line can make this run short.
    const r = await runCli(['run', 'plan', '--max-retries', '3'], { cwd: dir, env: runEnv(api.url, { CLAUDE_CODE_MAX_RETRIES: '10' }) });
    expect(r.code, r.stdout + r.stderr).toBe(5);
    expect(r.stdout).toContain('the Anthropic API refused the credentials (HTTP 401)');
    // One refused request, perhaps a second if claude's first retry (≈0.5 s later) beat the kill.
    expect(answeredWith(api, 401).length).toBeGreaterThanOrEqual(1);
    expect(answeredWith(api, 401).length).toBeLessThanOrEqual(2);
    expect(requestsFor(api, 'T2')).toEqual([]);

    const plan = readPlan(dir);
    expect(plan.phases[0]!.status).toBe('failed');
    expect(plan.phases[1]!.status ?? 'pending').toBe('pending');
    expect(plan.phases[0]!.tasks[0]).toMatchObject({ status: 'pending', attempts: 1 });
    expect(plan.phases[0]!.tasks[0]!.blocker).toBeUndefined();
    expect(taskStatuses(dir)).toEqual({ T1: 'pending', T2: 'pending' });
    const state = readState(dir);
    expect(state.status).toBe('failed');
    expect(state.attempts).toHaveLength(1);
    expect(state.attempts[0]).toMatchObject({ taskId: 'T1', attempt: 1, outcome: 'fatal' });
    expect(state.attempts[0]!.reason).toMatch(/refused the credentials \(HTTP 401\)/);
    expect(state.failedTasks).toHaveLength(1);
    expect(state.blockedTasks).toEqual([]);
    expect(state.activeAgents).toEqual([]);
    expect(state.metrics.totalAgentsSpawned).toBe(1);
    // The agent was ended, not left retrying in the background.
    expect(processesWith(state.attempts[0]!.sessionId!)).toEqual([]);

    // Once the credentials work, a plain rerun goes on: the aborted phase reopens from its tasks.
    const again = await runCli(['run', 'plan'], { cwd: dir, env: runEnv(api.url) });
    expect(again.code, again.stdout + again.stderr).toBe(0);
    expect(taskStatuses(dir)).toEqual({ T1: 'completed', T2: 'completed' });
    expect(readPlan(dir).phases.map((p) => p.status)).toEqual(['completed', 'completed']);
    expect(readPlan(dir).phases[0]!.tasks[0]!.attempts).toBe(2);
    expect(readState(dir)).toMatchObject({ status: 'completed', blockedTasks: [], pendingTasks: [] });
  });
});

describe('agents that go quiet or run long', () => {
  it('ends an agent whose request is never answered (--stall-timeout 2s) and retries', async () => {
    const dir = onePhase('Silent', task('T1', 'a.txt'));
    const api = await scriptedApi({ [taskMarker('T1')]: perAttempt(() => hang(), honestAgent('T1', ['a.txt'])) });
    const r = await runCli(['run', 'plan', '--stall-timeout', '2s', '--max-retries', '1'], { cwd: dir, env: runEnv(api.url) });
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(r.stdout).toContain('T1 attempt 1 rejected: the agent printed nothing for 2 s and was stopped as stalled');

    expect(readPlan(dir).phases[0]!.tasks[0]).toMatchObject({ status: 'completed', attempts: 2 });
    const state = readState(dir);
    expect(state.status).toBe('completed');
    expect(state.failedTasks).toEqual([
      expect.objectContaining({ taskId: 'T1', attempt: 1, outcome: 'retry', reason: 'the agent printed nothing for 2 s and was stopped as stalled' }),
    ]);
    expect(processesWith(state.attempts[0]!.sessionId!)).toEqual([]);
  });

  it('ends an agent that keeps working past --task-timeout, though it never stalls, and retries', async () => {
    const dir = onePhase('Endless', task('T1', 'a.txt'));
    // The first agent reads a file every 0.5 s, for ever: always printing, never done.
    const busy: Script = (_req, ctx) => turn(toolUse('Read', { file_path: path.join(ctx.cwd!, 'plan', 'PROGRESS.json') }), { delayMs: 500 });
    const api = await scriptedApi({ [taskMarker('T1')]: perAttempt(busy, honestAgent('T1', ['a.txt'])) });
    const r = await runCli(['run', 'plan', '--task-timeout', '4s', '--stall-timeout', '3s', '--max-retries', '1'], { cwd: dir, env: runEnv(api.url) });
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(r.stdout).toContain('T1 attempt 1 rejected: the agent ran past the 4 s time limit and was stopped');

    expect(readPlan(dir).phases[0]!.tasks[0]).toMatchObject({ status: 'completed', attempts: 2 });
    const state = readState(dir);
    expect(state.failedTasks).toEqual([
      expect.objectContaining({ taskId: 'T1', attempt: 1, outcome: 'retry', reason: 'the agent ran past the 4 s time limit and was stopped' }),
    ]);
    // It really was busy: several turns before it was stopped.
    expect(requestsFor(api, 'T1').filter((q) => q.sessionId === state.attempts[0]!.sessionId).length).toBeGreaterThan(3);
    expect(processesWith(state.attempts[0]!.sessionId!)).toEqual([]);
  });
});

describe('agents whose reports cannot be accepted', () => {
  it('blocks a task after three false completion claims (--max-retries 2) and exits 4', async () => {
    const dir = onePhase('Liar', task('T1', 'x.txt'));
    // Each attempt claims a different file, so the failures differ and the circuit breaker stays out of it.
    const liar = (n: number): Script => () => turn(text(completionReport({ taskId: 'T1', artifacts: [`missing-${n}.txt`], summary: `done ${n}, trust me` })));
    const api = await scriptedApi({ [taskMarker('T1')]: perAttempt(liar(1), liar(2), liar(3)) });
    const r = await runCli(['run', 'plan', '--max-retries', '2'], { cwd: dir, env: runEnv(api.url) });
    expect(r.code, r.stdout + r.stderr).toBe(4);
    expect(api.scriptErrors).toEqual([]);
    expect(new Set(requestsFor(api, 'T1').map((q) => q.sessionId)).size).toBe(3);

    const blocker = 'gave up after 3 attempts; last: claimed completion, but these files do not exist: missing-3.txt, x.txt';
    const t1 = readPlan(dir).phases[0]!.tasks[0]!;
    expect(t1).toMatchObject({ status: 'blocked', attempts: 3, blocker });
    expect(readPlan(dir).phases[0]!.status).toBe('blocked');
    const state = readState(dir);
    expect(state.status).toBe('blocked');
    expect(state.blockedTasks).toEqual([expect.objectContaining({ taskId: 'T1', blocker })]);
    expect(state.attempts.map((a) => [a.attempt, a.outcome, a.reason])).toEqual([
      [1, 'retry', 'claimed completion, but these files do not exist: missing-1.txt, x.txt'],
      [2, 'retry', 'claimed completion, but these files do not exist: missing-2.txt, x.txt'],
      [3, 'blocked', blocker],
    ]);
    expect(state.failedTasks).toHaveLength(3);
    expect(state.pendingTasks).toEqual([]);
    expect(state.completedTasks).toEqual([]);
  });

  it('lets a running agent finish when another fails its phase, and starts nothing new', async () => {
    const dir = onePhase('Aborted', task('A', 'a.txt'), task('B', 'b.txt'), task('C', 'c.txt'));
    const slowB = honestAgent('B', ['b.txt']);
    const api = await scriptedApi({
      [taskMarker('A')]: () => turn(text('TASK_FAILED: A\nERROR: the API it needs was removed')),
      // Two turns of 1.5 s each: B is still at work when A fails.
      [taskMarker('B')]: (req, ctx) => ({ ...slowB(req, ctx), delayMs: 1500 }),
      [taskMarker('C')]: honestAgent('C', ['c.txt']),
    });
    const r = await runCli(['run', 'plan', '--concurrency', '2'], { cwd: dir, env: runEnv(api.url) });
    expect(r.code, r.stdout + r.stderr).toBe(5);
    expect(api.scriptErrors).toEqual([]);
    expect(r.stdout).toContain('A failed: the API it needs was removed');
    // B's second turn was answered after A's report: B was still running when the phase failed.
    const aReport = requestsFor(api, 'A').at(-1)!;
    expect(requestsFor(api, 'B').at(-1)!.seq).toBeGreaterThan(aReport.seq);
    expect(requestsFor(api, 'C')).toEqual([]);

    expect(taskStatuses(dir)).toEqual({ A: 'failed', B: 'completed', C: 'pending' });
    const plan = readPlan(dir);
    expect(plan.phases[0]!.status).toBe('failed');
    expect(plan.status).not.toBe('completed');
    expect(plan.phases[0]!.tasks[0]).toMatchObject({ status: 'failed', attempts: 1, blocker: 'the API it needs was removed' });
    expect(plan.phases[0]!.tasks[1]).toMatchObject({ status: 'completed', attempts: 1 });
    expect(plan.phases[0]!.tasks[2]!.attempts).toBeUndefined();
    const state = readState(dir);
    expect(state.status).toBe('failed');
    expect(state.completedTasks).toEqual(['B']);
    expect(state.pendingTasks).toEqual(['C']);
    expect(state.failedTasks).toEqual([expect.objectContaining({ taskId: 'A', attempt: 1, outcome: 'fatal', reason: 'the API it needs was removed' })]);
    expect(state.blockedTasks).toEqual([]);
    expect(state.attempts.map((a) => a.taskId).sort()).toEqual(['A', 'B']);
    expect(state.metrics.totalAgentsSpawned).toBe(2);
    expect(state.activeAgents).toEqual([]);
  });

  it('runs a blocked task again after `ccasp unblock`, and completes it', async () => {
    const dir = onePhase('Unblock', task('T1', 'a.txt'));
    const api = await scriptedApi({
      [taskMarker('T1')]: perAttempt(
        () => turn(text('TASK_BLOCKED: T1\nBLOCKER: the DATABASE_URL secret is not set\nSUGGESTED_ACTION: add DATABASE_URL to .env')),
        honestAgent('T1', ['a.txt']),
      ),
    });
    const env = runEnv(api.url);
    const first = await runCli(['run', 'plan'], { cwd: dir, env });
    expect(first.code, first.stdout + first.stderr).toBe(4);
    expect(readPlan(dir).phases[0]!.tasks[0]).toMatchObject({ status: 'blocked', attempts: 1, blocker: 'the DATABASE_URL secret is not set' });
    expect(readState(dir)).toMatchObject({
      status: 'blocked',
      blockedTasks: [expect.objectContaining({ taskId: 'T1', blocker: 'the DATABASE_URL secret is not set', suggestedAction: 'add DATABASE_URL to .env' })],
    });

    const unblock = await runCli(['unblock', 'T1', 'plan'], { cwd: dir, env });
    expect(unblock.code, unblock.stdout + unblock.stderr).toBe(0);
    expect(unblock.stdout).toContain('T1: blocked → pending');
    const reopened = readPlan(dir).phases[0]!.tasks[0]!;
    expect(reopened.status).toBe('pending');
    expect('blocker' in reopened).toBe(false);
    expect(readState(dir)).toMatchObject({ status: 'paused', blockedTasks: [], pendingTasks: ['T1'] });

    const second = await runCli(['run', 'plan'], { cwd: dir, env });
    expect(second.code, second.stdout + second.stderr).toBe(0);
    const done = readPlan(dir).phases[0]!.tasks[0]!;
    expect(done).toMatchObject({ status: 'completed', attempts: 2 });
    expect('blocker' in done).toBe(false);
    expect(readPlan(dir).status).toBe('completed');
    const state = readState(dir);
    expect(state.status).toBe('completed');
    expect(state.blockedTasks).toEqual([]);
    expect(state.completedTasks).toEqual(['T1']);
    expect(state.attempts.map((a) => [a.attempt, a.outcome])).toEqual([
      [1, 'blocked'],
      [2, 'completed'],
    ]);
    // Two conversations, one per run.
    expect(new Set(requestsFor(api, 'T1').map((q) => q.sessionId)).size).toBe(2);
  });
});
