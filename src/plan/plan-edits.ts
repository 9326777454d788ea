import type { Plan, Task } from './model.js';

/**
 * What a person changed in a plan file while a run kept it, judged between the file as ccasp last
 * wrote it and the file now. `taken` when the run can go on from the new file: the same phases and
 * tasks in the same places, and of the progress ccasp keeps only tasks newly set to skipped (given
 * as they now read); any other field (a title, details, files) may change. `refused` otherwise, with
 * the first change it cannot take.
 */
export type PlanEdits = { readonly kind: 'taken'; readonly skipped: readonly Task[] } | { readonly kind: 'refused'; readonly reason: string };

/** The progress ccasp keeps for each task; of these, a person may only set the status to skipped. */
const PROGRESS_FIELDS = ['status', 'completedAt', 'completedBy', 'blocker', 'attempts'] as const;

export function planEdits(before: Plan, after: Plan): PlanEdits {
  const refused = (reason: string): PlanEdits => ({ kind: 'refused', reason });
  if (after.shape !== before.shape) return refused(`it now reads as a ${after.shape} plan, not a ${before.shape} one`);
  if (after.id !== before.id) return refused(`its plan id changed from "${before.id}" to "${after.id}"`);
  const places =
    orderChanged(
      'phase',
      before.phases.map((p) => p.id),
      after.phases.map((p) => p.id),
    ) ??
    orderChanged(
      'task',
      before.phases.flatMap((p) => p.tasks.map((t) => t.id)),
      after.phases.flatMap((p) => p.tasks.map((t) => t.id)),
    ) ??
    phaseChanged(before, after);
  if (places) return refused(places);

  const skipped: Task[] = [];
  for (const [i, phase] of before.phases.entries()) {
    for (const [j, was] of phase.tasks.entries()) {
      const now = after.phases[i]!.tasks[j]!;
      const field = PROGRESS_FIELDS.find((f) => was[f] !== now[f]);
      if (field === undefined) continue;
      // The file said its agent was running: skipping it would leave that agent's work unaccounted for.
      if (now.status === 'skipped' && was.status === 'in_progress') return refused(`task "${now.id}" was set to skipped while its agent was running`);
      if (now.status === 'skipped' && was.status !== 'skipped') skipped.push(now);
      else return refused(`task "${now.id}": ${field === 'status' ? `its status changed from ${was.status} to ${now.status}` : `its ${field} changed`}`);
    }
  }
  return { kind: 'taken', skipped };
}

/** The first difference between two lists of ids: one removed, one added, or one moved. */
function orderChanged(kind: string, before: readonly string[], after: readonly string[]): string | undefined {
  const now = new Set(after);
  const was = new Set(before);
  const removed = before.filter((id) => !now.has(id));
  if (removed.length > 0) return `${kind} "${removed[0]}" was removed${more(removed)}`;
  const added = after.filter((id) => !was.has(id));
  if (added.length > 0) return `${kind} "${added[0]}" was added${more(added)}`;
  const k = before.findIndex((id, i) => after[i] !== id);
  return k < 0 ? undefined : `the ${kind}s were reordered ("${after[k]}" is now where "${before[k]}" was)`;
}

/** A task that moved to another phase, its order in the file otherwise the same. */
function phaseChanged(before: Plan, after: Plan): string | undefined {
  const phaseOf = new Map(before.phases.flatMap((p) => p.tasks.map((t) => [t.id, p.id] as const)));
  for (const phase of after.phases) {
    const task = phase.tasks.find((t) => phaseOf.get(t.id) !== phase.id);
    if (task) return `task "${task.id}" moved from phase "${phaseOf.get(task.id)}" to "${phase.id}"`;
  }
  return undefined;
}

function more(ids: readonly string[]): string {
  return ids.length > 1 ? ` (and ${ids.length - 1} more)` : '';
}
