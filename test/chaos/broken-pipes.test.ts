import { closeSync, existsSync, openSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { scriptedAgent, type AgentStep, type ScriptedAgent } from '../support/agents.js';
import { runCli, startCli, type CliOptions, type CliResult } from '../support/cli.js';
import { lockFile, makeProject, readPlan, readStateJson } from '../support/files.js';
import { processesIn } from '../support/processes.js';
import { startCliInPty } from '../support/pty.js';
import { tempDir } from '../support/tmp.js';
import { until } from '../support/until.js';

/**
 * Output nobody reads any more: a reader that goes away (`ccasp run | head -1`, a consumer that
 * dies), stderr closed too, a terminal that closes. Output stops and nothing else does: a run goes
 * on to its end and exit code, a command finishes with the code it would have had, and nothing
 * prints a stack. The terminal closing on a run in it (SIGHUP) stops the run as SIGTERM does.
 */

const BLOCKED = 'TASK_BLOCKED: T3\nBLOCKER: the STRIPE_KEY secret is not set\nSUGGESTED_ACTION: add STRIPE_KEY to .env';

/** Three tasks one after the other, so that ccasp has lines to print long after the first. */
function chainProject(): string {
  const tasks = ['T1', 'T2', 'T3'].map((id, i) => ({ id, title: `Make ${id}`, status: 'pending', file: `out/${id}.txt`, dependencies: i > 0 ? [`T${i}`] : [] }));
  return makeProject({ name: 'Pipes', phases: [{ id: 'P1', name: 'Only', tasks }] });
}

const run = (project: string, agent: ScriptedAgent, args: readonly string[], options: Omit<CliOptions, 'cwd' | 'env'> & { env?: NodeJS.ProcessEnv } = {}): Promise<CliResult> =>
  runCli(['run', 'plan', ...args], { ...options, cwd: project, env: agent.env(options.env) });

const NO_STACK = /EPIPE|Error:|\n\s+at /;

/** The run went to its end: every task completed, the books closed, the lock released, no agent left. */
function expectFinished(project: string): void {
  expect(readPlan(project).phases[0]!.tasks.map((t) => t.status)).toEqual(['completed', 'completed', 'completed']);
  expect(readStateJson(project).status).toBe('completed');
  expect(existsSync(lockFile(project))).toBe(false);
  expect(processesIn(project)).toEqual([]);
}

describe('a reader that goes away', () => {
  it('`ccasp run | head -1`: the run completes every task and exits 0, without a stack', async () => {
    const project = chainProject();
    const r = await run(project, scriptedAgent(), [], { stdoutLines: 1 });
    expect(r.stdout).toMatch(/^\S+ Pipes: 1 phases, 3 tasks, concurrency 1\n$/);
    expect(r.stderr).not.toMatch(NO_STACK);
    expect(r.code, r.stderr).toBe(0);
    expectFinished(project);
  });

  it('`ccasp run --json | head -2`: the same, and the human lines on stderr go on', async () => {
    const project = chainProject();
    const r = await run(project, scriptedAgent(), ['--json'], { stdoutLines: 2 });
    expect(r.stdout.split('\n').slice(0, 2).map((l) => (JSON.parse(l) as { type: string }).type)).toEqual(['run.started', 'phase.started']);
    expect(r.stderr).toContain('✔ Plan completed');
    expect(r.stderr).not.toMatch(NO_STACK);
    expect(r.code, r.stderr).toBe(0);
    expectFinished(project);
  });

  it('with stderr closed too, the run still completes and exits 0', async () => {
    for (const args of [[], ['--json']]) {
      const project = chainProject();
      const r = await run(project, scriptedAgent(), args, { stdoutLines: 1, stderrLines: 0 });
      expect(r.code, args.join(' ')).toBe(0);
      expectFinished(project);
    }
  });

  it('stdout on a full disk (/dev/full): the run completes and exits 0, without a stack', async () => {
    const project = chainProject();
    const full = openSync('/dev/full', 'w');
    try {
      const r = await run(project, scriptedAgent(), [], { stdoutFd: full });
      expect(r.stderr).not.toMatch(NO_STACK);
      expect(r.code, r.stderr).toBe(0);
    } finally {
      closeSync(full);
    }
    expectFinished(project);
  });

  it('in GitHub Actions, a blocked run still writes its step summary and exits 4', async () => {
    const project = chainProject();
    const summary = path.join(tempDir('ccasp-pipes-summary-'), 'summary.md');
    const agent = scriptedAgent({ T3: [[{ report: BLOCKED }]] });
    // The annotation for the blocked task is written after the reader is gone.
    const r = await run(project, agent, [], { stdoutLines: 1, env: { CI: 'true', GITHUB_STEP_SUMMARY: summary } });
    expect(r.stderr).not.toMatch(NO_STACK);
    expect(r.code, r.stderr).toBe(4);
    expect(readFileSync(summary, 'utf8')).toContain('| T3 | the STRIPE_KEY secret is not set | add STRIPE_KEY to .env |');
    expect(readStateJson(project).status).toBe('blocked');
    expect(existsSync(lockFile(project))).toBe(false);
    expect(processesIn(project)).toEqual([]);
  });
});

describe('one-shot commands with nobody reading', () => {
  /** A project after a completed run, so that every command has something to show. */
  async function ranProject(): Promise<string> {
    const project = chainProject();
    expect((await run(project, scriptedAgent(), [])).code).toBe(0);
    return project;
  }

  const COMMANDS: readonly (readonly string[])[] = [
    ['status', 'plan'],
    ['status', 'plan', '--json'],
    ['validate', 'plan'],
    ['validate', 'nowhere'],
    ['graph', 'plan'],
    ['logs', 'T1', 'plan'],
    ['config', 'plan'],
    ['completion', 'bash'],
    ['clean', 'plan'],
    ['sync', 'plan'],
    ['reset', 'T1', 'plan'],
    ['unblock', 'T2', 'plan'],
    ['--help'],
    ['status', '--no-such-option'],
  ];

  it('exit with the code they have with a reader, without a stack, stdout closed or both', async () => {
    const project = await ranProject();
    const agent = scriptedAgent();
    for (const args of COMMANDS) {
      const read = await runCli(args, { cwd: project, env: agent.env() });
      const unread = await runCli(args, { cwd: project, env: agent.env(), stdoutLines: 0 });
      const neither = await runCli(args, { cwd: project, env: agent.env(), stdoutLines: 0, stderrLines: 0 });
      const what = args.join(' ');
      expect(read.stdout + read.stderr, what).not.toBe('');
      expect(unread.stderr, what).not.toMatch(NO_STACK);
      expect([unread.code, neither.code], `${what}: ${unread.stderr}`).toEqual([read.code, read.code]);
      expect(existsSync(lockFile(project)), what).toBe(false);
    }
    expect(readPlan(project).phases[0]!.tasks.map((t) => t.status)).toEqual(['pending', 'completed', 'completed']);
  });

  it('`ccasp init` writes whole files with nobody reading', async () => {
    const dir = tempDir('ccasp-pipes-init-');
    const r = await runCli(['init', 'plan', '--name', 'Unread'], { cwd: dir, stdoutLines: 0, stderrLines: 0 });
    expect(r.code).toBe(0);
    const check = await runCli(['validate', 'plan'], { cwd: dir });
    expect(check.code, check.stdout + check.stderr).toBe(0);
    expect(check.stdout).toContain('"Unread"');
  });
});

describe('a terminal that closes', () => {
  /** T1 takes a while (or hangs), so that the terminal can close while its agent works. */
  const slowFirst = (first: readonly AgentStep[]) => scriptedAgent({ T1: [first] });

  it('with ccasp in its session (SIGHUP): agents ended, state paused, lock released', async () => {
    const project = chainProject();
    const agent = slowFirst([{ hang: true }]);
    const pty = startCliInPty(['run', 'plan'], { cwd: project, env: agent.env({ TERM: 'xterm-256color' }), columns: 100 });
    await until(() => (agent.starts().length > 0 ? true : undefined), 'the first agent');
    await until(() => (pty.raw().includes('T1') ? true : undefined), 'the spinner');
    pty.close();
    await until(() => (processesIn(project).length === 0 ? true : undefined), 'ccasp and its agent to end');
    expect(readStateJson(project)).toMatchObject({ status: 'paused', activeAgents: [] });
    expect(readPlan(project).phases[0]!.tasks.map((t) => t.status)).toEqual(['pending', 'pending', 'pending']);
    expect(existsSync(lockFile(project))).toBe(false);
  });

  it('SIGHUP stops a run as SIGTERM does, with exit 129', async () => {
    const project = chainProject();
    const running = startCli(['run', 'plan', '--json'], { cwd: project, env: slowFirst([{ hang: true }]).env() });
    expect(await running.waitForEvent('task.started')).toBe(true);
    running.child.kill('SIGHUP');
    const r = await running.done;
    expect(r.stderr).toContain('SIGHUP: stopping agents and saving state');
    expect(r.code, r.stderr).toBe(129);
    expect(readStateJson(project)).toMatchObject({ status: 'paused', activeAgents: [] });
    expect(existsSync(lockFile(project))).toBe(false);
    expect(processesIn(project)).toEqual([]);
  });

  it('with ccasp outside its session (setsid): its writes fail, the run goes on and completes', async () => {
    const project = chainProject();
    const agent = slowFirst([{ sleep: 1000 }, { write: 'out/T1.txt' }, { complete: {} }]);
    const pty = startCliInPty(['run', 'plan'], { cwd: project, env: agent.env({ TERM: 'xterm-256color' }), columns: 100, ownSession: true });
    await until(() => (pty.raw().includes('T1') ? true : undefined), 'the spinner');
    pty.close();
    await until(() => (processesIn(project).length === 0 ? true : undefined), 'the run to end');
    expectFinished(project);
  });
});
