import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { UsageError } from '../../src/errors.js';
import { describeIsolation } from '../../src/worktree/describe-isolation.js';
import { chooseIsolation } from '../../src/worktree/isolation.js';
import { setUpIsolation, type IsolationInput } from '../../src/worktree/set-up-isolation.js';
import { tempDir } from '../support/tmp.js';
import { newRepo, PLAN, put, sh } from './fixture.js';

function input(root: string, fields: Partial<IsolationInput> = {}): IsolationInput {
  return {
    root,
    planFile: path.join(root, PLAN),
    planId: 'demo',
    completedTasks: [],
    concurrency: 2,
    options: {},
    ...fields,
  };
}

const refusal = async (promise: Promise<unknown>): Promise<string> => {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(UsageError);
  return (error as Error).message;
};

describe('chooseIsolation', () => {
  it('takes the option, else a worktree run it resumes, else worktrees above concurrency 1', () => {
    expect(chooseIsolation('none', 'worktree', 4)).toEqual({ mode: 'none', explicit: true });
    expect(chooseIsolation(undefined, 'worktree', 1)).toEqual({ mode: 'worktree', explicit: true });
    expect(chooseIsolation(undefined, 'none', 3)).toEqual({ mode: 'worktree', explicit: false });
    expect(chooseIsolation(undefined, undefined, 1)).toEqual({ mode: 'none', explicit: false });
  });
});

describe('setUpIsolation', () => {
  it('readies a clean repository: integrates into the current branch, ignores its folders', async () => {
    const root = newRepo();
    const iso = await setUpIsolation(input(root));
    expect(iso).toMatchObject({ mode: 'worktree', top: root, branch: 'main', planFiles: [PLAN] });
    expect(readFileSync(path.join(root, '.git/info/exclude'), 'utf8')).toContain('/.claude/worktrees/ccasp/');
  });

  it('ignores the plan file ccasp writes, but refuses any other change unless allowed', async () => {
    const root = newRepo();
    put(root, PLAN, '{"name": "p", "status": "in_progress"}\n');
    put(root, '.claude/orchestrator/state.json', '{}');
    expect((await setUpIsolation(input(root))).mode).toBe('worktree');
    put(root, 'src/shared.txt', 'mine\n');
    put(root, 'notes.md', 'x');
    expect(await refusal(setUpIsolation(input(root)))).toMatch(/^uncommitted changes in .*: src\/shared\.txt, notes\.md\. .*--allow-dirty/);
    expect((await setUpIsolation(input(root, { options: { allowDirty: true } }))).mode).toBe('worktree');
  });

  it('falls back to a shared tree outside git unless worktrees were asked for', async () => {
    const dir = tempDir();
    mkdirSync(path.join(dir, 'plan'));
    writeFileSync(path.join(dir, PLAN), '{}');
    const iso = await setUpIsolation(input(dir));
    expect(iso.mode).toBe('none');
    expect(iso.notices[0]?.message).toContain('needs');
    expect(await refusal(setUpIsolation(input(dir, { options: { isolation: 'worktree' } })))).toContain('--isolation worktree needs a git repository with at least one commit');
    // A repository without a commit is no better.
    sh(dir, 'init', '--quiet');
    expect((await setUpIsolation(input(dir))).mode).toBe('none');
  });

  it('creates a missing --branch from HEAD, and refuses one that exists but is not checked out', async () => {
    const root = newRepo();
    const iso = await setUpIsolation(input(root, { options: { branch: 'ccasp-run' } }));
    expect(iso).toMatchObject({ branch: 'ccasp-run' });
    expect(sh(root, 'symbolic-ref', '--short', 'HEAD')).toBe('ccasp-run');
    sh(root, 'switch', '--quiet', 'main');
    expect(await refusal(setUpIsolation(input(root, { options: { branch: 'ccasp-run' } })))).toContain('--branch ccasp-run exists, but branch main is checked out');
    expect(await refusal(setUpIsolation(input(root, { options: { branch: 'bad..name' } })))).toContain('not a valid branch name');
  });

  it('refuses a detached HEAD without --branch', async () => {
    const root = newRepo();
    sh(root, 'switch', '--quiet', '--detach', 'HEAD');
    expect(await refusal(setUpIsolation(input(root)))).toContain('HEAD is detached');
  });

  it('keeps a resumed run on its recorded branch', async () => {
    const root = newRepo();
    sh(root, 'switch', '--quiet', '-c', 'other');
    const resumed = (fields: Partial<IsolationInput> = {}) => input(root, { recorded: { isolation: 'worktree', integrationBranch: 'main' }, concurrency: 1, ...fields });
    expect(await refusal(setUpIsolation(resumed()))).toContain('this run merges its tasks into main (recorded in state.json), but branch other is checked out');
    // Naming a branch on the command line is a decision to move on; the recorded one no longer binds.
    expect(await setUpIsolation(resumed({ options: { branch: 'other' } }))).toMatchObject({ mode: 'worktree', branch: 'other' });
    sh(root, 'switch', '--quiet', 'main');
    expect(await setUpIsolation(resumed())).toMatchObject({ mode: 'worktree', branch: 'main' });
  });

  it('refuses to start over a merge ccasp did not begin', async () => {
    const root = newRepo();
    sh(root, 'switch', '--quiet', '-c', 'side');
    put(root, 'src/shared.txt', 'side\n');
    sh(root, 'commit', '--quiet', '-am', 'side');
    sh(root, 'switch', '--quiet', 'main');
    put(root, 'src/shared.txt', 'main\n');
    sh(root, 'commit', '--quiet', '-am', 'main');
    expect(() => sh(root, 'merge', '--quiet', 'side')).toThrow();
    expect(await refusal(setUpIsolation(input(root)))).toContain('a merge that ccasp did not start is in progress');
  });
});

describe('describeIsolation', () => {
  it('names the mode and branch for --dry-run', async () => {
    const root = newRepo();
    expect(await describeIsolation(root, 2, {})).toBe('Isolation: worktree; each task in its own git worktree, merged into main when it completes.');
    expect(await describeIsolation(root, 1, {})).toBe('Isolation: none; agents work in the project folder itself.');
    expect(await describeIsolation(tempDir(), 2, {})).toContain('Isolation: none; agents share the working tree');
  });
});
