import { existsSync, rmSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { commitTaskWork, createTaskWorktree, integrate, mergeTipIntoTask, stageResolvedConflicts } from '../../src/worktree/index.js';
import { agentWrites, newRepo, read, sh } from './fixture.js';

/** Two tasks changed src/shared.txt; A landed; B's worktree has main merged in, with markers. */
async function conflicted() {
  const root = newRepo();
  const [a, b] = await Promise.all(['A', 'B'].map((taskId) => createTaskWorktree(root, { planId: 'demo', taskId, attempt: 1, base: 'main' })));
  agentWrites(a!.path, { 'src/shared.txt': 'line 1\nA was here\nline 3\n', 'src/a.txt': 'a' });
  agentWrites(b!.path, { 'src/shared.txt': 'line 1\nB was here\nline 3\n', 'src/gone.txt': 'b' });
  await commitTaskWork(a!.path, { taskId: 'A', summary: 'a' });
  await commitTaskWork(b!.path, { taskId: 'B', summary: 'b' });
  await integrate(root, { integrationBranch: 'main', taskBranch: a!.branch });
  expect(await mergeTipIntoTask(b!.path, 'main')).toEqual({ kind: 'conflict', paths: ['src/shared.txt'] });
  return { root, wt: b!.path, branch: b!.branch };
}

describe('stageResolvedConflicts', () => {
  it('leaves a file that still has markers unmerged, so the commit is refused', async () => {
    const { wt } = await conflicted();
    expect(await stageResolvedConflicts(wt)).toEqual(['src/shared.txt']);
    expect(await commitTaskWork(wt, { taskId: 'B', summary: 'b' })).toEqual({ kind: 'unresolved', paths: ['src/shared.txt'] });
  });

  it('counts a file rewritten without markers as resolved, without the agent running git', async () => {
    const { root, wt, branch } = await conflicted();
    agentWrites(wt, { 'src/shared.txt': 'line 1\nA was here\nB was here\nline 3\n' });
    expect(await stageResolvedConflicts(wt)).toEqual([]);
    expect(await commitTaskWork(wt, { taskId: 'B', summary: 'b on top of a' })).toMatchObject({ kind: 'committed', madeCommit: true });
    expect(await integrate(root, { integrationBranch: 'main', taskBranch: branch })).toMatchObject({ kind: 'integrated', how: 'fast-forward' });
    expect(read(root, 'src/shared.txt')).toBe('line 1\nA was here\nB was here\nline 3\n');
    expect(read(root, 'src/a.txt')).toBe('a');
  });

  it('counts a deleted conflicted file as resolved by deletion', async () => {
    const { wt } = await conflicted();
    rmSync(path.join(wt, 'src/shared.txt'));
    expect(await stageResolvedConflicts(wt)).toEqual([]);
    expect(await commitTaskWork(wt, { taskId: 'B', summary: 'b' })).toMatchObject({ kind: 'committed' });
    expect(existsSync(path.join(wt, 'src/shared.txt'))).toBe(false);
    expect(sh(wt, 'ls-files', 'src/shared.txt')).toBe('');
  });
});
