import path from 'node:path';
import { buildGraph, type TaskGraph } from '../plan/graph.js';
import { isDone, type Plan, type Task, type TaskStatus } from '../plan/model.js';

/**
 * The books of a run, kept apart from running anything: which phase is current, which tasks are
 * ready, and which of those may start next to the ones already running. Pure; the loop asks it.
 */
export class Schedule {
  readonly graph: TaskGraph;
  private readonly statuses: Map<string, TaskStatus>;

  constructor(
    readonly plan: Plan,
    statuses: ReadonlyMap<string, TaskStatus>,
  ) {
    this.graph = buildGraph(plan);
    this.statuses = new Map(statuses);
  }

  status(taskId: string): TaskStatus {
    return this.statuses.get(taskId) ?? 'pending';
  }

  set(taskId: string, status: TaskStatus): void {
    this.statuses.set(taskId, status);
  }

  /** Index of the first phase with a task not done, or -1 when the plan is complete. */
  currentPhase(): number {
    return this.plan.phases.findIndex((p) => !p.tasks.every((t) => isDone(this.status(t.id))));
  }

  isReady(task: Task): boolean {
    return this.status(task.id) === 'pending' && task.dependencies.every((d) => isDone(this.status(d)));
  }

  /**
   * Ready tasks of the phase that may start now beside `running`, in plan order, at most `slots`,
   * none sharing a declared file with a running task or with each other.
   */
  next(phaseIndex: number, running: readonly Task[], slots: number): Task[] {
    const picked: Task[] = [];
    const busy = running.flatMap((t) => t.files.map(normaliseFile));
    for (const task of this.plan.phases[phaseIndex]?.tasks ?? []) {
      if (picked.length >= slots) break;
      if (!this.isReady(task) || running.some((r) => r.id === task.id)) continue;
      const files = task.files.map(normaliseFile);
      if (files.some((f) => busy.some((b) => overlaps(f, b)))) continue;
      picked.push(task);
      busy.push(...files);
    }
    return picked;
  }

  /** Tasks of the phase that are neither done nor able to run: what keeps the phase open. */
  stuck(phaseIndex: number): Task[] {
    return (this.plan.phases[phaseIndex]?.tasks ?? []).filter((t) => !isDone(this.status(t.id)) && !this.isReady(t));
  }
}

/** One spelling per path, so `src//a.ts`, `./src/a.ts` and `lib/../src/a.ts` are seen as the same file. */
export function normaliseFile(file: string): string {
  return path.posix.normalize(file.replace(/\\/g, '/')).replace(/^(\.\/)+/, '').replace(/\/+$/, '');
}

/** The same path, or one inside the other (a declared directory). */
export function overlaps(a: string, b: string): boolean {
  return a === b || a.startsWith(`${b}/`) || b.startsWith(`${a}/`);
}
