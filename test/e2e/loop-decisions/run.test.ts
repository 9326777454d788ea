import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { completionReport, text, turn, writeTool } from '../../support/scripted-api.js';
import { honestAgent, runEnv, scriptedApi, taskMarker } from '../harness.js';
import { runCli } from '../../support/cli.js';
import { makeProject, readPlan, readStateJson as readState, taskStatuses } from '../../support/files.js';

const task = (id: string, file: string, extra: Record<string, unknown> = {}) => ({ id, title: `Make ${file}`, file, status: 'pending', ...extra });

describe('ccasp run with the real claude binary', () => {
  it('rejects a false completion claim and retries with the reason', async () => {
    const dir = makeProject({ name: 'Liar', phases: [{ id: 'P1', name: 'Only', tasks: [task('T1', 'out/x.txt')] }] });
    const api = await scriptedApi({
      [taskMarker('T1')]: (_req, ctx) => {
        const retried = ctx.prompt.includes('Earlier attempts at this task');
        if (!retried) return turn(text(completionReport({ taskId: 'T1', artifacts: ['out/x.txt'], summary: 'done, trust me' })));
        if (ctx.turn === 0) return turn(writeTool(path.join(ctx.cwd!, 'out/x.txt'), 'real\n'));
        return turn(text(completionReport({ taskId: 'T1', artifacts: ['out/x.txt'], summary: 'really done' })));
      },
    });
    const r = await runCli(['run', 'plan'], { cwd: dir, env: runEnv(api.url) });
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(r.stdout).toMatch(/T1 attempt 1 rejected: claimed completion, but these files do not exist: out\/x\.txt/);
    const plan = readPlan(dir);
    expect(plan.phases[0]!.tasks[0]).toMatchObject({ status: 'completed', attempts: 2 });
    const state = readState(dir);
    expect(state.failedTasks).toHaveLength(1);
    expect(state.failedTasks[0]).toMatchObject({ taskId: 'T1', attempt: 1, outcome: 'retry' });
    const retryPrompt = api.mainRequests().map((q) => q.messages[0]?.content.map((b) => b.text ?? '').join('')).find((t) => t?.includes('Earlier attempts'));
    expect(retryPrompt).toContain('these files do not exist: out/x.txt');
  });

  it('does not accept a report for another task, or no report at all, and stops repeating the same failure', async () => {
    const dir = makeProject({
      name: 'Confused',
      phases: [{ id: 'P1', name: 'Only', tasks: [task('T1', 'a.txt'), task('T2', 'b.txt')] }],
    });
    const api = await scriptedApi({
      [taskMarker('T1')]: (_req, ctx) =>
        ctx.turn === 0 ? turn(writeTool(path.join(ctx.cwd!, 'a.txt'), 'a\n')) : turn(text(completionReport({ taskId: 'T2', artifacts: ['a.txt'], summary: 'wrong id' }))),
      [taskMarker('T2')]: () => turn(text('I did my best.')),
    });
    const r = await runCli(['run', 'plan', '--max-retries', '3'], { cwd: dir, env: runEnv(api.url) });
    expect(r.code, r.stdout + r.stderr).toBe(4);
    expect(r.stdout).toContain('the report names task "T2", not T1');
    expect(r.stdout).toContain('without a TASK_COMPLETE, TASK_BLOCKED or TASK_FAILED report');
    expect(taskStatuses(dir)).toEqual({ T1: 'blocked', T2: 'blocked' });
    const t1 = readPlan(dir).phases[0]!.tasks[0]!;
    // The second attempt of each changed nothing (claude's Write refuses to overwrite an unread file)
    // and failed the same way: the circuit breaker stops them well before the four allowed attempts.
    expect(t1.attempts).toBe(2);
    expect(t1.blocker).toMatch(/^the same failure twice in a row with no file changed: the report names task "T2", not T1/);
    expect(readPlan(dir).phases[0]!.tasks[1]!.attempts).toBe(2);
    expect(readPlan(dir).phases[0]!.tasks[1]!.blocker).toMatch(/^the same failure twice in a row with no file changed: the agent ended without a TASK_COMPLETE/);
    expect(readState(dir).blockedTasks.map((b) => b.taskId).sort()).toEqual(['T1', 'T2']);
  });

  it('escalates a blocked report and goes on with other tasks', async () => {
    const dir = makeProject({
      name: 'Blocked',
      phases: [{ id: 'P1', name: 'Only', tasks: [task('T1', 'a.txt'), task('T2', 'b.txt')] }],
    });
    const api = await scriptedApi({
      [taskMarker('T1')]: () =>
        turn(text('TASK_BLOCKED: T1\nBLOCKER: the STRIPE_KEY secret is not set\nSUGGESTED_ACTION: add STRIPE_KEY to .env')),
      [taskMarker('T2')]: honestAgent('T2', ['b.txt']),
    });
    const r = await runCli(['run', 'plan'], { cwd: dir, env: runEnv(api.url) });
    expect(r.code, r.stdout + r.stderr).toBe(4);
    expect(taskStatuses(dir)).toEqual({ T1: 'blocked', T2: 'completed' });
    expect(readPlan(dir).phases[0]!.tasks[0]!.blocker).toBe('the STRIPE_KEY secret is not set');
    expect(readState(dir).blockedTasks).toEqual([
      expect.objectContaining({ taskId: 'T1', blocker: 'the STRIPE_KEY secret is not set', suggestedAction: 'add STRIPE_KEY to .env' }),
    ]);
    expect(r.stdout).toContain('add STRIPE_KEY to .env');
    // Exactly one agent for the blocked task: a blocker is not retried.
    expect(readState(dir).attempts.filter((a) => a.taskId === 'T1')).toHaveLength(1);
  });
});
