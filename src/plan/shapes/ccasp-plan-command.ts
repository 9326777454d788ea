import * as z from 'zod';
import { once } from '../lazy.js';
import type { Phase, Plan, Task } from '../model.js';
import { zodProblems } from '../zod-problems.js';
import {
  ccaspFieldSchemas,
  closePhases,
  completedPhasesPercent,
  filePaths,
  firstText,
  githubLink,
  needsLabel,
  readPhaseStatus,
  readPlanStatus,
  readTaskStatus,
  systemStepOf,
  tasksOf,
  writeCcaspTask,
} from './ccasp-common.js';
import { fieldSchemas } from './fields.js';
import { isObject, objectAt, setField, type PlanShapeReader } from './shape.js';

/**
 * Shape B′: `.claude/phase-plans/<slug>/PROGRESS.json` as an LLM writes it from the `/phase-dev-plan`
 * command's example. No generator stands behind it, so expect variation: tasks are `{id, description,
 * completed}` and anything else is optional.
 */

// Built on the first read of such a plan, not at import: see `once`.
const schemas = once(() => {
  const { attemptCount, nonEmptyString } = fieldSchemas();
  const {
    ccaspPhaseStatus,
    ccaspTaskStatus,
    dependencyList,
    fileEntries,
    issueNumber,
    optionalText,
    optionalTimestamp,
    orchestration,
    percentage,
    testingConfig,
  } = ccaspFieldSchemas();

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
      completedAt: optionalTimestamp,
      completedBy: optionalText,
      blocker: optionalText,
      attempts: attemptCount.optional(),
    })
    .superRefine(needsLabel(['description', 'title']));

  const phase = z.looseObject({
    id: z.union([z.number(), nonEmptyString]),
    name: nonEmptyString,
    status: ccaspPhaseStatus.nullish(),
    completedAt: optionalTimestamp,
    tasks: z.array(task),
  });

  const plan = z.looseObject({
    plan_id: nonEmptyString,
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
    status: readTaskStatus(t),
    completedAt: t.completedAt ?? undefined,
    completedBy: t.completedBy ?? undefined,
    blocker: t.blocker ?? undefined,
    attempts: t.attempts,
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
  read(raw, file) {
    const parsed = schemas().plan.safeParse(raw);
    if (!parsed.success) return { ok: false, problems: zodProblems(file, parsed.error) };
    const p = parsed.data;
    const phases: Phase[] = closePhases(
      p.phases.map((ph, i) => {
        const tasks = ph.tasks.map((t, j) => toTask(t, `phases[${i}].tasks[${j}]`));
        return {
          id: String(ph.id),
          name: ph.name,
          status: readPhaseStatus(ph.status, tasks.map((t) => t.status)),
          completedAt: ph.completedAt ?? undefined,
          tasks,
          at: `phases[${i}]`,
        };
      }),
    );
    const result: Plan = {
      id: p.plan_id,
      name: p.project.name,
      shape: 'ccasp-plan-command',
      status: readPlanStatus(p.status),
      completionPercentage: p.completion_percentage ?? completedPhasesPercent(phases),
      github: githubLink(p.github_issue, p.github_issue_url),
      maxParallel: p.orchestration?.max_parallel_agents ?? undefined,
      testCommand: p.testing_config?.ralph_loop?.testCommand ?? undefined,
      phases,
    };
    return { ok: true, plan: result };
  },
  writeTask(raw, phaseIndex, taskIndex, patch) {
    const t = objectAt(raw, ['phases', phaseIndex, 'tasks', taskIndex]);
    writeCcaspTask(t, patch, { completedAtField: 'completedAt', statusAlways: true });
  },
  writePhase(raw, phaseIndex, patch) {
    const ph = objectAt(raw, ['phases', phaseIndex]);
    setField(ph, 'status', patch.status);
    setField(ph, 'completedAt', patch.completedAt);
  },
  writePlan(raw, patch) {
    const p = objectAt(raw, []);
    setField(p, 'status', patch.status);
    setField(p, 'completion_percentage', patch.completionPercentage);
  },
};
