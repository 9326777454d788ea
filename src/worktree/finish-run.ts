import { commitPaths } from './integrate.js';
import { removeEmptyWorktreesDir } from './clean.js';
import type { WorktreeIsolation } from './isolation.js';
import { isTracked } from './repo.js';

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
      if (await isTracked(iso.top, plan)) await commitPaths(iso.top, [plan], `ccasp: progress of ${planName}\n`);
    } catch (error) {
      warnings.push(`could not commit ${plan} on ${iso.branch}: ${error instanceof Error ? error.message : String(error)}`);
    }
  }
  await removeEmptyWorktreesDir(iso.top);
  return warnings;
}
