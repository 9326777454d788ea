import { existsSync } from 'node:fs';
import path from 'node:path';
import { loadPlan } from '../plan/load.js';
import type { PlanReadOptions } from '../plan/shapes/shape.js';
import { acquireLock } from '../state/lock.js';
import { lockPath, statePath } from '../state/paths.js';
import { findProjectRoot } from '../project-root.js';
import { readState } from '../state/read-state.js';
import { cleanWorktrees, removeEmptyWorktreesDir } from './clean.js';
import { slug } from './names.js';
import { describeRecovery, recover } from './recover.js';
import { currentBranch, refExists, repositoryTop } from './repo.js';

export interface CleanReport {
  /** Task ids (slugs for tasks the plan no longer has) whose worktree and branches were removed. */
  readonly removed: string[];
  /** Blocked and failed tasks whose worktrees stay (without --all). */
  readonly kept: string[];
  /** What was recovered first, as `describeRecovery` says it. */
  readonly recovered: string[];
  /** Set when there was nothing to look at: not a git repository with a commit. */
  readonly note?: string;
}

/**
 * `ccasp clean`: under the project's lock (never while a run is active), first recovers whatever a
 * killed run left (a half-done merge, stale git locks, half-created worktrees), then removes the
 * plan's task worktrees, task branches and saved branches; blocked and failed tasks' stay unless `all`.
 */
export async function cleanProject(planFile: string, all: boolean, options: PlanReadOptions): Promise<CleanReport> {
  const doc = await loadPlan(planFile, options);
  const plan = doc.plan;
  const root = findProjectRoot(path.dirname(doc.file));
  const top = await repositoryTop(root);
  if (!top) return { removed: [], kept: [], recovered: [], note: `${root} is not a git repository with a commit; ccasp made no worktrees here` };
  const lock = await acquireLock(lockPath(root), { command: 'ccasp clean' });
  try {
    const tasks = plan.phases.flatMap((p) => p.tasks);
    const bySlug = new Map(tasks.map((t) => [slug(t.id), t.id] as const));
    const read = existsSync(statePath(root)) ? await readState(statePath(root)) : undefined;
    const recorded = read?.kind === 'ok' && read.state.planId === plan.id ? read.state.integrationBranch : undefined;
    const integrationBranch = recorded ?? (await currentBranch(top));
    const known = integrationBranch !== undefined && (await refExists(top, `refs/heads/${integrationBranch}`));
    const completed = tasks.filter((t) => t.status === 'completed').map((t) => t.id);
    const recovery = await recover(top, { planId: plan.id, ...(known ? { integrationBranch } : {}), completed });
    const keep = tasks.filter((t) => t.status === 'blocked' || t.status === 'failed').map((t) => t.id);
    const result = await cleanWorktrees(top, { planId: plan.id, keep, all });
    await removeEmptyWorktreesDir(top);
    const ids = (slugs: readonly string[]) => slugs.map((s) => bySlug.get(s) ?? s);
    return { removed: [...ids(recovery.removedCompleted), ...ids(result.removed)], kept: ids(result.kept), recovered: describeRecovery(recovery) };
  } finally {
    await lock.release();
  }
}
