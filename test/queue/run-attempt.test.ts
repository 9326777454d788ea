import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { routeTask } from '../../src/agents/route.js';
import { loadPlan } from '../../src/plan/load.js';
import { QUEUE_PROTOCOL, type AttemptJob } from '../../src/queue/job.js';
import { runAttemptJob, type WorkerMachine } from '../../src/queue/run-attempt.js';
import { createRedactor } from '../../src/secrets/redact.js';
import { scriptedAgent, standIn } from '../support/agents.js';
import { tempDir, writeFile } from '../support/tmp.js';
import { planRepo, sh, shStatus } from '../worktree/fixture.js';
import { withRemote } from './fixture.js';

/** One attempt as a worker runs it (`runAttemptJob`): real git, a bare remote, the scripted stand-in for claude. */

const BRANCH = 'ccasp/p/T1';

async function jobFor(root: string, remote: string): Promise<AttemptJob> {
  const doc = await loadPlan(path.join(root, 'plan', 'PROGRESS.json'));
  const phase = doc.plan.phases[0]!;
  const task = phase.tasks[0]!;
  const base = sh(root, 'rev-parse', 'HEAD');
  // What the coordinator does before it sends a first attempt: the task's branch on the remote, at the base.
  sh(root, 'push', '--quiet', remote, `${base}:refs/heads/${BRANCH}`);
  return {
    protocol: QUEUE_PROTOCOL,
    planId: doc.plan.id,
    remote,
    branch: BRANCH,
    base,
    protect: ['plan/PROGRESS.json'],
    request: { plan: doc.plan, phase, task, route: routeTask(task, { model: 'sonnet', simpleModel: 'haiku' }), attempt: 1, sessionId: randomUUID(), previous: [] },
    agent: { permissionMode: 'acceptEdits', permissions: { allow: [], deny: [] }, timeoutMs: 60_000, stallTimeoutMs: 60_000, reportFormat: 'text' },
  };
}

function machine(agent = scriptedAgent(), secrets: readonly string[] = []): WorkerMachine {
  return { workDir: tempDir('ccasp-worker-'), claudeBin: standIn('scripted-agent.mjs'), env: agent.env(), redact: createRedactor(secrets), name: 'test:1' };
}

const plan = { name: 'One', phases: [{ id: 'P1', name: 'Only', tasks: [{ id: 'T1', title: 'Make src/a.txt', file: 'src/a.txt', status: 'pending' }] }] };

describe('a worker running one attempt', () => {
  it("commits the agent's checked work on the task's branch and pushes it", async () => {
    const root = planRepo(plan);
    const remote = withRemote(root);
    const result = await runAttemptJob(await jobFor(root, remote), machine(), new AbortController().signal);
    expect(result.attempt.end).toEqual({ kind: 'exited', code: 0 });
    expect(result.check).toEqual({ missing: [], outside: [] });
    expect(result.commit).toBe(sh(remote, 'rev-parse', `refs/heads/${BRANCH}`));
    expect(sh(remote, 'show', `${BRANCH}:src/a.txt`)).not.toBe('');
    expect(result.transcript).toContain('"type":"result"');
  });

  it('runs the worktree setup command in the worktree before the agent', async () => {
    const root = planRepo(plan);
    const remote = withRemote(root);
    const marks = tempDir('ccasp-setup-');
    const job = await jobFor(root, remote);
    const setup = `sh -c 'git rev-parse HEAD | tee ${path.join(marks, 'setup-ran')}'`;
    const agent = scriptedAgent();
    const result = await runAttemptJob({ ...job, agent: { ...job.agent, worktreeSetup: setup } }, machine(agent), new AbortController().signal);
    expect(readFileSync(path.join(marks, 'setup-ran'), 'utf8').trim()).toBe(job.base);
    expect(agent.starts()).toHaveLength(1);
    expect(result.commit).toBe(sh(remote, 'rev-parse', `refs/heads/${BRANCH}`));
    expect(result.setupOutput).toBe(`${job.base}`);
  });

  it('reports a failed worktree setup as an attempt without a result, with its redacted output, and runs no agent', async () => {
    const root = planRepo(plan);
    const remote = withRemote(root);
    const job = await jobFor(root, remote);
    const agent = scriptedAgent();
    const setup = "sh -c 'echo registry down for $REGISTRY_TOKEN; exit 3'";
    const worker = machine(agent, ['s3cret-token']);
    const result = await runAttemptJob({ ...job, agent: { ...job.agent, worktreeSetup: setup } }, { ...worker, env: { ...worker.env, REGISTRY_TOKEN: 's3cret-token' } }, new AbortController().signal);
    expect(agent.starts()).toEqual([]);
    expect(result.attempt.result).toBeUndefined();
    expect(result.commit).toBeUndefined();
    expect(result.attempt.stderrTail).toMatch(/^worker test:1: the worktree could not be set up: .*registry down for/s);
    expect(result.attempt.stderrTail).not.toContain('s3cret-token');
    // The coordinator keeps it as the attempt's setup log.
    expect(result.setupOutput).toMatch(/exited with code 3; output ends with:\nregistry down for /);
    expect(result.setupOutput).not.toContain('s3cret-token');
  });

  it("merges the job's tip into the task's work for the agent, and pushes nothing while its markers remain", async () => {
    const root = planRepo(plan, { 'src/shared.txt': 'line 1\nline 2\n' });
    const remote = withRemote(root);
    const job = await jobFor(root, remote);
    // The task's earlier work on the remote, and another task's change to the same line on main.
    sh(root, 'checkout', '--quiet', '-b', 'task', job.base);
    writeFile(root, 'src/shared.txt', 'line 1\nmine\n');
    sh(root, 'commit', '--quiet', '-am', 'T1: earlier work');
    const work = sh(root, 'rev-parse', 'HEAD');
    sh(root, 'push', '--quiet', remote, `${work}:refs/heads/${BRANCH}`);
    sh(root, 'checkout', '--quiet', 'main');
    writeFile(root, 'src/shared.txt', 'line 1\ntheirs\n');
    // The plan file as main has it now: merged in with the tip, not undone as the task's change.
    writeFile(root, 'plan/PROGRESS.json', { ...plan, name: 'Renamed' });
    sh(root, 'commit', '--quiet', '-am', 'T2: other work');
    const tip = sh(root, 'rev-parse', 'HEAD');
    sh(root, 'push', '--quiet', remote, `${tip}:refs/heads/ccasp-tip/p/T1`);
    const retry: AttemptJob = { ...job, base: work, mergeTip: { commit: tip, ref: 'ccasp-tip/p/T1', branch: 'main' } };
    const markers = { expect: { file: 'src/shared.txt', contains: '<<<<<<<' } };
    const agent = scriptedAgent({
      T1: [
        [markers, { complete: { artifacts: ['src/shared.txt'] } }],
        [markers, { write: 'src/shared.txt', content: 'line 1\nmine\ntheirs\n' }, { complete: { summary: 'kept both' } }],
      ],
    });
    const worker = machine(agent);

    const left = await runAttemptJob(retry, worker, new AbortController().signal);
    expect(agent.starts()[0]!.prompt).toContain('The new tip of main has been merged into this working tree, and git left conflict markers');
    expect(left.attempt.result?.text).toContain('TASK_COMPLETE');
    expect(left).toMatchObject({ unresolved: ['src/shared.txt'] });
    expect(left.commit).toBeUndefined();
    expect(sh(remote, 'rev-parse', `refs/heads/${BRANCH}`)).toBe(work);

    const done = await runAttemptJob({ ...retry, request: { ...retry.request, attempt: 2 } }, worker, new AbortController().signal);
    expect(done.unresolved).toBeUndefined();
    expect(done.commit).toBe(sh(remote, 'rev-parse', `refs/heads/${BRANCH}`));
    for (const parent of [work, tip]) expect(shStatus(remote, 'merge-base', '--is-ancestor', parent, done.commit!)).toBe(0);
    expect(sh(remote, 'show', `${done.commit}:src/shared.txt`)).toBe('line 1\nmine\ntheirs');
    expect(sh(remote, 'diff', tip, done.commit!, '--', 'plan/PROGRESS.json')).toBe('');
  });

  it('does not overwrite what another run of the same job pushed after losing its lease: the attempt fails and is retried', async () => {
    const root = planRepo(plan);
    const remote = withRemote(root);
    const job = await jobFor(root, remote);
    // Another run of this job, which lost its lease but went on, pushed its own work first.
    sh(root, 'checkout', '--quiet', '-b', 'zombie');
    writeFile(root, 'src/zombie.txt', 'zombie\n');
    sh(root, 'add', '--all');
    sh(root, 'commit', '--quiet', '-m', 'zombie');
    sh(root, 'push', '--quiet', remote, `zombie:refs/heads/${BRANCH}`);
    const zombie = sh(root, 'rev-parse', 'zombie');

    const result = await runAttemptJob(job, machine(), new AbortController().signal);
    expect(result.commit).toBeUndefined();
    expect(result.attempt.result).toBeUndefined();
    expect(result.attempt.stderrTail).toMatch(/^worker test:1: .*(stale info|rejected)/s);
    expect(sh(remote, 'rev-parse', `refs/heads/${BRANCH}`)).toBe(zombie);
  });
});

describe("a worker's attempt after a cut-off one", () => {
  const unfinished = { T1: [[{ report: 'no report at all' }]] };

  /** The job of the attempt after `result`'s, from the branch it pushed, asking to continue its session. */
  function retryOf(job: AttemptJob, sessionId: string, commit: string): AttemptJob {
    const reason = 'the agent printed nothing for 1 s and was stopped as stalled';
    return {
      ...job,
      base: commit,
      request: { ...job.request, attempt: 2, sessionId: randomUUID(), previous: [{ attempt: 1, reason }], resume: { fromAttempt: 1, sessionId, cutOff: 'stalled', reason } },
    };
  }

  it("continues the session on the machine that kept its transcript, in the task's same worktree path", async () => {
    const root = planRepo(plan);
    const remote = withRemote(root);
    const agent = scriptedAgent(unfinished);
    const worker = { ...machine(agent), env: agent.env({ CLAUDE_CONFIG_DIR: tempDir('ccasp-claude-') }) };
    const job = await jobFor(root, remote);
    const first = await runAttemptJob(job, worker, new AbortController().signal);
    const second = await runAttemptJob(retryOf(job, job.request.sessionId, first.commit!), worker, new AbortController().signal);
    const [a, b] = agent.starts();
    expect(b!.cwd).toBe(a!.cwd);
    expect(b!.args).toEqual(expect.arrayContaining([`--resume=${job.request.sessionId}`, '--fork-session']));
    expect(b!.prompt).toMatch(/^ccasp cut off your work on task T1/);
    expect(second.attempt.resumed).toBe(job.request.sessionId);
    expect(first.attempt.resumed).toBeUndefined();
  });

  it("starts afresh, told what went wrong, on a machine without the session's transcript", async () => {
    const root = planRepo(plan);
    const remote = withRemote(root);
    const agent = scriptedAgent(unfinished);
    const job = await jobFor(root, remote);
    const first = await runAttemptJob(job, { ...machine(agent), env: agent.env({ CLAUDE_CONFIG_DIR: tempDir('ccasp-claude-') }) }, new AbortController().signal);
    const elsewhere = { ...machine(agent), env: agent.env({ CLAUDE_CONFIG_DIR: tempDir('ccasp-claude-') }) };
    const second = await runAttemptJob(retryOf(job, job.request.sessionId, first.commit!), elsewhere, new AbortController().signal);
    const b = agent.starts()[1]!;
    expect(b.args.filter((arg) => arg.startsWith('--resume') || arg === '--fork-session')).toEqual([]);
    expect(b.prompt).toContain('- Task ID: T1');
    expect(b.prompt).toContain('the agent printed nothing for 1 s and was stopped as stalled');
    expect(second.attempt.resumed).toBeUndefined();
    expect(second.attempt.result?.isError).toBe(false);
  });
});

describe("the fingerprint of a worker's attempt", () => {
  it('is the same for attempts that leave the same files, on any machine, and differs once a file changes', async () => {
    const root = planRepo(plan);
    const remote = withRemote(root);
    const agent = scriptedAgent({
      T1: [[{ write: 'src/a.txt', content: 'one\n' }, { report: 'no report' }], [{ report: 'no report' }], [{ write: 'src/a.txt', content: 'two\n' }, { report: 'no report' }]],
    });
    const job = await jobFor(root, remote);
    const attempt = (n: number, base: string) => runAttemptJob({ ...job, base, request: { ...job.request, attempt: n, sessionId: randomUUID() } }, machine(agent), new AbortController().signal);
    const first = await attempt(1, job.base);
    const second = await attempt(2, first.commit!);
    const third = await attempt(3, second.commit!);
    expect(first.fingerprint).toMatch(/^[0-9a-f]{40}$/);
    expect(first.fingerprint).not.toBe(sh(root, 'rev-parse', `${job.base}^{tree}`));
    expect(second.fingerprint).toBe(first.fingerprint);
    expect(third.fingerprint).not.toBe(second.fingerprint);
    expect(third.fingerprint).toBe(sh(remote, 'rev-parse', `${BRANCH}^{tree}`));
  });
});
