import * as z from 'zod';

/**
 * `.claude/orchestrator/state.json`: the seed orchestrator's schema, extended with what a resumable,
 * budgeted run needs (attempt records, blocked tasks, token detail). Read back with this schema, so a
 * damaged file is reported by field rather than trusted.
 */
export const STATE_VERSION = 1;

const timestamp = z.string();

export const activeAgentSchema = z.object({
  agentId: z.string(),
  taskId: z.string(),
  spawnedAt: timestamp,
  status: z.enum(['running', 'completed', 'failed']),
  attempt: z.number().int().positive(),
  specialist: z.string(),
  model: z.string(),
  sessionId: z.string().optional(),
  pid: z.number().int().optional(),
});

export const usageSchema = z.object({
  inputTokens: z.number().nonnegative(),
  outputTokens: z.number().nonnegative(),
  cacheCreationTokens: z.number().nonnegative(),
  cacheReadTokens: z.number().nonnegative(),
});

export const attemptRecordSchema = z.object({
  taskId: z.string(),
  attempt: z.number().int().positive(),
  outcome: z.enum(['completed', 'retry', 'blocked', 'fatal', 'interrupted', 'rate-limited']),
  reason: z.string().optional(),
  summary: z.string().optional(),
  artifacts: z.array(z.string()).optional(),
  sessionId: z.string().optional(),
  startedAt: timestamp,
  finishedAt: timestamp,
  durationMs: z.number().nonnegative(),
  costUsd: z.number().nonnegative(),
  usage: usageSchema,
  log: z.string().optional(),
});

export const blockedTaskSchema = z.object({
  taskId: z.string(),
  blocker: z.string(),
  suggestedAction: z.string().optional(),
  at: timestamp,
});

export const stateSchema = z.object({
  version: z.literal(STATE_VERSION),
  planId: z.string(),
  planPath: z.string(),
  initialized: timestamp,
  lastUpdated: timestamp,
  status: z.enum(['active', 'paused', 'blocked', 'completed', 'failed']),
  currentPhase: z.string().nullable(),
  activeAgents: z.array(activeAgentSchema),
  completedTasks: z.array(z.string()),
  pendingTasks: z.array(z.string()),
  failedTasks: z.array(attemptRecordSchema),
  blockedTasks: z.array(blockedTaskSchema),
  attempts: z.array(attemptRecordSchema),
  tokenBudget: z.object({
    used: z.number().nonnegative(),
    limit: z.number().positive().nullable(),
    costLimitUsd: z.number().positive().nullable().default(null),
    compactionThreshold: z.number().gt(0).max(1),
    lastCompaction: timestamp.nullable(),
    costUsd: z.number().nonnegative(),
    usage: usageSchema,
  }),
  githubConfig: z
    .object({ enabled: z.boolean(), owner: z.string(), repo: z.string(), issueNumber: z.number().int() })
    .nullable(),
  metrics: z.object({
    tasksCompleted: z.number().int().nonnegative(),
    tasksFailed: z.number().int().nonnegative(),
    totalAgentsSpawned: z.number().int().nonnegative(),
    averageTaskDuration: z.number().nonnegative(),
  }),
});

export type OrchestratorState = z.infer<typeof stateSchema>;
export type ActiveAgent = z.infer<typeof activeAgentSchema>;
export type AttemptRecord = z.infer<typeof attemptRecordSchema>;
export type Usage = z.infer<typeof usageSchema>;
