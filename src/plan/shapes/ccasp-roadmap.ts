import path from 'node:path';
import { readRegularTextSync } from '../../regular-file.js';
import type { GithubLink, Task } from '../model.js';
import { phaseStatusOf } from '../progress.js';
import {
  closePhases,
  firstText,
  githubLink,
  readPhaseStatus,
  readPlanStatus,
  readTaskProgress,
  runSettings,
  setNullable,
  systemStepOf,
  writeCcaspTask,
} from './ccasp-common.js';
import { isObject, objectAt, readWith, setField, type JsonObject, type PlanShapeReader, type PlanWriter } from './shape.js';
import type { RawTask, RoadmapFileSchema } from './schemas/ccasp-roadmap.js';

/**
 * Shape B: one roadmap phase per file, `.claude/roadmaps/<roadmap>/phase-N.json`, written by
 * `ccasp create-roadmap`. Tasks carry booleans, not a status; the file holds exactly one phase.
 */

function issueFromRoadmap(schema: RoadmapFileSchema, file: string, phaseId: string): GithubLink | undefined {
  // A phase file copied away from its roadmap simply has no link.
  const text = readRegularTextSync(path.join(path.dirname(file), 'ROADMAP.json'));
  if (text === undefined) return undefined;
  let raw: unknown;
  try {
    raw = JSON.parse(text.replace(/^\ufeff/, ''));
  } catch {
    return undefined;
  }
  const parsed = schema.safeParse(raw);
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
    fileAt: [],
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

export const ccaspRoadmapShape: PlanShapeReader & PlanWriter = {
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
  read: async (raw, file) => {
    const { plan, roadmapFile } = await import('./schemas/ccasp-roadmap.js');
    return readWith(plan, raw, file, (p) => {
      const ph = p.phases[0]!;
      const tasks = ph.tasks.map((t, j) => toTask(t, `phases[0].tasks[${j}]`));
      const statuses = tasks.map((t) => t.status);
      // CCASP copies the status once at generation and never updates it; only ccasp's own writes count.
      const stale = !ph.status || ph.status === 'pending' || ph.status === 'not_started';
      const status = stale ? phaseStatusOf(statuses) : readPhaseStatus(ph.status, statuses);
      const phases = closePhases([{ id: p.phase_id, name: ph.name, status, tasks, at: 'phases[0]', completedAt: p.completed_at ?? undefined }]);
      const total = p.metrics.totalTasks ?? tasks.length;
      const done = p.metrics.completedTasks ?? tasks.filter((t) => t.status === 'completed').length;
      return {
        id: p.plan_id,
        name: p.project_name,
        shape: 'ccasp-roadmap',
        status: readPlanStatus(p.status) ?? (p.completed_at ? 'completed' : p.started_at ? 'in_progress' : undefined),
        completionPercentage: percentOf(done, total),
        github: issueFromRoadmap(roadmapFile, file, p.phase_id),
        ...runSettings(p),
        phases,
      };
    }, ccaspRoadmapShape);
  },
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
