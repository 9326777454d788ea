import type { Integration, Workspace } from '../worktree/workspace.js';
import type { AttemptRecord } from '../state/schema.js';
import type { Verdict } from './judge.js';

/** The verdict once integration has been tried, and the conflicting files if there were any. */
export function afterIntegration(
  taskId: string,
  verdict: Extract<Verdict, { kind: 'completed' }>,
  result: Integration,
): { verdict: Verdict; conflictPaths?: readonly string[] } {
  switch (result.kind) {
    case 'integrated':
      return { verdict };
    case 'conflict':
      return {
        verdict: { kind: 'retry', reason: `conflict with ${result.branch} in ${result.paths.join(', ')}`, summary: verdict.summary },
        conflictPaths: result.paths,
      };
    case 'unresolved':
      return {
        verdict: { kind: 'retry', reason: `the merge of ${result.branch} still has conflict markers in ${result.paths.join(', ')}`, summary: verdict.summary },
        conflictPaths: result.paths,
      };
    case 'refused':
      return { verdict: { kind: 'blocked', blocker: result.reason, suggestedAction: result.suggestedAction || `then run \`ccasp unblock ${taskId}\`` } };
  }
}

/**
 * Whether the task's next attempt follows a conflict: the last attempt that ran to a verdict
 * conflicted. Read from the records, so that a run resumed after a kill knows it too.
 */
export function followsConflict(attempts: readonly AttemptRecord[]): boolean {
  const last = [...attempts].reverse().find((a) => a.outcome !== 'interrupted' && a.outcome !== 'rate-limited');
  return (last?.conflictPaths?.length ?? 0) > 0;
}

/** The blocker when retries ran out on a conflict: the files, and where the work is kept. */
export function conflictBlocker(taskId: string, attempts: number, paths: readonly string[], ws: Workspace): { blocker: string; suggestedAction: string } {
  return {
    blocker: `gave up after ${attempts} attempts: the work conflicts with the integration branch in ${paths.join(', ')}; it is kept in ${ws.cwd} (branch ${ws.branch})`,
    suggestedAction: `merge ${ws.branch} by hand (or resolve the files in that worktree), then run \`ccasp unblock ${taskId}\``,
  };
}

/** A blocked task's work stays in its worktree; the blocker's suggested action says where. */
export function keptWorkNote(ws: Workspace): string {
  return ` (its work is kept in ${ws.cwd}, branch ${ws.branch})`;
}
