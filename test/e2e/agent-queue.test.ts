import { describe, expect, it } from 'vitest';
import { runCli } from '../support/cli.js';
import { taskStatuses } from '../support/files.js';
import { promptOf } from '../support/scripted-api.js';
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
});
