import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadPlan } from '../../src/plan/load.js';
import { scriptedAgent } from '../support/agents.js';
import { runCli, startCli } from '../support/cli.js';
import { processesWith } from '../support/processes.js';
import { until } from '../support/until.js';
import { tempDir, writeFile } from '../support/tmp.js';

/**
 * `ccasp plan` with the scripted stand-in for claude (the real binary's path is test/e2e/agent-plan):
 * what is refused before claude is asked, what claude is allowed, and what is written when.
 */

const BRIEF = 'A greeter that says hello.';
const draft = (dependency: string) => ({
  name: 'Greeter',
  phases: [{ id: 'P1', name: 'Core', tasks: [{ id: 'P1.1', title: 'Greet', file: 'src/greet.js' }, { id: 'P1.2', title: 'Test', file: 'test/greet.js', dependencies: [dependency] }] }],
});
// The stand-in plays the steps scripted for the prompt's task id; the planning prompt names none.
const planner = (...drafts: unknown[]) => scriptedAgent({ '': drafts.map((d) => [{ structured: d as Record<string, unknown> }]) });

function project(): string {
  const dir = path.join(tempDir('ccasp-plan-cli-'), 'project');
  mkdirSync(path.join(dir, '.git'), { recursive: true });
  return dir;
}

describe('ccasp plan', () => {
  it('refuses to replace an existing plan without --force, before claude is asked', async () => {
    const dir = project();
    const file = writeFile(dir, 'PROGRESS.json', { name: 'Mine', phases: [] });
    const before = readFileSync(file, 'utf8');
    const agent = planner(draft('P1.1'));
    const r = await runCli(['plan', BRIEF], { cwd: dir, env: agent.env() });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('PROGRESS.json already exists; pass --force to replace it, or --dry-run');
    expect(readFileSync(file, 'utf8')).toBe(before);
    expect(agent.starts()).toEqual([]);
  });

  it('with --force, replaces it with the valid plan; claude reads the project root with read-only tools and no GitHub token', async () => {
    const dir = project();
    writeFile(dir, 'plan/PROGRESS.json', { name: 'Mine', phases: [] });
    writeFile(dir, 'prd.md', `${BRIEF}\n`);
    const agent = planner(draft('P1.1'));
    const r = await runCli(['plan', 'prd.md', 'plan', '--force', '--model', 'opus'], { cwd: dir, env: agent.env({ GITHUB_TOKEN: 'ghp_secretvalue1234567890' }) });
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(r.stdout).toContain("plan/PROGRESS.json: a valid plan, written from claude's first draft");
    const doc = await loadPlan(path.join(dir, 'plan'));
    expect(doc.plan.name).toBe('Greeter');
    expect(doc.plan.phases[0]!.tasks.map((t) => t.status)).toEqual(['pending', 'pending']);

    const [start] = agent.starts();
    expect(start!.cwd).toBe(dir);
    expect(start!.prompt).toContain(BRIEF);
    expect(start!.env['GITHUB_TOKEN']).toBeUndefined();
    expect(start!.args).toEqual(expect.arrayContaining(['-p', '--model=opus', '--permission-mode=dontAsk', '--tools=Read,Glob,Grep,Bash', '--allowedTools=Bash(git ls-files:*)']));
    expect(start!.args.filter((a) => /Write|Edit/.test(a))).toEqual([]);
    expect(start!.args.find((a) => a.startsWith('--json-schema='))).toBeDefined();
  });

  it('a stop signal to ccasp alone ends claude too and writes nothing (exit 143)', async () => {
    const dir = project();
    const agent = scriptedAgent({ '': [[{ await: 'never released' }]] });
    const cli = startCli(['plan', BRIEF], { cwd: dir, env: agent.env() });
    const start = await until(() => agent.starts()[0], 'claude to start');
    const session = start.args.find((a) => a.startsWith('--session-id='))!;
    expect(processesWith(session)).not.toEqual([]);
    process.kill(cli.pid, 'SIGTERM');
    const r = await cli.done;
    expect(r.code, r.stderr).toBe(143);
    expect(r.stderr).toContain('SIGTERM: claude was stopped and no plan was written');
    expect(existsSync(path.join(dir, 'PROGRESS.json'))).toBe(false);
    await until(() => processesWith(session).length === 0 || undefined, 'claude to end');
  });

  it('writes nothing when the plan is still invalid after three drafts, each correction resuming the session (exit 5)', async () => {
    const dir = project();
    const agent = planner(draft('P9.9'), draft('P8.8'), draft('P7.7'), draft('P1.1'));
    const r = await runCli(['plan', BRIEF], { cwd: dir, env: agent.env() });
    expect(r.code, r.stdout + r.stderr).toBe(5);
    expect(r.stderr).toMatch(/still invalid after 3 tries; nothing was written[\s\S]*P7\.7/);
    expect(existsSync(path.join(dir, 'PROGRESS.json'))).toBe(false);
    const starts = agent.starts();
    expect(starts).toHaveLength(3);
    const session = starts[0]!.args.find((a) => a.startsWith('--session-id='))!.slice('--session-id='.length);
    for (const later of starts.slice(1)) {
      expect(later.args).toContain(`--resume=${session}`);
      expect(later.prompt).toContain('ccasp checked the plan you handed in');
    }
  });

  it('with --force, leaves the plan to the run that holds the project (exit 3)', async () => {
    const dir = project();
    const file = writeFile(dir, 'PROGRESS.json', { name: 'Mine', phases: [] });
    const before = readFileSync(file, 'utf8');
    writeFile(dir, '.claude/orchestrator/lock', `${JSON.stringify({ pid: process.pid, host: hostname(), startedAt: new Date().toISOString() })}\n`);
    const r = await runCli(['plan', BRIEF, '--force'], { cwd: dir, env: planner(draft('P1.1')).env() });
    expect(r.code, r.stderr).toBe(3);
    expect(readFileSync(file, 'utf8')).toBe(before);
  });

  it('writes into a folder not there yet, with secrets claude wrote into the plan scrubbed', async () => {
    const dir = project();
    const secret = 'sk-test-0123456789abcdefghij';
    const leaky = draft('P1.1');
    leaky.phases[0]!.tasks[0]!.title = `Greet with ${secret}`;
    const agent = planner(leaky);
    const r = await runCli(['plan', BRIEF, 'plans/greeter', '--max-turns', '7'], { cwd: dir, env: agent.env({ SERVICE_API_KEY: secret }) });
    expect(r.code, r.stdout + r.stderr).toBe(0);
    const written = readFileSync(path.join(dir, 'plans/greeter/PROGRESS.json'), 'utf8');
    expect(written).not.toContain(secret);
    expect(written).toContain('Greet with [REDACTED]');
    expect(agent.starts()[0]!.args).toContain('--max-turns=7');
  });

  it.each([
    ['a single word that names no file', ['plan', 'prd.md'], 'prd.md not found; give a file holding the product description'],
    ['a target that is a file', ['plan', BRIEF, 'notes.txt'], 'notes.txt is not a directory'],
  ])('refuses %s (exit 2)', async (_what, args, message) => {
    const dir = project();
    writeFile(dir, 'notes.txt', 'not a folder');
    const agent = planner(draft('P1.1'));
    const r = await runCli(args, { cwd: dir, env: agent.env() });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(message);
    expect(agent.starts()).toEqual([]);
  });
});
