import { rmdir } from 'node:fs/promises';
import path from 'node:path';
import type { Integration, MergedTip, Workspace } from '../worktree/workspace.js';
import type { RunPorts } from '../orchestrator/ports.js';
import type { Task } from '../plan/model.js';
import * as wt from '../worktree/index.js';
import { listPaths, type WorktreeIsolation } from './isolation.js';

export interface WorktreePorts extends Required<Pick<RunPorts, 'workspace' | 'integrate'>> {
  /** Tasks merged into the integration branch so far in this run. */
  integrated(): number;
}

/** The run loop's `workspace` and `integrate` ports on top of src/worktree. */
export function worktreePorts(iso: WorktreeIsolation, planId: string): WorktreePorts {
  let integrated = 0;
  const commitOptions = (task: Task, summary: string) => ({ taskId: task.id, summary, protect: iso.planFiles, integrationBranch: iso.branch });

  async function workspace(task: Task, attempt: number, options: { afterConflict: boolean }): Promise<Workspace> {
    // A retry continues in the worktree of the attempt before it, as it would in a shared tree.
    const made = await wt.createTaskWorktree(iso.top, { planId, taskId: task.id, attempt, base: iso.branch });
    const cwd = made.path;
    let conflict: MergedTip | undefined;
    if (await wt.mergeInProgress(cwd)) {
      // Merged before a kill, or left open by an attempt that failed otherwise: still to resolve.
      conflict = { branch: iso.branch, paths: await wt.unmergedPaths(cwd) };
    } else if (options.afterConflict) {
      // A merge needs a clean worktree; what an interrupted attempt left is kept as a commit.
      if (await wt.isDirty(cwd)) await wt.commitTaskWork(cwd, commitOptions(task, `work left before merging ${iso.branch}`));
      const merged = await wt.mergeTipIntoTask(cwd, iso.branch);
      conflict = { branch: iso.branch, paths: merged.kind === 'conflict' ? merged.paths : [] };
    }
    return {
      cwd,
      branch: made.branch,
      ...(conflict ? { conflict } : {}),
      async release(outcome) {
        // Kept worktrees are for the next attempt or for a person; `ccasp clean` removes them.
        if (outcome === 'integrated') await wt.removeTaskWorktree(iso.top, { planId, taskId: task.id });
      },
    };
  }

  async function integrate(task: Task, summary: string, ws: Workspace): Promise<Integration> {
    if (await wt.mergeInProgress(ws.cwd)) await wt.stageResolvedConflicts(ws.cwd);
    const committed = await wt.commitTaskWork(ws.cwd, commitOptions(task, summary));
    if (committed.kind === 'unresolved') return { kind: 'unresolved', branch: iso.branch, paths: committed.paths };
    const message = `Merge ${task.id}: ${task.title}\n\nCcasp-Task: ${task.id}\n`;
    const result = await wt.integrate(iso.top, { integrationBranch: iso.branch, taskBranch: ws.branch, message });
    switch (result.kind) {
      case 'integrated':
        integrated++;
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

  return { workspace, integrate, integrated: () => integrated };
}

/**
 * After a worktree run: the plan file's progress committed on the integration branch (when git tracks
 * it and a task was merged, so the branch's history says what the merges were for), and no empty
 * worktrees folder left. Returns warnings; a failure here loses nothing (the file stays as written).
 */
export async function finishWorktreeRun(iso: WorktreeIsolation, planName: string, integrated: number): Promise<string[]> {
  const warnings: string[] = [];
  const plan = iso.planFiles[0];
  if (integrated > 0 && plan !== undefined) {
    try {
      if (await wt.isTracked(iso.top, plan)) await wt.commitPaths(iso.top, [plan], `ccasp: progress of ${planName}\n`);
    } catch (error) {
      warnings.push(`could not commit ${plan} on ${iso.branch}: ${error instanceof Error ? error.message : String(error)}`);
    }
  }
  await removeEmptyWorktreesDir(iso.top);
  return warnings;
}

/** rmdir only succeeds on an empty folder: worktrees kept for blocked tasks, and Claude Code's own, stay. */
export async function removeEmptyWorktreesDir(top: string): Promise<void> {
  const dir = wt.worktreesDir(top);
  if (await rmdir(dir).then(() => true, () => false)) await rmdir(path.dirname(dir)).catch(() => undefined);
}
