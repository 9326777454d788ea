import { buildGraph } from './graph.js';
import { isDone, TASK_STATUSES, type Phase, type Plan, type Task, type TaskStatus } from './model.js';

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
