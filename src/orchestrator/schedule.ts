import path from 'node:path';
import { buildGraph, type TaskGraph } from '../plan/graph.js';
import { isDone, type Plan, type Task, type TaskStatus } from '../plan/model.js';

/**
 * The books of a run, kept apart from running anything: which phase is current, which tasks are
 * ready, and which of those may start next to the ones already running. Pure; the loop asks it.
 *
 * The loop asks after every task that ends, so the answers are kept up to date as statuses change
 * rather than found by reading the plan: each task counts its dependencies not yet done, each phase
 * its tasks not done and its ready tasks in the order they should start. Task ids are unique (the
 * plan was validated).
 *
 * Of the ready tasks, the one with the longest chain of tasks in its phase waiting on it starts
 * first (plan order among equals): a phase ends when its longest chain does, so starting chains
 * late leaves one agent running alone at the end of the phase while the other slots stand empty.
 */
export class Schedule {
  readonly graph: TaskGraph;
  private readonly statuses: Map<string, TaskStatus>;
  /** Per task: how many of its dependencies (as often as listed) are not done. */
  private readonly waiting = new Map<string, number>();
  private readonly position = new Map<string, { readonly phase: number; readonly index: number }>();
  /** Per phase: the indexes of its ready tasks, in the order they should start (see `precedes`). */
  private readonly ready: number[][];
  /** Per phase, per task index: the longest chain of the phase's tasks that waits on it, itself included. */
  private readonly chain: number[][];
  private readonly notDone: number[];
  private agentTasksOpen = 0;

  constructor(
    readonly plan: Plan,
    statuses: ReadonlyMap<string, TaskStatus>,
  ) {
    this.graph = buildGraph(plan);
    this.statuses = new Map(statuses);
    this.chain = chainLengths(plan, this.graph);
    this.ready = plan.phases.map(() => []);
    this.notDone = plan.phases.map(() => 0);
    plan.phases.forEach((phase, p) => {
      phase.tasks.forEach((task, index) => {
        this.position.set(task.id, { phase: p, index });
        this.waiting.set(task.id, task.dependencies.filter((d) => !isDone(this.status(d))).length);
        const status = this.status(task.id);
        if (!isDone(status)) this.notDone[p]!++;
        if (isOpen(task, status)) this.agentTasksOpen++;
        if (this.isReady(task)) this.ready[p]!.push(index);
      });
    });
    this.ready.forEach((list, p) => list.sort((a, b) => (this.precedes(p, a, b) ? -1 : 1)));
  }

  status(taskId: string): TaskStatus {
    return this.statuses.get(taskId) ?? 'pending';
  }

  set(taskId: string, status: TaskStatus): void {
    const before = this.status(taskId);
    if (before === status) return;
    this.statuses.set(taskId, status);
    const task = this.graph.tasks.get(taskId);
    if (task && isOpen(task, before) !== isOpen(task, status)) this.agentTasksOpen += isOpen(task, status) ? 1 : -1;
    if (isDone(before) !== isDone(status)) {
      const at = this.position.get(taskId);
      if (at) this.notDone[at.phase]! += isDone(status) ? -1 : 1;
      for (const dependant of this.graph.dependants.get(taskId) ?? []) {
        this.waiting.set(dependant, (this.waiting.get(dependant) ?? 0) + (isDone(status) ? -1 : 1));
        this.placeReady(dependant);
      }
    }
    this.placeReady(taskId);
  }

  /** Index of the first phase with a task not done, or -1 when the plan is complete. */
  currentPhase(): number {
    return this.notDone.findIndex((n) => n > 0);
  }

  isReady(task: Task): boolean {
    return this.status(task.id) === 'pending' && task.dependencies.every((d) => isDone(this.status(d)));
  }

  /** Agent tasks (not CCASP system steps) pending or running: what a cost budget is shared among. */
  agentTasksLeft(): number {
    return this.agentTasksOpen;
  }

  /**
   * Ready tasks of the phase that may start now beside `running`, in plan order, at most `slots`,
   * none sharing a declared file with a running task or with each other.
   */
  next(phaseIndex: number, running: readonly Task[], slots: number): Task[] {
    const picked: Task[] = [];
    const tasks = this.plan.phases[phaseIndex]?.tasks ?? [];
    const runningIds = new Set(running.map((t) => t.id));
    const busy = running.flatMap((t) => t.files.map(normaliseFile));
    for (const index of this.ready[phaseIndex] ?? []) {
      if (picked.length >= slots) break;
      const task = tasks[index]!;
      if (runningIds.has(task.id)) continue;
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

  /** Whether task `a` of the phase should start before task `b`. */
  private precedes(phase: number, a: number, b: number): boolean {
    const chain = this.chain[phase]!;
    return chain[a]! > chain[b]! || (chain[a] === chain[b] && a < b);
  }

  /** Puts the task in or takes it out of its phase's ready list, which stays in starting order. */
  private placeReady(taskId: string): void {
    const at = this.position.get(taskId);
    if (!at) return;
    const list = this.ready[at.phase]!;
    const ready = this.status(taskId) === 'pending' && this.waiting.get(taskId) === 0;
    let lo = 0;
    let hi = list.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (this.precedes(at.phase, list[mid]!, at.index)) lo = mid + 1;
      else hi = mid;
    }
    const present = list[lo] === at.index;
    if (ready && !present) list.splice(lo, 0, at.index);
    else if (!ready && present) list.splice(lo, 1);
  }
}

/**
 * Per phase, per task: 1 + the longest chain of dependants in the same phase (later phases wait
 * for the whole phase anyway). Without recursion, so a 10,000-task chain cannot overflow the stack;
 * the graph is acyclic (the plan was validated).
 */
function chainLengths(plan: Plan, graph: TaskGraph): number[][] {
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
  return plan.phases.map((phase) => phase.tasks.map((t) => length.get(t.id) ?? 1));
}

function isOpen(task: Task, status: TaskStatus): boolean {
  return !task.systemStep && (status === 'pending' || status === 'in_progress');
}

/** One spelling per path, so `src//a.ts`, `./src/a.ts` and `lib/../src/a.ts` are seen as the same file. */
export function normaliseFile(file: string): string {
  return path.posix.normalize(file.replace(/\\/g, '/')).replace(/^(\.\/)+/, '').replace(/\/+$/, '');
}

/** The same path, or one inside the other (a declared directory). */
export function overlaps(a: string, b: string): boolean {
  return a === b || a.startsWith(`${b}/`) || b.startsWith(`${a}/`);
}
