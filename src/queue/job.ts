import { createHash } from 'node:crypto';
import * as z from 'zod';
import type { AttemptResult } from '../agents/attempt.js';
import type { AgentRequest } from '../agents/request.js';
import { once } from '../plan/lazy.js';
import { CUT_OFFS, usageSchema } from '../state/schema.js';
import type { WorkCheck } from '../verify/check-work.js';

/** Bumped when a job's or a result's shape changes: a worker takes only jobs it understands. */
export const QUEUE_PROTOCOL = 3;

/** The BullMQ queue every coordinator and worker of a Redis database shares. */
export const QUEUE_NAME = 'ccasp-attempts';

/** How the worker runs the agent: the coordinator's run settings, none of them secret. */
export interface AgentSettings {
  readonly permissionMode: string;
  readonly permissions: { readonly allow: readonly string[]; readonly deny: readonly string[] };
  readonly timeoutMs: number;
  readonly stallTimeoutMs: number;
  readonly maxTurns?: number;
  readonly reportFormat: 'text' | 'json-schema';
  /** The project's worktree setup command (`--worktree-setup`), run in the attempt's worktree before the agent. */
  readonly worktreeSetup?: string;
}

/** One attempt at one task, as a worker takes it from the queue. Carries no secret: workers bring their own. */
export interface AttemptJob {
  readonly protocol: number;
  readonly planId: string;
  /** The git remote to fetch from and push to, without credentials. */
  readonly remote: string;
  /** The task's branch, pushed back to `remote` with the attempt's work. */
  readonly branch: string;
  /** The commit the attempt starts from: the task branch's tip, or the integration branch's for a first attempt. */
  readonly base: string;
  /** Files ccasp owns (the plan file): a task's changes to them are undone before the push. */
  readonly protect: readonly string[];
  /** The request as the coordinator's loop made it, less where the agent works. */
  readonly request: Omit<AgentRequest, 'cwd'>;
  readonly agent: AgentSettings;
  /** After a conflict: the integration branch's tip, merged into the task's branch before the agent starts. */
  readonly mergeTip?: MergeTip;
}

/**
 * The integration branch's tip as a worker fetches it: the integration branch is the user's own and
 * may not be on the remote, so the coordinator pushes the commit under a branch of ccasp's own.
 */
export interface MergeTip {
  readonly commit: string;
  /** The branch on the remote holding `commit` (task-branch.ts `tipBranch`). */
  readonly ref: string;
  /** The integration branch's name, as the agent's prompt and the merge commit name it. */
  readonly branch: string;
}

/**
 * How much of the setup command's output a result carries: its end as runVerify keeps it (1,500
 * characters), so the bound only guards the coordinator against a worker that sends more.
 */
export const SETUP_OUTPUT_MAX = 16 * 1024;

/** What a worker returns for a job. */
export interface AttemptJobResult {
  readonly protocol: number;
  /** Which worker ran it: host and pid. */
  readonly worker: string;
  readonly attempt: Omit<AttemptResult, 'logFile'>;
  /** The agent's stream-json as it was logged (redacted line by line on the worker). */
  readonly transcript: string;
  /** The check of claimed work, when the agent claimed completion. */
  readonly check?: WorkCheck;
  /** The task branch's tip as pushed, when the push succeeded. */
  readonly commit?: string;
  /** The merge of the job's `mergeTip` still has conflicts or markers in these files: nothing was pushed. */
  readonly unresolved?: readonly string[];
  /** What the worktree setup command printed (the end of it, redacted), when it ran. */
  readonly setupOutput?: string;
  /**
   * The git tree id of the files the attempt left, as committed (or of the base when it left none):
   * the same on every machine, so the circuit breaker compares attempts run on different workers.
   * Absent when the work could not be committed.
   */
  readonly fingerprint?: string;
}

/**
 * The job's id: one per plan, task and attempt, so a coordinator that enqueues again after a restart
 * adopts the job already there (BullMQ ignores an add with a known id). BullMQ forbids `:` in ids,
 * and task ids are free text, so the id is a hash with a readable prefix.
 */
export function attemptJobId(planId: string, taskId: string, attempt: number): string {
  const digest = createHash('sha256').update(JSON.stringify([planId, taskId, attempt])).digest('hex').slice(0, 24);
  return `attempt-${attempt}-${digest}`;
}

const schemas = once(() => {
  const strings = z.array(z.string());
  const commit = z.string().regex(/^[0-9a-f]{40,64}$/, { error: 'is not a commit id' });
  // The plan, phase and task are the coordinator's own normalised model: checked for the fields a worker reads.
  const task = z.looseObject({ id: z.string(), title: z.string(), files: strings, verify: z.string().optional() });
  const job = z.object({
    protocol: z.literal(QUEUE_PROTOCOL),
    planId: z.string().min(1),
    remote: z.string().min(1),
    branch: z.string().min(1),
    base: commit,
    protect: strings,
    request: z.looseObject({
      plan: z.looseObject({ id: z.string(), name: z.string() }),
      phase: z.looseObject({ id: z.string(), name: z.string() }),
      task,
      route: z.looseObject({ model: z.string(), specialist: z.string() }),
      attempt: z.number().int().positive(),
      sessionId: z.string().uuid(),
      previous: z.array(z.looseObject({ attempt: z.number(), reason: z.string() })),
      resume: z
        .looseObject({ fromAttempt: z.number().int().positive(), sessionId: z.string().uuid(), cutOff: z.enum(CUT_OFFS), reason: z.string().optional() })
        .optional(),
    }),
    agent: z.object({
      permissionMode: z.string(),
      permissions: z.object({ allow: strings, deny: strings }),
      timeoutMs: z.number().positive(),
      stallTimeoutMs: z.number().positive(),
      maxTurns: z.number().int().positive().optional(),
      reportFormat: z.enum(['text', 'json-schema']),
      worktreeSetup: z.string().min(1).optional(),
    }),
    mergeTip: z.object({ commit, ref: z.string().min(1), branch: z.string().min(1) }).optional(),
  });
  const end = z.discriminatedUnion('kind', [
    z.object({ kind: z.literal('exited'), code: z.number() }),
    z.object({ kind: z.literal('signal'), signal: z.string() }),
    z.object({ kind: z.literal('timed-out'), afterMs: z.number() }),
    z.object({ kind: z.literal('stalled'), afterMs: z.number() }),
    z.object({ kind: z.literal('auth-refused'), status: z.number() }),
    z.object({ kind: z.literal('rate-limited'), resetsAt: z.number() }),
    z.object({ kind: z.literal('cancelled') }),
    z.object({ kind: z.literal('not-started'), message: z.string() }),
  ]);
  const result = z.object({
    isError: z.boolean(),
    subtype: z.string(),
    text: z.string(),
    errors: strings,
    apiErrorStatus: z.number().optional(),
    sessionId: z.string().optional(),
    numTurns: z.number(),
    durationMs: z.number(),
    costUsd: z.number(),
    usage: usageSchema(),
    structuredOutput: z.unknown().optional(),
    denials: z.array(z.object({ tool: z.string(), input: z.string(), rule: z.string() })),
  });
  const jobResult = z.object({
    protocol: z.literal(QUEUE_PROTOCOL),
    worker: z.string(),
    attempt: z.object({
      end,
      result: result.optional(),
      streamedUsage: usageSchema().optional(),
      apiRetries: z.array(z.object({ status: z.number().optional(), message: z.string() })),
      sessionId: z.string(),
      stderrTail: z.string(),
      startedAt: z.string(),
      finishedAt: z.string(),
      durationMs: z.number(),
      reportFormat: z.enum(['text', 'json-schema']).optional(),
      resumed: z.string().uuid().optional(),
    }),
    transcript: z.string(),
    check: z
      .object({ missing: strings, outside: strings, verify: z.object({ ok: z.boolean(), detail: z.string() }).optional() })
      .optional(),
    commit: z.string().optional(),
    unresolved: z.array(z.string()).min(1).optional(),
    setupOutput: z.string().max(SETUP_OUTPUT_MAX).optional(),
    fingerprint: z.string().regex(/^[0-9a-f]{40,64}$/, { error: 'is not a git tree id' }).optional(),
  });
  return { job, jobResult };
});

/** A job as read from Redis, checked; a message naming the field when it is not a job this worker understands. */
export function parseAttemptJob(data: unknown): { ok: true; job: AttemptJob } | { ok: false; message: string } {
  const parsed = schemas().job.safeParse(data);
  // The looser parts are the coordinator's own model, checked above for the fields the worker reads.
  return parsed.success ? { ok: true, job: data as AttemptJob } : { ok: false, message: describe(parsed.error) };
}

/** A worker's result as read from Redis, checked. */
export function parseAttemptJobResult(data: unknown): { ok: true; result: AttemptJobResult } | { ok: false; message: string } {
  const parsed = schemas().jobResult.safeParse(data);
  return parsed.success ? { ok: true, result: parsed.data as AttemptJobResult } : { ok: false, message: describe(parsed.error) };
}

function describe(error: z.ZodError): string {
  const issue = error.issues[0];
  if (!issue) return 'is not valid';
  return `${issue.path.length > 0 ? issue.path.join('.') : 'the job'}: ${issue.message}`;
}
