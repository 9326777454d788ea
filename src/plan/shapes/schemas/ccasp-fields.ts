import * as z from 'zod';
import { attemptCount, isoTimestamp, nonEmptyString, toolPermissions } from './fields.js';

// Field schemas the CCASP shapes share; see ./fields.ts for why this folder is loaded lazily.

/** Every task status a CCASP writer is known to produce; anything else is a typo worth reporting. */
export const CCASP_TASK_STATUSES = [
  'pending',
  'not_started',
  'in_progress',
  'active',
  'completed',
  'complete',
  'done',
  'blocked',
  'failed',
  'skipped',
] as const;
export type CcaspTaskStatus = (typeof CCASP_TASK_STATUSES)[number];

export const CCASP_PHASE_STATUSES = [
  'pending',
  'not_started',
  'in_progress',
  'active',
  'paused',
  'partial',
  'completed',
  'failed',
  'blocked',
] as const;
export type CcaspPhaseStatus = (typeof CCASP_PHASE_STATUSES)[number];

// CCASP generators write `null` for "not yet" as often as they leave a key out.
export const optionalText = z.string().nullish();
export const issueNumber = z.number().int().positive();
export const ccaspTaskStatus = z.enum(CCASP_TASK_STATUSES);
export const ccaspPhaseStatus = z.enum(CCASP_PHASE_STATUSES);
export const optionalTimestamp = isoTimestamp.nullish();
export const dependencyList = z.array(nonEmptyString);
/** v3.0 plans hold `{path, relevance, reason}` objects; CCASP's own readers accept plain strings too. */
export const fileEntries = z.array(z.union([nonEmptyString, z.looseObject({ path: nonEmptyString })]));
// Groups of plan fields, spread into the plan schema of each shape that has them.
/** The plan's own progress, as `writePlan` keeps it (the roadmap shape has the status only). */
export const planProgress = { status: optionalText, completion_percentage: z.number().min(0).max(100).nullish() };
/** The plan's GitHub issue, by number or URL; see `githubLink`. */
export const planIssue = { github_issue: issueNumber.nullish(), github_issue_url: optionalText };
/** The run settings CCASP keeps for its orchestrator; see `runSettings`. */
export const planSettings = {
  orchestration: z.looseObject({ max_parallel_agents: z.number().int().positive().nullish(), worktree_setup: nonEmptyString.nullish() }).nullish(),
  testing_config: z.looseObject({ ralph_loop: z.looseObject({ testCommand: nonEmptyString.nullish() }).nullish() }).nullish(),
  /** ccasp's own: the tool rules for every task's agent, as in the canonical shape. */
  permissions: toolPermissions.nullish(),
};

/** What the `planSettings` fields parse to: each one may be missing. */
export type PlanSettings = { readonly [K in keyof typeof planSettings]?: z.output<(typeof planSettings)[K]> };
export type FileEntries = z.infer<typeof fileEntries>;

/** `{ [key]: schema }`, typed by the key's literal: TypeScript widens a computed key to `string`. */
function named<K extends string, S>(key: K, schema: S): { [P in K]: S } {
  return { [key]: schema } as { [P in K]: S };
}

/**
 * The task fields `writeCcaspTask` writes besides the status and its boolean, so that every shape
 * reads back what it wrote; `completedAtField` as in `TaskWriteOptions`. Spread last into a task
 * schema, in the order CCASP's writers put them.
 */
export function taskProgressFields<K extends string>(completedAtField: K) {
  return {
    ...named(completedAtField, optionalTimestamp),
    completedBy: optionalText,
    blocker: optionalText,
    attempts: attemptCount.optional(),
    // ccasp's own, read only: the tool rules for this task's agent.
    permissions: toolPermissions.nullish(),
  };
}

/** A phase's fields after its id, for the shapes that keep one completion time per phase. */
export function phaseFields<K extends string, T extends z.ZodType>(completedAtField: K, task: T) {
  return {
    name: nonEmptyString,
    status: ccaspPhaseStatus.nullish(),
    ...named(completedAtField, optionalTimestamp),
    tasks: z.array(task),
  };
}
