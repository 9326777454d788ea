import { describe, expect, it } from 'vitest';
import { scriptedAgent } from '../support/agents.js';
import { runCli } from '../support/cli.js';
import { makeProject, readPlan, readStateJson } from '../support/files.js';

/**
 * What a person does between runs, through the built CLI with a scripted stand-in for claude:
 * unblock a task once its blocker is fixed, reset a completed one, raise a budget that paused a run.
 */

const plan = (...ids: string[]) =>
  makeProject({ name: 'People in the loop', phases: [{ id: 'P1', name: 'Only', tasks: ids.map((id) => ({ id, title: `Make ${id}`, file: `${id}.txt`, status: 'pending' })) }] });

const blockedFirst = { T1: [[{ report: 'TASK_BLOCKED: T1\nBLOCKER: needs the database password\nSUGGESTED_ACTION: put it in .env' }], [{ write: 'T1.txt' }, { complete: {} }]] };

describe('ccasp unblock and reset', () => {
  it('a blocked run (exit 4) goes on after `ccasp unblock`, and completes the task', async () => {
    const dir = plan('T1', 'T2');
    const agent = scriptedAgent(blockedFirst);
    const first = await runCli(['run', 'plan'], { cwd: dir, env: agent.env() });
    expect(first.code, first.stderr).toBe(4);
    expect(readPlan(dir).phases[0]!.tasks.map((t) => [t.id, t.status, t.blocker])).toEqual([
      ['T1', 'blocked', 'needs the database password'],
      ['T2', 'completed', undefined],
    ]);

    const unblocked = await runCli(['unblock', 'T1', 'plan'], { cwd: dir, env: agent.env() });
    expect(unblocked.code, unblocked.stderr).toBe(0);
    expect(unblocked.stdout).toContain('T1: blocked → pending');
    expect(readPlan(dir).phases[0]!.tasks[0]).toMatchObject({ status: 'pending', attempts: 1 });
    expect(readPlan(dir).phases[0]!.tasks[0]!.blocker).toBeUndefined();
    expect(readStateJson(dir)).toMatchObject({ status: 'paused', blockedTasks: [] });

    const again = await runCli(['run', 'plan'], { cwd: dir, env: agent.env() });
    expect(again.code, again.stderr).toBe(0);
    expect(readPlan(dir).phases[0]!.tasks[0]).toMatchObject({ status: 'completed', attempts: 2 });
    expect(agent.starts().map((s) => s.taskId)).toEqual(['T1', 'T2', 'T1']);
  });

  it('`ccasp unblock` refuses a task that is not blocked or failed, and `ccasp reset` puts a completed one back', async () => {
    const dir = plan('T1');
    const agent = scriptedAgent();
    expect((await runCli(['run', 'plan'], { cwd: dir, env: agent.env() })).code).toBe(0);
    const refused = await runCli(['unblock', 'T1', 'plan'], { cwd: dir, env: agent.env() });
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain('T1 is completed; only blocked or failed tasks can be changed this way');

    const reset = await runCli(['reset', 'T1', 'plan'], { cwd: dir, env: agent.env() });
    expect(reset.code, reset.stderr).toBe(0);
    const phase = readPlan(dir).phases[0]!;
    expect(phase.tasks[0]).toMatchObject({ status: 'pending' });
    expect(phase.tasks[0]!.completedAt).toBeUndefined();
    expect(phase.status).toBe('pending');
    expect((await runCli(['run', 'plan'], { cwd: dir, env: agent.env() })).code).toBe(0);
    expect(agent.starts()).toHaveLength(2);
  });
});

describe('a budget that pauses a run', () => {
  it('exits 6 at the token limit with the state paused, and a higher limit goes on where it stopped', async () => {
    const dir = plan('T1', 'T2', 'T3');
    const agent = scriptedAgent();
    const first = await runCli(['run', 'plan', '--token-limit', '1'], { cwd: dir, env: agent.env() });
    expect(first.code, first.stderr).toBe(6);
    expect(first.stdout).toMatch(/token budget reached/);
    expect(readStateJson(dir).status).toBe('paused');
    expect(readPlan(dir).phases[0]!.tasks.map((t) => t.status)).toEqual(['completed', 'pending', 'pending']);

    const again = await runCli(['run', 'plan', '--token-limit', '1000000'], { cwd: dir, env: agent.env() });
    expect(again.code, again.stderr).toBe(0);
    expect(agent.starts().map((s) => s.taskId)).toEqual(['T1', 'T2', 'T3']);
  });
});
