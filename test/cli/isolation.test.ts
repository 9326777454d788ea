import { describe, expect, it } from 'vitest';
import { runCli } from '../support/cli.js';
import { newRepo, PLAN, put, sh } from '../worktree/fixture.js';

describe('ccasp run --isolation, --branch, --allow-dirty', () => {
  const plan = JSON.stringify({ name: 'p', phases: [{ id: 'P1', name: 'One', tasks: [{ id: 'T1', title: 'x', status: 'pending' }] }] });

  it('--dry-run names the mode and the branch, and changes nothing', async () => {
    const root = newRepo();
    put(root, PLAN, plan);
    sh(root, 'commit', '--quiet', '-am', 'plan');
    const r = await runCli(['run', 'plan', '--dry-run', '--isolation', 'worktree', '--branch', 'feature'], { cwd: root });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout.split('\n')[1]).toBe('Isolation: worktree; each task in its own git worktree, merged into feature when it completes.');
    expect(sh(root, 'branch', '--list')).toBe('* main');
    expect(sh(root, 'status', '--porcelain')).toBe('');
  });

  it('refuses an unknown mode (exit 2)', async () => {
    const root = newRepo();
    const r = await runCli(['run', 'plan', '--isolation', 'sandbox'], { cwd: root });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("argument 'sandbox' is invalid. Allowed choices are worktree, none.");
  });

  it('refuses --push without --queue, and --queue with --isolation none, before anything starts (exit 2)', async () => {
    const root = newRepo();
    put(root, PLAN, plan);
    sh(root, 'commit', '--quiet', '-am', 'plan');
    const push = await runCli(['run', 'plan', '--push'], { cwd: root });
    expect(push.code).toBe(2);
    expect(push.stderr).toContain('--push pushes the integration branch of a run with --queue');
    const none = await runCli(['run', 'plan', '--queue', 'redis://127.0.0.1:1', '--isolation', 'none'], { cwd: root });
    expect(none.code).toBe(2);
    expect(none.stderr).toContain('--queue runs every task in its own worktree on a worker; it cannot be combined with --isolation none');
    expect(sh(root, 'status', '--porcelain')).toBe('');
  });
});
