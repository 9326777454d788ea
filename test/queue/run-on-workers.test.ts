import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { logPath } from '../../src/state/paths.js';
import { scriptedAgent, type AgentStep } from '../support/agents.js';
import { runCli, startCli, type RunningCli } from '../support/cli.js';
import { taskStatuses } from '../support/files.js';
import { processesIn } from '../support/processes.js';
import { startRedis } from '../support/redis.js';
import { tempDir } from '../support/tmp.js';
import { planRepo, sh } from '../worktree/fixture.js';

/**
 * `ccasp run --queue` with `ccasp worker`s through the built CLI: a real redis-server, a bare
 * repository as the remote, workers with folders of their own, the scripted stand-in for claude.
 */

const task = (id: string, file: string) => ({ id, title: `Make ${file}`, file, status: 'pending' });
const writes = (file: string, ms = 300): AgentStep[][] => [[{ sleep: ms }, { write: file, content: `${file}\n` }, { complete: { artifacts: [file] } }]];

function twoPhasePlan(): string {
  return planRepo({
    name: 'Spread',
    phases: [
      { id: 'P1', name: 'First', tasks: [task('T1', 'src/one.txt'), task('T2', 'src/two.txt'), task('T3', 'src/three.txt'), task('T4', 'src/four.txt')] },
      { id: 'P2', name: 'Second', tasks: [task('T5', 'src/five.txt'), task('T6', 'src/six.txt')] },
    ],
  });
}

/** A bare repository as the project's `origin`, holding its main branch. */
function withRemote(root: string): string {
  const remote = path.join(tempDir('ccasp-remote-'), 'remote.git');
  execFileSync('git', ['init', '--quiet', '--bare', remote]);
  sh(root, 'remote', 'add', 'origin', remote);
  sh(root, 'push', '--quiet', 'origin', 'main');
  return remote;
}

function startWorker(url: string, env: NodeJS.ProcessEnv, extra: readonly string[] = []): { cli: RunningCli; dir: string } {
  const dir = tempDir('ccasp-worker-');
  const cli = startCli(['worker', '--queue', url, '--work-dir', dir, '--concurrency', '2', '--lease', '2s', ...extra], { env, cwd: dir });
  return { cli, dir };
}

describe('ccasp run --queue with ccasp workers', () => {
  it('completes a two-phase plan with its tasks spread over the workers, each task run once and merged once', async () => {
    const redis = await startRedis();
    const root = twoPhasePlan();
    withRemote(root);
    const agent = scriptedAgent(Object.fromEntries([1, 2, 3, 4, 5, 6].map((n) => [`T${n}`, writes(`src/${['one', 'two', 'three', 'four', 'five', 'six'][n - 1]}.txt`)])));
    const workers = [startWorker(redis.url, agent.env()), startWorker(redis.url, agent.env())];

    const run = await runCli(['run', 'plan', '--queue', redis.url, '--concurrency', '4', '--json'], { env: agent.env(), cwd: root });

    expect(run.stderr).not.toContain('error');
    expect(run.code).toBe(0);
    expect(Object.values(taskStatuses(root))).toEqual(Array(6).fill('completed'));
    for (const file of ['one', 'two', 'three', 'four', 'five', 'six']) expect(readFileSync(path.join(root, 'src', `${file}.txt`), 'utf8')).toBe(`src/${file}.txt\n`);
    const starts = agent.starts();
    expect(starts.map((s) => s.taskId).sort()).toEqual(['T1', 'T2', 'T3', 'T4', 'T5', 'T6']);
    const ranOn = new Set(starts.map((s) => workers.findIndex((w) => s.cwd.startsWith(w.dir))));
    expect([...ranOn].sort()).toEqual([0, 1]);
    const merges = sh(root, 'log', '--format=%s', 'main').split('\n').filter((s) => /^Merge T\d:/.test(s) || /^T\d: /.test(s));
    expect(new Set(merges.filter((s) => s.startsWith('T')).map((s) => s.slice(0, 2))).size).toBe(6);
    // The transcript of each attempt is kept where `ccasp logs` reads it.
    expect(readFileSync(logPath(root, 'T1', 1), 'utf8')).toContain('"type":"result"');

    // A stopped worker leaves nothing running: no agent, no git, no connection.
    for (const w of workers) w.cli.child.kill('SIGTERM');
    for (const w of workers) expect((await w.cli.done).code).toBe(0);
    for (const w of workers) expect(processesIn(w.dir)).toEqual([]);
  });

  it('ends a worker with --exit-when-idle once the queue has stayed empty', async () => {
    const redis = await startRedis();
    const worker = startWorker(redis.url, scriptedAgent().env(), ['--exit-when-idle', '300ms']);
    const done = await worker.cli.done;
    expect(done.code).toBe(0);
    expect(done.stderr).toContain('stopped');
  });
});
