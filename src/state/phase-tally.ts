import { TASK_STATUSES, type PhaseStatus, type Plan, type TaskStatus } from '../plan/model.js';

type Counts = Record<TaskStatus, number>;

/**
 * How many of each phase's tasks are in each status, moved along as statuses change, so that a
 * phase's status after a task's change is known without reading every task of the phase.
 */
export class PhaseTally {
  private readonly counts: Counts[];
  private readonly sizes: number[];
  private readonly phaseOf = new Map<string, number>();

  constructor(plan: Plan, statuses: ReadonlyMap<string, TaskStatus>) {
    this.counts = plan.phases.map(() => Object.fromEntries(TASK_STATUSES.map((s) => [s, 0])) as Counts);
    this.sizes = plan.phases.map((p) => p.tasks.length);
    plan.phases.forEach((phase, i) => {
      for (const task of phase.tasks) {
        if (!this.phaseOf.has(task.id)) this.phaseOf.set(task.id, i);
        this.counts[i]![statuses.get(task.id) ?? task.status]++;
      }
    });
  }

  moved(taskId: string, from: TaskStatus, to: TaskStatus): void {
    const counts = this.counts[this.phaseOf.get(taskId) ?? -1];
    if (!counts || from === to) return;
    counts[from]--;
    counts[to]++;
  }

  /** The phase's status from its tasks' statuses, or `failed` when the phase was aborted. */
  status(index: number, failed: boolean): PhaseStatus {
    const c = this.counts[index];
    const size = this.sizes[index] ?? 0;
    if (!c) return 'pending';
    if (failed || c.failed > 0) return 'failed';
    if (c.completed + c.skipped === size) return 'completed';
    if (c.blocked > 0 && c.pending + c.in_progress === 0) return 'blocked';
    if (c.pending < size) return 'in_progress';
    return 'pending';
  }
}
