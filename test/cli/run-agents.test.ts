import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { scriptedAgent, standIn } from '../support/agents.js';
import { runCli, startCli } from '../support/cli.js';
import { makeProject, readPlan, readStateJson, taskStatuses } from '../support/files.js';
import { cleanEnv } from '../support/env.js';

/**
 * `ccasp run` through the built CLI with stand-ins for claude (test/fixtures/agents/): what ccasp
 * makes of agents that work in parallel, report in a way it cannot accept, crash or print garbage,
 * and a second run started beside the first.
 */

const task = (id: string, file: string, extra: Record<string, unknown> = {}) => ({ id, title: `Make ${file}`, file, status: 'pending', ...extra });

const onePhase = (name: string, ...tasks: ReturnType<typeof task>[]) => makeProject({ name, phases: [{ id: 'P1', name: 'Only', tasks }] });

describe('ccasp run with agents at work', () => {
  it('completes a multi-phase plan with parallel branches, writing real files', async () => {
    const dir = makeProject({
      name: 'Parallel plan',
      phases: [
        { id: 'P1', name: 'Base', tasks: [task('P1.1', 'src/a.js', { domain: 'backend' }), task('P1.2', 'web/b.html', { domain: 'frontend' })] },
        {
          id: 'P2',
          name: 'More',
          tasks: [
            task('P2.1', 'src/c.js', { dependencies: ['P1.1'], verify: 'node --check src/c.js' }),
            task('P2.2', 'docs/d.md', { dependencies: ['P1.1', 'P1.2'] }),
          ],
        },
      ],
    });
    // P1.1 and P1.2 take a moment each, so that running them one after the other shows in the events.
    const agent = scriptedAgent({ 'P1.1': [[{ sleep: 400 }, { write: 'src/a.js' }, { complete: {} }]], 'P1.2': [[{ sleep: 400 }, { write: 'web/b.html' }, { complete: {} }]] });
    const r = await runCli(['run', 'plan', '--concurrency', '2', '--json'], { cwd: dir, env: agent.env() });
    expect(r.code, r.stdout + r.stderr).toBe(0);
    for (const f of ['src/a.js', 'web/b.html', 'src/c.js', 'docs/d.md']) {
      expect(readFileSync(path.join(dir, f), 'utf8')).toContain('export const done = true;');
    }
    const plan = readPlan(dir);
    expect(plan.status).toBe('completed');
    expect(plan.completion_percentage).toBe(100);
    for (const phase of plan.phases) {
      expect(phase.status).toBe('completed');
      expect(phase.completedAt).toMatch(/^\d{4}-\d\d-\d\dT/);
      for (const t of phase.tasks) {
        expect(t).toMatchObject({ status: 'completed', attempts: 1 });
        expect(t.completedBy).toMatch(/^l2-\w+-specialist$/);
      }
    }
    const state = readStateJson(dir);
    expect(state.status).toBe('completed');
    expect(state.completedTasks.sort()).toEqual(['P1.1', 'P1.2', 'P2.1', 'P2.2']);
    expect(state.activeAgents).toEqual([]);
    expect(state.metrics).toMatchObject({ tasksCompleted: 4, tasksFailed: 0, totalAgentsSpawned: 4 });
    expect(new Set(state.attempts.map((a) => a.sessionId)).size).toBe(4);
    // Each agent's stream is kept.
    for (const a of state.attempts) expect(existsSync(a.log!)).toBe(true);
    // P1.1 and P1.2 ran at the same time: both started before either completed.
    const events = r.stdout
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as { type: string; taskId?: string });
    const at = (type: string, id: string) => events.findIndex((e) => e.type === type && e.taskId === id);
    expect(Math.max(at('task.started', 'P1.1'), at('task.started', 'P1.2'))).toBeLessThan(Math.min(at('task.completed', 'P1.1'), at('task.completed', 'P1.2')));
  });
});

describe('ccasp run --report-format json-schema with reports it cannot accept', () => {
  it('does not complete a task whose structured report names another task, nor one that writes the text block instead', async () => {
    const dir = onePhase('Confused', task('T1', 'a.txt'), task('T2', 'b.txt'));
    const agent = scriptedAgent({
      T1: [[{ write: 'a.txt' }, { structured: { task_id: 'T2', status: 'completed', artifacts: ['a.txt'], summary: 'wrong id' } }]],
      T2: [[{ write: 'b.txt' }, { report: 'TASK_COMPLETE: T2\nSTATUS: completed\nARTIFACTS: [b.txt]\nSUMMARY: as text' }]],
    });
    // The setting from the environment this time; the flag and the file take the same values.
    const r = await runCli(['run', 'plan', '--max-retries', '1'], { cwd: dir, env: agent.env({ CCASP_REPORT_FORMAT: 'json-schema' }) });
    expect(r.code, r.stdout + r.stderr).toBe(4);
    expect(r.stdout).toContain('T1 attempt 1 rejected: the report names task "T2", not T1');
    expect(r.stdout).toContain('T2 attempt 1 rejected: the agent ended without a structured report (it did not call the StructuredOutput tool)');
    // The work itself is there: only the report kept the tasks from completing.
    expect(existsSync(path.join(dir, 'a.txt')) && existsSync(path.join(dir, 'b.txt'))).toBe(true);
    expect(taskStatuses(dir)).toEqual({ T1: 'blocked', T2: 'blocked' });
    const [t1, t2] = readPlan(dir).phases[0]!.tasks;
    expect(t1).toMatchObject({ attempts: 2, blocker: expect.stringContaining('the report names task "T2", not T1') });
    expect(t2).toMatchObject({ attempts: 2, blocker: expect.stringContaining('did not call the StructuredOutput tool') });
    const state = readStateJson(dir);
    expect(state.completedTasks).toEqual([]);
    expect(state.failedTasks.map((f) => f.taskId).sort()).toEqual(['T1', 'T1', 'T2', 'T2']);
  });
});

describe('claude stand-ins that misbehave', () => {
  /**
   * Runs a one-task plan with the stand-in `stub` as claude and one retry: both attempts end with exit
   * code `exitCode` and no result, and ccasp blocks the task. Returns the project and its state.json.
   */
  async function retriedThenBlocked(name: string, stub: 'crash-silent.sh' | 'garbage.sh', exitCode: number) {
    const dir = onePhase(name, task('T1', 'a.txt'));
    const r = await runCli(['run', 'plan', '--max-retries', '1', '--claude-bin', standIn(stub)], { cwd: dir });
    expect(r.code, r.stdout + r.stderr).toBe(4);
    const reason = `the agent process exited with code ${exitCode} without a result`;
    expect(r.stdout).toContain(`T1 attempt 1 rejected: ${reason} — retrying`);
    // Nothing changed between the two identical failures: the circuit breaker names it.
    const blocker = `the same failure twice in a row with no file changed: ${reason}`;
    expect(readPlan(dir).phases[0]!.tasks[0]).toMatchObject({ status: 'blocked', attempts: 2, blocker });
    const state = readStateJson(dir);
    expect(state.status).toBe('blocked');
    expect(state.blockedTasks).toEqual([expect.objectContaining({ taskId: 'T1', blocker })]);
    expect(state.attempts.map((a) => [a.attempt, a.outcome, a.reason])).toEqual([
      [1, 'retry', reason],
      [2, 'blocked', blocker],
    ]);
    return { dir, state };
  }

  it('retries an agent that crashes without output, then blocks the task naming the exit code', async () => {
    const { dir, state } = await retriedThenBlocked('Crash', 'crash-silent.sh', 3);
    expect(readPlan(dir).phases[0]!.status).toBe('blocked');
    expect(state.failedTasks.map((a) => a.attempt)).toEqual([1, 2]);
    expect(state.metrics.totalAgentsSpawned).toBe(2);
    expect(state.activeAgents).toEqual([]);
    expect(state.pendingTasks).toEqual([]);
  });

  it('retries an agent that prints garbage and exits 0 ("without a result"), then blocks the task', async () => {
    const { state } = await retriedThenBlocked('Garbage', 'garbage.sh', 0);
    expect(state.completedTasks).toEqual([]);
  });
});

describe('a second ccasp run in the same project', () => {
  it('is refused while the first is active; the first ends on SIGTERM with exit 143', async () => {
    const dir = makeProject({ name: 'Busy', phases: [{ id: 'P1', name: 'One', tasks: [task('T1', 'a.txt')] }] });
    const agent = scriptedAgent({ T1: [[{ hang: true }]] });
    const first = startCli(['run', 'plan', '--json'], { cwd: dir, env: agent.env() });
    expect(await first.waitForEvent('task.started')).toBe(true);
    const second = await runCli(['run', 'plan'], { cwd: dir, env: cleanEnv() });
    expect(second.code).toBe(3);
    expect(second.stderr).toMatch(new RegExp(`Another ccasp run is active in this project \\(pid ${first.pid}`));
    first.child.kill('SIGTERM');
    expect((await first.done).code).toBe(143);
  });
});
