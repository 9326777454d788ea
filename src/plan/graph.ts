import type { Problem } from '../errors.js';
import type { Plan, Task } from './model.js';

/** The plan's tasks as plain data: where each one lives and who waits on it. */
export interface TaskGraph {
  readonly tasks: ReadonlyMap<string, Task>;
  readonly phaseOf: ReadonlyMap<string, number>;
  readonly dependants: ReadonlyMap<string, readonly string[]>;
}

export function buildGraph(plan: Plan): TaskGraph {
  const tasks = new Map<string, Task>();
  const phaseOf = new Map<string, number>();
  const dependants = new Map<string, string[]>();
  plan.phases.forEach((phase, i) => {
    for (const task of phase.tasks) {
      if (tasks.has(task.id)) continue;
      tasks.set(task.id, task);
      phaseOf.set(task.id, i);
    }
  });
  for (const task of tasks.values()) {
    for (const dep of task.dependencies) {
      const list = dependants.get(dep);
      if (list) list.push(task.id);
      else dependants.set(dep, [task.id]);
    }
  }
  return { tasks, phaseOf, dependants };
}

/** Duplicate ids, unknown or self dependencies, dependencies on later phases, and cycles. */
export function checkGraph(plan: Plan, file: string): Problem[] {
  const problems: Problem[] = [];
  const phaseSeen = new Map<string, string>();
  for (const phase of plan.phases) {
    const first = phaseSeen.get(phase.id);
    if (first !== undefined) {
      problems.push({ file, path: `${phase.at}.id`, message: `duplicate phase id "${phase.id}" (first at ${first})` });
    } else phaseSeen.set(phase.id, phase.at);
  }

  const taskSeen = new Map<string, string>();
  for (const phase of plan.phases) {
    for (const task of phase.tasks) {
      const first = taskSeen.get(task.id);
      if (first !== undefined) {
        problems.push({ file, path: `${task.at}.id`, message: `duplicate task id "${task.id}" (first at ${first})` });
      } else taskSeen.set(task.id, task.at);
    }
  }

  const graph = buildGraph(plan);
  for (const task of graph.tasks.values()) {
    const ownPhase = graph.phaseOf.get(task.id) ?? 0;
    task.dependencies.forEach((dep, k) => {
      const path = `${task.at}.${task.dependencyField}[${k}]`;
      if (dep === task.id) {
        problems.push({ file, path, message: `task "${task.id}" depends on itself` });
        return;
      }
      const depPhase = graph.phaseOf.get(dep);
      if (depPhase === undefined) {
        problems.push({ file, path, message: `depends on unknown task "${dep}"` });
      } else if (depPhase > ownPhase) {
        const later = plan.phases[depPhase]?.id ?? String(depPhase);
        problems.push({
          file,
          path,
          message: `depends on "${dep}" in a later phase (${later}); phases run in order, so it could never become ready`,
        });
      }
    });
  }

  for (const cycle of findCycles(graph)) {
    const start = graph.tasks.get(cycle[0] ?? '');
    if (!start) continue;
    const next = cycle[1] ?? cycle[0];
    const k = start.dependencies.indexOf(next ?? '');
    problems.push({
      file,
      path: `${start.at}.${start.dependencyField}[${k}]`,
      message: `dependency cycle: ${[...cycle, cycle[0]].join(' → ')}`,
    });
  }
  return problems;
}

/**
 * Each cycle once, as the list of task ids along it, found with an iterative depth-first search so
 * that a 10,000-task chain cannot overflow the stack. Self-dependencies are reported elsewhere.
 */
export function findCycles(graph: TaskGraph): string[][] {
  return cyclesIn(graph.tasks.keys(), (id) => graph.tasks.get(id)?.dependencies);
}

/** The same search over any graph: `depsOf` answers undefined for an id that is not a node. */
export function cyclesIn(ids: Iterable<string>, depsOf: (id: string) => readonly string[] | undefined): string[][] {
  const state = new Map<string, 'open' | 'done'>();
  const cycles: string[][] = [];
  for (const root of ids) {
    if (state.has(root)) continue;
    const path: string[] = [];
    const stack: { id: string; next: number }[] = [{ id: root, next: 0 }];
    state.set(root, 'open');
    path.push(root);
    while (stack.length > 0) {
      const frame = stack[stack.length - 1]!;
      const deps = depsOf(frame.id) ?? [];
      if (frame.next >= deps.length) {
        state.set(frame.id, 'done');
        stack.pop();
        path.pop();
        continue;
      }
      const dep = deps[frame.next++]!;
      if (dep === frame.id || depsOf(dep) === undefined) continue;
      const seen = state.get(dep);
      if (seen === 'open') {
        cycles.push(path.slice(path.indexOf(dep)));
      } else if (seen === undefined) {
        state.set(dep, 'open');
        path.push(dep);
        stack.push({ id: dep, next: 0 });
      }
    }
  }
  return cycles;
}
