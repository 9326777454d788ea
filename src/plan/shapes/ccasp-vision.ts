import * as z from 'zod';
import { once } from '../lazy.js';
import type { Phase, Plan, Task } from '../model.js';
import { zodProblems } from '../zod-problems.js';
import {
  ccaspFieldSchemas,
  firstText,
  githubLink,
  needsLabel,
  readPhaseStatus,
  readPlanStatus,
  readTaskStatus,
  tasksOf,
  writeCcaspTask,
} from './ccasp-common.js';
import { fieldSchemas } from './fields.js';
import { isObject, objectAt, setField, type PlanShapeReader } from './shape.js';

/**
 * Shape C: the vision planner's `.claude/phase-plans/<slug>/PROGRESS.json`. Task ids are numbers that
 * restart in every phase, so the model's id is `"<phase id>.<task id>"`; the file's numbers are never
 * rewritten, since CCASP finds tasks by them with `===`.
 */

// Built on the first read of such a plan, not at import: see `once`.
const schemas = once(() => {
  const { attemptCount, nonEmptyString } = fieldSchemas();
  const {
    ccaspPhaseStatus,
    ccaspTaskStatus,
    issueNumber,
    optionalText,
    optionalTimestamp,
    orchestration,
    percentage,
    testingConfig,
  } = ccaspFieldSchemas();

  const rawId = z.union([z.number().int().nonnegative(), nonEmptyString], {
    error: 'expected a whole-number id (or a non-empty string)',
  });

  const task = z
    .looseObject({
      id: rawId,
      name: optionalText,
      title: optionalText,
      description: optionalText,
      status: ccaspTaskStatus.nullish(),
      completed: z.boolean().nullish(),
      // The planner writes no dependencies; ones added by hand name tasks of the same phase.
      blockedBy: z.array(rawId).nullish(),
      completed_at: optionalTimestamp,
      completedBy: optionalText,
      blocker: optionalText,
      attempts: attemptCount.optional(),
    })
    .superRefine(needsLabel(['name', 'title', 'description']));

  const phase = z.looseObject({
    id: rawId,
    name: nonEmptyString,
    status: ccaspPhaseStatus.nullish(),
    completed_at: optionalTimestamp,
    tasks: z.array(task),
  });

  const plan = z.looseObject({
    slug: nonEmptyString,
    project: z.looseObject({ name: nonEmptyString }),
    status: optionalText,
    completion_percentage: percentage.nullish(),
    github_issue: issueNumber.nullish(),
    github_issue_url: optionalText,
    orchestration,
    testing_config: testingConfig,
    phases: z.array(phase),
  });

  return { task, plan };
});

type RawTask = z.infer<ReturnType<typeof schemas>['task']>;

/** A reference to another task: a bare number is in the same phase; `"2.3"` is already qualified. */
function qualify(phaseId: string, ref: number | string): string {
  return typeof ref === 'string' && ref.includes('.') ? ref : `${phaseId}.${ref}`;
}

function toTask(t: RawTask, phaseId: string, at: string): Task {
  const title = firstText(t.name, t.title, t.description) ?? String(t.id);
  const details = firstText(t.description);
  return {
    id: qualify(phaseId, t.id),
    title,
    details: details === title ? undefined : details,
    files: [],
    simple: false,
    dependencies: (t.blockedBy ?? []).map((ref) => qualify(phaseId, ref)),
    status: readTaskStatus(t),
    completedAt: t.completed_at ?? undefined,
    completedBy: t.completedBy ?? undefined,
    blocker: t.blocker ?? undefined,
    attempts: t.attempts,
    at,
    dependencyField: 'blockedBy',
  };
}

/** The planner's word for a phase or plan not yet begun, which its views look for. */
function ownStatus(status: string | undefined): string | undefined {
  return status === 'pending' ? 'not_started' : status;
}

export const ccaspVisionShape: PlanShapeReader = {
  shape: 'ccasp-vision',
  matches(raw) {
    if (!isObject(raw)) return false;
    const project = raw.project;
    const metadata = raw.metadata;
    if (
      typeof raw.slug === 'string' &&
      isObject(project) &&
      typeof project.name === 'string' &&
      isObject(metadata) &&
      typeof metadata.vision_slug === 'string'
    ) {
      return true;
    }
    return tasksOf(raw).some(
      (t) => typeof t.id === 'number' && typeof t.name === 'string' && typeof t.status === 'string' && typeof t.completed === 'boolean',
    );
  },
  read(raw, file) {
    const parsed = schemas().plan.safeParse(raw);
    if (!parsed.success) return { ok: false, problems: zodProblems(file, parsed.error) };
    const p = parsed.data;
    const phases: Phase[] = p.phases.map((ph, i) => {
      const id = String(ph.id);
      const tasks = ph.tasks.map((t, j) => toTask(t, id, `phases[${i}].tasks[${j}]`));
      return {
        id,
        name: ph.name,
        status: readPhaseStatus(ph.status, tasks.map((t) => t.status)),
        completedAt: ph.completed_at ?? undefined,
        tasks,
        at: `phases[${i}]`,
      };
    });
    const result: Plan = {
      id: p.slug,
      name: p.project.name,
      shape: 'ccasp-vision',
      status: readPlanStatus(p.status),
      completionPercentage: p.completion_percentage ?? undefined,
      github: githubLink(p.github_issue, p.github_issue_url),
      maxParallel: p.orchestration?.max_parallel_agents ?? undefined,
      testCommand: p.testing_config?.ralph_loop?.testCommand ?? undefined,
      phases,
    };
    return { ok: true, plan: result };
  },
  writeTask(raw, phaseIndex, taskIndex, patch) {
    const ph = objectAt(raw, ['phases', phaseIndex]);
    writeCcaspTask(objectAt(ph, ['tasks', taskIndex]), patch, { completedAtField: 'completed_at', statusAlways: true });
    if (patch.status === undefined || !Array.isArray(ph.tasks)) return;
    // The planner's views show each phase's own percentage, which CCASP's sync keeps beside the tasks.
    const done = ph.tasks.filter((t) => isObject(t) && (t.completed === true || t.status === 'completed')).length;
    ph.completion_percentage = ph.tasks.length === 0 ? 0 : Math.round((100 * done) / ph.tasks.length);
  },
  writePhase(raw, phaseIndex, patch) {
    const ph = objectAt(raw, ['phases', phaseIndex]);
    setField(ph, 'status', ownStatus(patch.status));
    setField(ph, 'completed_at', patch.completedAt);
  },
  writePlan(raw, patch) {
    const p = objectAt(raw, []);
    setField(p, 'status', ownStatus(patch.status));
    setField(p, 'completion_percentage', patch.completionPercentage);
  },
};
