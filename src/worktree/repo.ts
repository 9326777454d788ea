import { appendFile, mkdir, readFile, realpath } from 'node:fs/promises';
import path from 'node:path';
import { git, gitOk, GitError, splitZ } from './git.js';
import { excludePathspec, OWN_FOLDERS, OWN_PATHSPECS } from './names.js';

/** The top level of the working tree holding `dir` (git's own answer: symlinks resolved). */
export async function topLevel(dir: string): Promise<string> {
  return gitOk(dir, ['rev-parse', '--show-toplevel']);
}

/** The repository's top level when `root` is one with at least one commit; undefined otherwise. */
export async function repositoryTop(root: string): Promise<string | undefined> {
  try {
    const top = await topLevel(root);
    if (top !== (await realpath(root))) return undefined;
    await headCommit(top);
    return top;
  } catch (error) {
    if (error instanceof GitError) return undefined;
    throw error;
  }
}

/** The branch checked out in `root`, or undefined when HEAD is detached. */
export async function currentBranch(root: string): Promise<string | undefined> {
  const r = await git(root, ['symbolic-ref', '--quiet', '--short', 'HEAD']);
  if (r.exitCode === 0) return r.stdout.trim();
  if (r.exitCode === 1) return undefined;
  throw new GitError(['symbolic-ref', '--quiet', '--short', 'HEAD'], r.exitCode, r.stderr);
}

/** The commit `rev` names (default HEAD), as a full object id. */
export async function headCommit(root: string, rev = 'HEAD'): Promise<string> {
  return gitOk(root, ['rev-parse', '--verify', `${rev}^{commit}`]);
}

export async function refExists(root: string, ref: string): Promise<boolean> {
  return (await git(root, ['rev-parse', '--verify', '--quiet', `${ref}^{commit}`])).exitCode === 0;
}

/** Whether `ancestor` is reachable from `descendant` (a commit is its own ancestor). */
export async function isAncestor(root: string, ancestor: string, descendant: string): Promise<boolean> {
  const args = ['merge-base', '--is-ancestor', ancestor, descendant];
  const r = await git(root, args);
  if (r.exitCode === 0 || r.exitCode === 1) return r.exitCode === 0;
  throw new GitError(args, r.exitCode, r.stderr);
}

export async function mergeInProgress(dir: string): Promise<boolean> {
  return refExists(dir, 'MERGE_HEAD');
}

/** Paths with unresolved merge conflicts in `dir`'s index. */
export async function unmergedPaths(dir: string): Promise<string[]> {
  return [...new Set(splitZ(await gitOk(dir, ['diff', '--name-only', '-z', '--diff-filter=U'])))];
}

/** A file in `dir`'s git directory (`index.lock`, `info/exclude`), shared ones in the common dir. */
export async function gitPath(dir: string, name: string): Promise<string> {
  return path.resolve(dir, await gitOk(dir, ['rev-parse', '--git-path', name]));
}

/**
 * Changed, staged, deleted and untracked paths in the working tree at `root`, except ccasp's own
 * `.claude/orchestrator/`, the task worktrees, and `ignore` (relative to root; e.g. the plan file a paused run left
 * modified). Ignored files do not count. Every untracked file is listed, not just its folder, so
 * an untracked `.claude/` holding only ccasp's files is not mistaken for a change.
 */
export async function dirtyPaths(root: string, ignore: readonly string[] = []): Promise<string[]> {
  const out = await gitOk(root, ['status', '--porcelain=v1', '-z', '--untracked-files=all', '--', '.', ...OWN_PATHSPECS, ...ignore.map(excludePathspec)]);
  const entries = splitZ(out);
  const paths: string[] = [];
  for (let i = 0; i < entries.length; i++) {
    const entry = entries[i]!;
    paths.push(entry.slice(3));
    // A rename or copy is followed by its source path.
    if (entry[0] === 'R' || entry[0] === 'C') i++;
  }
  return paths;
}

export async function isDirty(root: string, ignore: readonly string[] = []): Promise<boolean> {
  return (await dirtyPaths(root, ignore)).length > 0;
}

/**
 * Makes git ignore ccasp's folders in this repository and all its worktrees, whatever the project's
 * .gitignore says: `.claude/orchestrator/` (the state file and the logs) and the folder of the task
 * worktrees (nested checkouts that `git add -A` would record as embedded repositories). `.git/info/exclude`
 * is used because it is local (never committed, no diff in the user's project), lives in the common
 * git dir so every linked worktree reads it too, and git honours it like .gitignore. Nothing is
 * written for a folder the project already ignores.
 */
export async function ensureExcluded(root: string): Promise<'already-ignored' | 'added'> {
  const missing: string[] = [];
  for (const folder of OWN_FOLDERS) {
    const probe = await git(root, ['check-ignore', '--quiet', '--no-index', `${folder}/x`]);
    if (probe.exitCode === 1) missing.push(`/${folder}/`);
    else if (probe.exitCode !== 0) throw new GitError(['check-ignore'], probe.exitCode, probe.stderr);
  }
  if (missing.length === 0) return 'already-ignored';
  const file = await gitPath(root, 'info/exclude');
  const existing = await readFile(file, 'utf8').catch(() => '');
  await mkdir(path.dirname(file), { recursive: true });
  const lead = existing === '' || existing.endsWith('\n') ? '' : '\n';
  await appendFile(file, `${lead}# ccasp: its state, logs and task worktrees\n${missing.join('\n')}\n`);
  return 'added';
}

/**
 * Stages every change in a worktree except ccasp's folder and `keepOut` (relative paths). Exclude
 * pathspecs cannot do this: `git add` fails when one names an ignored path. So the folder is made
 * ignored, and `keepOut` and the folder are unstaged again (a no-op when they were never staged).
 */
export async function stageAll(worktree: string, keepOut: readonly string[] = []): Promise<void> {
  await ensureExcluded(worktree);
  await gitOk(worktree, ['add', '--all']);
  await gitOk(worktree, ['reset', '--quiet', 'HEAD', '--', ...OWN_FOLDERS, ...keepOut]);
}

/** Whether git tracks `relativePath` (relative to root) on the checked-out branch. */
export async function isTracked(root: string, relativePath: string): Promise<boolean> {
  const r = await git(root, ['ls-files', '--error-unmatch', '--', relativePath]);
  return r.exitCode === 0;
}

/** Whether `name` may name a branch (`git check-ref-format --branch`). */
export async function isValidBranchName(root: string, name: string): Promise<boolean> {
  return (await git(root, ['check-ref-format', '--branch', name])).exitCode === 0;
}

/**
 * Creates `name` at HEAD and checks it out in `root`. HEAD's commit stays the same, so the working
 * tree and index are untouched: uncommitted changes (with --allow-dirty) come along as they are.
 */
export async function createBranchAtHead(root: string, name: string): Promise<void> {
  await gitOk(root, ['switch', '--quiet', '--no-track', '-c', name]);
}
