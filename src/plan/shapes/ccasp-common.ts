import type * as z from 'zod';
import type { GithubLink, Phase, PhaseStatus, Plan, SystemStep, Task, TaskStatus } from '../model.js';
import { isDone } from '../model.js';
import { writeCanonicalPhase, writeCanonicalPlan } from './canonical.js';
import { phaseStatusOf } from '../progress.js';
import { toolPermissionsOf } from './fields.js';
import type { CcaspPhaseStatus, CcaspTaskStatus, FileEntries, PlanSettings } from './schemas/ccasp-fields.js';
import { isObject, objectAt, setField, type JsonObject, type PlanWriter, type TaskPatch } from './shape.js';

/**
 * What the CCASP toolkit's shapes have in common (see docs/ccasp-shapes.md): what its status words
 * (listed with the schemas, in ./schemas/ccasp-fields.ts) and its `completed` boolean mean, its
 * system tasks, and how it links a GitHub issue.
 */

interface ProgressFields extends StatusFields {
  readonly completedBy?: string | null;
  readonly blocker?: string | null;
  readonly attempts?: number;
  readonly permissions?: { allow?: string[] | undefined; deny?: string[] | undefined } | null;
}

/** The model's progress (and tool rules) of a task from `taskProgressFields`, given the time under the shape's own name. */
export function readTaskProgress(
  t: ProgressFields,
  completedAt: string | null | undefined,
): Pick<Task, 'status' | 'completedAt' | 'completedBy' | 'blocker' | 'attempts' | 'permissions'> {
  return {
    permissions: toolPermissionsOf(t.permissions),
    status: readTaskStatus(t),
    completedAt: completedAt ?? undefined,
    completedBy: t.completedBy ?? undefined,
    blocker: t.blocker ?? undefined,
    attempts: t.attempts,
  };
}

interface RawPhase<T> {
  readonly name: string;
  readonly status?: CcaspPhaseStatus | null;
  readonly tasks: readonly T[];
}

/**
 * The `i`th phase of a `phaseFields` schema in the model: each task read with where it sits in the
 * file, and the phase's status from CCASP's word for it or, without one, from its tasks.
 */
export function readPhase<T>(
  ph: RawPhase<T>,
  i: number,
  own: { readonly id: string; readonly completedAt: string | null | undefined },
  toTask: (t: T, at: string) => Task,
): Phase {
  const tasks = ph.tasks.map((t, j) => toTask(t, `phases[${i}].tasks[${j}]`));
  return {
    id: own.id,
    name: ph.name,
    status: readPhaseStatus(ph.status, tasks.map((t) => t.status)),
    completedAt: own.completedAt ?? undefined,
    tasks,
    at: `phases[${i}]`,
  };
}

/** The plan's own run settings, from `planSettings`. */
export function runSettings(p: PlanSettings): Pick<Plan, 'maxParallel' | 'testCommand' | 'permissions' | 'worktreeSetup'> {
  return {
    permissions: toolPermissionsOf(p.permissions),
    maxParallel: p.orchestration?.max_parallel_agents ?? undefined,
    worktreeSetup: p.orchestration?.worktree_setup ?? undefined,
    testCommand: p.testing_config?.ralph_loop?.testCommand ?? undefined,
  };
}

/** A task's `files` entries (a path, or an object with one) in the model. */
export function declaredFiles(files: FileEntries | null | undefined): Pick<Task, 'files' | 'fileAt'> {
  const entries = files ?? [];
  return {
    files: entries.map((f) => (typeof f === 'string' ? f : f.path)),
    fileAt: entries.map((f, k) => (typeof f === 'string' ? `files[${k}]` : `files[${k}].path`)),
  };
}

/** The first label that says something; CCASP often writes `""` for an empty description. */
export function firstText(...values: readonly unknown[]): string | undefined {
  return values.find((v): v is string => typeof v === 'string' && v.trim() !== '');
}

/** A task needs a title; `fields` are the shape's candidates for one, best first. */
export function needsLabel(fields: readonly [string, ...string[]]) {
  return (value: Record<string, unknown>, ctx: z.core.$RefinementCtx<Record<string, unknown>>): void => {
    if (firstText(...fields.map((f) => value[f])) !== undefined) return;
    ctx.addIssue({
      code: 'custom',
      path: [fields[0]],
      message: `a task needs a non-empty ${fields.length === 1 ? fields[0] : `${fields.slice(0, -1).join(', ')} or ${fields.at(-1)}`}`,
    });
  };
}

export interface StatusFields {
  readonly status?: CcaspTaskStatus | null;
  readonly completed?: boolean | null;
  readonly blocked?: boolean | null;
}

/**
 * CCASP readers disagree on whether the string or the boolean is the truth (`/phase-track` sets only
 * the boolean), so either one saying "done" wins.
 */
export function readTaskStatus(t: StatusFields): TaskStatus {
  // ccasp writes `completed: true` beside "skipped" for CCASP's gate; the flag alone would lose it.
  if (t.status === 'skipped') return 'skipped';
  if (t.completed === true) return 'completed';
  if (t.blocked === true) return 'blocked';
  switch (t.status) {
    case 'completed':
    case 'complete': // the progress-tracker hook's spelling
    case 'done':
      return 'completed';
    case 'in_progress':
    case 'active':
      return 'in_progress';
    case 'blocked':
      return 'blocked';
    case 'failed':
      return 'failed';
    default:
      return 'pending';
  }
}

export function readPhaseStatus(raw: CcaspPhaseStatus | null | undefined, tasks: readonly TaskStatus[]): PhaseStatus {
  const anyFailed = tasks.some((s) => s === 'failed');
  switch (raw) {
    case undefined:
    case null:
      return phaseStatusOf(tasks);
    case 'completed':
    case 'failed':
      return raw;
    case 'in_progress':
    case 'active':
    case 'paused':
      return 'in_progress';
    case 'partial':
      return anyFailed ? 'failed' : 'in_progress';
    case 'blocked':
      // The v3.0 generator marks every later phase `blocked` meaning "not unlocked yet".
      return anyFailed || tasks.some((s) => s === 'blocked') ? 'blocked' : 'pending';
    default:
      return 'pending';
  }
}

export function readPlanStatus(raw: string | null | undefined): string | undefined {
  if (raw === null || raw === undefined) return undefined;
  if (raw === 'not_started') return 'pending';
  if (raw === 'partial' || raw === 'active') return 'in_progress';
  return raw;
}

const ISSUE_URL = /github\.com\/([^/\s]+)\/([^/\s#?]+)\/issues\/(\d+)/;

/** No CCASP shape stores owner/repo as fields; the issue URL is the only place they appear. */
export function githubLink(issue: number | null | undefined, url: string | null | undefined): GithubLink | undefined {
  const match = typeof url === 'string' ? ISSUE_URL.exec(url) : null;
  const number = issue ?? (match ? Number(match[3]) : undefined);
  if (number === undefined) return undefined;
  return match ? { owner: match[1], repo: match[2], issue: number } : { issue: number };
}

export function completedPhasesPercent(phases: readonly Phase[]): number {
  if (phases.length === 0) return 0;
  return Math.round((100 * phases.filter((p) => p.status === 'completed').length) / phases.length);
}

const SYSTEM_ID = /^\d+\.(0-context-check|0-batch-plan|99-compact|99-gate)$/;
const CLOSING_ID = /^\d+\.99-/;
const STEPS: Readonly<Record<string, SystemStep>> = {
  '0-context-check': 'context-check',
  '0-batch-plan': 'batch-plan',
  '99-compact': 'compact',
  '99-gate': 'gate',
};

export function isSystemTaskId(id: unknown): boolean {
  return typeof id === 'string' && SYSTEM_ID.test(id);
}

export function systemStepOf(id: string, taskType: string | null | undefined): SystemStep | undefined {
  if (taskType === 'implementation') return undefined;
  const suffix = SYSTEM_ID.exec(id)?.[1];
  return suffix === undefined ? undefined : STEPS[suffix];
}

/**
 * CCASP's `N.99-*` tasks wait only on the phase's last implementation task, yet mean "after the whole
 * phase", and tasks added for enhancements break the chain. So each one also waits on every other task
 * of its phase, in the model only. Such an edge is left out when that task already waits on the
 * closing task: it would make a cycle the file does not have, and a graph check could then only point
 * at a dependency that is not in the file. Implicit edges go after the file's own, so the file's keep
 * their indexes in messages.
 */
export function closePhases(phases: readonly Phase[]): Phase[] {
  // The first task with an id is the one the graph uses; duplicates are reported there.
  const first = new Map<string, Task>();
  for (const phase of phases) for (const t of phase.tasks) if (!first.has(t.id)) first.set(t.id, t);
  const deps = new Map<string, string[]>();
  const waitingOn = new Map<string, string[]>();
  for (const t of first.values()) {
    deps.set(t.id, [...t.dependencies]);
    for (const d of t.dependencies) push(waitingOn, d, t.id);
  }
  let changed = false;
  for (const phase of phases) {
    for (const closing of phase.tasks) {
      if (!CLOSING_ID.test(closing.id) || first.get(closing.id) !== closing) continue;
      const after = reachers(closing.id, waitingOn);
      const own = deps.get(closing.id)!;
      const have = new Set(own);
      for (const other of phase.tasks) {
        if (CLOSING_ID.test(other.id) || have.has(other.id) || after.has(other.id)) continue;
        own.push(other.id);
        have.add(other.id);
        push(waitingOn, other.id, closing.id);
        changed = true;
      }
    }
  }
  if (!changed) return [...phases];
  return phases.map((phase) => ({
    ...phase,
    tasks: phase.tasks.map((t) => (first.get(t.id) === t && CLOSING_ID.test(t.id) ? { ...t, dependencies: deps.get(t.id)! } : t)),
  }));
}

/** Every task that waits on `id`, directly or not, found breadth-first so long chains cannot overflow. */
function reachers(id: string, waitingOn: ReadonlyMap<string, readonly string[]>): Set<string> {
  const seen = new Set<string>([id]);
  const queue = [id];
  for (let i = 0; i < queue.length; i++) {
    for (const next of waitingOn.get(queue[i]!) ?? []) {
      if (seen.has(next)) continue;
      seen.add(next);
      queue.push(next);
    }
  }
  return seen;
}

function push(map: Map<string, string[]>, key: string, value: string): void {
  const list = map.get(key);
  if (list) list.push(value);
  else map.set(key, [value]);
}

export interface TaskWriteOptions {
  /** `completedAt` (phase-dev, roadmap, /phase-dev-plan) or `completed_at` (vision). */
  readonly completedAtField: string;
  /** Whether every task carries a status string, or only states the shape's booleans cannot say. */
  readonly statusAlways: boolean;
}

// The roadmap shape's booleans say these on their own.
const BOOLEAN_STATES: ReadonlySet<TaskStatus> = new Set(['pending', 'completed', 'blocked']);

/**
 * Keeps the status string and the `completed` boolean in step, since CCASP readers each trust only one;
 * "complete" (the hook's spelling) is never written. Skipped counts as completed so CCASP's gate passes.
 */
export function writeCcaspTask(t: JsonObject, patch: TaskPatch, options: TaskWriteOptions): void {
  if (patch.status !== undefined) {
    if (options.statusAlways || 'status' in t || !BOOLEAN_STATES.has(patch.status)) t.status = patch.status;
    t.completed = isDone(patch.status);
    if (typeof t.blocked === 'boolean') t.blocked = patch.status === 'blocked';
  }
  setField(t, options.completedAtField, patch.completedAt);
  setField(t, 'completedBy', patch.completedBy);
  setField(t, 'blocker', patch.blocker);
  setField(t, 'attempts', patch.attempts);
}

/**
 * The writers of the shapes that keep a status string on every task beside its boolean, the time as
 * `completedAt`, and phase and plan progress under the canonical names: phase-dev and /phase-dev-plan.
 */
export const statusShapeWriters: PlanWriter = {
  writeTask(raw, phaseIndex, taskIndex, patch) {
    const t = objectAt(raw, ['phases', phaseIndex, 'tasks', taskIndex]);
    writeCcaspTask(t, patch, { completedAtField: 'completedAt', statusAlways: true });
  },
  writePhase: writeCanonicalPhase,
  writePlan: writeCanonicalPlan,
};

/** Like `setField`, but a key the shape keeps as `null` (e.g. `completed_at: null`) stays, as `null`. */
export function setNullable(target: JsonObject, key: string, value: unknown): void {
  if (value === null && key in target) target[key] = null;
  else setField(target, key, value);
}

export function tasksOf(raw: unknown): JsonObject[] {
  if (!isObject(raw) || !Array.isArray(raw.phases)) return [];
  return raw.phases.filter(isObject).flatMap((p) => (Array.isArray(p.tasks) ? p.tasks.filter(isObject) : []));
}

export function phasesOf(raw: unknown): JsonObject[] {
  return isObject(raw) && Array.isArray(raw.phases) ? raw.phases.filter(isObject) : [];
}
