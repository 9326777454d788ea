import { existsSync } from 'node:fs';
import { readdir, realpath, rm } from 'node:fs/promises';
import path from 'node:path';
import { commitIdentity, git, gitOk, serial, splitZ } from './git.js';
import { planBranchPrefix, savedBranchPrefix, slug, taskBranch, worktreePath, worktreesDir } from './names.js';
import { dirtyPaths, ensureExcluded, headCommit, refExists, stageAll } from './repo.js';

export interface WorktreeEntry {
  readonly path: string;
  readonly head?: string;
  /** Short branch name; absent when detached. */
  readonly branch?: string;
  /** The lock reason; git writes "initializing" while `worktree add` runs, so a kill leaves it. */
  readonly locked?: string;
  /** Set when the folder is gone and `git worktree prune` would drop the entry. */
  readonly prunable?: string;
}

/** `git worktree list --porcelain -z`: fields end in NUL, a record ends with an empty field. */
export function parseWorktreeList(output: string): WorktreeEntry[] {
  const entries: WorktreeEntry[] = [];
  let current: { -readonly [K in keyof WorktreeEntry]?: WorktreeEntry[K] } = {};
  const flush = () => {
    if (current.path !== undefined) entries.push({ ...current, path: current.path });
    current = {};
  };
  for (const field of output.split('\0')) {
    if (field === '') {
      flush();
      continue;
    }
    const space = field.indexOf(' ');
    const key = space < 0 ? field : field.slice(0, space);
    const value = space < 0 ? '' : field.slice(space + 1);
    if (key === 'worktree') current.path = value;
    else if (key === 'HEAD') current.head = value;
    else if (key === 'branch') current.branch = value.replace(/^refs\/heads\//, '');
    else if (key === 'locked') current.locked = value;
    else if (key === 'prunable') current.prunable = value;
  }
  flush();
  return entries;
}

export async function listEntries(root: string): Promise<WorktreeEntry[]> {
  return parseWorktreeList((await git(root, ['worktree', 'list', '--porcelain', '-z'])).stdout);
}

export interface CreateOptions {
  readonly planId: string;
  readonly taskId: string;
  /** The attempt about to run; names the branch that keeps earlier work when starting over. */
  readonly attempt: number;
  /** The integration branch (or any commit) the task starts from. */
  readonly base: string;
  /** Start from `base` even when a usable worktree or branch with earlier work exists (it is saved first). */
  readonly fresh?: boolean;
}

export interface TaskWorktree {
  readonly path: string;
  readonly branch: string;
  /** The commit `base` named when this was called. */
  readonly base: string;
  readonly head: string;
  /**
   * created: new, from base. reused: a usable worktree of an earlier attempt, kept as it was.
   * reattached: no usable worktree, but the branch held commits; a new worktree continues them.
   * recreated: started over from base; earlier work, if any, is in `saved`.
   */
  readonly state: 'created' | 'reused' | 'reattached' | 'recreated';
  /** A branch holding the work the worktree had before starting over. */
  readonly saved?: string;
  /** A folder that was not a registered worktree (a `worktree add` killed early) and was deleted. */
  readonly discarded?: string;
}

/**
 * The worktree for one attempt at `.claude/worktrees/ccasp/<task>` on `ccasp/<plan>/<task>`.
 * Whatever an earlier attempt or a killed run left is recognised: a usable worktree is reused (a
 * retry continues from what the last attempt did, as it would in the shared tree) unless `fresh`;
 * a broken one is removed; committed or uncommitted work that would be dropped is first kept on a
 * `ccasp-saved/...` branch, named in the result, so nothing a person may want to inspect is lost.
 */
export async function createTaskWorktree(root: string, options: CreateOptions): Promise<TaskWorktree> {
  const top = await realpath(root);
  return serial(top, () => prepare(top, options));
}

async function prepare(root: string, o: CreateOptions): Promise<TaskWorktree> {
  await ensureExcluded(root);
  const wt = worktreePath(root, o.taskId);
  const branch = taskBranch(o.planId, o.taskId);
  const base = await headCommit(root, o.base);
  const entry = (await listEntries(root)).find((e) => e.path === wt);
  const result = (state: TaskWorktree['state'], head: string, extra: { saved?: string; discarded?: string }): TaskWorktree => ({
    path: wt,
    branch,
    base,
    head,
    state,
    ...(extra.saved ? { saved: extra.saved } : {}),
    ...(extra.discarded ? { discarded: extra.discarded } : {}),
  });

  const usable = entry && entry.prunable === undefined && entry.locked === undefined && entry.branch === branch && existsSync(path.join(wt, '.git'));
  if (usable) {
    if (!o.fresh) return result('reused', await headCommit(wt), {});
    // Start over in place: cheaper than a second checkout of the whole tree.
    await commitLeftovers(wt, o);
    const saved = await saveIfAhead(root, branch, base, o);
    await gitOk(wt, ['reset', '--quiet', '--hard', base]);
    await gitOk(wt, ['clean', '--quiet', '-ffd']);
    return result('recreated', base, { saved });
  }

  let saved: string | undefined;
  let discarded: string | undefined;
  if (entry) {
    // Registered but not usable: half-created, on another branch or detached, or its folder gone.
    // A half-created checkout never had an agent in it; committing it would record deletions.
    if (entry.locked !== 'initializing' && entry.prunable === undefined && existsSync(path.join(wt, '.git'))) {
      await commitLeftovers(wt, o);
      if (entry.branch !== branch) saved = await saveIfAhead(root, await headCommit(wt), base, o);
    }
    await removeRegistered(root, wt);
  } else if (existsSync(wt)) {
    await rm(wt, { recursive: true, force: true });
    discarded = wt;
  }

  if (await refExists(root, `refs/heads/${branch}`)) {
    const ahead = await commitsAhead(root, base, branch);
    if (ahead > 0 && !o.fresh) {
      await gitOk(root, ['worktree', 'add', '--quiet', wt, branch]);
      return result('reattached', await headCommit(wt), { saved, discarded });
    }
    saved = (await saveIfAhead(root, branch, base, o)) ?? saved;
    await gitOk(root, ['worktree', 'add', '--quiet', '-B', branch, wt, base]);
    return result('recreated', base, { saved, discarded });
  }
  await gitOk(root, ['worktree', 'add', '--quiet', '-b', branch, wt, base]);
  return result(entry || discarded || saved ? 'recreated' : 'created', base, { saved, discarded });
}

export async function commitsAhead(root: string, base: string, rev: string): Promise<number> {
  return Number(await gitOk(root, ['rev-list', '--count', `${base}..${rev}`]));
}

/** Commits uncommitted changes in a worktree that is about to be reset or removed. */
async function commitLeftovers(wt: string, o: CreateOptions): Promise<void> {
  if ((await dirtyPaths(wt)).length === 0) return;
  await stageAll(wt);
  const message = `ccasp: uncommitted work left in ${o.taskId}'s worktree (kept before attempt ${o.attempt})\n`;
  await gitOk(wt, ['commit', '--quiet', '--no-verify', '--allow-empty', '-F', '-'], { input: message, env: await commitIdentity(wt) });
}

async function saveIfAhead(root: string, rev: string, base: string, o: CreateOptions): Promise<string | undefined> {
  if ((await commitsAhead(root, base, rev)) === 0) return undefined;
  const stem = `${savedBranchPrefix(o.planId, o.taskId)}before-attempt-${o.attempt}`;
  for (let n = 1; ; n++) {
    const name = n === 1 ? stem : `${stem}-${n}`;
    if (await refExists(root, `refs/heads/${name}`)) continue;
    await gitOk(root, ['branch', '--quiet', '--no-track', name, rev]);
    return name;
  }
}

/** Removes a registered worktree whatever its state (locked, dirty, folder gone). */
export async function removeRegistered(root: string, wt: string): Promise<void> {
  await git(root, ['worktree', 'unlock', wt]);
  const removed = await git(root, ['worktree', 'remove', '--force', '--force', wt]);
  if (removed.exitCode !== 0 && existsSync(wt)) await rm(wt, { recursive: true, force: true });
  await gitOk(root, ['worktree', 'prune']);
}

export interface RemoveResult {
  readonly removedWorktree: boolean;
  readonly removedBranch: boolean;
}

/** Removes a task's worktree (with anything in it) and its branch. For a task whose work is integrated or unwanted. */
export async function removeTaskWorktree(root: string, ids: { planId: string; taskId: string }): Promise<RemoveResult> {
  const top = await realpath(root);
  return serial(top, () => removeTask(top, ids.planId, slug(ids.taskId)));
}

/** Unqueued; `taskSlug` is the already-slugged id, as listings return it. */
export async function removeTask(root: string, planId: string, taskSlug: string): Promise<RemoveResult> {
  const wt = path.join(worktreesDir(root), taskSlug);
  const branch = `${planBranchPrefix(planId)}${taskSlug}`;
  let removedWorktree = false;
  if ((await listEntries(root)).some((e) => e.path === wt)) {
    await removeRegistered(root, wt);
    removedWorktree = true;
  } else if (existsSync(wt)) {
    await rm(wt, { recursive: true, force: true });
    removedWorktree = true;
  }
  const removedBranch = await deleteBranch(root, branch);
  return { removedWorktree, removedBranch };
}

export async function deleteBranch(root: string, branch: string): Promise<boolean> {
  if (!(await refExists(root, `refs/heads/${branch}`))) return false;
  await gitOk(root, ['branch', '--quiet', '-D', branch]);
  return true;
}

/**
 * ready: a usable worktree on the task's branch. half-created: `worktree add` was killed.
 * missing-folder: registered, folder deleted. other-branch: detached or switched by someone.
 * unregistered-folder: a folder git does not know. branch-only: the branch without a worktree.
 * saved-only: nothing but `ccasp-saved/...` branches of earlier attempts.
 */
export type WorktreeCondition = 'ready' | 'half-created' | 'missing-folder' | 'other-branch' | 'unregistered-folder' | 'branch-only' | 'saved-only';

export interface TaskWorktreeInfo {
  /** The task id as used in paths and branch names (see `slug`); map back with `slug(task.id)`. */
  readonly slug: string;
  readonly condition: WorktreeCondition;
  readonly path?: string;
  readonly branch?: string;
  readonly head?: string;
  /** Branches keeping work of earlier attempts (`ccasp-saved/<plan>/<task>/...`). */
  readonly saved: readonly string[];
  /** With `integrationBranch`, for usable worktrees: uncommitted paths, and commits not yet integrated. */
  readonly uncommitted?: number;
  readonly ahead?: number;
}

/** Every ccasp worktree, task branch and saved branch of a plan, for `ccasp status` and `ccasp clean`. */
export async function listTaskWorktrees(root: string, planId: string, options: { integrationBranch?: string } = {}): Promise<TaskWorktreeInfo[]> {
  const top = await realpath(root);
  const dir = worktreesDir(top);
  const prefix = planBranchPrefix(planId);
  const savedPrefix = savedBranchPrefix(planId);
  const refs = splitZ(await gitOk(top, ['for-each-ref', '--format=%(refname:short)%00', `refs/heads/${prefix}`, `refs/heads/${savedPrefix}`]))
    .map((r) => r.trim())
    .filter((r) => r !== '');
  const branches = new Map(refs.filter((r) => r.startsWith(prefix)).map((r) => [r.slice(prefix.length), r]));
  const saved = new Map<string, string[]>();
  for (const r of refs.filter((x) => x.startsWith(savedPrefix))) {
    const key = r.slice(savedPrefix.length).split('/')[0]!;
    saved.set(key, [...(saved.get(key) ?? []), r]);
  }
  const inDir = (await listEntries(top)).filter((e) => path.dirname(e.path) === dir);
  // The folder is per task id only, so another plan's worktree may sit there; it is not ours to list.
  const ours = (e: WorktreeEntry) => e.branch === undefined || e.branch.startsWith(prefix);
  const entries = new Map(inDir.filter(ours).map((e) => [path.basename(e.path), e]));
  const othersFolders = new Set(inDir.filter((e) => !ours(e)).map((e) => path.basename(e.path)));
  const folders = (await readdir(dir).catch(() => [] as string[])).filter((f) => !othersFolders.has(f));
  const slugs = [...new Set([...entries.keys(), ...branches.keys(), ...saved.keys(), ...folders])].sort();

  const infos: TaskWorktreeInfo[] = [];
  for (const s of slugs) {
    const entry = entries.get(s);
    const branch = branches.get(s);
    const wt = path.join(dir, s);
    const condition: WorktreeCondition = entry
      ? entry.locked === 'initializing'
        ? 'half-created'
        : entry.prunable !== undefined
          ? 'missing-folder'
          : entry.branch === `${prefix}${s}`
            ? 'ready'
            : 'other-branch'
      : folders.includes(s)
        ? 'unregistered-folder'
        : branch
          ? 'branch-only'
          : 'saved-only';
    const details =
      condition === 'ready' && options.integrationBranch
        ? { uncommitted: (await dirtyPaths(wt)).length, ahead: await commitsAhead(top, options.integrationBranch, branch ?? 'HEAD') }
        : {};
    infos.push({
      slug: s,
      condition,
      ...(entry || folders.includes(s) ? { path: wt } : {}),
      ...(branch ? { branch } : {}),
      ...(entry?.head ? { head: entry.head } : {}),
      saved: saved.get(s) ?? [],
      ...details,
    });
  }
  return infos;
}
