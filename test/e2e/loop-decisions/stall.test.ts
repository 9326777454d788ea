import { describe, expect, it } from 'vitest';
import { hang, type RecordedRequest, type ScriptContext, type ScriptedReply } from '../../support/scripted-api.js';
import { honestAgent, runEnv, scriptedApi, taskMarker } from '../harness.js';
import { runCli } from '../../support/cli.js';
import { makeProject, readPlan, readStateJson as readState } from '../../support/files.js';
import { processesWith } from '../../support/processes.js';

describe('the stall watchdog', () => {
  it('ends an agent whose API stream goes silent, and retries the task', async () => {
    const dir = makeProject({ name: 'Stall', phases: [{ id: 'P1', name: 'One', tasks: [{ id: 'T1', title: 'Make a.txt', file: 'a.txt', status: 'pending' }] }] });
    let firstSession: string | null | undefined;
    const honest = honestAgent('T1', ['a.txt']);
    const api = await scriptedApi({
      [taskMarker('T1')]: (req: RecordedRequest, ctx: ScriptContext): ScriptedReply => {
        firstSession ??= ctx.sessionId;
        return ctx.sessionId === firstSession ? hang('mid-stream') : honest(req, ctx);
      },
    });
    const r = await runCli(['run', 'plan', '--stall-timeout', '5s'], { cwd: dir, env: runEnv(api.url) });
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(r.stdout).toContain('T1 attempt 1 rejected: the agent printed nothing for 5 s and was stopped as stalled');
    expect(readPlan(dir).phases[0]!.tasks[0]).toMatchObject({ status: 'completed', attempts: 2 });
    const state = readState(dir);
    expect(state.failedTasks).toEqual([expect.objectContaining({ taskId: 'T1', attempt: 1, outcome: 'retry' })]);
    // The stalled claude was ended, not left behind waiting on its socket.
    const stalledSession = state.attempts[0]!.sessionId!;
    expect(stalledSession).toBe(firstSession);
    expect(processesWith(stalledSession)).toEqual([]);
  });
});
