import type { Phase, Plan, Task } from '../model.js';
import { phaseStatusOf } from '../progress.js';
import { slugify, toolPermissionsOf } from './fields.js';
import type { RawPlan, RawTask } from './schemas/canonical.js';
import { isObject, objectAt, readWith, setField, type PhasePatch, type PlanPatch, type PlanShapeReader, type PlanWriter } from './shape.js';

function toTask(raw: RawTask, at: string): Task {
  return {
    id: raw.id,
    title: raw.title,
    details: raw.details,
    files: raw.file === undefined ? [] : typeof raw.file === 'string' ? [raw.file] : raw.file,
    fileAt: raw.file === undefined ? [] : typeof raw.file === 'string' ? ['file'] : raw.file.map((_, k) => `file[${k}]`),
    domain: raw.domain,
    model: raw.model,
    simple: raw.complexity === 'simple',
    dependencies: raw.dependencies ?? [],
    verify: raw.verify,
    permissions: toolPermissionsOf(raw.permissions),
    status: raw.status,
    completedAt: raw.completedAt,
    completedBy: raw.completedBy,
    blocker: raw.blocker,
    attempts: raw.attempts,
    at,
    dependencyField: 'dependencies',
  };
}

function toPlan(p: RawPlan): Plan {
  const phases: Phase[] = p.phases.map((ph, i) => {
    const tasks = ph.tasks.map((t, j) => toTask(t, `phases[${i}].tasks[${j}]`));
    return {
      id: ph.id,
      name: ph.name,
      status: ph.status ?? phaseStatusOf(tasks.map((t) => t.status)),
      completedAt: ph.completedAt,
      tasks,
      at: `phases[${i}]`,
    };
  });
  return {
    id: p.plan_id ?? slugify(p.name),
    name: p.name,
    shape: 'canonical',
    status: p.status,
    completionPercentage: p.completion_percentage,
    github: p.github,
    maxParallel: p.max_parallel_agents,
    testCommand: p.test_command,
    worktreeSetup: p.worktree_setup,
    tokenLimit: p.token_limit,
    permissions: toolPermissionsOf(p.permissions),
    phases,
  };
}

export const canonicalShape: PlanShapeReader & PlanWriter = {
  shape: 'canonical',
  // The fallback: anything not recognised as another shape is read, and reported on, as canonical.
  matches: (raw) => isObject(raw),
  read: async (raw, file) => readWith((await import('./schemas/canonical.js')).plan, raw, file, toPlan, canonicalShape),
  writeTask(raw, phaseIndex, taskIndex, patch) {
    const t = objectAt(raw, ['phases', phaseIndex, 'tasks', taskIndex]);
    setField(t, 'status', patch.status);
    setField(t, 'completedAt', patch.completedAt);
    setField(t, 'completedBy', patch.completedBy);
    setField(t, 'blocker', patch.blocker);
    setField(t, 'attempts', patch.attempts);
  },
  writePhase: writeCanonicalPhase,
  writePlan: writeCanonicalPlan,
};

/** A phase's progress under the canonical names, which the phase-dev and /phase-dev-plan shapes use too. */
export function writeCanonicalPhase(raw: unknown, phaseIndex: number, patch: PhasePatch): void {
  const ph = objectAt(raw, ['phases', phaseIndex]);
  setField(ph, 'status', patch.status);
  setField(ph, 'completedAt', patch.completedAt);
}

/** The plan's progress under the canonical names, which the phase-dev and /phase-dev-plan shapes use too. */
export function writeCanonicalPlan(raw: unknown, patch: PlanPatch): void {
  const p = objectAt(raw, []);
  setField(p, 'status', patch.status);
  setField(p, 'completion_percentage', patch.completionPercentage);
}
