import { hostname } from 'node:os';
import { describe, expect, it } from 'vitest';
import { runCli } from '../support/cli.js';
import { tempDir, writeFile } from '../support/tmp.js';
import { newRepo, put, sh } from '../worktree/fixture.js';

const plan = { plan_id: 'demo', name: 'Demo', phases: [{ id: 'P1', name: 'One', tasks: [{ id: 'T1', title: 'x', status: 'pending' }] }] };

describe('ccasp clean', () => {
  it('has nothing to do outside a git repository', async () => {
    const dir = tempDir();
    writeFile(dir, 'plan/PROGRESS.json', plan);
    const r = await runCli(['clean', 'plan', '--json'], { cwd: dir });
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ removed: [], kept: [], note: expect.stringContaining('not a git repository') });
  });

  it('refuses while a run holds the project (exit 3)', async () => {
    const root = newRepo();
    writeFile(root, 'plan/PROGRESS.json', plan);
    put(root, '.claude/orchestrator/lock', `${JSON.stringify({ pid: process.pid, host: hostname(), startedAt: new Date().toISOString() })}\n`);
    const r = await runCli(['clean', 'plan'], { cwd: root });
    expect(r.code).toBe(3);
    expect(r.stderr).toContain('Another ccasp run is active');
  });

  it('removes task branches left without a worktree and says so', async () => {
    const root = newRepo();
    writeFile(root, 'plan/PROGRESS.json', plan);
    sh(root, 'branch', 'ccasp/demo/T1');
    sh(root, 'branch', 'ccasp-saved/demo/T1/before-attempt-2');
    const r = await runCli(['clean', 'plan'], { cwd: root });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('removed the worktrees and branches of T1');
    expect(sh(root, 'branch', '--list', 'ccasp*')).toBe('');
  });
});
