import type { Plan, Task } from '../plan/model.js';
import { GitError } from './git.js';
import { slug } from './names.js';
import { refExists } from './repo.js';
import { listTaskWorktrees, type TaskWorktreeInfo } from './worktrees.js';

/** A task worktree or branch ccasp keeps for a plan, and its task (absent when the plan no longer has it). */
export interface PlanWorktree {
  readonly info: TaskWorktreeInfo;
  readonly task?: Task;
}

/**
 * The plan's task worktrees and branches, for `ccasp status`: with commits ahead and uncommitted
 * files when the integration branch exists. A repository git cannot read shows none rather than
 * failing the whole status.
 */
export async function planWorktrees(root: string, plan: Plan, integrationBranch: string | undefined): Promise<PlanWorktree[]> {
  const tasks = new Map(plan.phases.flatMap((p) => p.tasks).map((t) => [slug(t.id), t] as const));
  try {
    const known = integrationBranch !== undefined && (await refExists(root, `refs/heads/${integrationBranch}`));
    const infos = await listTaskWorktrees(root, plan.id, known ? { integrationBranch } : {});
    return infos.map((info) => {
      const task = tasks.get(info.slug);
      return task ? { info, task } : { info };
    });
  } catch (error) {
    if (error instanceof GitError) return [];
    throw error;
  }
}
