import { readdir, realpath, rmdir } from 'node:fs/promises';
import path from 'node:path';
import { gitOk, serial } from './git.js';
import { slug, worktreesDir } from './names.js';
import { deleteBranch, listTaskWorktrees, removeTask } from './worktrees.js';

export interface CleanOptions {
  readonly planId: string;
  /** Task ids whose worktrees and branches stay (blocked and failed tasks, kept for inspection). */
  readonly keep?: readonly string[];
  /** Remove those too. */
  readonly all?: boolean;
}

export interface CleanResult {
  /** Task slugs whose worktree, branch and saved branches were removed. */
  readonly removed: readonly string[];
  readonly kept: readonly string[];
}

/** `ccasp clean`: removes the plan's task worktrees, task branches and saved branches. */
export async function cleanWorktrees(root: string, options: CleanOptions): Promise<CleanResult> {
  const top = await realpath(root);
  return serial(top, async () => {
    const keep = new Set(options.all ? [] : (options.keep ?? []).map(slug));
    const removed: string[] = [];
    const kept: string[] = [];
    for (const info of await listTaskWorktrees(top, options.planId)) {
      if (keep.has(info.slug)) {
        kept.push(info.slug);
        continue;
      }
      await removeTask(top, options.planId, info.slug);
      for (const saved of info.saved) await deleteBranch(top, saved);
      removed.push(info.slug);
    }
    await gitOk(top, ['worktree', 'prune']);
    // Leave no empty folder behind; one still holding another plan's worktree stays.
    const dir = worktreesDir(top);
    if ((await readdir(dir).catch(() => ['?'])).length === 0) await rmdir(dir).catch(() => undefined);
    return { removed, kept };
  });
}

/** rmdir only succeeds on an empty folder: worktrees kept for blocked tasks, and Claude Code's own, stay. */
export async function removeEmptyWorktreesDir(top: string): Promise<void> {
  const dir = worktreesDir(top);
  if (await rmdir(dir).then(() => true, () => false)) await rmdir(path.dirname(dir)).catch(() => undefined);
}
