import { spawnSync } from 'node:child_process';
import { readFileSync, realpathSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { RunSource } from '../../src/dashboard/run-source.js';
import { loadPlan } from '../../src/plan/load.js';
import { logPath, setupLogPath } from '../../src/state/paths.js';
import { scriptedAgent, type AgentStep } from '../support/agents.js';
import { runCli, startCli } from '../support/cli.js';
import { readStateJson, taskStatuses } from '../support/files.js';
import { killGroup, processesIn } from '../support/processes.js';
import { startRedis } from '../support/redis.js';
import { tempDir } from '../support/tmp.js';
import { until } from '../support/until.js';
import { planRepo, sh } from '../worktree/fixture.js';
import { startWorker, withRemote } from './fixture.js';

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

describe('ccasp run --queue with ccasp workers', () => {
  it('completes a two-phase plan with its tasks spread over the workers, each task run once and merged once, and pushes the merges', async () => {
    const redis = await startRedis();
    const root = twoPhasePlan();
    const remote = withRemote(root);
    const agent = scriptedAgent(Object.fromEntries([1, 2, 3, 4, 5, 6].map((n) => [`T${n}`, writes(`src/${['one', 'two', 'three', 'four', 'five', 'six'][n - 1]}.txt`)])));
    const workers = [startWorker(redis.url, agent.env()), startWorker(redis.url, agent.env())];

    const run = await runCli(['run', 'plan', '--queue', redis.url, '--concurrency', '4', '--push', '--json'], { env: agent.env(), cwd: root });

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
    // --push: the remote's integration branch holds every task's merge.
    const pushed = sh(remote, 'log', '--format=%s', 'main').split('\n');
    for (const id of ['T1', 'T2', 'T3', 'T4', 'T5', 'T6']) expect(pushed.filter((s) => s.startsWith(`${id}: `))).toHaveLength(1);
    // The transcript of each attempt is kept where `ccasp logs` reads it.
    expect(readFileSync(logPath(root, 'T1', 1), 'utf8')).toContain('"type":"result"');
    // The merged tasks' branches are gone from the remote once the run ends; one a killed run left
    // behind (here put back by hand) goes at the end of the next run.
    const taskBranches = () => sh(remote, 'for-each-ref', '--format=%(refname)', 'refs/heads/ccasp/').split('\n').filter(Boolean);
    expect(taskBranches()).toEqual([]);
    const leftover = sh(root, 'rev-parse', 'main');
    sh(root, 'push', '--quiet', 'origin', `${leftover}:refs/heads/ccasp/spread/T1`);
    expect(taskBranches()).toEqual(['refs/heads/ccasp/spread/T1']);
    expect((await runCli(['run', 'plan', '--queue', redis.url], { env: agent.env(), cwd: root })).code).toBe(0);
    expect(taskBranches()).toEqual([]);

    // A stopped worker leaves nothing running: no agent, no git, no connection.
    for (const w of workers) w.cli.child.kill('SIGTERM');
    for (const w of workers) expect((await w.cli.done).code).toBe(0);
    for (const w of workers) expect(processesIn(w.dir)).toEqual([]);
  });

  it('hands the attempt of a worker killed mid-task to another worker, records it as interrupted, and merges the task once', async () => {
    const redis = await startRedis();
    const root = planRepo({ name: 'Killed', phases: [{ id: 'P1', name: 'Only', tasks: [task('T1', 'src/one.txt'), task('T2', 'src/two.txt')] }] });
    withRemote(root);
    // T1's first start hangs until its worker is killed; the one that takes it over finishes it.
    const agent = scriptedAgent({ T1: [[{ hang: true }], writes('src/one.txt', 0)[0]!], T2: writes('src/two.txt', 0) });
    const doomed = startWorker(redis.url, agent.env(), ['--concurrency', '1']);
    const running = startCli(['run', 'plan', '--queue', redis.url, '--concurrency', '2', '--json'], { env: agent.env(), cwd: root });
    const first = await until(() => agent.starts().find((s) => s.taskId === 'T1'), 'T1 to start');
    // The state file, and so `ccasp status`, says which worker runs the task.
    const host = await until(() => readStateJson(root).activeAgents.find((a) => a.taskId === 'T1')?.worker, 'the worker in state.json');
    expect(host).toMatch(new RegExp(`:${doomed.cli.pid}$`));
    expect((await runCli(['status', 'plan'], { env: agent.env(), cwd: root })).stdout).toContain(`on worker ${host}`);
    const source = new RunSource(await loadPlan(path.join(root, 'plan', 'PROGRESS.json')), root, 'plan/PROGRESS.json');
    await source.refresh();
    expect(source.view?.tasks.find((t) => t.id === 'T1')?.running?.worker).toBe(host);
    const listed = await runCli(['workers', '--queue', redis.url, '--json'], { env: agent.env() });
    expect(JSON.parse(listed.stdout)).toMatchObject({ workers: [{ name: expect.stringMatching(new RegExp(`:${doomed.cli.pid}$`)), running: [{ taskId: 'T1', attempt: 1 }] }] });
    // The machine goes down: the worker and its agent die at once, with no word to anyone.
    killGroup(doomed.cli.pid);
    killGroup(first.pid);
    const survivor = startWorker(redis.url, agent.env());

    const run = await running.done;
    expect(run.code).toBe(0);
    expect(taskStatuses(root)).toEqual({ T1: 'completed', T2: 'completed' });
    expect(running.events().filter((e) => e.type === 'run.notice' && String(e.message).startsWith(`T1: the worker ${host} running attempt 1 went silent`))).toHaveLength(1);
    // The lost run is an interrupted attempt naming its worker; the re-run, collected as the next, completed.
    const t1Attempts = readStateJson(root).attempts.filter((a) => a.taskId === 'T1');
    expect(t1Attempts.map((a) => [a.attempt, a.outcome])).toEqual([
      [1, 'interrupted'],
      [2, 'completed'],
    ]);
    expect(t1Attempts[0]!.reason).toContain(`the worker ${host} went silent past its lease`);
    const t1 = agent.starts().filter((s) => s.taskId === 'T1');
    expect(t1).toHaveLength(2);
    expect(t1[1]!.cwd.startsWith(survivor.dir)).toBe(true);
    expect(sh(root, 'log', '--format=%s', 'main').split('\n').filter((s) => s.startsWith('T1: '))).toHaveLength(1);
    expect(readFileSync(path.join(root, 'src', 'one.txt'), 'utf8')).toBe('src/one.txt\n');
    survivor.cli.child.kill('SIGTERM');
    expect((await survivor.cli.done).code).toBe(0);
  });

  it('adopts, after the coordinator is killed, the attempt a worker finished meanwhile instead of running it again', async () => {
    const redis = await startRedis();
    const root = planRepo({ name: 'Adopted', phases: [{ id: 'P1', name: 'Only', tasks: [task('T1', 'src/one.txt')] }] });
    withRemote(root);
    const agent = scriptedAgent({ T1: [[{ await: 'go' }, { write: 'src/one.txt', content: 'src/one.txt\n' }, { complete: { artifacts: ['src/one.txt'] } }]] });
    const worker = startWorker(redis.url, agent.env());
    const first = startCli(['run', 'plan', '--queue', redis.url, '--json'], { env: agent.env(), cwd: root });
    await until(() => agent.starts()[0], 'T1 to start');
    killGroup(first.pid);
    await first.done;
    // The agent finishes, and the worker pushes and reports, while no coordinator listens.
    agent.release('go');
    await until(() => (worker.cli.stderr().includes('T1: attempt 1 ended') ? true : undefined), 'the worker to finish T1');

    const rerun = await runCli(['run', 'plan', '--queue', redis.url, '--json'], { env: agent.env(), cwd: root });
    expect(rerun.code).toBe(0);
    expect(taskStatuses(root)).toEqual({ T1: 'completed' });
    expect(agent.starts()).toHaveLength(1);
    expect(readFileSync(path.join(root, 'src', 'one.txt'), 'utf8')).toBe('src/one.txt\n');
    expect(sh(root, 'log', '--format=%s', 'main').split('\n').filter((s) => s.startsWith('T1: '))).toHaveLength(1);
    worker.cli.child.kill('SIGTERM');
    expect((await worker.cli.done).code).toBe(0);
  });

  it("resolves a conflict between workers' branches as a local run does: the tip merged into the task's work, its markers for the agent", async () => {
    const redis = await startRedis();
    const shared = 'src/shared.txt';
    const root = planRepo(
      { name: 'Conflict', phases: [{ id: 'P1', name: 'Only', tasks: [task('T1', 'src/one.txt'), task('T2', 'src/two.txt')] }] },
      { [shared]: 'line 1\nline 2\nline 3\n' },
    );
    const remote = withRemote(root);
    const resolved = 'line 1\nT1 was here\nT2 was here\nline 3\n';
    // Both edit the same line of the shared file, on two workers at once. The loser's retries find
    // git's markers next to their own earlier work: the first leaves them, the second resolves them.
    const editor = (id: string, own: string): AgentStep[][] => {
      const found = [{ expect: { file: shared, contains: '<<<<<<<' } }, { expect: { file: own, contains: id } }];
      return [
        [{ await: 'both' }, { write: shared, content: `line 1\n${id} was here\nline 3\n` }, { write: own, content: `${id}\n` }, { complete: { artifacts: [own] } }],
        [...found, { complete: { artifacts: [own], summary: 'left the markers' } }],
        [...found, { write: shared, content: resolved }, { complete: { artifacts: [shared, own], summary: 'kept both changes' } }],
      ];
    };
    const agent = scriptedAgent({ T1: editor('T1', 'src/one.txt'), T2: editor('T2', 'src/two.txt') });
    const workers = [startWorker(redis.url, agent.env(), ['--concurrency', '1']), startWorker(redis.url, agent.env(), ['--concurrency', '1'])];
    const running = startCli(['run', 'plan', '--queue', redis.url, '--concurrency', '2', '--json'], { env: agent.env(), cwd: root });
    await until(() => (agent.starts().length === 2 ? true : undefined), 'both agents to start');
    agent.release('both');

    const run = await running.done;
    expect(run.code, run.stderr).toBe(0);
    expect(taskStatuses(root)).toEqual({ T1: 'completed', T2: 'completed' });
    expect(new Set(agent.starts().slice(0, 2).map((s) => workers.findIndex((w) => s.cwd.startsWith(w.dir)))).size).toBe(2);
    const attempts = readStateJson(root).attempts;
    const loser = attempts.find((a) => a.outcome === 'retry')!.taskId;
    const winner = loser === 'T1' ? 'T2' : 'T1';
    const conflicted = [shared];
    expect(attempts.filter((a) => a.taskId === loser).map((a) => [a.outcome, a.conflictPaths])).toEqual([
      ['retry', conflicted],
      ['retry', conflicted],
      ['completed', undefined],
    ]);
    expect(attempts.filter((a) => a.taskId === loser)[1]!.reason).toBe(`the merge of main still has conflict markers in ${shared}`);
    // Each agent started once per attempt: the winner once, the loser's work not done over.
    expect(agent.starts().filter((s) => s.taskId === winner)).toHaveLength(1);
    const retries = agent.starts().filter((s) => s.taskId === loser).slice(1);
    expect(retries).toHaveLength(2);
    for (const retry of retries) {
      expect(workers.some((w) => retry.cwd.startsWith(w.dir))).toBe(true);
      expect(retry.prompt).toContain('## Merge conflict to resolve first');
      expect(retry.prompt).toContain(`- ${shared}`);
    }
    expect(readFileSync(path.join(root, shared), 'utf8')).toBe(resolved);
    expect(readFileSync(path.join(root, 'src', 'one.txt'), 'utf8')).toBe('T1\n');
    expect(readFileSync(path.join(root, 'src', 'two.txt'), 'utf8')).toBe('T2\n');
    // main holds the loser's first work once, and its resolution as the merge of main's tip into it.
    const history = sh(root, 'log', '--format=%P|%s', 'main').split('\n').map((l) => ({ parents: l.split('|')[0]!.split(' ').length, subject: l.split('|')[1]! }));
    expect(history.filter((c) => c.subject.startsWith(`${winner}: wrote`))).toHaveLength(1);
    expect(history.filter((c) => c.subject.startsWith(`${loser}: wrote`))).toHaveLength(1);
    expect(history.filter((c) => c.subject.startsWith(`${loser}: `) && c.parents === 2).map((c) => c.subject)).toEqual([`${loser}: kept both changes`]);
    for (const id of ['T1', 'T2']) expect(history.filter((c) => c.subject.startsWith(`Merge ${id}:`)).length).toBeLessThanOrEqual(1);
    // Neither the tasks' branches nor the tip pushed for the loser are left on the remote.
    expect(sh(remote, 'for-each-ref', '--format=%(refname)')).toBe('refs/heads/main');
    for (const w of workers) w.cli.child.kill('SIGTERM');
    for (const w of workers) expect((await w.cli.done).code).toBe(0);
  });

  it('rides out a Redis restart mid-run: the attempt runs once and its result arrives', async () => {
    const redis = await startRedis({ persist: true });
    const root = planRepo({ name: 'Outage', phases: [{ id: 'P1', name: 'Only', tasks: [task('T1', 'src/one.txt')] }] });
    withRemote(root);
    const agent = scriptedAgent({ T1: [[{ await: 'go' }, { write: 'src/one.txt', content: 'src/one.txt\n' }, { complete: { artifacts: ['src/one.txt'] } }]] });
    // A lease longer than the outage: the worker is alive, only Redis was away.
    const worker = startWorker(redis.url, agent.env(), ['--lease', '20s']);
    const running = startCli(['run', 'plan', '--queue', redis.url, '--json'], { env: agent.env(), cwd: root });
    await until(() => agent.starts()[0], 'T1 to start');
    await redis.kill();
    await new Promise((resolve) => setTimeout(resolve, 1000));
    await redis.restart();
    agent.release('go');

    const run = await running.done;
    expect(run.code).toBe(0);
    expect(taskStatuses(root)).toEqual({ T1: 'completed' });
    expect(agent.starts()).toHaveLength(1);
    expect(readFileSync(path.join(root, 'src', 'one.txt'), 'utf8')).toBe('src/one.txt\n');
    worker.cli.child.kill('SIGTERM');
    expect((await worker.cli.done).code).toBe(0);
  });

  it('keeps the merge when --push is refused, and says how to push by hand', async () => {
    const redis = await startRedis();
    const root = planRepo({ name: 'Refused', phases: [{ id: 'P1', name: 'Only', tasks: [task('T1', 'src/one.txt')] }] });
    const remote = withRemote(root);
    // The remote takes task branches but refuses the integration branch.
    writeFileSync(path.join(remote, 'hooks', 'pre-receive'), '#!/bin/sh\nwhile read old new ref; do [ "$ref" = refs/heads/main ] && { echo "main is protected" >&2; exit 1; }; done\nexit 0\n', { mode: 0o755 });
    const agent = scriptedAgent({ T1: writes('src/one.txt', 0) });
    const worker = startWorker(redis.url, agent.env());
    const run = await runCli(['run', 'plan', '--queue', redis.url, '--push', '--json'], { env: agent.env(), cwd: root });
    worker.cli.child.kill('SIGTERM');
    await worker.cli.done;

    expect(run.code).toBe(0);
    expect(taskStatuses(root)).toEqual({ T1: 'completed' });
    expect(sh(root, 'log', '--format=%s', 'main').split('\n').filter((s) => s.startsWith('T1: '))).toHaveLength(1);
    expect(sh(remote, 'log', '--format=%s', 'main').split('\n').filter((s) => s.startsWith('T1: '))).toHaveLength(0);
    const notices = run.stdout.split('\n').filter((l) => l.includes('"run.notice"')).map((l) => JSON.parse(l) as { message: string });
    expect(notices.find((n) => n.message.startsWith('T1 is merged, but main was not pushed to origin'))?.message).toMatch(/main is protected.*push it by hand: git push origin main$/s);
  });

  it("never prints or stores the Redis URL's password", async () => {
    const redis = await startRedis();
    const password = 'queue-pass-7c1e9f';
    const url = `redis://:${password}@127.0.0.1:${redis.port}`;
    const root = planRepo({ name: 'Secret', phases: [{ id: 'P1', name: 'Only', tasks: [task('T1', 'src/one.txt')] }] });
    withRemote(root);
    const agent = scriptedAgent({ T1: writes('src/one.txt', 0) });
    const worker = startWorker(url, agent.env());
    const run = await runCli(['run', 'plan', '--queue', url, '--json'], { env: agent.env(), cwd: root });
    const config = await runCli(['config', 'plan'], { env: agent.env({ CCASP_QUEUE: url }), cwd: root });
    worker.cli.child.kill('SIGTERM');
    const stopped = await worker.cli.done;

    expect(run.code).toBe(0);
    expect(config.stdout).toContain(`redis://127.0.0.1:${redis.port}`);
    for (const text of [run.stdout, run.stderr, config.stdout, config.stderr, stopped.stdout, stopped.stderr]) expect(text).not.toContain(password);
    // Every file of the project (state, events, logs, git's config) and of the worker's folder.
    expect(spawnSync('grep', ['-rl', password, root, worker.dir], { encoding: 'utf8' }).stdout).toBe('');
  });

  it('runs a plan over rediss:// with the CA in NODE_EXTRA_CA_CERTS, and the worktree setup on the worker', async () => {
    const password = 'tls-pass-41d2b7';
    const redis = await startRedis({ tls: true, password });
    const url = `rediss://:${password}@127.0.0.1:${redis.port}`;
    const root = planRepo({ name: 'Tls', phases: [{ id: 'P1', name: 'Only', tasks: [task('T1', 'src/one.txt')] }] });
    withRemote(root);
    const marks = tempDir('ccasp-setup-');
    const agent = scriptedAgent({ T1: writes('src/one.txt', 0) });
    // Without the CA: said at once, rather than reconnecting in silence.
    for (const untrusted of [await runCli(['workers', '--queue', url], { env: agent.env() }), await startWorker(url, agent.env()).cli.done]) {
      expect(untrusted.code).toBe(2);
      expect(untrusted.stderr).toContain('does not trust');
      expect(untrusted.stderr).toContain('NODE_EXTRA_CA_CERTS');
      expect(untrusted.stderr).not.toContain(password);
    }
    const env = agent.env({ NODE_EXTRA_CA_CERTS: redis.caFile! });
    const worker = startWorker(url, env);
    const setup = `sh -c 'pwd -P | tee ${path.join(marks, 'setup-ran')}'`;
    const run = await runCli(['run', 'plan', '--queue', url, '--worktree-setup', setup, '--json'], { env, cwd: root });
    worker.cli.child.kill('SIGTERM');
    const stopped = await worker.cli.done;

    expect(run.code).toBe(0);
    expect(taskStatuses(root)).toEqual({ T1: 'completed' });
    const ranIn = readFileSync(path.join(marks, 'setup-ran'), 'utf8').trim();
    expect(ranIn.startsWith(realpathSync(worker.dir))).toBe(true);
    // What it printed on the worker is kept where a local run keeps it.
    expect(readFileSync(setupLogPath(root, 'T1', 1), 'utf8')).toBe(`$ ${setup}\n${ranIn}\n`);
    expect(stopped.code).toBe(0);
    for (const text of [run.stdout, run.stderr, stopped.stdout, stopped.stderr]) expect(text).not.toContain(password);
  });

  it('ends a worker with --exit-when-idle once the queue has stayed empty', async () => {
    const redis = await startRedis();
    const worker = startWorker(redis.url, scriptedAgent().env(), ['--exit-when-idle', '300ms']);
    const done = await worker.cli.done;
    expect(done.code).toBe(0);
    expect(done.stderr).toContain('stopped');
  });
});
