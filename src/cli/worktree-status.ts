import type { Plan } from '../plan/model.js';
import * as wt from '../worktree/index.js';
import { displayPath, type WorktreeSummary } from './status-report.js';

/**
 * The plan's task worktrees and branches as `ccasp status` shows them. Loaded on demand (it runs
 * git, through execa) and only when the worktrees folder exists, so status stays fast without it.
 * A repository git cannot read shows no worktrees rather than failing the whole status.
 */
export async function worktreeSummaries(root: string, plan: Plan, integrationBranch: string | undefined, cwd: string): Promise<WorktreeSummary[]> {
  const tasks = new Map(plan.phases.flatMap((p) => p.tasks).map((t) => [wt.slug(t.id), t] as const));
  let infos: wt.TaskWorktreeInfo[];
  try {
    const known = integrationBranch !== undefined && (await wt.refExists(root, `refs/heads/${integrationBranch}`));
    infos = await wt.listTaskWorktrees(root, plan.id, known ? { integrationBranch } : {});
  } catch (error) {
    if (error instanceof wt.GitError) return [];
    throw error;
  }
  return infos.map((info) => {
    const task = tasks.get(info.slug);
    return {
      taskId: task?.id ?? info.slug,
      taskStatus: task?.status ?? null,
      condition: info.condition,
      path: info.path ? displayPath(info.path, cwd) : null,
      branch: info.branch ?? null,
      ahead: info.ahead ?? null,
      uncommitted: info.uncommitted ?? null,
      saved: [...info.saved],
    };
  });
}
