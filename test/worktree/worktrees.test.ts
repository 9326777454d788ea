import { existsSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  createTaskWorktree,
  listTaskWorktrees,
  parseWorktreeList,
  removeTaskWorktree,
  slug,
  taskBranch,
  worktreePath,
} from '../../src/worktree/index.js';
import { agentWrites, newRepo, put, read, SHARED, sh, shStatus, subjects } from './fixture.js';

const ids = (taskId: string, attempt = 1) => ({ planId: 'demo', taskId, attempt, base: 'main' });

describe('names', () => {
  it('keeps ordinary ids and makes others safe and distinct', () => {
    expect(slug('P1.1')).toBe('P1.1');
    expect(slug('todo-service')).toBe('todo-service');
    for (const odd of ['a/b', 'a b', '..', '.hidden', 'x.lock', 'end.', '-flag', 'ü']) {
      expect(slug(odd)).toMatch(/^[A-Za-z0-9_][A-Za-z0-9._-]*$/);
      expect(slug(odd)).not.toMatch(/\.\.|\.lock$|\.$/);
    }
    expect(slug('a/b')).not.toBe(slug('a_b'));
    expect(taskBranch('demo', 'P1.1')).toBe('ccasp/demo/P1.1');
  });

  it('parses git worktree list --porcelain -z', () => {
    const out = 'worktree /r\0HEAD aaa\0branch refs/heads/main\0\0worktree /r/w/T\0HEAD bbb\0detached\0locked initializing\0\0worktree /gone\0HEAD ccc\0branch refs/heads/x\0prunable gitdir file points to non-existent location\0\0';
    expect(parseWorktreeList(out)).toEqual([
      { path: '/r', head: 'aaa', branch: 'main' },
      { path: '/r/w/T', head: 'bbb', locked: 'initializing' },
      { path: '/gone', head: 'ccc', branch: 'x', prunable: 'gitdir file points to non-existent location' },
    ]);
  });
});

describe('createTaskWorktree', () => {
  it('creates the worktree under .claude/worktrees/ccasp on ccasp/<plan>/<task>, from the base', async () => {
    const root = newRepo();
    const wt = await createTaskWorktree(root, ids('P1.1'));
    expect(wt).toMatchObject({ path: worktreePath(root, 'P1.1'), branch: 'ccasp/demo/P1.1', state: 'created', base: sh(root, 'rev-parse', 'main') });
    expect(sh(wt.path, 'symbolic-ref', '--short', 'HEAD')).toBe('ccasp/demo/P1.1');
    expect(read(wt.path, 'src/shared.txt')).toBe(SHARED);
    // The nested checkout is invisible to the user's tree.
    expect(sh(root, 'status', '--porcelain')).toBe('');
  });

  it("keeps ccasp's folder out of the task's changes", async () => {
    const root = newRepo();
    const wt = await createTaskWorktree(root, ids('P1.1'));
    put(wt.path, '.claude/orchestrator/logs/x.jsonl', '{}');
    expect(sh(wt.path, 'status', '--porcelain', '--untracked-files=all')).toBe('');
  });

  it('creates several worktrees at once without git lock errors', async () => {
    const root = newRepo();
    const made = await Promise.all(['A', 'B', 'C', 'D'].map((t) => createTaskWorktree(root, ids(t))));
    expect(made.map((m) => m.state)).toEqual(['created', 'created', 'created', 'created']);
    expect((await listTaskWorktrees(root, 'demo')).map((i) => [i.slug, i.condition])).toEqual([
      ['A', 'ready'],
      ['B', 'ready'],
      ['C', 'ready'],
      ['D', 'ready'],
    ]);
  });

  it('reuses a usable worktree of an earlier attempt as it is', async () => {
    const root = newRepo();
    const first = await createTaskWorktree(root, ids('P1.1'));
    agentWrites(first.path, { 'half.txt': 'unfinished' });
    const again = await createTaskWorktree(root, ids('P1.1', 2));
    expect(again.state).toBe('reused');
    expect(read(again.path, 'half.txt')).toBe('unfinished');
  });

  it('starting fresh saves committed and uncommitted work on a ccasp-saved branch first', async () => {
    const root = newRepo();
    const first = await createTaskWorktree(root, ids('P1.1'));
    agentWrites(first.path, { 'a.txt': 'committed' }, 'agent commit');
    agentWrites(first.path, { 'b.txt': 'uncommitted' });
    const again = await createTaskWorktree(root, { ...ids('P1.1', 2), fresh: true });
    expect(again).toMatchObject({ state: 'recreated', saved: 'ccasp-saved/demo/P1.1/before-attempt-2', head: again.base });
    expect(existsSync(path.join(again.path, 'a.txt'))).toBe(false);
    expect(existsSync(path.join(again.path, 'b.txt'))).toBe(false);
    expect(sh(root, 'show', `${again.saved}:a.txt`)).toBe('committed');
    expect(sh(root, 'show', `${again.saved}:b.txt`)).toBe('uncommitted');
    // A second save never overwrites the first.
    agentWrites(again.path, { 'c.txt': 'more' });
    const third = await createTaskWorktree(root, { ...ids('P1.1', 2), fresh: true });
    expect(third.saved).toBe('ccasp-saved/demo/P1.1/before-attempt-2-2');
  });

  it('fresh with nothing to keep saves nothing', async () => {
    const root = newRepo();
    await createTaskWorktree(root, ids('P1.1'));
    const again = await createTaskWorktree(root, { ...ids('P1.1', 2), fresh: true });
    expect(again.state).toBe('recreated');
    expect(again.saved).toBeUndefined();
  });

  it('a branch whose worktree folder was deleted is reattached with its commits', async () => {
    const root = newRepo();
    const first = await createTaskWorktree(root, ids('P1.1'));
    agentWrites(first.path, { 'a.txt': 'done' }, 'agent commit');
    rmSync(first.path, { recursive: true, force: true });
    const again = await createTaskWorktree(root, ids('P1.1', 2));
    expect(again.state).toBe('reattached');
    expect(read(again.path, 'a.txt')).toBe('done');
    expect(subjects(again.path)[0]).toBe('agent commit');
  });

  it('a branch with no commits of its own is reset to the new base', async () => {
    const root = newRepo();
    await createTaskWorktree(root, ids('P1.1'));
    await removeTaskWorktree(root, { planId: 'demo', taskId: 'P1.1' });
    sh(root, 'branch', 'ccasp/demo/P1.1', 'main');
    put(root, 'later.txt', 'x');
    sh(root, 'add', 'later.txt');
    sh(root, 'commit', '--quiet', '-m', 'later');
    const again = await createTaskWorktree(root, ids('P1.1', 2));
    expect(again.state).toBe('recreated');
    expect(again.head).toBe(sh(root, 'rev-parse', 'main'));
  });

  it('a folder that is not a registered worktree is discarded and replaced', async () => {
    const root = newRepo();
    put(worktreePath(root, 'P1.1'), 'junk.txt', 'x');
    const wt = await createTaskWorktree(root, ids('P1.1'));
    expect(wt).toMatchObject({ state: 'recreated', discarded: worktreePath(root, 'P1.1') });
    expect(existsSync(path.join(wt.path, 'junk.txt'))).toBe(false);
  });

  it('a worktree someone switched to another branch is replaced; its work is saved', async () => {
    const root = newRepo();
    const first = await createTaskWorktree(root, ids('P1.1'));
    sh(first.path, 'checkout', '--quiet', '-b', 'elsewhere');
    agentWrites(first.path, { 'e.txt': 'x' }, 'on another branch');
    const again = await createTaskWorktree(root, ids('P1.1', 2));
    expect(again.state).toBe('recreated');
    expect(sh(again.path, 'symbolic-ref', '--short', 'HEAD')).toBe('ccasp/demo/P1.1');
    expect(sh(root, 'log', '-1', '--format=%s', again.saved!)).toBe('on another branch');
  });
});

describe('removeTaskWorktree and listTaskWorktrees', () => {
  it('removes the worktree, dirty or not, and the branch', async () => {
    const root = newRepo();
    const wt = await createTaskWorktree(root, ids('P1.1'));
    agentWrites(wt.path, { 'x.txt': 'x' });
    expect(await removeTaskWorktree(root, { planId: 'demo', taskId: 'P1.1' })).toEqual({ removedWorktree: true, removedBranch: true });
    expect(existsSync(wt.path)).toBe(false);
    expect(shStatus(root, 'rev-parse', '--verify', '--quiet', 'refs/heads/ccasp/demo/P1.1')).not.toBe(0);
    expect(sh(root, 'worktree', 'list', '--porcelain')).not.toContain('P1.1');
    expect(await removeTaskWorktree(root, { planId: 'demo', taskId: 'P1.1' })).toEqual({ removedWorktree: false, removedBranch: false });
  });

  it('lists each task with its condition, branch, saved work, and how far it is from the integration branch', async () => {
    const root = newRepo();
    const a = await createTaskWorktree(root, ids('A'));
    agentWrites(a.path, { 'a.txt': 'a' }, 'a1');
    agentWrites(a.path, { 'a2.txt': 'a' });
    const b = await createTaskWorktree(root, ids('B'));
    rmSync(b.path, { recursive: true, force: true });
    const c = await createTaskWorktree(root, ids('C'));
    agentWrites(c.path, { 'c.txt': 'c' });
    await createTaskWorktree(root, { ...ids('C', 2), fresh: true });
    await createTaskWorktree(root, { ...ids('X'), planId: 'other' });

    const list = await listTaskWorktrees(root, 'demo', { integrationBranch: 'main' });
    expect(list.map((i) => i.slug)).toEqual(['A', 'B', 'C']);
    expect(list[0]).toMatchObject({ condition: 'ready', branch: 'ccasp/demo/A', path: a.path, uncommitted: 1, ahead: 1, saved: [] });
    expect(list[1]).toMatchObject({ condition: 'missing-folder', branch: 'ccasp/demo/B' });
    expect(list[2]).toMatchObject({ condition: 'ready', saved: ['ccasp-saved/demo/C/before-attempt-2'], uncommitted: 0, ahead: 0 });
    // The other plan's worktree sits in the same folder but is not listed as this plan's.
    expect((await listTaskWorktrees(root, 'other')).map((i) => i.slug)).toEqual(['X']);
  });

  it('lists a branch left without a worktree, and a folder git does not know', async () => {
    const root = newRepo();
    sh(root, 'branch', 'ccasp/demo/B', 'main');
    put(worktreePath(root, 'Z'), 'junk', 'x');
    writeFileSync(path.join(root, 'untouched'), '');
    expect((await listTaskWorktrees(root, 'demo')).map((i) => [i.slug, i.condition])).toEqual([
      ['B', 'branch-only'],
      ['Z', 'unregistered-folder'],
    ]);
  });
});
