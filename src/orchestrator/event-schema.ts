import * as z from 'zod';
import { CUT_OFFS } from '../state/schema.js';
import type { OrchestratorEvent } from './events.js';

/**
 * The `--json` contract: one object per line on stdout, each an event of the union in events.ts
 * with the time it was written. Objects are strict, so a field added to an event without being added
 * here (and to docs/events.md) fails the NDJSON test; consumers that must survive newer versions should
 * parse with `.loose()` objects instead. Fields are only ever added, never renamed or removed.
 */
const usage = z.strictObject({
  inputTokens: z.number().nonnegative(),
  outputTokens: z.number().nonnegative(),
  cacheCreationTokens: z.number().nonnegative(),
  cacheReadTokens: z.number().nonnegative(),
});

const count = z.number().int().nonnegative();
const ms = z.number().nonnegative();
const usd = z.number().nonnegative();
const id = z.string().min(1);

export const runOutcomeSchema = z.enum(['completed', 'blocked', 'failed', 'paused', 'rate-limited', 'budget']);

export const orchestratorEventSchema = z.discriminatedUnion('type', [
  z.strictObject({
    type: z.literal('run.started'),
    planId: id,
    planName: z.string(),
    phases: count,
    tasks: count,
    concurrency: z.number().int().positive(),
    resumed: z.boolean(),
  }),
  z.strictObject({ type: z.literal('run.notice'), level: z.enum(['info', 'warning']), message: z.string() }),
  z.strictObject({ type: z.literal('run.waiting'), taskId: id, until: z.iso.datetime(), remainingMs: ms }),
  z.strictObject({ type: z.literal('run.concurrency'), concurrency: z.number().int().positive(), max: z.number().int().positive(), reason: z.string() }),
  z.strictObject({ type: z.literal('budget.threshold'), used: count, limit: count, memoryFile: z.string() }),
  z.strictObject({ type: z.literal('phase.started'), phaseId: id, name: z.string() }),
  z.strictObject({
    type: z.literal('task.started'),
    taskId: id,
    title: z.string(),
    attempt: z.number().int().positive(),
    specialist: z.string(),
    model: z.string(),
    sessionId: z.string(),
  }),
  z.strictObject({
    type: z.literal('task.resumed'),
    taskId: id,
    attempt: z.number().int().positive(),
    fromAttempt: z.number().int().positive(),
    sessionId: z.string(),
    cutOff: z.enum(CUT_OFFS),
    tokensSaved: count,
  }),
  z.strictObject({ type: z.literal('task.progress'), taskId: id, attempt: z.number().int().positive(), tokens: count, toolCalls: count }),
  z.strictObject({ type: z.literal('task.system'), taskId: id, step: z.string(), detail: z.string() }),
  z.strictObject({
    type: z.literal('task.attempt.failed'),
    taskId: id,
    attempt: z.number().int().positive(),
    reason: z.string(),
    willRetry: z.boolean(),
    durationMs: ms,
  }),
  z.strictObject({
    type: z.literal('task.denied'),
    taskId: id,
    attempt: z.number().int().positive(),
    denials: z.array(z.strictObject({ tool: z.string(), input: z.string(), rule: z.string() })).readonly(),
  }),
  z.strictObject({
    type: z.literal('task.completed'),
    taskId: id,
    title: z.string(),
    attempt: z.number().int().positive(),
    summary: z.string(),
    artifacts: z.array(z.string()).readonly(),
    durationMs: ms,
    costUsd: usd,
    usage,
  }),
  z.strictObject({ type: z.literal('task.blocked'), taskId: id, title: z.string(), blocker: z.string(), suggestedAction: z.string() }),
  z.strictObject({ type: z.literal('task.failed'), taskId: id, title: z.string(), error: z.string() }),
  z.strictObject({ type: z.literal('task.integrated'), taskId: id, commit: z.string().regex(/^[0-9a-f]{40,64}$/), how: z.enum(['fast-forward', 'merge', 'up-to-date']) }),
  z.strictObject({ type: z.literal('task.conflict'), taskId: id, paths: z.array(z.string()).readonly(), willRetry: z.boolean() }),
  z.strictObject({ type: z.literal('phase.completed'), phaseId: id, name: z.string(), percent: z.number().min(0).max(100) }),
  z.strictObject({ type: z.literal('phase.failed'), phaseId: id, name: z.string(), reason: z.string() }),
  z.strictObject({
    type: z.literal('run.finished'),
    outcome: runOutcomeSchema,
    reason: z.string(),
    completed: count,
    total: count,
    blocked: z.array(z.strictObject({ taskId: id, blocker: z.string(), suggestedAction: z.string() })).readonly(),
    durationMs: ms,
    costUsd: usd,
    tokens: count,
    tokensSaved: count,
    agentsSpawned: count,
    concurrency: z.number().int().positive(),
  }),
]);

/** One line of `ccasp run --json`, parsed into the time it was written and the event. */
export const ndjsonLineSchema = z
  .looseObject({ time: z.iso.datetime() })
  .transform(({ time, ...event }) => ({ time, event }))
  .pipe(z.strictObject({ time: z.string(), event: orchestratorEventSchema }));

// The schema and the union describe the same events: tsc fails here when one changes without the other.
type Parsed = z.infer<typeof orchestratorEventSchema>;
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
const inStep: Same<Parsed, OrchestratorEvent> = true;
void inStep;
