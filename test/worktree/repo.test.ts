import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { currentBranch, dirtyPaths, ensureExcluded, headCommit, isDirty, topLevel } from '../../src/worktree/index.js';
import { newRepo, PLAN, put, sh } from './fixture.js';

describe('repository facts', () => {
  it('finds the top level from a subfolder, the branch, and the head commit', async () => {
    const root = newRepo();
    expect(await topLevel(path.join(root, 'src'))).toBe(root);
    expect(await currentBranch(root)).toBe('main');
    expect(await headCommit(root)).toBe(sh(root, 'rev-parse', 'HEAD'));
    sh(root, 'checkout', '--quiet', '--detach');
    expect(await currentBranch(root)).toBeUndefined();
  });

  it('a bad revision is an error naming git and the revision', async () => {
    const root = newRepo();
    await expect(headCommit(root, 'no-such-branch')).rejects.toThrow(/git rev-parse --verify no-such-branch/);
  });
});

describe('dirty-tree detection', () => {
  it("ignores ccasp's own folder even when the project does not ignore it", async () => {
    const root = newRepo();
    put(root, '.claude/orchestrator/state.json', '{}');
    put(root, '.claude/orchestrator/logs/P1.1.1.jsonl', '{}\n');
    expect(sh(root, 'status', '--porcelain')).toContain('.claude/');
    expect(await dirtyPaths(root)).toEqual([]);
    expect(await isDirty(root)).toBe(false);
  });

  it('reports modified, staged, deleted and untracked files, but not ignored ones', async () => {
    const root = newRepo();
    put(root, 'src/shared.txt', 'changed\n');
    put(root, 'new.txt', 'x');
    put(root, '.claude/agents/mine.md', 'x');
    put(root, '.gitignore', 'build/\n');
    put(root, 'build/out.js', 'x');
    sh(root, 'rm', '--quiet', 'README.md');
    expect((await dirtyPaths(root)).sort()).toEqual(['.claude/agents/mine.md', '.gitignore', 'README.md', 'new.txt', 'src/shared.txt']);
  });

  it('leaves out paths the caller names, such as the plan file a paused run left modified', async () => {
    const root = newRepo();
    put(root, PLAN, '{"name": "p", "status": "in_progress"}\n');
    expect(await dirtyPaths(root)).toEqual([PLAN]);
    expect(await dirtyPaths(root, [PLAN])).toEqual([]);
    expect(await dirtyPaths(root, ['plan'])).toEqual([]);
  });
});

describe('ensureExcluded', () => {
  it('adds the folder to .git/info/exclude once, so git status stops showing it', async () => {
    const root = newRepo();
    put(root, '.claude/orchestrator/state.json', '{}');
    expect(await ensureExcluded(root)).toBe('added');
    expect(await ensureExcluded(root)).toBe('already-ignored');
    const exclude = readFileSync(path.join(root, '.git', 'info', 'exclude'), 'utf8');
    expect(exclude.match(/\/\.claude\/orchestrator\//g)).toHaveLength(1);
    expect(exclude.match(/\/\.claude\/worktrees\/ccasp\//g)).toHaveLength(1);
    put(root, '.claude/worktrees/ccasp/T1/file.txt', 'x');
    expect(sh(root, 'status', '--porcelain')).toBe('');
  });

  it('writes nothing when the project already ignores it', async () => {
    const root = newRepo();
    put(root, '.gitignore', '.claude/orchestrator/\n.claude/worktrees/\n');
    const file = path.join(root, '.git', 'info', 'exclude');
    const before = existsSync(file) ? readFileSync(file, 'utf8') : '';
    expect(await ensureExcluded(root)).toBe('already-ignored');
    expect(existsSync(file) ? readFileSync(file, 'utf8') : '').toBe(before);
  });
});
