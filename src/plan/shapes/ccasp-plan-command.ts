import * as z from 'zod';
import type { Task } from '../model.js';
import {
  ccaspSchemas,
  closePhases,
  completedPhasesPercent,
  filePaths,
  firstText,
  githubLink,
  needsLabel,
  phaseFields,
  readPhase,
  readPlanStatus,
  readTaskProgress,
  runSettings,
  statusShapeWriters,
  systemStepOf,
  taskProgressFields,
  tasksOf,
} from './ccasp-common.js';
import { isObject, readWith, type PlanShapeReader } from './shape.js';

/**
 * Shape B′: `.claude/phase-plans/<slug>/PROGRESS.json` as an LLM writes it from the `/phase-dev-plan`
 * command's example. No generator stands behind it, so expect variation: tasks are `{id, description,
 * completed}` and anything else is optional.
 */

const schemas = ccaspSchemas((fields) => {
  const { ccaspTaskStatus, dependencyList, fileEntries, nonEmptyString, optionalText, planIssue, planProgress, planSettings } = fields;

  const task = z
    .looseObject({
      id: nonEmptyString,
      title: optionalText,
      description: optionalText,
      completed: z.boolean().nullish(),
      blocked: z.boolean().nullish(),
      status: ccaspTaskStatus.nullish(),
      // `/phase-track` honours either name when an LLM adds one.
      blockedBy: dependencyList.nullish(),
      depends_on: dependencyList.nullish(),
      files: fileEntries.nullish(),
      ...taskProgressFields('completedAt'),
    })
    .superRefine(needsLabel(['description', 'title']));

  const phase = z.looseObject({ id: z.union([z.number(), nonEmptyString]), ...phaseFields('completedAt', task) });

  const plan = z.looseObject({
    plan_id: nonEmptyString,
    project: z.looseObject({ name: nonEmptyString }),
    ...planProgress,
    ...planIssue,
    ...planSettings,
    phases: z.array(phase),
  });

  return { task, plan };
});

type RawTask = z.infer<ReturnType<typeof schemas>['task']>;

function toTask(t: RawTask, at: string): Task {
  const title = firstText(t.title, t.description) ?? t.id;
  const details = firstText(t.description);
  const field = t.blockedBy === undefined && t.depends_on !== undefined ? 'depends_on' : 'blockedBy';
  return {
    id: t.id,
    title,
    details: details === title ? undefined : details,
    files: filePaths(t.files),
    simple: false,
    dependencies: (field === 'blockedBy' ? t.blockedBy : t.depends_on) ?? [],
    ...readTaskProgress(t, t.completedAt),
    systemStep: systemStepOf(t.id, undefined),
    at,
    dependencyField: field,
  };
}

export const ccaspPlanCommandShape: PlanShapeReader = {
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
  read: (raw, file) =>
    readWith(schemas().plan, raw, file, (p) => {
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
    }),
  ...statusShapeWriters,
};
