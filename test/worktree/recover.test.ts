import { existsSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  commitTaskWork,
  createTaskWorktree,
  describeRecovery,
  integrate,
  integrationMarkerPath,
  listTaskWorktrees,
  recover,
  worktreePath,
  type IntegrationMarker,
} from '../../src/worktree/index.js';
import { isProcessAlive } from '../../src/process/alive.js';
import { tempDir } from '../support/tmp.js';
import { until } from '../support/until.js';
import { agentWrites, newRepo, parkRefUpdate, put, read, sh, shStatus, startGit, twoCommittedTasks, type Parked } from './fixture.js';
import { killGroup } from '../support/processes.js';

const plan = 'demo';
const start = (root: string, taskId: string, attempt = 1) => createTaskWorktree(root, { planId: plan, taskId, attempt, base: 'main' });

/** Writes the marker integrate() writes before it merges, as if ccasp was killed right after. */
function markIntegration(root: string, taskBranch: string): void {
  const marker: IntegrationMarker = {
    pid: 999999,
    integrationBranch: 'main',
    taskBranch,
    before: sh(root, 'rev-parse', 'main'),
    tip: sh(root, 'rev-parse', taskBranch),
    startedAt: new Date().toISOString(),
  };
  put(root, path.relative(root, integrationMarkerPath(root)), JSON.stringify(marker));
}

/** Tasks A and B both rewrite line 2 of src/shared.txt; A is integrated, B is committed in its worktree. */
async function conflicting(root: string) {
  const [a, b] = await twoCommittedTasks(root, plan, {
    A: { 'src/shared.txt': 'line 1\nA\nline 3\n' },
    B: { 'src/shared.txt': 'line 1\nB\nline 3\n' },
  });
  await integrate(root, { integrationBranch: 'main', taskBranch: a.branch });
  return { a, b };
}

const mergeHead = (root: string) => shStatus(root, 'rev-parse', '--verify', '--quiet', 'MERGE_HEAD') === 0;

describe('recover after a kill', () => {
  it("aborts a merge ccasp started (and the git lock it held), leaving the branch as it was", async () => {
    const root = newRepo();
    const { b } = await conflicting(root);
    const tip = sh(root, 'rev-parse', 'main');
    markIntegration(root, b.branch);
    expect(shStatus(root, 'merge', '--no-ff', '--no-edit', b.branch)).not.toBe(0);
    expect(mergeHead(root)).toBe(true);
    writeFileSync(path.join(root, '.git', 'index.lock'), '');

    const report = await recover(root, { planId: plan });
    expect(report.integration).toEqual({ taskBranch: b.branch, outcome: 'aborted', restored: [] });
    expect(report.removedLocks).toEqual([path.join(root, '.git', 'index.lock')]);
    expect(mergeHead(root)).toBe(false);
    expect(sh(root, 'rev-parse', 'main')).toBe(tip);
    expect(sh(root, 'status', '--porcelain')).toBe('');
    expect(existsSync(integrationMarkerPath(root))).toBe(false);
    expect(describeRecovery(report)[0]).toMatch(/integration of ccasp\/demo\/B was stopped mid-merge/);
  });

  it('leaves a merge it did not start alone, and says so', async () => {
    const root = newRepo();
    const { b } = await conflicting(root);
    sh(root, 'branch', 'users-branch', b.branch);
    expect(shStatus(root, 'merge', '--no-edit', 'users-branch')).not.toBe(0);
    const report = await recover(root, { planId: plan });
    expect(report.foreignMerge).toBe(true);
    expect(report.integration).toBeUndefined();
    expect(mergeHead(root)).toBe(true);
    expect(describeRecovery(report).join('\n')).toMatch(/merge that ccasp did not start/);
  });

  it('recognises an integration that finished before the kill', async () => {
    const root = newRepo();
    const a = await start(root, 'A');
    agentWrites(a.path, { 'a.txt': 'a' });
    await commitTaskWork(a.path, { taskId: 'A', summary: 'a' });
    markIntegration(root, a.branch);
    sh(root, 'merge', '--quiet', '--ff-only', a.branch);
    const report = await recover(root, { planId: plan });
    expect(report.integration?.outcome).toBe('completed');
    expect(read(root, 'a.txt')).toBe('a');
  });

  it("puts back what a fast-forward killed mid-checkout wrote, and nothing of the user's", async () => {
    const root = newRepo();
    const a = await start(root, 'A');
    agentWrites(a.path, { 'src/shared.txt': 'by A\n', 'src/new.txt': 'new from A\n', 'README.md': '# A\n' });
    rmSync(path.join(a.path, 'src', 'shared.txt'));
    agentWrites(a.path, { 'src/renamed.txt': 'by A\n' });
    await commitTaskWork(a.path, { taskId: 'A', summary: 'a' });
    const before = sh(root, 'rev-parse', 'main');
    markIntegration(root, a.branch);
    // The checkout got as far as two files; README.md has the user's own edit, notes.txt is theirs.
    rmSync(path.join(root, 'src', 'shared.txt'));
    put(root, 'src/new.txt', 'new from A\n');
    put(root, 'README.md', '# the user\n');
    put(root, 'notes.txt', 'mine\n');

    const report = await recover(root, { planId: plan });
    expect(report.integration).toEqual({ taskBranch: a.branch, outcome: 'rolled-back', restored: ['src/new.txt', 'src/shared.txt'] });
    expect(sh(root, 'rev-parse', 'main')).toBe(before);
    expect(sh(root, 'status', '--porcelain').split('\n').sort()).toEqual([' M README.md', '?? notes.txt']);
    expect(read(root, 'README.md')).toBe('# the user\n');
  });

  it('a marker with nothing changed is simply dropped', async () => {
    const root = newRepo();
    const a = await start(root, 'A');
    agentWrites(a.path, { 'a.txt': 'a' });
    await commitTaskWork(a.path, { taskId: 'A', summary: 'a' });
    markIntegration(root, a.branch);
    expect((await recover(root, { planId: plan })).integration?.outcome).toBe('not-started');
    expect(existsSync(integrationMarkerPath(root))).toBe(false);
  });

  it('a marker cut short while being written means the merge never started', async () => {
    const root = newRepo();
    put(root, path.relative(root, integrationMarkerPath(root)), '{"pid": 1, "integrat');
    expect((await recover(root, { planId: plan })).integration).toEqual({ taskBranch: '?', outcome: 'not-started', restored: [] });
    expect(existsSync(integrationMarkerPath(root))).toBe(false);
  });

  it('removes a half-created worktree (git add killed while "initializing"); the task then starts again', async () => {
    const root = newRepo();
    const a = await start(root, 'A');
    writeFileSync(path.join(root, '.git', 'worktrees', 'A', 'locked'), 'initializing');
    rmSync(path.join(a.path, 'README.md'));
    const report = await recover(root, { planId: plan });
    expect(report.removedHalfCreated).toEqual([a.path]);
    expect(existsSync(a.path)).toBe(false);
    expect(report.branchesWithoutWorktree).toEqual(['ccasp/demo/A']);
    const again = await start(root, 'A', 2);
    expect(again.state).toBe('recreated');
    expect(read(again.path, 'README.md')).toBe('# project\n');
  });

  it('forgets worktrees whose folder is gone, keeps their branches, and removes folders git does not know', async () => {
    const root = newRepo();
    const a = await start(root, 'A');
    agentWrites(a.path, { 'a.txt': 'a' }, 'work worth keeping');
    rmSync(a.path, { recursive: true, force: true });
    put(worktreePath(root, 'Stray'), 'x.txt', 'x');
    const report = await recover(root, { planId: plan });
    expect(report.pruned).toEqual([a.path]);
    expect(report.removedUnregistered).toEqual([worktreePath(root, 'Stray')]);
    expect(report.branchesWithoutWorktree).toEqual(['ccasp/demo/A']);
    const again = await start(root, 'A', 2);
    expect(again.state).toBe('reattached');
    expect(read(again.path, 'a.txt')).toBe('a');
  });

  it('removes a stale index lock in a task worktree', async () => {
    const root = newRepo();
    await start(root, 'A');
    const lock = path.join(root, '.git', 'worktrees', 'A', 'index.lock');
    writeFileSync(lock, '');
    expect((await recover(root, { planId: plan })).removedLocks).toEqual([lock]);
    expect(existsSync(lock)).toBe(false);
  });

  it('removes the worktree of a completed task once its work is integrated; keeps one that is not', async () => {
    const root = newRepo();
    const [a] = await twoCommittedTasks(root, plan, { A: { 'a.txt': 'a' }, B: { 'b.txt': 'b' } });
    await integrate(root, { integrationBranch: 'main', taskBranch: a.branch });
    const report = await recover(root, { planId: plan, integrationBranch: 'main', completed: ['A', 'B'] });
    expect(report.removedCompleted).toEqual(['A']);
    expect(report.keptCompleted).toEqual(['B']);
    expect((await listTaskWorktrees(root, plan)).map((i) => i.slug)).toEqual(['B']);
  });

  it('reports nothing when there is nothing to recover, and the repository works normally afterwards', async () => {
    const root = newRepo();
    const report = await recover(root, { planId: plan });
    expect(describeRecovery(report)).toEqual([]);
    const a = await start(root, 'A');
    agentWrites(a.path, { 'a.txt': 'a' });
    await commitTaskWork(a.path, { taskId: 'A', summary: 'a' });
    expect((await integrate(root, { integrationBranch: 'main', taskBranch: a.branch })).kind).toBe('integrated');
  });
});

describe('recover after a kill inside a real git merge', () => {
  const refLocks = (root: string) => [path.join(root, '.git', 'HEAD.lock'), path.join(root, '.git', 'refs', 'heads', 'main.lock')];

  /** Marks the integration of `branch` and starts git's merge of it, as integrate() does, parked at `state`. */
  async function parkedMerge(root: string, branch: string, state: 'prepared' | 'committed', ...how: string[]): Promise<Parked> {
    const park = parkRefUpdate(root, { state });
    markIntegration(root, branch);
    startGit(root, '-c', 'rerere.enabled=false', 'merge', '--quiet', '--no-autostash', '--no-verify', ...how, sh(root, 'rev-parse', branch));
    return until(park.parked, 'git to reach the parked ref update');
  }

  async function killed(p: Parked): Promise<void> {
    killGroup(p.gitPid);
    await until(() => (isProcessAlive(p.gitPid) || isProcessAlive(p.hookPid) ? undefined : true), 'git and its hook to be gone');
  }

  /** A and B started side by side, A integrated: B's integration is a merge commit. */
  async function secondIntegration() {
    const root = realpathSync(newRepo());
    const [a, b] = await twoCommittedTasks(root, plan, { A: { 'a.txt': 'a\n' }, B: { 'b.txt': 'b\n' } });
    await integrate(root, { integrationBranch: 'main', taskBranch: a.branch });
    return { root, b, before: sh(root, 'rev-parse', 'main') };
  }

  /** A task that changes a tracked file and adds one; main has not moved, so its integration is a fast-forward. */
  async function fastForward() {
    const root = realpathSync(newRepo());
    const a = await start(root, 'A');
    agentWrites(a.path, { 'README.md': '# A\n', 'src/new.txt': 'new from A\n' });
    await commitTaskWork(a.path, { taskId: 'A', summary: 'a' });
    return { root, a, before: sh(root, 'rev-parse', 'main') };
  }

  it('aborts a merge killed before its commit landed, removing the ref locks git held then', async () => {
    const { root, b, before } = await secondIntegration();
    await killed(await parkedMerge(root, b.branch, 'prepared', '--no-ff', '--no-edit'));
    expect(mergeHead(root)).toBe(true);
    for (const lock of refLocks(root)) expect(existsSync(lock)).toBe(true);

    const report = await recover(root, { planId: plan });
    expect(report.integration).toEqual({ taskBranch: b.branch, outcome: 'aborted', restored: [] });
    expect([...report.removedLocks].sort()).toEqual(refLocks(root).sort());
    expect(sh(root, 'rev-parse', 'main')).toBe(before);
    expect(mergeHead(root)).toBe(false);
    expect(sh(root, 'status', '--porcelain')).toBe('');
    // The next integration is not stopped by a lock.
    expect(await integrate(root, { integrationBranch: 'main', taskBranch: b.branch })).toMatchObject({ kind: 'integrated', how: 'merge' });
  });

  it('puts back a fast-forward killed after it wrote the index and the files, new files unstaged too', async () => {
    const { root, a, before } = await fastForward();
    await killed(await parkedMerge(root, a.branch, 'prepared', '--ff-only'));
    expect(sh(root, 'diff', '--cached', '--name-only').split('\n')).toEqual(['README.md', 'src/new.txt']);

    const report = await recover(root, { planId: plan });
    expect(report.integration).toEqual({ taskBranch: a.branch, outcome: 'rolled-back', restored: ['README.md', 'src/new.txt'] });
    expect([...report.removedLocks].sort()).toEqual(refLocks(root).sort());
    expect(sh(root, 'rev-parse', 'main')).toBe(before);
    expect(sh(root, 'status', '--porcelain', '--untracked-files=all')).toBe('');
    expect(read(root, 'README.md')).toBe('# project\n');
    expect(await integrate(root, { integrationBranch: 'main', taskBranch: a.branch })).toMatchObject({ kind: 'integrated', how: 'fast-forward' });
  });

  it('recognises a merge commit that landed before git was killed, and drops the merge state git left', async () => {
    const { root, b, before } = await secondIntegration();
    await killed(await parkedMerge(root, b.branch, 'committed', '--no-ff', '--no-edit'));
    const merge = sh(root, 'rev-parse', 'main');
    expect(sh(root, 'rev-parse', 'main^1', 'main^2')).toBe(`${before}\n${sh(root, 'rev-parse', b.branch)}`);
    expect(mergeHead(root)).toBe(true);

    const report = await recover(root, { planId: plan });
    expect(report.integration).toEqual({ taskBranch: b.branch, outcome: 'completed', restored: [] });
    expect(report.foreignMerge).toBe(false);
    expect(describeRecovery(report)).toEqual([`the integration of ${b.branch} had finished`]);
    expect(sh(root, 'rev-parse', 'main')).toBe(merge);
    expect(mergeHead(root)).toBe(false);
    expect(sh(root, 'status', '--porcelain')).toBe('');
    expect(await integrate(root, { integrationBranch: 'main', taskBranch: b.branch })).toMatchObject({ kind: 'integrated', how: 'up-to-date' });
  });

  it("ends the killed run's merge that is still running before it touches anything, then recovers", async () => {
    const { root, a, before } = await fastForward();
    const parked = await parkedMerge(root, a.branch, 'prepared', '--ff-only');

    const report = await recover(root, { planId: plan, leftoverGraceMs: 100 });
    expect(isProcessAlive(parked.gitPid)).toBe(false);
    expect(isProcessAlive(parked.hookPid)).toBe(false);
    expect(report.integration).toEqual({ taskBranch: a.branch, outcome: 'rolled-back', restored: ['README.md', 'src/new.txt'], ended: [parked.gitPid] });
    expect(describeRecovery(report)).toContain(`ended the killed run's git merge, still running: pid ${parked.gitPid}`);
    expect(sh(root, 'rev-parse', 'main')).toBe(before);
    expect(sh(root, 'status', '--porcelain', '--untracked-files=all')).toBe('');
    for (const lock of refLocks(root)) expect(existsSync(lock)).toBe(false);
  });

  it('leaves a git merge of another repository alone', async () => {
    const { root, a } = await fastForward();
    // A clone, so that the task's commit fast-forwards its main too.
    const other = path.join(realpathSync(tempDir('ccasp-other-')), 'clone');
    sh(root, 'clone', '--quiet', root, other);
    sh(other, 'fetch', '--quiet', 'origin', `${a.branch}:refs/heads/task`);
    const parked = await parkedMerge(other, 'task', 'prepared', '--ff-only');
    markIntegration(root, a.branch);

    const report = await recover(root, { planId: plan, leftoverGraceMs: 100 });
    expect(report.integration?.ended).toBeUndefined();
    expect(isProcessAlive(parked.gitPid)).toBe(true);
  });
});
