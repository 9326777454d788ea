import { describe, expect, it } from 'vitest';
import { scriptedAgent, type AgentStep } from '../support/agents.js';
import { runCli } from '../support/cli.js';
import { readStateJson, taskStatuses } from '../support/files.js';
import { startRedis } from '../support/redis.js';
import { tempDir } from '../support/tmp.js';
import { planRepo } from '../worktree/fixture.js';
import { startWorker, withRemote } from './fixture.js';

/**
 * A retry on workers as a local run does it: a cut-off attempt's session continued when the worker
 * that takes the retry has it, and the circuit breaker comparing the files workers left. Through the
 * built CLI, a real redis-server, a bare remote and the scripted stand-in for claude, which keeps its
 * transcripts under the worker's CLAUDE_CONFIG_DIR as claude does.
 */

const onePlan = () => planRepo({ name: 'Retry', phases: [{ id: 'P1', name: 'Only', tasks: [{ id: 'T1', title: 'Make src/one.txt', file: 'src/one.txt', status: 'pending' }] }] });
/** Starts the work, then prints nothing until the stall watchdog stops it. */
const stalls: AgentStep[] = [{ write: 'src/part.txt', content: 'part\n' }, { hang: true }];
const finishes: AgentStep[] = [{ write: 'src/one.txt', content: 'src/one.txt\n' }, { complete: { artifacts: ['src/one.txt'] } }];
const claudeConfig = () => ({ CLAUDE_CONFIG_DIR: tempDir('ccasp-claude-') });

describe('retries on ccasp workers', () => {
  it("continues a stalled attempt's session when the same worker takes the retry", async () => {
    const redis = await startRedis();
    const root = onePlan();
    withRemote(root);
    const agent = scriptedAgent({ T1: [stalls, finishes] });
    const worker = startWorker(redis.url, agent.env(claudeConfig()));

    const run = await runCli(['run', 'plan', '--queue', redis.url, '--stall-timeout', '1s', '--json'], { env: agent.env(), cwd: root });

    expect(run.code).toBe(0);
    expect(taskStatuses(root)).toEqual({ T1: 'completed' });
    const [first, second] = agent.starts();
    expect(second!.args).toEqual(expect.arrayContaining([`--resume=${first!.session}`, '--fork-session']));
    expect(second!.cwd).toBe(first!.cwd);
    const attempts = readStateJson(root).attempts;
    expect(attempts.map((a) => [a.attempt, a.cutOff, a.resumed])).toEqual([
      [1, 'stalled', undefined],
      [2, undefined, { fromAttempt: 1, sessionId: first!.session, tokensSaved: 150 }],
    ]);
    expect(readStateJson(root).metrics.tokensSavedByResuming).toBe(150);
    const events = run.stdout.split('\n').filter((l) => l.includes('"task.resumed"'));
    expect(events.map((l) => JSON.parse(l) as { attempt: number; fromAttempt: number })).toMatchObject([{ attempt: 2, fromAttempt: 1 }]);
    worker.cli.child.kill('SIGTERM');
    expect((await worker.cli.done).code).toBe(0);
  });

  it("starts afresh on a worker without the session, and records no continuation", async () => {
    const redis = await startRedis();
    const root = onePlan();
    withRemote(root);
    const agent = scriptedAgent({ T1: [stalls, finishes] });
    // No retry in this run: the stalled task is given up on, and the next run, on another machine, takes it again.
    const gone = startWorker(redis.url, agent.env(claudeConfig()));
    const first = await runCli(['run', 'plan', '--queue', redis.url, '--stall-timeout', '1s', '--max-retries', '0', '--json'], { env: agent.env(), cwd: root });
    expect(first.code).toBe(4);
    gone.cli.child.kill('SIGTERM');
    expect((await gone.cli.done).code).toBe(0);
    const other = startWorker(redis.url, agent.env(claudeConfig()));

    const again = await runCli(['run', 'plan', '--queue', redis.url, '--retry-blocked', '--json'], { env: agent.env(), cwd: root });

    expect(again.code).toBe(0);
    expect(taskStatuses(root)).toEqual({ T1: 'completed' });
    const second = agent.starts()[1]!;
    expect(second.cwd.startsWith(other.dir)).toBe(true);
    expect(second.args.filter((arg) => arg.startsWith('--resume') || arg === '--fork-session')).toEqual([]);
    expect(second.prompt).toContain('- Task ID: T1');
    const attempts = readStateJson(root).attempts;
    expect(attempts.map((a) => [a.attempt, a.cutOff, a.resumed])).toEqual([
      [1, 'stalled', undefined],
      [2, undefined, undefined],
    ]);
    expect(readStateJson(root).metrics.tokensSavedByResuming).toBe(0);
    expect(again.stdout).not.toContain('"task.resumed"');
    other.cli.child.kill('SIGTERM');
    expect((await other.cli.done).code).toBe(0);
  });

  it('blocks a task whose attempts fail the same way twice with no file changed on the workers', async () => {
    const redis = await startRedis();
    const root = onePlan();
    withRemote(root);
    const agent = scriptedAgent({ T1: [[{ report: 'no report at all' }]] });
    const workers = [startWorker(redis.url, agent.env()), startWorker(redis.url, agent.env())];

    const run = await runCli(['run', 'plan', '--queue', redis.url, '--json'], { env: agent.env(), cwd: root });

    expect(run.code).toBe(4);
    expect(taskStatuses(root)).toEqual({ T1: 'blocked' });
    // Two attempts of the four the retries allow: the breaker stopped it.
    expect(agent.starts()).toHaveLength(2);
    const attempts = readStateJson(root).attempts;
    expect(attempts.map((a) => [a.attempt, a.outcome])).toEqual([
      [1, 'retry'],
      [2, 'blocked'],
    ]);
    expect(attempts[1]!.reason).toMatch(/^the same failure twice in a row with no file changed: /);
    for (const w of workers) w.cli.child.kill('SIGTERM');
    for (const w of workers) expect((await w.cli.done).code).toBe(0);
  });
});
