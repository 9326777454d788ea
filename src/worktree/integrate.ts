import { mkdir, realpath, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { commitIdentity, git, gitOk, GitError, serial, splitZ } from './git.js';
import { integrationMarkerPath } from './names.js';
import { currentBranch, headCommit, isAncestor, mergeInProgress, stageAll, unmergedPaths } from './repo.js';

export interface CommitOptions {
  readonly taskId: string;
  readonly summary: string;
  /**
   * Paths (relative to the top level) the task must not change, e.g. the plan file: ccasp keeps it
   * uncommitted in the user's tree, and a merge that touched it would be refused there. Needs
   * `integrationBranch`: a change the agent committed anyway is undone relative to it.
   */
  readonly protect?: readonly string[];
  readonly integrationBranch?: string;
}

export type CommitResult =
  | { readonly kind: 'committed'; readonly head: string; /** false when there was nothing left to commit */ readonly madeCommit: boolean }
  /** A merge of the new tip into the task (see mergeTipIntoTask) still has conflicts or conflict markers. */
  | { readonly kind: 'unresolved'; readonly paths: readonly string[] };

/**
 * Records what the agent left in its worktree as one commit on the task's branch, on top of any
 * commits the agent made itself (they are kept as they are). ccasp's folder is never committed.
 */
export async function commitTaskWork(worktree: string, options: CommitOptions): Promise<CommitResult> {
  const protect = options.protect ?? [];
  const merging = await mergeInProgress(worktree);
  const unmerged = await unmergedPaths(worktree);
  if (unmerged.length > 0) return { kind: 'unresolved', paths: unmerged };
  await stageAll(worktree, protect);
  if (merging) {
    // `git add` clears the conflict state, not the markers; only files the merge conflicted in are
    // checked, since a markdown underline of ======= is a marker to git too.
    const markers = await leftoverMarkers(worktree, await conflictedByMerge(worktree));
    if (markers.length > 0) return { kind: 'unresolved', paths: markers };
  }
  const env = await commitIdentity(worktree);
  let madeCommit = false;
  const staged = (await git(worktree, ['diff', '--cached', '--quiet'])).exitCode === 1;
  if (staged || merging) {
    await gitOk(worktree, ['commit', '--quiet', '--no-verify', '--allow-empty', '-F', '-'], { input: taskMessage(options.taskId, options.summary), env });
    madeCommit = true;
  }
  if (protect.length > 0 && options.integrationBranch) madeCommit = (await undoProtected(worktree, options, env)) || madeCommit;
  return { kind: 'committed', head: await headCommit(worktree), madeCommit };
}

/** The message of a task's commit: the task id and the first line of the agent's summary, then all of it. */
export function taskMessage(taskId: string, summary: string): string {
  const text = summary.trim();
  const first = text.split('\n')[0]!.trim() || 'work of the agent';
  const subject = `${taskId}: ${first}`;
  const short = subject.length > 72 ? `${subject.slice(0, 71)}…` : subject;
  const body = text !== '' && text !== short ? `${text}\n\n` : '';
  return `${short}\n\n${body}Ccasp-Task: ${taskId}\n`;
}

async function conflictedByMerge(worktree: string): Promise<string[]> {
  const r = await git(worktree, ['merge-tree', '--write-tree', '--name-only', '--no-messages', '-z', 'HEAD', 'MERGE_HEAD']);
  return r.exitCode === 1 ? splitZ(r.stdout).slice(1) : [];
}

async function leftoverMarkers(worktree: string, paths: readonly string[]): Promise<string[]> {
  if (paths.length === 0) return [];
  const r = await git(worktree, ['diff', '--cached', '--check', 'HEAD', '--', ...paths]);
  const found = new Set<string>();
  for (const line of r.stdout.split('\n')) {
    const m = /^(.+?):\d+: leftover conflict marker/.exec(line);
    if (m) found.add(m[1]!);
  }
  return [...found];
}

/** Puts protected paths back to their version at the fork point if the agent committed changes to them. */
async function undoProtected(worktree: string, options: CommitOptions, env: Readonly<Record<string, string>>): Promise<boolean> {
  const protect = options.protect ?? [];
  const forkPoint = await gitOk(worktree, ['merge-base', 'HEAD', options.integrationBranch!]);
  const changed = splitZ(await gitOk(worktree, ['diff', '--name-only', '-z', forkPoint, 'HEAD', '--', ...protect]));
  if (changed.length === 0) return false;
  for (const file of changed) {
    if ((await git(worktree, ['cat-file', '-e', `${forkPoint}:${file}`])).exitCode === 0) await gitOk(worktree, ['checkout', forkPoint, '--', file]);
    else await gitOk(worktree, ['rm', '--quiet', '-f', '--ignore-unmatch', '--', file]);
  }
  const message = `${options.taskId}: keep ${changed.join(', ')} as on ${options.integrationBranch}\n\nccasp owns these files; the task's changes to them are not integrated.\n\nCcasp-Task: ${options.taskId}\n`;
  await gitOk(worktree, ['commit', '--quiet', '--no-verify', '-F', '-'], { input: message, env });
  return true;
}

export type IntegrationResult =
  | { readonly kind: 'integrated'; readonly commit: string; readonly how: 'fast-forward' | 'merge' | 'up-to-date' }
  /** The task's changes and the integration branch's overlap; nothing was changed. */
  | { readonly kind: 'conflict'; readonly paths: readonly string[] }
  /** Uncommitted or untracked files in the user's tree would be overwritten; nothing was changed. */
  | { readonly kind: 'local-changes'; readonly paths: readonly string[] };

export interface IntegrateOptions {
  readonly integrationBranch: string;
  readonly taskBranch: string;
  /** The merge commit's message when a fast-forward is not possible. */
  readonly message?: string;
}

/** What the marker file records; recover() reads it after a kill. */
export interface IntegrationMarker {
  readonly pid: number;
  readonly integrationBranch: string;
  readonly taskBranch: string;
  readonly before: string;
  readonly tip: string;
  readonly startedAt: string;
}

/**
 * Brings a task's branch into the integration branch, which must be checked out in the main
 * working tree at `root`: a fast-forward when possible, else a merge commit. Conflicts are found
 * with `git merge-tree` before the user's tree is touched; should the real merge still stop, it is
 * aborted. Either way, a conflict leaves the branch, index and files exactly as they were. Files
 * the merge does not touch (the plan file ccasp keeps writing, the user's own changes) stay as
 * they are; git refuses, and this returns `local-changes`, if the merge would overwrite one.
 */
export async function integrate(root: string, options: IntegrateOptions): Promise<IntegrationResult> {
  const top = await realpath(root);
  return serial(top, () => integrateNow(top, options));
}

async function integrateNow(root: string, o: IntegrateOptions): Promise<IntegrationResult> {
  const checkedOut = await currentBranch(root);
  if (checkedOut !== o.integrationBranch) {
    throw new GitError(['merge'], undefined, `${root} has ${checkedOut ? `branch ${checkedOut}` : 'a detached HEAD'} checked out, not the integration branch ${o.integrationBranch}`);
  }
  if (await mergeInProgress(root)) throw new GitError(['merge'], undefined, `a merge is already in progress in ${root}; finish or abort it first`);
  const before = await headCommit(root);
  const tip = await headCommit(root, o.taskBranch);
  if (await isAncestor(root, tip, before)) return { kind: 'integrated', commit: before, how: 'up-to-date' };
  const fastForward = await isAncestor(root, before, tip);
  if (!fastForward) {
    const paths = await predictConflicts(root, before, tip);
    if (paths && paths.length > 0) return { kind: 'conflict', paths };
  }

  const marker = integrationMarkerPath(root);
  const record: IntegrationMarker = { pid: process.pid, integrationBranch: o.integrationBranch, taskBranch: o.taskBranch, before, tip, startedAt: new Date().toISOString() };
  await mkdir(path.dirname(marker), { recursive: true });
  await writeFile(marker, `${JSON.stringify(record, null, 2)}\n`);
  // autostash would stash the plan file ccasp is writing; rerere would resolve by a recorded guess.
  const common = ['-c', 'rerere.enabled=false', 'merge', '--quiet', '--no-autostash', '--no-verify'];
  const args = fastForward
    ? [...common, '--ff-only', tip]
    : [...common, '--no-ff', '--no-edit', '-m', o.message ?? `Merge ${o.taskBranch} into ${o.integrationBranch}`, tip];
  const merged = await git(root, args, { env: await commitIdentity(root), detached: true });
  try {
    if (merged.exitCode === 0) return { kind: 'integrated', commit: await headCommit(root), how: fastForward ? 'fast-forward' : 'merge' };
    if (await mergeInProgress(root)) {
      const paths = await unmergedPaths(root);
      await gitOk(root, ['merge', '--abort']);
      return { kind: 'conflict', paths };
    }
    const local = overwrittenPaths(merged.stderr);
    if (local.length > 0 && (await headCommit(root)) === before) return { kind: 'local-changes', paths: local };
    throw new GitError(args, merged.exitCode, merged.stderr || merged.stdout);
  } finally {
    await rm(marker, { force: true });
  }
}

/** Conflicting paths of merging `tip` into `before`, from git's in-memory merge; undefined on a git older than 2.38. */
async function predictConflicts(root: string, before: string, tip: string): Promise<string[] | undefined> {
  const r = await git(root, ['merge-tree', '--write-tree', '--name-only', '--no-messages', '-z', before, tip]);
  if (r.exitCode === 0) return [];
  if (r.exitCode === 1) return [...new Set(splitZ(r.stdout).slice(1))];
  return undefined;
}

/**
 * The paths git lists, indented under its "would be overwritten by merge" header, when a merge would
 * overwrite local changes (a tab before each path from unpack-trees, two spaces from merge-ort).
 */
export function overwrittenPaths(stderr: string): string[] {
  const paths: string[] = [];
  let listing = false;
  for (const line of stderr.split('\n')) {
    if (/would be (overwritten|removed) by merge/.test(line)) listing = true;
    else if (listing && /^\s+\S/.test(line)) paths.push(line.trim());
    else listing = false;
  }
  return [...new Set(paths)];
}

export type TipMergeResult =
  | { readonly kind: 'merged'; readonly head: string }
  /** The merge is left in progress in the task's worktree, conflict markers in `paths`, for the agent to resolve. */
  | { readonly kind: 'conflict'; readonly paths: readonly string[] };

/**
 * For a retry after a conflict: merges the integration branch's new tip into the task's worktree
 * (its own tree, never the user's). On conflict the merge stays in progress so the next attempt
 * sees git's markers and the paths are named in its prompt; `commitTaskWork` then concludes the
 * merge and refuses while markers remain. The worktree must have no uncommitted changes. `tip` is
 * the commit to merge when the branch is not there by its name (a worker's fetched copy).
 */
export async function mergeTipIntoTask(worktree: string, integrationBranch: string, tip = integrationBranch): Promise<TipMergeResult> {
  const args = ['-c', 'rerere.enabled=false', 'merge', '--quiet', '--no-autostash', '--no-verify', '--no-edit', '-m', `Merge ${integrationBranch} into the task`, tip];
  const r = await git(worktree, args, { env: await commitIdentity(worktree) });
  if (r.exitCode === 0) return { kind: 'merged', head: await headCommit(worktree) };
  if (await mergeInProgress(worktree)) return { kind: 'conflict', paths: await unmergedPaths(worktree) };
  throw new GitError(args, r.exitCode, r.stderr || r.stdout);
}

/**
 * Commits only `paths` (e.g. the plan file) on the branch checked out at `root`, if they changed;
 * anything else staged or modified there stays out of the commit. Queued with integrations, which
 * use the same index. Returns the new commit, or undefined when there was nothing to commit.
 */
export async function commitPaths(root: string, paths: readonly string[], message: string): Promise<string | undefined> {
  const top = await realpath(root);
  return serial(top, async () => {
    await gitOk(top, ['add', '--', ...paths]);
    if ((await git(top, ['diff', '--cached', '--quiet', 'HEAD', '--', ...paths])).exitCode === 0) return undefined;
    await gitOk(top, ['commit', '--quiet', '--no-verify', '--only', '-F', '-', '--', ...paths], { input: message, env: await commitIdentity(top) });
    return headCommit(top);
  });
}
