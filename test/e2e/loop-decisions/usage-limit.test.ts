import { describe, expect, it } from 'vitest';
import { usageLimitReached, type RecordedRequest, type ScriptContext, type ScriptedReply } from '../../support/scripted-api.js';
import { honestAgent, runEnv, scriptedApi, taskMarker } from '../harness.js';
import { runCli } from '../../support/cli.js';
import { makeProject, readPlan, readStateJson as readState, taskStatuses } from '../../support/files.js';

/** claude reports usage limits only when logged in to a subscription; a fake OAuth token makes it one. */
function subscriberEnv(url: string): NodeJS.ProcessEnv {
  return runEnv(url, { ANTHROPIC_API_KEY: '', CLAUDE_CODE_OAUTH_TOKEN: 'fake-oauth-token-for-tests' });
}

/** The first conversation hits the usage limit; the next ones work. */
function limitedOnce(taskId: string, file: string, resetsAt: number) {
  let first: string | null | undefined;
  const honest = honestAgent(taskId, [file]);
  return (req: RecordedRequest, ctx: ScriptContext): ScriptedReply => {
    first ??= ctx.sessionId;
    return ctx.sessionId === first ? usageLimitReached(resetsAt) : honest(req, ctx);
  };
}

const plan = () => makeProject({ name: 'Limited', phases: [{ id: 'P1', name: 'One', tasks: [{ id: 'T1', title: 'Make a.txt', file: 'a.txt', status: 'pending' }] }] });

describe('a usage limit with a reset time', () => {
  it('waits for the reset with a countdown, then goes on without spending a retry', async () => {
    const dir = plan();
    const resetsAt = Math.ceil(Date.now() / 1000) + 3;
    const api = await scriptedApi({ [taskMarker('T1')]: limitedOnce('T1', 'a.txt', resetsAt) });
    const r = await runCli(['run', 'plan', '--max-retries', '0', '--json'], { cwd: dir, env: subscriberEnv(api.url) });
    expect(r.code, r.stderr).toBe(0);
    const events = r.stdout.trim().split('\n').map((l) => JSON.parse(l) as { type: string; until?: string });
    const waits = events.filter((e) => e.type === 'run.waiting');
    expect(waits.length).toBeGreaterThan(0);
    expect(waits[0]!.until).toBe(new Date(resetsAt * 1000).toISOString());
    // With no retries allowed the task still completed: waiting out the limit cost no attempt.
    expect(readPlan(dir).phases[0]!.tasks[0]).toMatchObject({ status: 'completed', attempts: 2 });
    expect(readState(dir).attempts.map((a) => a.outcome)).toEqual(['rate-limited', 'completed']);
    expect(readState(dir).failedTasks).toEqual([]);
  });

  it('with --no-wait stops with exit 7 and a resumable state', async () => {
    const dir = plan();
    const resetsAt = Math.ceil(Date.now() / 1000) + 3600;
    const api = await scriptedApi({ [taskMarker('T1')]: limitedOnce('T1', 'a.txt', resetsAt) });
    const env = subscriberEnv(api.url);
    const r = await runCli(['run', 'plan', '--no-wait'], { cwd: dir, env });
    expect(r.code, r.stdout + r.stderr).toBe(7);
    expect(r.stdout).toContain(`usage limit reached; it resets at ${new Date(resetsAt * 1000).toISOString()}`);
    expect(taskStatuses(dir)).toEqual({ T1: 'pending' });
    expect(readState(dir).status).toBe('paused');
    const again = await runCli(['run', 'plan'], { cwd: dir, env });
    expect(again.code, again.stdout + again.stderr).toBe(0);
    expect(taskStatuses(dir)).toEqual({ T1: 'completed' });
  });
});
