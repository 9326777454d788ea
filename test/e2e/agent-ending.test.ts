import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { isProcessAlive } from '../../src/process/alive.js';
import { runCli, startCli } from '../support/cli.js';
import { makeProject, readStateJson as readState } from '../support/files.js';
import { processesWith } from '../support/processes.js';
import { hang, toolUse, turn, type Script } from '../support/scripted-api.js';
import { until } from '../support/until.js';
import { runEnv, scriptedApi, taskMarker } from './harness.js';

/**
 * How ccasp ends the real claude binary (against the scripted API): when it goes silent (the stall
 * watchdog), when it works past the task's time limit, when ccasp itself is interrupted (SIGINT), and
 * when ccasp was killed (kill -9) and the next run finds the agent it left behind.
 */

const onePlan = () => makeProject({ name: 'Ending', phases: [{ id: 'P1', name: 'Only', tasks: [{ id: 'T1', title: 'Make a.txt', file: 'a.txt', status: 'pending' }] }] });

describe('ending an agent, through the real claude binary', () => {
  it('ends an agent whose request is never answered (--stall-timeout)', async () => {
    const dir = onePlan();
    const api = await scriptedApi({ [taskMarker('T1')]: () => hang() });
    const r = await runCli(['run', 'plan', '--stall-timeout', '2s', '--max-retries', '0'], { cwd: dir, env: runEnv(api.url) });
    expect(r.code, r.stdout + r.stderr).toBe(4);
    const state = readState(dir);
    expect(state.attempts).toEqual([expect.objectContaining({ taskId: 'T1', attempt: 1, reason: expect.stringContaining('the agent printed nothing for 2 s and was stopped as stalled') })]);
    expect(processesWith(state.attempts[0]!.sessionId!)).toEqual([]);
  });

  it('ends an agent that keeps working past --task-timeout, though it never stalls', async () => {
    const dir = onePlan();
    // The agent reads a file every 0.5 s, for ever: always printing, never done. The stall watchdog
    // keeps its default (minutes), so a slow machine cannot make it fire first.
    const busy: Script = (_req, ctx) => turn(toolUse('Read', { file_path: path.join(ctx.cwd!, 'plan', 'PROGRESS.json') }), { delayMs: 500 });
    const api = await scriptedApi({ [taskMarker('T1')]: busy });
    const r = await runCli(['run', 'plan', '--task-timeout', '5s', '--max-retries', '0'], { cwd: dir, env: runEnv(api.url) });
    expect(r.code, r.stdout + r.stderr).toBe(4);
    const state = readState(dir);
    expect(state.attempts).toEqual([expect.objectContaining({ taskId: 'T1', attempt: 1, reason: expect.stringContaining('the agent ran past the 5 s time limit and was stopped') })]);
    // It really was busy: several turns before it was stopped.
    expect(api.mainRequests().length).toBeGreaterThan(2);
    expect(processesWith(state.attempts[0]!.sessionId!)).toEqual([]);
  });

  it('leaves no agent behind: the next run ends the one a killed run left, and SIGINT ends its own', async () => {
    const dir = onePlan();
    const api = await scriptedApi({ [taskMarker('T1')]: () => hang() });
    const env = runEnv(api.url);
    const agentPid = (other?: number) => until(() => readState(dir).activeAgents.find((a) => a.pid !== undefined && a.pid !== other)?.pid, 'the agent pid in state.json');

    const killed = startCli(['run', 'plan'], { cwd: dir, env });
    const orphan = await agentPid();
    killed.child.kill('SIGKILL');
    await killed.done;
    expect(isProcessAlive(orphan)).toBe(true);

    const interrupted = startCli(['run', 'plan'], { cwd: dir, env });
    const own = await agentPid(orphan);
    expect(interrupted.stderr()).toContain(`ended agent pid ${orphan} for T1`);
    expect(isProcessAlive(orphan)).toBe(false);
    interrupted.child.kill('SIGINT');
    const r = await interrupted.done;
    expect(r.code, r.stdout + r.stderr).toBe(130);
    expect(r.stdout).toContain('Run paused');
    expect(isProcessAlive(own)).toBe(false);
    const state = readState(dir);
    expect(state.status).toBe('paused');
    expect(state.activeAgents).toEqual([]);
    expect(state.attempts.map((a) => a.outcome)).toEqual(['interrupted', 'interrupted']);
  });
});
