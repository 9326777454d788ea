import type { Task } from '../plan/model.js';
import { redactError, type Redactor } from '../secrets/redact.js';
import { commitTaskWork, integrate as mergeIntoBranch, mergeTipIntoTask } from './integrate.js';
import type { WorktreeIsolation } from './isolation.js';
import { listPaths } from './list-paths.js';
import { readyWorktree, type SetupCommand } from './ready.js';
import { isDirty, mergeInProgress, unmergedPaths } from './repo.js';
import { stageResolvedConflicts } from './resolve.js';
import type { Integration, MergedTip, Workspace } from './workspace.js';
import { createTaskWorktree, removeTaskWorktree } from './worktrees.js';

/** The run loop's `workspace` and `integrate` on git worktrees, one per task. */
export interface WorktreePorts {
  /**
   * The task's own worktree for this attempt, created from the integration branch's tip or kept from
   * the last attempt; after a conflict, with that tip merged in.
   */
  workspace(task: Task, attempt: number, options: { readonly afterConflict: boolean }): Promise<Workspace>;
  /** Commits the completed attempt's work in `ws` and merges it into the integration branch. */
  integrate(task: Task, summary: string, ws: Workspace): Promise<Integration>;
  /** Tasks merged into the integration branch so far in this run. */
  integrated(): number;
}

/**
 * The ports on `iso`'s worktrees. What they throw carries git's own words into blockers, state and
 * notices, so it passes `redact` on the way out. Each new worktree is readied (ready.ts) with
 * `setUp`, the project's setup command, if it has one.
 */
export function worktreePorts(iso: WorktreeIsolation, planId: string, redact: Redactor, setUp?: SetupCommand): WorktreePorts {
  let integrated = 0;
  const scrubbed = <A extends unknown[], R>(fn: (...args: A) => Promise<R>) => (...args: A): Promise<R> =>
    fn(...args).catch((error: unknown) => {
      throw redactError(error, redact);
    });
  const commitOptions = (task: Task, summary: string) => ({ taskId: task.id, summary, protect: iso.planFiles, integrationBranch: iso.branch });

  async function workspace(task: Task, attempt: number, options: { readonly afterConflict: boolean }): Promise<Workspace> {
    // A retry continues in the worktree of the attempt before it, as it would in a shared tree.
    const made = await createTaskWorktree(iso.top, { planId, taskId: task.id, attempt, base: iso.branch });
    const cwd = made.path;
    await readyWorktree(iso.top, cwd, setUp && ((dir) => setUp(dir, { taskId: task.id, attempt })));
    let conflict: MergedTip | undefined;
    if (await mergeInProgress(cwd)) {
      // Merged before a kill, or left open by an attempt that failed otherwise: still to resolve.
      conflict = { branch: iso.branch, paths: await unmergedPaths(cwd) };
    } else if (options.afterConflict) {
      // A merge needs a clean worktree; what an interrupted attempt left is kept as a commit.
      if (await isDirty(cwd)) await commitTaskWork(cwd, commitOptions(task, `work left before merging ${iso.branch}`));
      const merged = await mergeTipIntoTask(cwd, iso.branch);
      conflict = { branch: iso.branch, paths: merged.kind === 'conflict' ? merged.paths : [] };
    }
    return {
      cwd,
      branch: made.branch,
      ...(conflict ? { conflict } : {}),
      release: scrubbed(async (outcome) => {
        // Kept worktrees are for the next attempt or for a person; `ccasp clean` removes them.
        if (outcome === 'integrated') await removeTaskWorktree(iso.top, { planId, taskId: task.id });
      }),
    };
  }

  async function integrate(task: Task, summary: string, ws: Workspace): Promise<Integration> {
    if (await mergeInProgress(ws.cwd)) await stageResolvedConflicts(ws.cwd);
    const committed = await commitTaskWork(ws.cwd, commitOptions(task, summary));
    if (committed.kind === 'unresolved') return { kind: 'unresolved', branch: iso.branch, paths: committed.paths };
    const integration = await mergeTaskBranch(iso, task, ws.branch);
    if (integration.kind === 'integrated') integrated++;
    return integration;
  }

  return { workspace: scrubbed(workspace), integrate: scrubbed(integrate), integrated: () => integrated };
}

/** Merges a task's committed branch into the integration branch, as one merge commit named after the task. */
export async function mergeTaskBranch(iso: WorktreeIsolation, task: Task, branch: string): Promise<Integration> {
  const message = `Merge ${task.id}: ${task.title}\n\nCcasp-Task: ${task.id}\n`;
  const result = await mergeIntoBranch(iso.top, { integrationBranch: iso.branch, taskBranch: branch, message });
  switch (result.kind) {
    case 'integrated':
      return result;
    case 'conflict':
      return { kind: 'conflict', branch: iso.branch, paths: result.paths };
    case 'local-changes':
      return {
        kind: 'refused',
        reason: `merging its work into ${iso.branch} would overwrite uncommitted changes in ${iso.top}: ${listPaths(result.paths)}`,
        suggestedAction: `commit or stash those changes, then run \`ccasp unblock ${task.id}\``,
      };
  }
}
