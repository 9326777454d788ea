import { execFileSync, spawn } from 'node:child_process';
import { chmodSync, existsSync, readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { commitTaskWork, createTaskWorktree, type TaskWorktree } from '../../src/worktree/index.js';
import { cleanEnv } from '../support/env.js';
import { tempDir, writeFile } from '../support/tmp.js';

const env = cleanEnv({ LC_ALL: 'C' });

/** `git -C dir ...args`, its stdout without the final newline; throws on a non-zero exit. */
export function sh(dir: string, ...args: string[]): string {
  return execFileSync('git', ['-C', dir, ...args], { env, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }).replace(/\n$/, '');
}

/** Starts `git -C dir ...args` in a process group of its own, as ccasp starts its merges, and does not wait for it. */
export function startGit(dir: string, ...args: string[]): void {
  spawn('git', ['-C', dir, ...args], { env, detached: true, stdio: 'ignore' }).unref();
}

/** Like `sh`, but returns the exit code instead of throwing. */
export function shStatus(dir: string, ...args: string[]): number {
  try {
    sh(dir, ...args);
    return 0;
  } catch (error) {
    return (error as { status?: number }).status ?? -1;
  }
}

export function put(dir: string, rel: string, content: string): void {
  writeFile(dir, rel, content);
}

export function read(dir: string, rel: string): string {
  return readFileSync(path.join(dir, rel), 'utf8');
}

export const SHARED = 'line 1\nline 2\nline 3\n';
export const PLAN = 'plan/PROGRESS.json';

/** Makes `root` a repository on `main` with all it holds in one commit; its own identity, no signing. */
export function initRepo(root: string): void {
  sh(root, 'init', '--quiet', '--initial-branch=main');
  sh(root, 'config', 'user.name', 'Test User');
  sh(root, 'config', 'user.email', 'test@example.com');
  sh(root, 'config', 'commit.gpgsign', 'false');
  sh(root, 'add', '--all');
  sh(root, 'commit', '--quiet', '-m', 'initial');
}

/** A repository on `main` holding `plan` (see writeFile) at plan/PROGRESS.json, a README and `files`, in one commit. */
export function planRepo(plan: unknown, files: Readonly<Record<string, string>> = {}): string {
  const root = path.join(tempDir('ccasp-wt-'), 'project');
  for (const [rel, content] of Object.entries({ 'README.md': '# project\n', [PLAN]: plan, ...files })) writeFile(root, rel, content);
  initRepo(root);
  return root;
}

/** A repository on `main` with a shared file, a plan file and one commit. */
export function newRepo(): string {
  return planRepo('{"name": "p", "status": "pending"}\n', { 'src/shared.txt': SHARED });
}

/** What an agent does: write files in its worktree, optionally committing on its own. */
export function agentWrites(wt: string, files: Record<string, string>, commitMessage?: string): void {
  for (const [rel, content] of Object.entries(files)) put(wt, rel, content);
  if (commitMessage) {
    sh(wt, 'add', '--all');
    sh(wt, 'commit', '--quiet', '-m', commitMessage);
  }
}

/**
 * Tasks A and B of `plan` started side by side from main, each having written its `files` and had
 * them committed by ccasp (summaries "a" and "b"); nothing is integrated yet.
 */
export async function twoCommittedTasks(
  root: string,
  plan: string,
  files: { readonly A: Record<string, string>; readonly B: Record<string, string> },
): Promise<[TaskWorktree, TaskWorktree]> {
  const start = (taskId: string) => createTaskWorktree(root, { planId: plan, taskId, attempt: 1, base: 'main' });
  const [a, b] = await Promise.all([start('A'), start('B')]);
  agentWrites(a.path, files.A);
  agentWrites(b.path, files.B);
  await commitTaskWork(a.path, { taskId: 'A', summary: 'a' });
  await commitTaskWork(b.path, { taskId: 'B', summary: 'b' });
  return [a, b];
}

/** Where `ccasp run --isolation worktree` keeps task `id`'s worktree in the project `root`. */
export function worktreeOf(root: string, id: string): string {
  return path.join(root, '.claude', 'worktrees', 'ccasp', id);
}

/** The `worktree <path>` lines of `git worktree list --porcelain` in `root`. */
export function worktreeList(root: string): string[] {
  return sh(root, 'worktree', 'list', '--porcelain')
    .split('\n')
    .filter((l) => l.startsWith('worktree '));
}

/** The local branches of `root`. */
export function branches(root: string): string[] {
  return sh(root, 'for-each-ref', '--format=%(refname:short)', 'refs/heads/').split('\n').filter(Boolean);
}

export function subjects(dir: string, rev = 'HEAD'): string[] {
  return sh(dir, 'log', '--format=%s', rev).split('\n');
}

/** Where a parked ref update waits: the git process (leader of its own process group when spawned detached) and the hook. */
export interface Parked {
  readonly gitPid: number;
  readonly hookPid: number;
}

export interface ParkedRefUpdate {
  /** Set once git has reached the parked update. */
  parked(): Parked | undefined;
  /** Lets git go on. */
  release(): void;
}

/**
 * Parks git's `nth` update of `ref` (default refs/heads/main) in a reference-transaction hook, at
 * `state`, until released: `prepared` is after a merge wrote the index and the files but before the
 * branch moves (git then holds HEAD.lock and the branch's lock); `committed` is right after the
 * branch moved, before git is done. ccasp merges with --no-verify, which skips pre-merge-commit but
 * not this hook. Counting updates instead of waiting picks one moment without any timing; the hook
 * is inert once it has fired. Git still waiting in it when the test ends is killed (see tempDir).
 */
export function parkRefUpdate(root: string, o: { readonly state: 'prepared' | 'committed'; readonly nth?: number; readonly ref?: string }): ParkedRefUpdate {
  const ctl = tempDir('ccasp-hook-');
  const hooks = path.join(ctl, 'hooks');
  mkdirSync(hooks);
  const q = (name: string) => `'${path.join(ctl, name)}'`;
  const hook = path.join(hooks, 'reference-transaction');
  writeFileSync(
    hook,
    [
      '#!/bin/sh',
      'input=$(cat)',
      `[ "$1" = ${o.state} ] || exit 0`,
      `printf '%s\\n' "$input" | awk '$3 == "${o.ref ?? 'refs/heads/main'}" { found = 1 } END { exit !found }' || exit 0`,
      `n=$(( $(cat ${q('count')} 2>/dev/null || echo 0) + 1 ))`,
      `echo "$n" > ${q('count')}`,
      `[ "$n" -eq ${o.nth ?? 1} ] || exit 0`,
      `echo "$PPID $$" > ${q('parked.tmp')} && mv ${q('parked.tmp')} ${q('parked')}`,
      `while [ ! -e ${q('release')} ]; do sleep 0.05; done`,
      '',
    ].join('\n'),
  );
  chmodSync(hook, 0o755);
  // Local config wins over a global hooksPath, and keeps the hook out of the repository.
  sh(root, 'config', 'core.hooksPath', hooks);
  const parked = (): Parked | undefined => {
    if (!existsSync(path.join(ctl, 'parked'))) return undefined;
    const [gitPid, hookPid] = readFileSync(path.join(ctl, 'parked'), 'utf8').trim().split(' ').map(Number);
    return { gitPid: gitPid!, hookPid: hookPid! };
  };
  return { parked, release: () => writeFileSync(path.join(ctl, 'release'), '') };
}
