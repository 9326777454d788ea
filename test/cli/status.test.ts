import { cpSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { StatusReport } from '../../src/cli/status-report.js';
import { REPO_ROOT, runCli } from '../support/cli.js';
import { cleanEnv } from '../support/env.js';
import { runCliInPty } from '../support/pty.js';
import { makeProject } from '../support/files.js';
import { tempDir, writeFile } from '../support/tmp.js';
import { loadPlan } from '../../src/plan/load.js';
import { statePath } from '../../src/state/paths.js';
import { newState } from '../../src/state/new-state.js';

const ESC = '\u001b[';

function project(): string {
  return makeProject({
    name: 'Status fixture',
    phases: [
      {
        id: 'P1',
        name: 'First',
        status: 'completed',
        tasks: [
          { id: 'P1.1', title: 'Done one', status: 'completed' },
          { id: 'P1.2', title: 'Skipped one', status: 'skipped' },
        ],
      },
      {
        id: 'P2',
        name: 'Second',
        tasks: [
          { id: 'P2.1', title: 'Built', status: 'completed', dependencies: ['P1.1'] },
          { id: 'P2.2', title: 'Next up', status: 'pending', dependencies: ['P2.1'] },
          { id: 'P2.3', title: 'Waits', status: 'pending', dependencies: ['P2.2'] },
          { id: 'P2.4', title: 'Stuck', status: 'blocked', blocker: 'needs an API key' },
          { id: 'P2.5', title: 'Broke', status: 'failed', blocker: 'tests fail' },
        ],
      },
      { id: 'P3', name: 'Third', tasks: [{ id: 'P3.1', title: 'Later', status: 'pending', dependencies: ['P2.3'] }] },
    ],
  });
}

describe('ccasp status', () => {
  it('prints counts, phases, ready, blocked and failed tasks as JSON', async () => {
    const dir = project();
    const r = await runCli(['status', 'plan', '--json'], { cwd: dir });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const report = JSON.parse(r.stdout) as StatusReport;
    expect(report.completion).toEqual({
      tasks: { done: 3, total: 8, percent: 38 },
      phases: { done: 1, total: 3, percent: 33 },
    });
    expect(report.counts).toEqual({ pending: 3, in_progress: 0, completed: 2, blocked: 1, failed: 1, skipped: 1 });
    expect(report.currentPhase).toBe('P2');
    expect(report.phases.map((p) => p.status)).toEqual(['completed', 'failed', 'pending']);
    expect(report.ready).toEqual([{ id: 'P2.2', title: 'Next up' }]);
    expect(report.blocked).toEqual([{ id: 'P2.4', title: 'Stuck', blocker: 'needs an API key' }]);
    expect(report.failed).toEqual([{ id: 'P2.5', title: 'Broke', blocker: 'tests fail' }]);
    expect(report.orchestrator).toBeNull();
  });

  it('finds the only plan under .claude/ when given no directory', async () => {
    const dir = tempDir();
    cpSync(path.join(REPO_ROOT, 'examples/canonical/PROGRESS.json'), path.join(dir, '.claude/docs/todo/PROGRESS.json'), { recursive: true });
    const r = await runCli(['status', '--json'], { cwd: dir });
    expect(r.code).toBe(0);
    expect((JSON.parse(r.stdout) as StatusReport).plan.file).toBe(path.join('.claude', 'docs', 'todo', 'PROGRESS.json'));
  });

  it('lists the candidates instead of guessing between several plans', async () => {
    const dir = tempDir();
    writeFile(dir, '.claude/a/PROGRESS.json', { name: 'a', phases: [] });
    writeFile(dir, '.claude/b/PROGRESS.json', { name: 'b', phases: [] });
    const r = await runCli(['status'], { cwd: dir });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(path.join('.claude', 'a', 'PROGRESS.json'));
    expect(r.stderr).toContain(path.join('.claude', 'b', 'PROGRESS.json'));
  });

  it('writes plain text without colour through a pipe', async () => {
    const r = await runCli(['status', 'plan'], { cwd: project() });
    expect(r.code).toBe(0);
    expect(r.stdout).not.toContain(ESC);
    expect(r.stdout).toContain('Tasks  ');
    expect(r.stdout).toMatch(/38% \(3\/8\)/);
    expect(r.stdout).toMatch(/P2 .* 1\/5 failed {2}Second ← current/);
    expect(r.stdout).toContain('P2.4  Stuck — needs an API key');
  });

  it('colours output in a terminal', async () => {
    const r = await runCliInPty(['status', 'plan'], { cwd: project() });
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(`${ESC}32m✔`);
    expect(r.stdout).toMatch(/38% \(3\/8\)/);
  });

  it('turns colour off in a terminal with NO_COLOR or --no-color', async () => {
    const dir = project();
    const noColorEnv = await runCliInPty(['status', 'plan'], { cwd: dir, env: cleanEnv({ TERM: 'xterm-256color', NO_COLOR: '1' }) });
    const noColorFlag = await runCliInPty(['--no-color', 'status', 'plan'], { cwd: dir });
    for (const r of [noColorEnv, noColorFlag]) {
      expect(r.code).toBe(0);
      expect(r.stdout).toContain('Status fixture');
      expect(r.stdout).not.toContain(ESC);
    }
  });

  it('shows how many agents run at once when rate limits lowered the figure', async () => {
    const dir = project();
    const doc = await loadPlan(path.join(dir, 'plan'));
    writeFile(dir, path.relative(dir, statePath(dir)), { ...newState(doc.plan, 'plan/PROGRESS.json', '2026-01-01T00:00:00.000Z'), concurrency: { current: 2, max: 4 } });
    const text = await runCli(['status', 'plan'], { cwd: dir });
    expect(text.stdout).toContain('  Agents at once: 2 (of 4, lowered after rate limits)\n');
    const json = await runCli(['status', 'plan', '--json'], { cwd: dir });
    expect((JSON.parse(json.stdout) as StatusReport).orchestrator?.concurrency).toEqual({ current: 2, max: 4 });
  });

  it('shows the orchestrator state when present and flags a broken state file', async () => {
    const dir = project();
    writeFile(dir, '.claude/orchestrator/state.json', { version: 1, planId: 7 });
    const r = await runCli(['status', 'plan', '--json'], { cwd: dir });
    expect(r.code).toBe(0);
    const report = JSON.parse(r.stdout) as StatusReport;
    expect(report.orchestrator).toBeNull();
    expect(report.stateProblems.map((p) => p.path)).toContain('planId');
  });
});
