import * as z from 'zod';
import { once } from '../plan/lazy.js';
import { STATE_VERSION } from './version.js';

/**
 * `.claude/orchestrator/state.json`: the seed orchestrator's schema, extended with what a resumable,
 * budgeted run needs (attempt records, blocked tasks, token detail). Read back with this schema, so a
 * damaged file is reported by field rather than trusted.
 */

/**
 * How an agent can be cut off before it reports, so that its retry may continue its session:
 * stalled, timed-out (`--task-timeout`), max-turns, max-budget (the attempt's `--max-budget-usd`),
 * usage-limit, api-error (claude gave up on the API), crashed (the process ended without a result),
 * stopped (ccasp stopped it: a signal, a hard budget limit, or the ccasp run was killed).
 */
export const CUT_OFFS = ['stalled', 'timed-out', 'max-turns', 'max-budget', 'usage-limit', 'api-error', 'crashed', 'stopped'] as const;
export type CutOff = (typeof CUT_OFFS)[number];

// Built on first use, not at import (see `once`): `--version`, and `status` where no state file
// exists yet, never need it.
const schemas = once(() => {
  const timestamp = z.string();

  const activeAgent = z.object({
    agentId: z.string(),
    taskId: z.string(),
    spawnedAt: timestamp,
    status: z.enum(['running', 'completed', 'failed']),
    attempt: z.number().int().positive(),
    specialist: z.string(),
    model: z.string(),
    // The next run ends an agent a killed run left by this id, so it must be exactly what ccasp gave
    // claude: a hand-edited short value could otherwise name unrelated processes.
    sessionId: z
      .uuid({
        error: 'is not a UUID. ccasp writes the session UUID it gave the agent here, and ends an agent a killed run left by it; restore the value, or delete this entry from activeAgents (its task runs again)',
      })
      .optional(),
    /** The agent's process, once it has started: pid, process group, start time and user (see process/identity.ts). */
    pid: z.number().int().optional(),
    pgid: z.number().int().optional(),
    processStart: z.number().int().nonnegative().optional(),
    uid: z.number().int().nonnegative().optional(),
    /** `run --queue`: the worker (host:pid) that took the attempt up; its process is on that machine. */
    worker: z.string().optional(),
  });

  const usage = z.object({
    inputTokens: z.number().nonnegative(),
    outputTokens: z.number().nonnegative(),
    cacheCreationTokens: z.number().nonnegative(),
    cacheReadTokens: z.number().nonnegative(),
  });

  const attemptRecord = z.object({
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
    usage,
    log: z.string().optional(),
    /** Files that conflicted with the integration branch (`--isolation worktree`); the next attempt is told to resolve them. */
    conflictPaths: z.array(z.string()).optional(),
    /** Tool calls claude refused the agent, each with a rule that would allow it; the next attempt is told. */
    denials: z.array(z.object({ tool: z.string(), input: z.string(), rule: z.string() })).optional(),
    /** How the agent was cut off before it could report, when it was: its session may be continued. */
    cutOff: z.enum(CUT_OFFS).optional(),
    /** This attempt continued an earlier attempt's claude session rather than starting from zero. */
    resumed: z
      .object({
        fromAttempt: z.number().int().positive(),
        sessionId: z.string(),
        /** The tokens the continued attempt had spent, which a fresh session would have spent again. */
        tokensSaved: z.number().int().nonnegative(),
      })
      .optional(),
  });

  const blockedTask = z.object({
    taskId: z.string(),
    blocker: z.string(),
    suggestedAction: z.string().optional(),
    at: timestamp,
  });

  const state = z.object({
    version: z.literal(STATE_VERSION),
    planId: z.string(),
    planPath: z.string(),
    initialized: timestamp,
    lastUpdated: timestamp,
    status: z.enum(['active', 'paused', 'blocked', 'completed', 'failed']),
    currentPhase: z.string().nullable(),
    activeAgents: z.array(activeAgent),
    completedTasks: z.array(z.string()),
    pendingTasks: z.array(z.string()),
    failedTasks: z.array(attemptRecord),
    blockedTasks: z.array(blockedTask),
    attempts: z.array(attemptRecord),
    tokenBudget: z.object({
      used: z.number().nonnegative(),
      limit: z.number().positive().nullable(),
      costLimitUsd: z.number().positive().nullable().default(null),
      compactionThreshold: z.number().gt(0).max(1),
      lastCompaction: timestamp.nullable(),
      costUsd: z.number().nonnegative(),
      usage,
    }),
    githubConfig: z
      .object({
        enabled: z.boolean(),
        owner: z.string(),
        repo: z.string(),
        issueNumber: z.number().int(),
        lastSyncAt: z.string().nullable().default(null),
        lastResult: z.string().nullable().default(null),
        pending: z.number().int().nonnegative().default(0),
      })
      .nullable(),
    metrics: z.object({
      tasksCompleted: z.number().int().nonnegative(),
      tasksFailed: z.number().int().nonnegative(),
      totalAgentsSpawned: z.number().int().nonnegative(),
      averageTaskDuration: z.number().nonnegative(),
      /** The sum of the attempts' `resumed.tokensSaved`. Absent in older files. */
      tokensSavedByResuming: z.number().int().nonnegative().default(0),
    }),
    /** How the run isolates agents (`ccasp run --isolation`); a resumed run keeps it. Absent in older files. */
    isolation: z.enum(['none', 'worktree']).optional(),
    /** The branch completed tasks are merged into, in worktree mode. */
    integrationBranch: z.string().optional(),
    /** Agents at once: the run's current figure, lowered on rate limits, and its configured most. Absent in older files. */
    concurrency: z.object({ current: z.number().int().positive(), max: z.number().int().positive() }).optional(),
  });

  return { activeAgent, usage, attemptRecord, state };
});

type Schemas = ReturnType<typeof schemas>;

/** The state file's schema, built on the first call. */
export function stateSchema(): Schemas['state'] {
  return schemas().state;
}

/** A usage figure's schema (also what a queue worker reports), built on the first call. */
export function usageSchema(): Schemas['usage'] {
  return schemas().usage;
}

export type OrchestratorState = z.infer<Schemas['state']>;
export type ActiveAgent = z.infer<Schemas['activeAgent']>;
export type AttemptRecord = z.infer<Schemas['attemptRecord']>;
export type Usage = z.infer<Schemas['usage']>;
