import { readFileSync } from 'node:fs';
import path from 'node:path';
import * as z from 'zod';
import type { GithubLink, Task } from '../model.js';
import { derivePhaseStatus } from './canonical.js';
import {
  ccaspSchemas,
  closePhases,
  firstText,
  githubLink,
  needsLabel,
  readPhaseStatus,
  readPlanStatus,
  readTaskProgress,
  runSettings,
  setNullable,
  systemStepOf,
  taskProgressFields,
  writeCcaspTask,
} from './ccasp-common.js';
import { isObject, objectAt, readWith, setField, type JsonObject, type PlanShapeReader } from './shape.js';

/**
 * Shape B: one roadmap phase per file, `.claude/roadmaps/<roadmap>/phase-N.json`, written by
 * `ccasp create-roadmap`. Tasks carry booleans, not a status; the file holds exactly one phase.
 */

const schemas = ccaspSchemas((fields) => {
  const { ccaspPhaseStatus, ccaspTaskStatus, dependencyList, issueNumber, nonEmptyString, optionalText, optionalTimestamp, planSettings } = fields;

  const task = z
    .looseObject({
      id: nonEmptyString,
      title: optionalText,
      description: optionalText,
      completed: z.boolean().nullish(),
      blocked: z.boolean().nullish(),
      // Always null from the generator; a single id is accepted as CCASP's tracker does.
      blockedBy: z.union([dependencyList, nonEmptyString]).nullish(),
      // Only ever written by ccasp, for states the booleans cannot say.
      status: ccaspTaskStatus.nullish(),
      ...taskProgressFields('completedAt'),
    })
    .superRefine(needsLabel(['description', 'title']));

  const phase = z.looseObject({
    name: nonEmptyString,
    status: ccaspPhaseStatus.nullish(),
    tasks: z.array(task),
  });

  const plan = z.looseObject({
    plan_id: nonEmptyString,
    phase_id: nonEmptyString,
    project_name: nonEmptyString,
    status: optionalText,
    metrics: z.looseObject({
      totalTasks: z.number().int().nonnegative().nullish(),
      completedTasks: z.number().int().nonnegative().nullish(),
    }),
    ...planSettings,
    started_at: optionalTimestamp,
    completed_at: optionalTimestamp,
    phases: z.array(phase).length(1, { message: 'a roadmap phase file holds exactly one phase' }),
  });

  /** The parent ROADMAP.json keeps the phase's GitHub issue; the phase file has none of its own. */
  const roadmapFile = z.looseObject({
    phases: z.array(
      z.looseObject({ phase_id: z.string(), github_issue_number: issueNumber.nullish(), github_issue_url: optionalText }),
    ),
  });

  return { task, plan, roadmapFile };
});

type RawTask = z.infer<ReturnType<typeof schemas>['task']>;

function issueFromRoadmap(file: string, phaseId: string): GithubLink | undefined {
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(path.join(path.dirname(file), 'ROADMAP.json'), 'utf8').replace(/^\ufeff/, ''));
  } catch {
    // A phase file copied away from its roadmap simply has no link.
    return undefined;
  }
  const parsed = schemas().roadmapFile.safeParse(raw);
  if (!parsed.success) return undefined;
  const entry = parsed.data.phases.find((p) => p.phase_id === phaseId);
  return entry ? githubLink(entry.github_issue_number, entry.github_issue_url) : undefined;
}

function toTask(t: RawTask, at: string): Task {
  const title = firstText(t.description, t.title) ?? t.id;
  const details = firstText(t.title) === undefined ? undefined : firstText(t.description);
  return {
    id: t.id,
    title,
    details: details === title ? undefined : details,
    files: [],
    simple: false,
    dependencies: typeof t.blockedBy === 'string' ? [t.blockedBy] : (t.blockedBy ?? []),
    ...readTaskProgress(t, t.completedAt),
    systemStep: systemStepOf(t.id, undefined),
    at,
    dependencyField: 'blockedBy',
  };
}

function percentOf(done: number, total: number): number {
  return total === 0 ? 0 : Math.round((100 * done) / total);
}

/** CCASP's tracker keeps `metrics.completedTasks` as the count of `completed: true` tasks. */
function recount(p: JsonObject): void {
  const tasks = objectAt(p, ['phases', 0]).tasks;
  if (!isObject(p.metrics) || !Array.isArray(tasks)) return;
  p.metrics.completedTasks = tasks.filter((t) => isObject(t) && t.completed === true).length;
}

function allCompleted(p: JsonObject): boolean {
  const tasks = objectAt(p, ['phases', 0]).tasks;
  return Array.isArray(tasks) && tasks.every((t) => isObject(t) && t.completed === true);
}

export const ccaspRoadmapShape: PlanShapeReader = {
  shape: 'ccasp-roadmap',
  matches(raw) {
    return (
      isObject(raw) &&
      typeof raw.plan_id === 'string' &&
      typeof raw.roadmap_id === 'string' &&
      typeof raw.roadmap_slug === 'string' &&
      typeof raw.phase_id === 'string' &&
      isObject(raw.metrics) &&
      Array.isArray(raw.phases) &&
      raw.phases.length === 1
    );
  },
  read: (raw, file) =>
    readWith(schemas().plan, raw, file, (p) => {
      const ph = p.phases[0]!;
      const tasks = ph.tasks.map((t, j) => toTask(t, `phases[0].tasks[${j}]`));
      const statuses = tasks.map((t) => t.status);
      // CCASP copies the status once at generation and never updates it; only ccasp's own writes count.
      const stale = !ph.status || ph.status === 'pending' || ph.status === 'not_started';
      const status = stale ? derivePhaseStatus(statuses) : readPhaseStatus(ph.status, statuses);
      const phases = closePhases([{ id: p.phase_id, name: ph.name, status, tasks, at: 'phases[0]', completedAt: p.completed_at ?? undefined }]);
      const total = p.metrics.totalTasks ?? tasks.length;
      const done = p.metrics.completedTasks ?? tasks.filter((t) => t.status === 'completed').length;
      return {
        id: p.plan_id,
        name: p.project_name,
        shape: 'ccasp-roadmap',
        status: readPlanStatus(p.status) ?? (p.completed_at ? 'completed' : p.started_at ? 'in_progress' : undefined),
        completionPercentage: percentOf(done, total),
        github: issueFromRoadmap(file, p.phase_id),
        ...runSettings(p),
        phases,
      };
    }),
  writeTask(raw, phaseIndex, taskIndex, patch) {
    const p = objectAt(raw, []);
    const t = objectAt(p, ['phases', phaseIndex, 'tasks', taskIndex]);
    writeCcaspTask(t, patch, { completedAtField: 'completedAt', statusAlways: false });
    recount(p);
    // As CCASP's completeTask does: a completion is also the plan's last update, and maybe its start or end.
    if (typeof patch.completedAt === 'string') {
      p.updated_at = patch.completedAt;
      if (p.started_at === null || p.started_at === undefined) p.started_at = patch.completedAt;
      if (allCompleted(p)) p.completed_at = patch.completedAt;
    }
  },
  writePhase(raw, phaseIndex, patch) {
    const p = objectAt(raw, []);
    setField(objectAt(p, ['phases', phaseIndex]), 'status', patch.status);
    // The file is the phase, so the phase's completion time is the file's `completed_at`.
    setNullable(p, 'completed_at', patch.completedAt);
  },
  writePlan(raw, patch) {
    const p = objectAt(raw, []);
    // No status field of its own: an extra key, read back above, that CCASP ignores.
    setField(p, 'status', patch.status);
    // The shape's percentage is `metrics.completedTasks ÷ totalTasks`, kept true by counting, not copied.
    if (patch.completionPercentage !== undefined) recount(p);
  },
};
