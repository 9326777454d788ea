import type { AttemptResult } from '../agents/attempt.js';
import type { Report } from '../agents/report.js';
import type { AttemptRecord } from '../state/schema.js';
import type { Integration } from '../worktree/workspace.js';
import type { WorkCheck } from '../verify/check-work.js';
import { judgeAttempt, judgeWork } from './judge.js';
import type { Outcome } from './outcome.js';

/** What the run has found out about an attempt so far; `decide` asks for the rest one fact at a time. */
export interface AttemptFacts {
  readonly result: AttemptResult;
  /** The claimed work, checked on disk (artifacts, declared files, the task's `verify`). */
  readonly check?: WorkCheck;
  /** What became of the work when it was merged into the integration branch (worktree mode). */
  readonly integration?: Integration;
  /** A fingerprint of the files after a failed attempt; `value` undefined when it could not be taken. */
  readonly fingerprint?: { readonly value: string | undefined };
}

/** The task's attempt in context. */
export interface AttemptContext {
  readonly taskId: string;
  readonly attempt: number;
  /** No retry is left after this attempt. */
  readonly lastTry: boolean;
  /** The failure before this one in this run, and the files' fingerprint after it. */
  readonly lastFailure?: { readonly reason: string; readonly fingerprint: string | undefined };
  /** The task's own worktree, when it has one. */
  readonly workspace?: { readonly cwd: string; readonly branch: string };
  /** The run stopped the agent (a signal, a hard budget limit). */
  readonly stopped: boolean;
}

export type Decision =
  | { readonly kind: 'outcome'; readonly outcome: Outcome }
  | { readonly kind: 'check'; readonly report: Extract<Report, { kind: 'complete' }> }
  | { readonly kind: 'integrate'; readonly summary: string }
  | { readonly kind: 'fingerprint' };

/**
 * The one decision about an attempt: from what the agent did, the check of its work and the task's
 * history to an outcome. Where a fact is still missing it asks for it (the run fetches it and asks
 * again), so the run's I/O follows the decision rather than the other way round: work is checked
 * only when the agent claims completion, merged only once checked, and fingerprinted only when the
 * attempt failed.
 */
export function decide(facts: AttemptFacts, ctx: AttemptContext): Decision {
  const judged = judgeAttempt(ctx.taskId, facts.result);
  let outcome: Outcome;
  if (judged.kind === 'check') {
    if (!facts.check) return { kind: 'check', report: judged.report };
    outcome = judgeWork(judged.report, facts.check);
  } else {
    outcome = judged;
  }
  // An agent stopped by the run may still exit with a result; it was interrupted all the same.
  if (ctx.stopped && outcome.kind !== 'completed') return done({ kind: 'interrupted' });
  // PROGRESS.json must never say completed for work that is not on the integration branch.
  if (outcome.kind === 'completed' && ctx.workspace) {
    if (!facts.integration) return { kind: 'integrate', summary: outcome.summary };
    outcome = afterIntegration(ctx.taskId, outcome, facts.integration);
  }
  if (outcome.kind === 'retry') {
    if (!facts.fingerprint) return { kind: 'fingerprint' };
    // Circuit breaker: the same failure again, with nothing on disk changed since, will not get better.
    const last = ctx.lastFailure;
    const same = last !== undefined && last.reason === outcome.reason && facts.fingerprint.value !== undefined && facts.fingerprint.value === last.fingerprint;
    if (same) {
      outcome = {
        kind: 'blocked',
        blocker: `the same failure twice in a row with no file changed: ${outcome.reason}`,
        suggestedAction: `look at the agent logs, clarify the task or fix the cause, then run \`ccasp unblock ${ctx.taskId}\``,
        ...withConflict(outcome.conflictPaths),
      };
    } else if (ctx.lastTry) {
      return done(givenUp(ctx, outcome));
    }
  }
  if (outcome.kind === 'blocked' && ctx.workspace) {
    return done({ ...outcome, suggestedAction: `${outcome.suggestedAction}${keptWorkNote(ctx.workspace)}`.trim() });
  }
  return done(outcome);
}

/** What the task does after its attempt's outcome is recorded. */
export type NextStep = 'done' | 'retry' | 'rerun' | 'wait' | 'stop';

/**
 * After a retry, a lost worker or a usage limit: try again, collect the job another worker runs
 * again, wait for the reset, or stop because the run is stopping (a signal, a failed phase, a
 * budget limit), where another attempt would only spend money.
 */
export function nextStep(outcome: Outcome, run: { readonly stopping: boolean; readonly waitForRateLimit: boolean }): NextStep {
  if (outcome.kind === 'retry') return run.stopping ? 'stop' : 'retry';
  if (outcome.kind === 'interrupted' && outcome.rerun) return run.stopping ? 'stop' : 'rerun';
  if (outcome.kind === 'wait') return run.waitForRateLimit && !run.stopping ? 'wait' : 'done';
  return 'done';
}

/** No worktree, no agent: the task is blocked with git's own words, and the run goes on. */
export function workspaceFailed(taskId: string, error: string): Outcome {
  return {
    kind: 'blocked',
    blocker: `its git worktree could not be prepared: ${error}`,
    suggestedAction: `fix the repository as the message says (\`ccasp status\` lists ccasp's worktrees), then run \`ccasp unblock ${taskId}\``,
  };
}

/**
 * The worktree's setup failed before any agent ran: tried again like a failed attempt (no circuit
 * breaker: nothing an agent did is on disk to compare), given up on after the last retry.
 */
export function setupFailed(taskId: string, attempt: number, lastTry: boolean, detail: string): Outcome {
  const retry = { kind: 'retry', reason: `the worktree could not be set up: ${detail}` } as const;
  return lastTry ? givenUp({ taskId, attempt, lastTry, stopped: false }, retry) : retry;
}

/** A merge that threw is refused work: a person must look. */
export function mergeFailed(taskId: string, error: string): Integration {
  return { kind: 'refused', reason: `ccasp could not merge the work: ${error}`, suggestedAction: `fix the repository, then run \`ccasp unblock ${taskId}\`` };
}

/**
 * Whether the task's next attempt follows a conflict: the last attempt that ran to a verdict
 * conflicted. Read from the records, so that a run resumed after a kill knows it too.
 */
export function followsConflict(attempts: readonly AttemptRecord[]): boolean {
  const last = [...attempts].reverse().find((a) => a.outcome !== 'interrupted' && a.outcome !== 'rate-limited');
  return (last?.conflictPaths?.length ?? 0) > 0;
}

function done(outcome: Outcome): Decision {
  return { kind: 'outcome', outcome };
}

function afterIntegration(taskId: string, completed: Extract<Outcome, { kind: 'completed' }>, result: Integration): Outcome {
  switch (result.kind) {
    case 'integrated':
      return completed;
    case 'conflict':
      return { kind: 'retry', reason: `conflict with ${result.branch} in ${result.paths.join(', ')}`, summary: completed.summary, conflictPaths: result.paths };
    case 'unresolved':
      return {
        kind: 'retry',
        reason: `the merge of ${result.branch} still has conflict markers in ${result.paths.join(', ')}`,
        summary: completed.summary,
        conflictPaths: result.paths,
      };
    case 'refused':
      return { kind: 'blocked', blocker: result.reason, suggestedAction: result.suggestedAction || `then run \`ccasp unblock ${taskId}\`` };
  }
}

function givenUp(ctx: AttemptContext, last: Extract<Outcome, { kind: 'retry' }>): Outcome {
  const paths = last.conflictPaths;
  if (paths && paths.length > 0 && ctx.workspace) {
    const ws = ctx.workspace;
    return {
      kind: 'blocked',
      blocker: `gave up after ${attempts(ctx.attempt)}: the work conflicts with the integration branch in ${paths.join(', ')}; it is kept in ${ws.cwd} (branch ${ws.branch})`,
      suggestedAction: `merge ${ws.branch} by hand (or resolve the files in that worktree), then run \`ccasp unblock ${ctx.taskId}\``,
      conflictPaths: paths,
    };
  }
  return {
    kind: 'blocked',
    blocker: `gave up after ${attempts(ctx.attempt)}; last: ${last.reason}`,
    suggestedAction: `look at the agent logs, fix the cause, then run \`ccasp unblock ${ctx.taskId}\``,
    ...withConflict(paths),
  };
}

function attempts(n: number): string {
  return n === 1 ? '1 attempt' : `${n} attempts`;
}

function withConflict(paths: readonly string[] | undefined): { conflictPaths?: readonly string[] } {
  return paths && paths.length > 0 ? { conflictPaths: paths } : {};
}

/** A blocked task's work stays in its worktree; the blocker's suggested action says where. */
function keptWorkNote(ws: { readonly cwd: string; readonly branch: string }): string {
  return ` (its work is kept in ${ws.cwd}, branch ${ws.branch})`;
}
