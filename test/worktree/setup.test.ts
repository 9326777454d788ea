import { existsSync, lstatSync, readdirSync, readFileSync, readlinkSync, symlinkSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ndjsonLineSchema } from '../../src/orchestrator/event-schema.js';
import { createTaskWorktree } from '../../src/worktree/index.js';
import { includedPaths } from '../../src/worktree/include.js';
import { readyWorktree, WorktreeSetupError } from '../../src/worktree/ready.js';
import { scriptedAgent } from '../support/agents.js';
import { runCli } from '../support/cli.js';
import { readStateJson as readState, taskStatuses } from '../support/files.js';
import { tempDir, writeFile } from '../support/tmp.js';
import { planRepo, put, read, sh } from './fixture.js';

/**
 * A task's worktree gets what the project needs to build and is not in git: the ignored files
 * `.worktreeinclude` names, copied, and the setup command run in it before the agent starts.
 */

const IGNORED = '.env\nnode_modules/\nbuild/\n.claude/\n';
const INCLUDE = '# what a worktree needs\n.env\nnode_modules/\nREADME.md\nscratch.txt\n';

/** A repository that ignores `.env`, `node_modules/` and `build/` (all present) and lists some of them in `.worktreeinclude`. */
function projectWithIgnoredFiles(plan: unknown = '{"name": "p", "status": "pending"}\n'): string {
  const dir = planRepo(plan, { '.gitignore': IGNORED, '.worktreeinclude': INCLUDE });
  put(dir, '.env', 'API_URL=http://localhost\n');
  put(dir, 'node_modules/dep/index.js', 'module.exports = 1;\n');
  symlinkSync('../dep/index.js', path.join(dir, 'node_modules', 'dep-link.js'));
  put(dir, 'build/out.js', 'stale\n');
  put(dir, 'scratch.txt', 'untracked, not ignored\n');
  return dir;
}

describe('.worktreeinclude', () => {
  it('names ignored files only: never a tracked file, an untracked one, or an ignored one it does not list', async () => {
    const dir = projectWithIgnoredFiles();
    expect((await includedPaths(dir)).sort()).toEqual(['.env', 'node_modules/']);
  });

  it('without the file, nothing is copied', async () => {
    const dir = projectWithIgnoredFiles();
    sh(dir, 'rm', '--quiet', '.worktreeinclude');
    sh(dir, 'commit', '--quiet', '-m', 'no include file');
    expect(await includedPaths(dir)).toEqual([]);
  });

  it("copies them into a new worktree, links as links, and a change there does not reach the person's checkout", async () => {
    const dir = projectWithIgnoredFiles();
    const wt = await createTaskWorktree(dir, { planId: 'p', taskId: 'T1', attempt: 1, base: 'main' });
    await readyWorktree(dir, wt.path, undefined);
    expect(read(wt.path, '.env')).toBe('API_URL=http://localhost\n');
    expect(read(wt.path, 'node_modules/dep/index.js')).toBe('module.exports = 1;\n');
    expect(lstatSync(path.join(wt.path, 'node_modules', 'dep-link.js')).isSymbolicLink()).toBe(true);
    expect(readlinkSync(path.join(wt.path, 'node_modules', 'dep-link.js'))).toBe('../dep/index.js');
    expect(existsSync(path.join(wt.path, 'build'))).toBe(false);
    expect(existsSync(path.join(wt.path, 'scratch.txt'))).toBe(false);
    // Ignored there too: nothing copied can end up in the task's commit.
    expect(sh(wt.path, 'status', '--porcelain')).toBe('');
    put(wt.path, '.env', 'changed by an agent\n');
    expect(read(dir, '.env')).toBe('API_URL=http://localhost\n');
  });
});

describe('the worktree setup command', () => {
  it('runs once per worktree: again after a failure, not again once it succeeded', async () => {
    const dir = projectWithIgnoredFiles();
    const wt = await createTaskWorktree(dir, { planId: 'p', taskId: 'T1', attempt: 1, base: 'main' });
    const ran: string[] = [];
    const setUp = (ok: boolean) => async (cwd: string) => {
      ran.push(cwd);
      // The included files are there before it runs.
      expect(existsSync(path.join(cwd, '.env'))).toBe(true);
      return { ok, detail: ok ? '' : '`npm ci` exited with code 1; output ends with:\nregistry unreachable' };
    };
    await expect(readyWorktree(dir, wt.path, setUp(false))).rejects.toThrow(WorktreeSetupError);
    await expect(readyWorktree(dir, wt.path, setUp(false))).rejects.toThrow(/registry unreachable/);
    await readyWorktree(dir, wt.path, setUp(true));
    await readyWorktree(dir, wt.path, setUp(false));
    expect(ran).toEqual([wt.path, wt.path, wt.path]);
  });
});

const GH_TOKEN = 'ghp_SetupToken0123456789abcdefghijklmnop';
const SECRET = 'sk-ant-api03-SetupSecret_abcdefghijklmnop';

/**
 * A setup script (committed, so every worktree has it) that fails its first `failures` runs, counted
 * in `counter` outside the repository, printing the secret and whether it sees the GitHub token; then
 * writes `ready.txt` (ignored) where it runs.
 */
const SETUP_SCRIPT = `
const fs = require('node:fs');
const counter = process.env.SETUP_COUNTER;
const runs = fs.existsSync(counter) ? Number(fs.readFileSync(counter, 'utf8')) : 0;
fs.writeFileSync(counter, String(runs + 1));
console.log('installing with ' + process.env.ANTHROPIC_API_KEY + ', token: ' + (process.env.GH_TOKEN ?? 'none'));
if (runs < Number(process.env.SETUP_FAILURES)) { console.error('registry unreachable'); process.exit(3); }
fs.writeFileSync('ready.txt', 'set up\\n');
`;

function setupPlan(): string {
  const dir = projectWithIgnoredFiles({
    name: 'Setup',
    worktree_setup: 'node setup.cjs',
    phases: [{ id: 'P1', name: 'Only', tasks: [{ id: 'T1', title: 'Make a.js', file: 'src/a.js', status: 'pending' }] }],
  });
  writeFile(dir, '.gitignore', `${IGNORED}ready.txt\n`);
  writeFile(dir, 'setup.cjs', SETUP_SCRIPT);
  sh(dir, 'add', '--all');
  sh(dir, 'commit', '--quiet', '-m', 'setup script');
  return dir;
}

describe('ccasp run with a worktree setup command', () => {
  const agentNeedsSetUp = () => scriptedAgent({ T1: [[{ needs: ['.env', 'node_modules/dep/index.js', 'ready.txt'] }, { write: 'src/a.js' }, { complete: {} }]] });

  it("gives the agent a worktree with the included files and the setup command's work; the command does not get the GitHub token", async () => {
    const dir = setupPlan();
    const counter = path.join(tempDir('ccasp-setup-'), 'runs');
    const agent = agentNeedsSetUp();
    const env = agent.env({ SETUP_COUNTER: counter, SETUP_FAILURES: '0', ANTHROPIC_API_KEY: SECRET, GH_TOKEN });
    const r = await runCli(['run', 'plan', '--isolation', 'worktree', '--no-github'], { cwd: dir, env });
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(taskStatuses(dir)).toEqual({ T1: 'completed' });
    expect(readFileSync(counter, 'utf8')).toBe('1');
    // Nothing the setup made or copied is committed.
    expect(sh(dir, 'ls-tree', '-r', '--name-only', 'main').split('\n')).not.toContain('ready.txt');
    const log = readFileSync(path.join(dir, '.claude', 'orchestrator', 'logs', 'T1.1.setup.log'), 'utf8');
    expect(log).toContain('$ node setup.cjs');
    expect(log).toContain('token: none');
    expect(log).not.toContain(SECRET);
  });

  it('a failed setup is a transient failure: its output, redacted, in the event and state.json; the retry sets up again and goes on', async () => {
    const dir = setupPlan();
    const counter = path.join(tempDir('ccasp-setup-'), 'runs');
    const agent = agentNeedsSetUp();
    const env = agent.env({ SETUP_COUNTER: counter, SETUP_FAILURES: '1', ANTHROPIC_API_KEY: SECRET });
    const r = await runCli(['run', 'plan', '--isolation', 'worktree', '--no-github', '--json'], { cwd: dir, env });
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(taskStatuses(dir)).toEqual({ T1: 'completed' });
    expect(readFileSync(counter, 'utf8')).toBe('2');
    // No agent started for the attempt whose setup failed.
    expect(agent.starts()).toHaveLength(1);

    const events = r.stdout
      .split('\n')
      .filter(Boolean)
      .map((line) => ndjsonLineSchema.parse(JSON.parse(line)).event);
    const failed = events.find((e) => e.type === 'task.attempt.failed');
    expect(failed).toMatchObject({ taskId: 'T1', attempt: 1, willRetry: true });
    expect(failed?.type === 'task.attempt.failed' && failed.reason).toMatch(/^the worktree could not be set up: `node setup.cjs` exited with code 3; output ends with:\n[^]*registry unreachable/);
    const attempts = readState(dir).attempts.filter((a) => a.taskId === 'T1');
    expect(attempts.map((a) => a.outcome)).toEqual(['retry', 'completed']);
    expect(attempts[0]?.reason).toContain('registry unreachable');
    expect(r.stdout + r.stderr + JSON.stringify(readState(dir))).not.toContain(SECRET);
    expect(readdirSync(path.join(dir, '.claude', 'orchestrator', 'logs')).filter((f) => f.endsWith('.setup.log')).sort()).toEqual(['T1.1.setup.log', 'T1.2.setup.log']);
  });

  it('a setup that never succeeds blocks the task after its retries, saying why', async () => {
    const dir = setupPlan();
    const counter = path.join(tempDir('ccasp-setup-'), 'runs');
    const agent = agentNeedsSetUp();
    const env = agent.env({ SETUP_COUNTER: counter, SETUP_FAILURES: '100' });
    const r = await runCli(['run', 'plan', '--isolation', 'worktree', '--no-github', '--max-retries', '1'], { cwd: dir, env });
    expect(r.code, r.stdout + r.stderr).toBe(4);
    expect(taskStatuses(dir)).toEqual({ T1: 'blocked' });
    expect(readFileSync(counter, 'utf8')).toBe('2');
    expect(agent.starts()).toEqual([]);
    expect(JSON.stringify(readState(dir))).toMatch(/gave up after 2 attempts; last: the worktree could not be set up: `node setup.cjs` exited with code 3/);
  });
});
