import * as z from 'zod';
import { attemptCount, complexity, domain, isoTimestamp, nonEmptyString, phaseStatus, taskStatus, toolPermissions } from './fields.js';

export const task = z.looseObject({
  id: nonEmptyString,
  title: nonEmptyString,
  details: z.string().optional(),
  file: z.union([nonEmptyString, z.array(nonEmptyString)]).optional(),
  domain: domain.optional(),
  model: nonEmptyString.optional(),
  complexity: complexity.optional(),
  dependencies: z.array(nonEmptyString).optional(),
  verify: nonEmptyString.optional(),
  permissions: toolPermissions.optional(),
  status: taskStatus,
  completedAt: isoTimestamp.optional(),
  completedBy: z.string().optional(),
  blocker: z.string().optional(),
  attempts: attemptCount.optional(),
});

const phase = z.looseObject({
  id: nonEmptyString,
  name: nonEmptyString,
  status: phaseStatus.optional(),
  completedAt: isoTimestamp.optional(),
  tasks: z.array(task),
});

export const plan = z.looseObject({
  plan_id: nonEmptyString.optional(),
  name: nonEmptyString,
  status: z.string().optional(),
  completion_percentage: z.number().min(0).max(100).optional(),
  github: z
    .looseObject({ owner: nonEmptyString, repo: nonEmptyString, issue: z.number().int().positive() })
    .optional(),
  max_parallel_agents: z.number().int().positive().optional(),
  test_command: nonEmptyString.optional(),
  worktree_setup: nonEmptyString.optional(),
  token_limit: z.number().int().positive().optional(),
  permissions: toolPermissions.optional(),
  phases: z.array(phase),
});

export type RawTask = z.infer<typeof task>;
export type RawPlan = z.infer<typeof plan>;
