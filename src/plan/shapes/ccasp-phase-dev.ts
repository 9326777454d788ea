import * as z from 'zod';
import { once } from '../lazy.js';
import { DOMAINS, type Domain, type Phase, type Plan, type Task } from '../model.js';
import { zodProblems } from '../zod-problems.js';
import {
  ccaspFieldSchemas,
  closePhases,
  completedPhasesPercent,
  filePaths,
  firstText,
  githubLink,
  isSystemTaskId,
  needsLabel,
  phasesOf,
  readPhaseStatus,
  readPlanStatus,
  readTaskStatus,
  systemStepOf,
  tasksOf,
  writeCcaspTask,
} from './ccasp-common.js';
import { fieldSchemas, slugify } from './fields.js';
import { isObject, objectAt, setField, type PlanShapeReader } from './shape.js';

/** Shape A: `ccasp create-phase-dev` (metadata.version "3.0"), `.claude/phase-dev/<slug>/PROGRESS.json`. */

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
      subject: optionalText,
      description: optionalText,
      status: ccaspTaskStatus.nullish(),
      completed: z.boolean().nullish(),
      task_type: optionalText,
      files: fileEntries.nullish(),
      acceptance_criteria: z.array(z.string()).nullish(),
      blockedBy: dependencyList.nullish(),
      assignedAgent: optionalText,
      completedAt: optionalTimestamp,
      completedBy: optionalText,
      blocker: optionalText,
      error: optionalText,
      attempts: attemptCount.optional(),
    })
    .superRefine(needsLabel(['title', 'subject', 'description']));

  const phase = z.looseObject({
    id: z.union([z.number(), nonEmptyString]),
    phase_id: nonEmptyString.nullish(),
    name: nonEmptyString,
    status: ccaspPhaseStatus.nullish(),
    completedAt: optionalTimestamp,
    tasks: z.array(task),
  });

  const plan = z.looseObject({
    plan_id: nonEmptyString.nullish(),
    project: z.looseObject({ name: nonEmptyString, slug: nonEmptyString.nullish() }),
    status: optionalText,
    completion_percentage: percentage.nullish(),
    orchestration,
    testing_config: testingConfig,
    workflow: z
      .looseObject({
        github_issue: z.looseObject({ issue_number: issueNumber.nullish(), issue_url: optionalText }).nullish(),
      })
      .nullish(),
    github_issue: issueNumber.nullish(),
    github_issue_url: optionalText,
    agent_assignments: z.looseObject({ byDomain: z.record(z.string(), z.unknown()).nullish() }).nullish(),
    phases: z.array(phase),
  });

  return { task, plan };
});

type RawTask = z.infer<ReturnType<typeof schemas>['task']>;

// CCASP's agent registry has finer domains than ccasp's.
const DOMAIN_ALIASES: Readonly<Record<string, Domain>> = { state: 'frontend', database: 'backend' };

function asDomain(name: string): Domain | undefined {
  return DOMAIN_ALIASES[name] ?? DOMAINS.find((d) => d === name);
}

/**
 * The task's domain from its assigned agent. Left unset when the agent says nothing (e.g. the L2
 * path's `general-implementation-agent`), so ccasp infers one from the task's text instead.
 */
function domainOf(agent: string | null | undefined, byDomain: Readonly<Record<string, unknown>>): Domain | undefined {
  if (!agent) return undefined;
  const registered = Object.entries(byDomain).find(([, name]) => name === agent)?.[0];
  if (registered !== undefined) return asDomain(registered);
  const specialist = /^(\w+)-specialist$/.exec(agent)?.[1];
  return specialist === undefined ? undefined : asDomain(specialist);
}

function detailsOf(t: RawTask, title: string): string | undefined {
  const description = t.description && t.description !== title ? t.description : undefined;
  const criteria = (t.acceptance_criteria ?? []).filter((c) => c.trim() !== '');
  const parts = [description, criteria.length > 0 ? `Acceptance criteria:\n${criteria.map((c) => `- ${c}`).join('\n')}` : undefined];
  const text = parts.filter((p) => p !== undefined).join('\n\n');
  return text === '' ? undefined : text;
}

function toTask(t: RawTask, at: string, byDomain: Readonly<Record<string, unknown>>): Task {
  // The refinement guarantees one of these.
  const title = firstText(t.title, t.subject, t.description) ?? t.id;
  const status = readTaskStatus(t);
  return {
    id: t.id,
    title,
    details: detailsOf(t, title),
    files: filePaths(t.files),
    domain: domainOf(t.assignedAgent, byDomain),
    simple: false,
    dependencies: t.blockedBy ?? [],
    status,
    completedAt: t.completedAt ?? undefined,
    completedBy: t.completedBy ?? undefined,
    // The progress-tracker hook records a failure's reason as `error`.
    blocker: t.blocker ?? (status === 'failed' ? (t.error ?? undefined) : undefined),
    attempts: t.attempts,
    systemStep: systemStepOf(t.id, t.task_type),
    at,
    dependencyField: 'blockedBy',
  };
}

export const ccaspPhaseDevShape: PlanShapeReader = {
  shape: 'ccasp-phase-dev',
  matches(raw) {
    if (!isObject(raw)) return false;
    const meta = raw.metadata;
    if (isObject(meta) && (meta.version === '3.0' || meta.generator === 'gtask create-phase-dev')) return true;
    // Backup for a file whose metadata was edited away.
    return (
      phasesOf(raw).some((p) => typeof p.phase_id === 'string') &&
      tasksOf(raw).some((t) => 'task_type' in t || isSystemTaskId(t.id))
    );
  },
  read(raw, file) {
    const parsed = schemas().plan.safeParse(raw);
    if (!parsed.success) return { ok: false, problems: zodProblems(file, parsed.error) };
    const p = parsed.data;
    const byDomain = p.agent_assignments?.byDomain ?? {};
    const phases: Phase[] = closePhases(
      p.phases.map((ph, i) => {
        const tasks = ph.tasks.map((t, j) => toTask(t, `phases[${i}].tasks[${j}]`, byDomain));
        return {
          id: ph.phase_id ?? String(ph.id),
          name: ph.name,
          status: readPhaseStatus(ph.status, tasks.map((t) => t.status)),
          completedAt: ph.completedAt ?? undefined,
          tasks,
          at: `phases[${i}]`,
        };
      }),
    );
    const issue = p.workflow?.github_issue;
    const result: Plan = {
      id: p.plan_id ?? p.project.slug ?? slugify(p.project.name),
      name: p.project.name,
      shape: 'ccasp-phase-dev',
      status: readPlanStatus(p.status),
      completionPercentage: p.completion_percentage ?? completedPhasesPercent(phases),
      github:
        githubLink(issue?.issue_number, issue?.issue_url) ??
        githubLink(p.github_issue, p.github_issue_url ?? issue?.issue_url),
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
