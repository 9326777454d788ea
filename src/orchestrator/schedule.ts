import path from 'node:path';
import { buildGraph, type TaskGraph } from '../plan/graph.js';
import { isDone, type Plan, type Task, type TaskStatus } from '../plan/model.js';

export type StatusOf = (taskId: string) => TaskStatus;

/**
 * Which tasks may start, answered from the plan's fixed shape and the statuses it is given: it holds
 * no status of its own. Phases run in order; in the current phase a task is ready when it is pending
 * and its dependencies are done, and two running tasks never declare the same file.
 *
 * Of the ready tasks, the one with the longest chain of its phase's tasks waiting on it starts first
 * (plan order among equals): a phase ends when its longest chain does, so starting chains late leaves
 * one agent running alone at the end of the phase while the other slots stand empty.
 */
export class Schedule {
  readonly graph: TaskGraph;
  /** Per phase, its tasks in the order they should start. */
  private readonly startOrder: readonly (readonly Task[])[];

  constructor(readonly plan: Plan) {
    this.graph = buildGraph(plan);
    const chain = chainLengths(this.graph);
    this.startOrder = plan.phases.map((phase) =>
      phase.tasks
        .map((task, index) => ({ task, index, chain: chain.get(task.id) ?? 1 }))
        .sort((a, b) => b.chain - a.chain || a.index - b.index)
        .map((entry) => entry.task),
    );
  }

  /** Index of the first phase with a task not done, or -1 when the plan is complete. */
  currentPhase(statusOf: StatusOf): number {
    return this.plan.phases.findIndex((phase) => phase.tasks.some((t) => !isDone(statusOf(t.id))));
  }

  isReady(task: Task, statusOf: StatusOf): boolean {
    return statusOf(task.id) === 'pending' && task.dependencies.every((d) => isDone(statusOf(d)));
  }

  /**
   * Ready tasks of the phase that may start now beside `running` (which `statusOf` says are in
   * progress), in starting order, at most `slots`, none sharing a declared file with a running task or
   * with each other.
   */
  next(phaseIndex: number, statusOf: StatusOf, running: readonly Task[], slots: number): Task[] {
    const picked: Task[] = [];
    const busy = running.flatMap((t) => t.files.map(normaliseFile));
    for (const task of this.startOrder[phaseIndex] ?? []) {
      if (picked.length >= slots) break;
      if (!this.isReady(task, statusOf)) continue;
      const files = task.files.map(normaliseFile);
      if (files.some((f) => busy.some((b) => overlaps(f, b)))) continue;
      picked.push(task);
      busy.push(...files);
    }
    return picked;
  }

  /** Tasks of the phase that are neither done nor able to run: what keeps the phase open. */
  stuck(phaseIndex: number, statusOf: StatusOf): Task[] {
    return (this.plan.phases[phaseIndex]?.tasks ?? []).filter((t) => !isDone(statusOf(t.id)) && !this.isReady(t, statusOf));
  }
}

/**
 * Per task: 1 + the longest chain of dependants in the same phase (later phases wait for the whole
 * phase anyway). Without recursion, so a 10,000-task chain cannot overflow the stack; the graph is
 * acyclic (the plan was validated).
 */
function chainLengths(graph: TaskGraph): Map<string, number> {
  const length = new Map<string, number>();
  const sameDependants = (id: string) => (graph.dependants.get(id) ?? []).filter((d) => graph.phaseOf.get(d) === graph.phaseOf.get(id));
  for (const root of graph.tasks.keys()) {
    const stack = [root];
    while (stack.length > 0) {
      const id = stack[stack.length - 1]!;
      if (length.has(id)) {
        stack.pop();
        continue;
      }
      const dependants = sameDependants(id);
      const open = dependants.filter((d) => !length.has(d));
      if (open.length > 0) {
        stack.push(...open);
        continue;
      }
      length.set(id, 1 + dependants.reduce((longest, d) => Math.max(longest, length.get(d)!), 0));
      stack.pop();
    }
  }
  return length;
}

/** One spelling per path, so `src//a.ts`, `./src/a.ts` and `lib/../src/a.ts` are seen as the same file. */
export function normaliseFile(file: string): string {
  return path.posix.normalize(file.replace(/\\/g, '/')).replace(/^(\.\/)+/, '').replace(/\/+$/, '');
}

/** The same path, or one inside the other (a declared directory). */
export function overlaps(a: string, b: string): boolean {
  return a === b || a.startsWith(`${b}/`) || b.startsWith(`${a}/`);
}
