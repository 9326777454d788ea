import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { cleanWorktrees, createTaskWorktree, listTaskWorktrees, worktreePath, worktreesDir } from '../../src/worktree/index.js';
import { agentWrites, newRepo, put, sh } from './fixture.js';

const start = (root: string, taskId: string, attempt = 1, fresh = false, planId = 'demo') => createTaskWorktree(root, { planId, taskId, attempt, base: 'main', fresh });

/** Tasks in every state clean has to deal with. */
async function leftovers(root: string) {
  await start(root, 'Done');
  const blocked = await start(root, 'Blocked');
  agentWrites(blocked.path, { 'half.txt': 'half' }, 'half done');
  agentWrites(blocked.path, { 'more.txt': 'more' });
  const saved = await start(root, 'Saved');
  agentWrites(saved.path, { 's.txt': 's' });
  await start(root, 'Saved', 2, true);
  sh(root, 'branch', 'ccasp/demo/BranchOnly', 'main');
  put(worktreePath(root, 'Stray'), 'x', 'x');
}

const ccaspRefs = (root: string) => sh(root, 'for-each-ref', '--format=%(refname:short)', 'refs/heads/ccasp', 'refs/heads/ccasp-saved');

describe('cleanWorktrees', () => {
  it('with all, leaves no worktree, branch, saved branch or folder of the plan', async () => {
    const root = newRepo();
    await leftovers(root);
    const result = await cleanWorktrees(root, { planId: 'demo', keep: ['Blocked'], all: true });
    expect(result).toEqual({ removed: ['Blocked', 'BranchOnly', 'Done', 'Saved', 'Stray'], kept: [] });
    expect(await listTaskWorktrees(root, 'demo')).toEqual([]);
    expect(ccaspRefs(root)).toBe('');
    expect(sh(root, 'worktree', 'list', '--porcelain').match(/^worktree /gm)).toHaveLength(1);
    expect(existsSync(worktreesDir(root))).toBe(false);
    expect(sh(root, 'status', '--porcelain')).toBe('');
  });

  it('keeps the worktrees and branches of blocked and failed tasks unless told all', async () => {
    const root = newRepo();
    await leftovers(root);
    const result = await cleanWorktrees(root, { planId: 'demo', keep: ['Blocked'] });
    expect(result.kept).toEqual(['Blocked']);
    expect((await listTaskWorktrees(root, 'demo', { integrationBranch: 'main' })).map((i) => [i.slug, i.condition, i.uncommitted, i.ahead])).toEqual([['Blocked', 'ready', 1, 1]]);
    expect(ccaspRefs(root)).toBe('ccasp/demo/Blocked');
  });

  it("does not touch another plan's worktrees", async () => {
    const root = newRepo();
    await start(root, 'Mine');
    await start(root, 'Theirs', 1, false, 'other');
    await cleanWorktrees(root, { planId: 'demo', all: true });
    expect((await listTaskWorktrees(root, 'other')).map((i) => [i.slug, i.condition])).toEqual([['Theirs', 'ready']]);
    expect(ccaspRefs(root)).toBe('ccasp/other/Theirs');
  });
});
