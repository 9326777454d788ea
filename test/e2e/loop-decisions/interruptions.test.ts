import { describe, expect, it } from 'vitest';
import { isProcessAlive } from '../../../src/state/lock.js';
import { hang, type RecordedRequest, type ScriptContext, type ScriptedReply } from '../../support/scripted-api.js';
import { honestAgent, runEnv, scriptedApi, taskMarker } from '../harness.js';
import { runCli, startCli } from '../../support/cli.js';
import { makeProject, readPlan, readStateJson as readState, taskStatuses } from '../../support/files.js';
import { until } from '../../support/until.js';

const task = (id: string, file: string, extra: Record<string, unknown> = {}) => ({ id, title: `Make ${file}`, file, status: 'pending', ...extra });

/** Hangs the first conversation that reaches it, then behaves honestly. */
function hangOnce(taskId: string, files: string[]) {
  let hungSession: string | null | undefined;
  const honest = honestAgent(taskId, files);
  return (req: RecordedRequest, ctx: ScriptContext): ScriptedReply => {
    if (hungSession === undefined) hungSession = ctx.sessionId;
    return ctx.sessionId === hungSession ? hang() : honest(req, ctx);
  };
}

const mentions = (taskId: string) => (r: RecordedRequest) => r.kind === 'main' && r.messages[0]?.content.some((b) => b.text?.includes(taskMarker(taskId))) === true;

function twoTaskPlan() {
  return makeProject({
    name: 'Interrupted',
    phases: [
      { id: 'P1', name: 'One', tasks: [task('P1.1', 'a.txt'), task('P1.2', 'b.txt', { dependencies: ['P1.1'] })] },
      { id: 'P2', name: 'Two', tasks: [task('P2.1', 'c.txt', { dependencies: ['P1.2'] })] },
    ],
  });
}

describe('interrupting ccasp run', () => {
  it('resumes after kill -9 without redoing finished work, and ends the orphaned agent', async () => {
    const dir = twoTaskPlan();
    const api = await scriptedApi({
      [taskMarker('P1.1')]: honestAgent('P1.1', ['a.txt']),
      [taskMarker('P1.2')]: hangOnce('P1.2', ['b.txt']),
      [taskMarker('P2.1')]: honestAgent('P2.1', ['c.txt']),
    });
    const env = runEnv(api.url);
    const first = startCli(['run', 'plan'], { cwd: dir, env });
    await api.waitForRequest(mentions('P1.2'), 30_000);
    const pid = await until(() => readState(dir).activeAgents.find((a) => a.taskId === 'P1.2')?.pid, 'the agent pid in state.json');
    expect(taskStatuses(dir)).toMatchObject({ 'P1.1': 'completed', 'P1.2': 'in_progress', 'P2.1': 'pending' });
    first.child.kill('SIGKILL');
    await first.done;
    expect(isProcessAlive(pid)).toBe(true);

    const second = await runCli(['run', 'plan'], { cwd: dir, env });
    expect(second.code, second.stdout + second.stderr).toBe(0);
    expect(second.stderr).toContain(`ended agent pid ${pid} for P1.2`);
    expect(isProcessAlive(pid)).toBe(false);
    expect(second.stdout).toContain('P1.2 were running when the last run stopped');
    expect(taskStatuses(dir)).toEqual({ 'P1.1': 'completed', 'P1.2': 'completed', 'P2.1': 'completed' });
    // P1.1 ran once (two turns); nothing that finished ran again.
    expect(api.mainRequests().filter(mentions('P1.1'))).toHaveLength(2);
    const attempts = readState(dir).attempts;
    expect(attempts.filter((a) => a.taskId === 'P1.1').map((a) => a.outcome)).toEqual(['completed']);
    expect(attempts.filter((a) => a.taskId === 'P1.2').map((a) => a.outcome)).toEqual(['interrupted', 'completed']);
    expect(readPlan(dir).phases[0]!.tasks[1]!.attempts).toBe(2);
  });

  it('on SIGINT stops the agent, saves a paused state, and exits 130', async () => {
    const dir = twoTaskPlan();
    const api = await scriptedApi({ [taskMarker('P1.1')]: hangOnce('P1.1', ['a.txt']) });
    const run = startCli(['run', 'plan'], { cwd: dir, env: runEnv(api.url) });
    await api.waitForRequest(mentions('P1.1'), 30_000);
    const pid = await until(() => readState(dir).activeAgents[0]?.pid, 'the agent pid in state.json');
    run.child.kill('SIGINT');
    const r = await run.done;
    expect(r.code, r.stdout + r.stderr).toBe(130);
    expect(r.stdout).toContain('Run paused');
    expect(isProcessAlive(pid)).toBe(false);
    const state = readState(dir);
    expect(state.status).toBe('paused');
    expect(state.activeAgents).toEqual([]);
    expect(state.attempts.map((a) => a.outcome)).toEqual(['interrupted']);
    expect(taskStatuses(dir)['P1.1']).toBe('pending');
  });
});
