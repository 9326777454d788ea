import type { Task } from '../model.js';
import {
  firstText,
  githubLink,
  readPhase,
  readPlanStatus,
  readTaskProgress,
  runSettings,
  tasksOf,
  writeCcaspTask,
} from './ccasp-common.js';
import { isObject, objectAt, readWith, setField, type PlanShapeReader, type PlanWriter } from './shape.js';
import type { RawTask } from './schemas/ccasp-vision.js';

/**
 * Shape C: the vision planner's `.claude/phase-plans/<slug>/PROGRESS.json`. Task ids are numbers that
 * restart in every phase, so the model's id is `"<phase id>.<task id>"`; the file's numbers are never
 * rewritten, since CCASP finds tasks by them with `===`.
 */

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
    fileAt: [],
    simple: false,
    dependencies: (t.blockedBy ?? []).map((ref) => qualify(phaseId, ref)),
    ...readTaskProgress(t, t.completed_at),
    at,
    dependencyField: 'blockedBy',
  };
}

/** The planner's word for a phase or plan not yet begun, which its views look for. */
function ownStatus(status: string | undefined): string | undefined {
  return status === 'pending' ? 'not_started' : status;
}

export const ccaspVisionShape: PlanShapeReader & PlanWriter = {
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
  read: async (raw, file) =>
    readWith((await import('./schemas/ccasp-vision.js')).plan, raw, file, (p) => ({
      id: p.slug,
      name: p.project.name,
      shape: 'ccasp-vision',
      status: readPlanStatus(p.status),
      completionPercentage: p.completion_percentage ?? undefined,
      github: githubLink(p.github_issue, p.github_issue_url),
      ...runSettings(p),
      phases: p.phases.map((ph, i) => {
        const id = String(ph.id);
        return readPhase(ph, i, { id, completedAt: ph.completed_at }, (t, at) => toTask(t, id, at));
      }),
    }), ccaspVisionShape),
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
