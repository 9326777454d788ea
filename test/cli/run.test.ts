import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { REPO_ROOT, runCli } from '../support/cli.js';
import { cleanEnv } from '../support/env.js';
import { lockFile, makeProject, planFile, readPlan, readStateJson } from '../support/files.js';
import { writeFile } from '../support/tmp.js';

const simplePlan = {
  plan_id: 'simple',
  name: 'Simple',
  phases: [{ id: 'P1', name: 'One', tasks: [{ id: 'T1', title: 'Write the README', file: 'README.md', status: 'pending' }] }],
};

describe('ccasp run without agents', () => {
  it('prints waves, routes and the first prompt on --dry-run, and spawns nothing', async () => {
    const dir = makeProject(readFileSync(path.join(REPO_ROOT, 'examples/canonical/PROGRESS.json')));
    const r = await runCli(['run', 'plan', '--dry-run', '--claude-bin', '/nonexistent/claude'], { cwd: dir });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('dry run, concurrency 2');
    expect(r.stdout).toMatch(/Phase P2: Features\n {2}wave 1:\n {4}P2\.1 .*\n {4}P2\.2 .*\n {2}wave 2:\n {4}P2\.3 /);
    expect(r.stdout).toMatch(/P1\.2 {2}Page skeleton \[l2-frontend-specialist, haiku\]/);
    expect(r.stdout).toContain('TASK_COMPLETE: P1.1');
    expect(existsSync(path.join(dir, '.claude'))).toBe(false);
  });

  it('exits 2 on an invalid plan, creating no state and leaving the file as it was', async () => {
    const dir = makeProject({ name: 'Bad', phases: [{ id: 'P1', name: 'One', tasks: [{ id: 'T1', title: 'x', status: 'nope' }] }] });
    const before = readFileSync(planFile(dir));
    const r = await runCli(['run', 'plan'], { cwd: dir });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('phases[0].tasks[0].status');
    expect(existsSync(path.join(dir, '.claude'))).toBe(false);
    expect(readFileSync(planFile(dir)).equals(before)).toBe(true);
  });

  it("exits 2 on a specialist's tool rule that is not one, naming its file and field, before anything is created", async () => {
    const dir = makeProject(simplePlan);
    const role = writeFile(dir, '.claude/agents/l2-general-specialist.md', '---\nname: l2-general-specialist\nallowedTools: Read, npm test\n---\nDo it.\n');
    const r = await runCli(['run', 'plan', '--claude-bin', '/nonexistent/claude'], { cwd: dir });
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr).toContain(`Invalid specialist definition:\n  ${role}: allowedTools: expected a rule in claude's syntax`);
    expect(existsSync(path.join(dir, '.claude', 'orchestrator'))).toBe(false);
  });

  it('refuses state that belongs to another plan unless told --fresh', async () => {
    const dir = makeProject(simplePlan);
    writeFile(dir, 'other/PROGRESS.json', { ...simplePlan, plan_id: 'other' });
    const first = await runCli(['run', 'other', '--claude-bin', '/nonexistent/claude'], { cwd: dir });
    expect(first.code).toBe(5);
    const r = await runCli(['run', 'plan', '--claude-bin', '/nonexistent/claude'], { cwd: dir });
    expect(r.code).toBe(8);
    expect(r.stderr).toMatch(/belongs to plan "other" \(other\/PROGRESS\.json\), not "simple"/);
    const fresh = await runCli(['run', 'plan', '--fresh', '--claude-bin', '/nonexistent/claude'], { cwd: dir });
    expect(fresh.code).toBe(5);
    expect(readStateJson(dir).planId).toBe('simple');
  });

  it('aborts the phase with exit 5 when the claude binary is missing, and leaves the task pending', async () => {
    const dir = makeProject(simplePlan);
    const r = await runCli(['run', 'plan', '--max-retries', '3', '--claude-bin', '/nonexistent/claude'], { cwd: dir });
    expect(r.code, r.stdout + r.stderr).toBe(5);
    expect(r.stdout).toContain('the claude binary "/nonexistent/claude" was not found');
    const plan = readPlan(dir);
    expect(plan.phases[0]!.tasks[0]).toMatchObject({ status: 'pending', attempts: 1 });
    expect(plan.phases[0]!.status).toBe('failed');
    const state = readStateJson(dir);
    expect(state.status).toBe('failed');
    // Exactly one attempt: a missing binary is not retried.
    expect(state.attempts).toEqual([expect.objectContaining({ taskId: 'T1', attempt: 1, outcome: 'fatal' })]);
    expect(state.blockedTasks).toEqual([]);
    expect(existsSync(lockFile(dir))).toBe(false);
  });

  it('--dry-run shows the report format and prompt a config file chose', async () => {
    const dir = makeProject(simplePlan);
    writeFile(dir, 'ccasp.config.json', { run: { reportFormat: 'json-schema' } });
    const r = await runCli(['run', 'plan', '--dry-run'], { cwd: dir });
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(r.stdout).toContain('Report format: json-schema (claude --json-schema; the agent calls the StructuredOutput tool).');
    expect(r.stdout).toContain('{"task_id": "T1", "status": "completed", "artifacts": [');
    const text = await runCli(['run', 'plan', '--dry-run', '--report-format', 'text'], { cwd: dir });
    expect(text.stdout).toContain('Report format: text (a TASK_COMPLETE / TASK_BLOCKED / TASK_FAILED block).');
    expect(text.stdout).toMatch(/^TASK_COMPLETE: T1$/m);
  });

  it('shows the run as the config file says, unless CI or CCASP_OUTPUT says otherwise', async () => {
    const shown = async (env: NodeJS.ProcessEnv) => {
      const dir = makeProject(simplePlan);
      writeFile(dir, 'plan/ccasp.config.json', { run: { output: 'silent' } });
      const r = await runCli(['run', 'plan', '--claude-bin', '/nonexistent/claude'], { cwd: dir, env: cleanEnv(env) });
      expect(r.code).toBe(5);
      return r.stdout;
    };
    expect(await shown({})).toBe('');
    expect(await shown({ CI: 'true' })).toContain('the claude binary "/nonexistent/claude" was not found');
    expect(await shown({ CI: 'true', CCASP_OUTPUT: 'silent' })).toBe('');
    expect(await shown({ CCASP_OUTPUT: 'plain' })).toContain('the claude binary "/nonexistent/claude" was not found');
  });

  it('rejects a bad flag value with exit 2, naming the flag', async () => {
    const dir = makeProject(simplePlan);
    const r = await runCli(['run', 'plan', '--concurrency', '0'], { cwd: dir });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('--concurrency: expected a whole number of 1 or more, got "0"');
  });
});

describe('ccasp run --json with an agent that answers at once', () => {
  // Tasks give up their slot before their end is written (the next start shares that write); the
  // events must still tell the story in order. The bench's stub is a real executable, not a mock.
  it('reports a dependency complete before its dependant starts, and a phase complete before the next starts', async () => {
    const chains = (phase: string) =>
      Array.from({ length: 12 }, (_, i) => ({
        id: `${phase}.${i + 1}`,
        title: `Step ${i + 1} of ${phase}`,
        status: 'pending',
        ...(i % 3 === 0 ? {} : { dependencies: [`${phase}.${i}`] }),
      }));
    const phases = ['P1', 'P2', 'P3'].map((id) => ({ id, name: id, tasks: chains(id) }));
    const dir = makeProject({ plan_id: 'order', name: 'Order', phases });
    const r = await runCli(['run', 'plan', '--json', '--claude-bin', path.join(REPO_ROOT, 'bench', 'stub-agent.sh'), '--concurrency', '4', '--isolation', 'none'], { cwd: dir });
    expect(r.code, r.stderr).toBe(0);
    const events = r.stdout
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as { type: string; taskId?: string; phaseId?: string });
    const at = (type: string, key: 'taskId' | 'phaseId', id: string) => events.findIndex((e) => e.type === type && e[key] === id);
    const written = readPlan(dir);
    expect(written.phases.flatMap((p) => p.tasks.map((t) => t.status))).toEqual(Array(36).fill('completed'));
    for (const phase of phases) {
      for (const task of phase.tasks) {
        for (const dep of task.dependencies ?? []) expect(at('task.completed', 'taskId', dep)).toBeLessThan(at('task.started', 'taskId', task.id));
      }
    }
    expect(at('phase.completed', 'phaseId', 'P1')).toBeLessThan(at('phase.started', 'phaseId', 'P2'));
    expect(at('phase.completed', 'phaseId', 'P2')).toBeLessThan(at('phase.started', 'phaseId', 'P3'));
    expect(events.filter((e) => e.type === 'task.completed')).toHaveLength(36);
    expect(events.at(-1)?.type).toBe('run.finished');
    expect(readStateJson(dir).metrics.tasksCompleted).toBe(36);
  });
});
