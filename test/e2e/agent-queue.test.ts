import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from '../support/cli.js';
import { readStateJson, taskStatuses } from '../support/files.js';
import { completionReport, promptOf, text, turn, writeTool, type RecordedRequest } from '../support/scripted-api.js';
import { startRedis } from '../support/redis.js';
import { startWorker, withRemote } from '../queue/fixture.js';
import { planRepo, sh } from '../worktree/fixture.js';
import { honestAgent, runEnv, scriptedApi, taskMarker } from './harness.js';

/** The real claude binary on a queue worker (`ccasp worker`), for a coordinator (`run --queue`), against the scripted API. */

describe('an agent on a queue worker, through the real claude binary', () => {
  it("works in the worker's worktree and is told so; its work reaches the coordinator's branch", async () => {
    const redis = await startRedis();
    const dir = planRepo({ name: 'Queued', phases: [{ id: 'P1', name: 'Only', tasks: [{ id: 'T1', title: 'Make src/a.js', file: 'src/a.js', status: 'pending' }] }] });
    withRemote(dir);
    const api = await scriptedApi({ [taskMarker('T1')]: honestAgent('T1', ['src/a.js']) });
    const env = runEnv(api.url);
    const worker = startWorker(redis.url, env);

    const r = await runCli(['run', 'plan', '--queue', redis.url], { cwd: dir, env });
    worker.cli.child.kill('SIGTERM');
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect((await worker.cli.done).code).toBe(0);
    expect(api.scriptErrors).toEqual([]);
    const first = api.mainRequests()[0]!;
    expect(first.systemText).toContain(`Primary working directory: ${worker.dir}/trees/`);
    expect(promptOf(first)).toContain(`- Project root: ${worker.dir}/trees/`);
    expect(taskStatuses(dir)).toEqual({ T1: 'completed' });
    expect(sh(dir, 'show', 'main:src/a.js')).toContain('export const done = true;');
    // The transcript is the coordinator's, where `ccasp logs` reads it.
    expect((await runCli(['logs', 'T1', 'plan'], { cwd: dir, env })).stdout).toContain('TASK_COMPLETE');
  });

  it('continues, on the same worker, the session of an attempt cut off there', async () => {
    const redis = await startRedis();
    const dir = planRepo({ name: 'Resumed', phases: [{ id: 'P1', name: 'Only', tasks: [{ id: 'T1', title: 'Make src/a.js', file: 'src/a.js', status: 'pending' }] }] });
    withRemote(dir);
    const cutOff = (req: RecordedRequest) => req.messages.some((m) => m.role === 'user' && m.content.some((b) => b.text?.includes('ccasp cut off your work on task T1')));
    // Writes src/a.js, then runs out of turns (--max-turns 1) before its report; told so, it reports.
    const api = await scriptedApi({
      [taskMarker('T1')]: (req, ctx) =>
        cutOff(req) ? turn(text(completionReport({ taskId: 'T1', artifacts: ['src/a.js'], summary: 'finished' }))) : turn(writeTool(path.join(ctx.cwd!, 'src/a.js'), 'export const a = 1;\n')),
    });
    const env = runEnv(api.url);
    const worker = startWorker(redis.url, env);

    const r = await runCli(['run', 'plan', '--queue', redis.url, '--max-turns', '1', '--max-retries', '1'], { cwd: dir, env });
    worker.cli.child.kill('SIGTERM');
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect((await worker.cli.done).code).toBe(0);
    expect(api.scriptErrors).toEqual([]);
    const [cut, resumed] = readStateJson(dir).attempts;
    expect(cut).toMatchObject({ attempt: 1, cutOff: 'max-turns' });
    expect(resumed).toMatchObject({ attempt: 2, outcome: 'completed', resumed: { fromAttempt: 1, sessionId: cut!.sessionId } });
    // The retry re-sent the cut-off conversation: the task prompt first, then why it was cut off.
    const retry = api.mainRequests().find((q) => q.sessionId === resumed!.sessionId)!;
    expect(promptOf(retry)).toContain('- Task ID: T1');
    expect(cutOff(retry)).toBe(true);
  });
});
