import { existsSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  commitPaths,
  commitTaskWork,
  createTaskWorktree,
  integrate,
  mergeTipIntoTask,
  overwrittenPaths,
  removeTaskWorktree,
  taskMessage,
} from '../../src/worktree/index.js';
import { agentWrites, newRepo, PLAN, put, read, sh, shStatus, subjects, twoCommittedTasks } from './fixture.js';

const plan = 'demo';
const start = (root: string, taskId: string, attempt = 1, fresh = false) => createTaskWorktree(root, { planId: plan, taskId, attempt, base: 'main', fresh });
const land = (root: string, branch: string) => integrate(root, { integrationBranch: 'main', taskBranch: branch });

/** The user's tree is exactly at `commit`: no merge in progress, nothing staged or changed but `allowed`. */
function untouched(root: string, commit: string, allowed: string[] = []): void {
  expect(sh(root, 'rev-parse', 'main')).toBe(commit);
  expect(shStatus(root, 'rev-parse', '--verify', '--quiet', 'MERGE_HEAD')).not.toBe(0);
  const changed = sh(root, 'status', '--porcelain').split('\n').filter(Boolean).map((l) => l.slice(3));
  expect(changed).toEqual(allowed);
}

describe('commitTaskWork', () => {
  it("commits what the agent changed, names the task and summary, and keeps the agent's own commits", async () => {
    const root = newRepo();
    const wt = await start(root, 'P1.1');
    agentWrites(wt.path, { 'src/one.txt': '1' }, 'agent: first step');
    agentWrites(wt.path, { 'src/two.txt': '2' }, 'agent: second step');
    agentWrites(wt.path, { 'src/three.txt': '3' });
    const done = await commitTaskWork(wt.path, { taskId: 'P1.1', summary: 'Added three files.\nThey count.' });
    expect(done).toMatchObject({ kind: 'committed', madeCommit: true });
    expect(subjects(wt.path).slice(0, 4)).toEqual(['P1.1: Added three files.', 'agent: second step', 'agent: first step', 'initial']);
    expect(sh(wt.path, 'log', '-1', '--format=%B').trimEnd()).toBe('P1.1: Added three files.\n\nAdded three files.\nThey count.\n\nCcasp-Task: P1.1');
    expect(sh(wt.path, 'status', '--porcelain')).toBe('');

    const landed = await land(root, wt.branch);
    expect(landed).toMatchObject({ kind: 'integrated', how: 'fast-forward' });
    expect(subjects(root).slice(0, 3)).toEqual(['P1.1: Added three files.', 'agent: second step', 'agent: first step']);
  });

  it('nothing to commit is fine, and integrating it changes nothing', async () => {
    const root = newRepo();
    const before = sh(root, 'rev-parse', 'main');
    const wt = await start(root, 'P1.1');
    expect(await commitTaskWork(wt.path, { taskId: 'P1.1', summary: 'nothing needed' })).toEqual({ kind: 'committed', head: before, madeCommit: false });
    expect(await land(root, wt.branch)).toEqual({ kind: 'integrated', commit: before, how: 'up-to-date' });
  });

  it("never commits ccasp's folder, even if the project does not ignore it", async () => {
    const root = newRepo();
    const wt = await start(root, 'P1.1');
    agentWrites(wt.path, { '.claude/orchestrator/logs/a.jsonl': '{}', 'ok.txt': 'ok' });
    await commitTaskWork(wt.path, { taskId: 'P1.1', summary: 's' });
    expect(sh(wt.path, 'show', '--name-only', '--format=', 'HEAD')).toBe('ok.txt');
  });

  it('keeps the plan file out of the task: uncommitted edits are left, committed ones undone', async () => {
    const root = newRepo();
    const wt = await start(root, 'P1.1');
    agentWrites(wt.path, { [PLAN]: '{"agent": "committed this"}\n', 'a.txt': 'a' }, 'agent touched the plan');
    agentWrites(wt.path, { [PLAN]: '{"agent": "and then this"}\n', 'b.txt': 'b' });
    sh(wt.path, 'add', PLAN);
    await commitTaskWork(wt.path, { taskId: 'P1.1', summary: 's', protect: [PLAN], integrationBranch: 'main' });
    expect(sh(wt.path, 'diff', '--name-only', 'main', 'HEAD').split('\n')).toEqual(['a.txt', 'b.txt']);
    expect(subjects(wt.path)[0]).toBe(`P1.1: keep ${PLAN} as on main`);

    // Meanwhile ccasp has been writing the plan file in the user's tree; the merge leaves it alone.
    put(root, PLAN, '{"name": "p", "status": "in_progress"}\n');
    const before = sh(root, 'rev-parse', 'main');
    expect(await land(root, wt.branch)).toMatchObject({ kind: 'integrated' });
    expect(read(root, PLAN)).toBe('{"name": "p", "status": "in_progress"}\n');
    expect(sh(root, 'diff', '--name-only', before, 'main').split('\n')).toEqual(['a.txt', 'b.txt']);
  });

  it('a plan file the agent created where the branch has none is removed from the task', async () => {
    const root = newRepo();
    const wt = await start(root, 'P1.1');
    agentWrites(wt.path, { 'plan/extra.json': '{}', 'a.txt': 'a' }, 'agent');
    await commitTaskWork(wt.path, { taskId: 'P1.1', summary: 's', protect: ['plan/extra.json'], integrationBranch: 'main' });
    expect(sh(wt.path, 'diff', '--name-only', 'main', 'HEAD')).toBe('a.txt');
  });

  it('message: long summaries are cut in the subject and kept whole in the body', () => {
    const long = 'x'.repeat(100);
    const m = taskMessage('P2.3', long);
    expect(m.split('\n')[0]!.length).toBe(72);
    expect(m).toContain(`\n\n${long}\n\nCcasp-Task: P2.3\n`);
    expect(taskMessage('P2.3', '').split('\n')[0]).toBe('P2.3: work of the agent');
  });
});

describe('integrate', () => {
  it('two tasks editing different files both integrate: a fast-forward, then a merge commit', async () => {
    const root = newRepo();
    const [a, b] = await twoCommittedTasks(root, plan, { A: { 'src/a.txt': 'from A\n' }, B: { 'src/b.txt': 'from B\n' } });

    const first = await land(root, a.branch);
    expect(first).toMatchObject({ kind: 'integrated', how: 'fast-forward' });
    const second = await integrate(root, { integrationBranch: 'main', taskBranch: b.branch, message: 'B: b' });
    expect(second).toMatchObject({ kind: 'integrated', how: 'merge' });
    expect(read(root, 'src/a.txt')).toBe('from A\n');
    expect(read(root, 'src/b.txt')).toBe('from B\n');
    expect(sh(root, 'log', '-1', '--format=%s %P', 'main')).toMatch(/^B: b \w+ \w+$/);
    untouched(root, second.kind === 'integrated' ? second.commit : '');
  });

  it('two tasks editing the same lines: the second is a conflict naming the path, and nothing changes', async () => {
    const root = newRepo();
    const [a, b] = await twoCommittedTasks(root, plan, {
      A: { 'src/shared.txt': 'line 1\nA was here\nline 3\n', 'src/a.txt': 'a' },
      B: { 'src/shared.txt': 'line 1\nB was here\nline 3\n', 'src/b.txt': 'b' },
    });
    await land(root, a.branch);
    const tip = sh(root, 'rev-parse', 'main');
    put(root, 'notes.txt', 'the user is editing this\n');

    expect(await land(root, b.branch)).toEqual({ kind: 'conflict', paths: ['src/shared.txt'] });
    untouched(root, tip, ['notes.txt']);
    expect(read(root, 'src/shared.txt')).toBe('line 1\nA was here\nline 3\n');
    expect(existsSync(path.join(root, 'src/b.txt'))).toBe(false);
  });

  it('the retry resolves the conflict on top of the new tip, then integrates', async () => {
    const root = newRepo();
    const [a, b] = await twoCommittedTasks(root, plan, {
      A: { 'src/shared.txt': 'line 1\nA was here\nline 3\n' },
      B: { 'src/shared.txt': 'line 1\nB was here\nline 3\n', 'src/b.txt': 'b' },
    });
    await land(root, a.branch);
    expect((await land(root, b.branch)).kind).toBe('conflict');

    // Attempt 2 continues in B's worktree, with the new tip merged in and git's markers to resolve.
    const retry = await start(root, 'B', 2);
    expect(retry.state).toBe('reused');
    expect(await mergeTipIntoTask(retry.path, 'main')).toEqual({ kind: 'conflict', paths: ['src/shared.txt'] });
    expect(read(retry.path, 'src/shared.txt')).toContain('<<<<<<<');
    // An agent that only stages the file still has markers in it: not accepted.
    sh(retry.path, 'add', 'src/shared.txt');
    expect(await commitTaskWork(retry.path, { taskId: 'B', summary: 'b' })).toEqual({ kind: 'unresolved', paths: ['src/shared.txt'] });
    agentWrites(retry.path, { 'src/shared.txt': 'line 1\nA was here\nB was here\nline 3\n' });
    expect(await commitTaskWork(retry.path, { taskId: 'B', summary: 'b, on top of A' })).toMatchObject({ kind: 'committed', madeCommit: true });

    expect(await land(root, retry.branch)).toMatchObject({ kind: 'integrated', how: 'fast-forward' });
    expect(read(root, 'src/shared.txt')).toBe('line 1\nA was here\nB was here\nline 3\n');
    expect(read(root, 'src/b.txt')).toBe('b');
  });

  it('conflicts left unmerged are reported before anything is committed', async () => {
    const root = newRepo();
    const [a, b] = await twoCommittedTasks(root, plan, { A: { 'src/shared.txt': 'A\n' }, B: { 'src/shared.txt': 'B\n' } });
    await land(root, a.branch);
    await mergeTipIntoTask(b.path, 'main');
    const head = sh(b.path, 'rev-parse', 'HEAD');
    expect(await commitTaskWork(b.path, { taskId: 'B', summary: 'b' })).toEqual({ kind: 'unresolved', paths: ['src/shared.txt'] });
    expect(sh(b.path, 'rev-parse', 'HEAD')).toBe(head);
  });

  it('or the retry starts fresh from the new tip (the old work saved) and integrates', async () => {
    const root = newRepo();
    const [a, b] = await twoCommittedTasks(root, plan, { A: { 'src/shared.txt': 'A\n' }, B: { 'src/shared.txt': 'B\n' } });
    await land(root, a.branch);
    expect((await land(root, b.branch)).kind).toBe('conflict');
    const retry = await start(root, 'B', 2, true);
    expect(retry.saved).toBe('ccasp-saved/demo/B/before-attempt-2');
    expect(read(retry.path, 'src/shared.txt')).toBe('A\n');
    agentWrites(retry.path, { 'src/shared.txt': 'A\nB\n' });
    await commitTaskWork(retry.path, { taskId: 'B', summary: 'b' });
    expect(await land(root, retry.branch)).toMatchObject({ kind: 'integrated', how: 'fast-forward' });
  });

  it("a dependent task's worktree, created after integration, contains its dependency's work", async () => {
    const root = newRepo();
    const dep = await start(root, 'P1.1');
    agentWrites(dep.path, { 'src/model.ts': 'export const model = 1;\n' });
    await commitTaskWork(dep.path, { taskId: 'P1.1', summary: 'model' });
    await land(root, dep.branch);
    await removeTaskWorktree(root, { planId: plan, taskId: 'P1.1' });
    const next = await start(root, 'P1.2');
    expect(read(next.path, 'src/model.ts')).toBe('export const model = 1;\n');
  });

  it("refuses, changing nothing, when the merge would overwrite the user's uncommitted or untracked files", async () => {
    const root = newRepo();
    const wt = await start(root, 'A');
    agentWrites(wt.path, { 'README.md': '# by the agent\n', 'new.txt': 'agent' });
    await commitTaskWork(wt.path, { taskId: 'A', summary: 'a' });
    const tip = sh(root, 'rev-parse', 'main');
    put(root, 'README.md', '# the user is typing\n');
    const refused = await land(root, wt.branch);
    expect(refused).toEqual({ kind: 'local-changes', paths: ['README.md'] });
    untouched(root, tip, ['README.md']);
    expect(read(root, 'README.md')).toBe('# the user is typing\n');

    sh(root, 'checkout', '--', 'README.md');
    put(root, 'new.txt', 'user');
    expect(await land(root, wt.branch)).toEqual({ kind: 'local-changes', paths: ['new.txt'] });
    expect(read(root, 'new.txt')).toBe('user');
  });

  it("refuses a merge commit while the user has staged changes, so they never end up in it", async () => {
    const root = newRepo();
    const [a, b] = await twoCommittedTasks(root, plan, { A: { 'a.txt': 'a' }, B: { 'b.txt': 'b' } });
    await land(root, a.branch);
    const tip = sh(root, 'rev-parse', 'main');
    put(root, 'README.md', '# staged by the user\n');
    sh(root, 'add', 'README.md');
    expect(await land(root, b.branch)).toEqual({ kind: 'local-changes', paths: ['README.md'] });
    expect(sh(root, 'rev-parse', 'main')).toBe(tip);
    expect(sh(root, 'status', '--porcelain')).toBe('M  README.md');
  });

  it('refuses when the main tree is not on the integration branch', async () => {
    const root = newRepo();
    const wt = await start(root, 'A');
    sh(root, 'checkout', '--quiet', '-b', 'feature');
    await expect(land(root, wt.branch)).rejects.toThrow(/branch feature checked out, not the integration branch main/);
  });

  it('leaves no integration marker behind', async () => {
    const root = newRepo();
    const wt = await start(root, 'A');
    agentWrites(wt.path, { 'a.txt': 'a' });
    await commitTaskWork(wt.path, { taskId: 'A', summary: 'a' });
    await land(root, wt.branch);
    expect(existsSync(path.join(root, '.claude/orchestrator/integration.json'))).toBe(false);
  });
});

describe('overwrittenPaths', () => {
  it("reads both of git's listings: tab-indented (checkout) and space-indented (merge-ort)", () => {
    expect(overwrittenPaths('error: Your local changes to the following files would be overwritten by merge:\n\tREADME.md\n\tsrc/a b.ts\nPlease commit your changes or stash them before you merge.\nAborting\n')).toEqual(['README.md', 'src/a b.ts']);
    expect(overwrittenPaths('error: The following untracked working tree files would be overwritten by merge:\n  new.txt\nMerge with strategy ort failed.\n')).toEqual(['new.txt']);
    expect(overwrittenPaths('fatal: refusing to merge unrelated histories\n')).toEqual([]);
  });
});

describe('commitPaths', () => {
  it('commits only the plan file, leaving the user’s other changes alone', async () => {
    const root = newRepo();
    put(root, PLAN, '{"name": "p", "status": "completed"}\n');
    put(root, 'README.md', '# user edit\n');
    sh(root, 'add', 'README.md');
    const commit = await commitPaths(root, [PLAN], 'ccasp: demo progress');
    expect(commit).toBe(sh(root, 'rev-parse', 'HEAD'));
    expect(sh(root, 'show', '--name-only', '--format=%s', 'HEAD')).toBe(`ccasp: demo progress\n\n${PLAN}`);
    expect(sh(root, 'status', '--porcelain')).toBe('M  README.md');
    expect(await commitPaths(root, [PLAN], 'again')).toBeUndefined();
  });
});
