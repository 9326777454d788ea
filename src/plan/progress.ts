import { buildGraph } from './graph.js';
import { isDone, TASK_STATUSES, type Phase, type PhaseStatus, type Plan, type Task, type TaskStatus } from './model.js';

export interface PhaseProgress {
  readonly phase: Phase;
  readonly done: number;
  readonly total: number;
}

export interface PlanProgress {
  readonly counts: Readonly<Record<TaskStatus, number>>;
  readonly totalTasks: number;
  readonly doneTasks: number;
  readonly taskPercent: number;
  readonly donePhases: number;
  readonly phasePercent: number;
  readonly phases: readonly PhaseProgress[];
  /** The first phase not completed, or none when the plan is done. */
  readonly currentPhase?: Phase;
  /** Pending tasks of the current phase whose dependencies are all done: what runs next. */
  readonly ready: readonly Task[];
  readonly blocked: readonly Task[];
  readonly failed: readonly Task[];
}

export function percent(part: number, whole: number): number {
  return whole === 0 ? 100 : Math.round((part / whole) * 100);
}

/**
 * The one rule for a phase's status, read from a file without one and kept by a run: failed when a
 * task failed or the run aborted the phase; completed when every task is done (an empty phase has
 * nothing left to do); blocked when blocked tasks are all that is left; in progress once any task
 * moved.
 */
export function phaseStatusOf(tasks: readonly TaskStatus[], aborted = false): PhaseStatus {
  if (aborted || tasks.includes('failed')) return 'failed';
  if (tasks.every(isDone)) return 'completed';
  if (tasks.includes('blocked') && !tasks.some((s) => s === 'pending' || s === 'in_progress')) return 'blocked';
  return tasks.some((s) => s !== 'pending') ? 'in_progress' : 'pending';
}

/** A plan's status follows its phases as a phase's follows its tasks. */
export function planStatusOf(phases: readonly PhaseStatus[]): 'pending' | 'in_progress' | 'completed' {
  if (phases.every((s) => s === 'completed')) return 'completed';
  if (phases.every((s) => s === 'pending')) return 'pending';
  return 'in_progress';
}

/** The seed orchestrator's completion percentage: the share of phases completed. */
export function phasesPercent(phases: readonly PhaseStatus[]): number {
  return percent(phases.filter((s) => s === 'completed').length, phases.length);
}

export function planProgress(plan: Plan): PlanProgress {
  const counts = Object.fromEntries(TASK_STATUSES.map((s) => [s, 0])) as Record<TaskStatus, number>;
  const blocked: Task[] = [];
  const failed: Task[] = [];
  const phases = plan.phases.map((phase) => {
    let done = 0;
    for (const task of phase.tasks) {
      counts[task.status]++;
      if (isDone(task.status)) done++;
      if (task.status === 'blocked') blocked.push(task);
      if (task.status === 'failed') failed.push(task);
    }
    return { phase, done, total: phase.tasks.length };
  });
  const totalTasks = phases.reduce((n, p) => n + p.total, 0);
  const doneTasks = phases.reduce((n, p) => n + p.done, 0);
  const donePhases = plan.phases.filter((p) => p.status === 'completed').length;
  const currentPhase = plan.phases.find((p) => p.status !== 'completed');
  const graph = buildGraph(plan);
  const ready = (currentPhase?.tasks ?? []).filter(
    (t) => t.status === 'pending' && t.dependencies.every((d) => isDone(graph.tasks.get(d)?.status ?? 'pending')),
  );
  return {
    counts,
    totalTasks,
    doneTasks,
    taskPercent: percent(doneTasks, totalTasks),
    donePhases,
    phasePercent: percent(donePhases, plan.phases.length),
    phases,
    currentPhase,
    ready,
    blocked,
    failed,
  };
}
