import type { Task } from '../model.js';
import {
  closePhases,
  completedPhasesPercent,
  declaredFiles,
  firstText,
  githubLink,
  readPhase,
  readPlanStatus,
  readTaskProgress,
  runSettings,
  statusShapeWriters,
  systemStepOf,
  tasksOf,
} from './ccasp-common.js';
import { isObject, readWith, type PlanShapeReader, type PlanWriter } from './shape.js';
import type { RawTask } from './schemas/ccasp-plan-command.js';

/**
 * Shape B′: `.claude/phase-plans/<slug>/PROGRESS.json` as an LLM writes it from the `/phase-dev-plan`
 * command's example. No generator stands behind it, so expect variation: tasks are `{id, description,
 * completed}` and anything else is optional.
 */

function toTask(t: RawTask, at: string): Task {
  const title = firstText(t.title, t.description) ?? t.id;
  const details = firstText(t.description);
  const field = t.blockedBy === undefined && t.depends_on !== undefined ? 'depends_on' : 'blockedBy';
  return {
    id: t.id,
    title,
    details: details === title ? undefined : details,
    ...declaredFiles(t.files),
    simple: false,
    dependencies: (field === 'blockedBy' ? t.blockedBy : t.depends_on) ?? [],
    ...readTaskProgress(t, t.completedAt),
    systemStep: systemStepOf(t.id, undefined),
    at,
    dependencyField: field,
  };
}

export const ccaspPlanCommandShape: PlanShapeReader & PlanWriter = {
  shape: 'ccasp-plan-command',
  matches(raw) {
    // The example's tasks have no status; ccasp adds one on write-back, so its absence is not required.
    return (
      isObject(raw) &&
      typeof raw.plan_id === 'string' &&
      isObject(raw.project) &&
      !('roadmap_id' in raw) &&
      tasksOf(raw).some((t) => typeof t.id === 'string' && typeof t.completed === 'boolean')
    );
  },
  read: async (raw, file) =>
    readWith((await import('./schemas/ccasp-plan-command.js')).plan, raw, file, (p) => {
      const phases = closePhases(p.phases.map((ph, i) => readPhase(ph, i, { id: String(ph.id), completedAt: ph.completedAt }, toTask)));
      return {
        id: p.plan_id,
        name: p.project.name,
        shape: 'ccasp-plan-command',
        status: readPlanStatus(p.status),
        completionPercentage: p.completion_percentage ?? completedPhasesPercent(phases),
        github: githubLink(p.github_issue, p.github_issue_url),
        ...runSettings(p),
        phases,
      };
    }, ccaspPlanCommandShape),
  ...statusShapeWriters,
};
