import { describe, expect, it } from 'vitest';
import { runCli } from '../support/cli.js';
import { taskStatuses } from '../support/files.js';
import { promptOf } from '../support/scripted-api.js';
import { planRepo, sh, worktreeOf } from '../worktree/fixture.js';
import { honestAgent, runEnv, scriptedApi, taskMarker } from './harness.js';

/** The real claude binary working in a task's own worktree (`--isolation worktree`), against the scripted API. */

describe('an agent in a task worktree, through the real claude binary', () => {
  it('works in the worktree and is told so; its work reaches the branch', async () => {
    const dir = planRepo({ name: 'Isolated', phases: [{ id: 'P1', name: 'Only', tasks: [{ id: 'T1', title: 'Make src/a.js', file: 'src/a.js', status: 'pending' }] }] });
    const worktree = worktreeOf(dir, 'T1');
    const api = await scriptedApi({ [taskMarker('T1')]: honestAgent('T1', ['src/a.js']) });
    const r = await runCli(['run', 'plan', '--isolation', 'worktree'], { cwd: dir, env: runEnv(api.url) });
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(api.scriptErrors).toEqual([]);
    // claude's own idea of where it works, and ccasp's prompt, both name the worktree.
    const first = api.mainRequests()[0]!;
    expect(first.systemText).toContain(`Primary working directory: ${worktree}`);
    expect(promptOf(first)).toContain(`- Project root: ${worktree} `);
    expect(taskStatuses(dir)).toEqual({ T1: 'completed' });
    expect(sh(dir, 'show', 'main:src/a.js')).toContain('export const done = true;');
    expect(sh(dir, 'status', '--porcelain')).toBe('');
  });
});
