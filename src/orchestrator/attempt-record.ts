import type { AttemptResult } from '../agents/attempt.js';
import type { AttemptRecord, Usage } from '../state/schema.js';
import { totalTokens, ZERO_USAGE } from '../state/usage.js';
import type { Outcome } from './outcome.js';
import { cutOffOf, type ResumeCandidate } from './resume.js';

/** How an attempt ended, as the run records it. */
export interface AttemptEnd {
  readonly attempt: number;
  readonly outcome: Outcome;
  /** The agent's run; absent when no agent ran (its worktree could not be made). */
  readonly result?: AttemptResult;
  readonly startedAt: string;
  readonly at: string;
  /** Who completed it (the specialist), for PROGRESS.json's `completedBy`. */
  readonly completedBy: string;
  /** The cut-off attempt whose session this one continued. */
  readonly resumed?: ResumeCandidate;
}

/**
 * The attempt as state.json keeps it: what the agent did, what it came to, what it cost. `reservedUsd`
 * is what it reserved of a cost limit, if anything.
 */
export function attemptRecord(taskId: string, ended: AttemptEnd, reservedUsd?: number): AttemptRecord {
  const { outcome, result } = ended;
  const reason = outcome.kind === 'retry' || outcome.kind === 'fatal' || outcome.kind === 'interrupted' ? outcome.reason : outcome.kind === 'blocked' ? outcome.blocker : undefined;
  const summary = outcome.kind === 'completed' || outcome.kind === 'retry' ? outcome.summary : undefined;
  const artifacts = outcome.kind === 'completed' ? outcome.artifacts : [];
  const conflictPaths = outcome.kind === 'retry' || outcome.kind === 'blocked' ? (outcome.conflictPaths ?? []) : [];
  const sessionId = result?.result?.sessionId ?? result?.sessionId;
  const denials = result?.result?.denials ?? [];
  const cutOff = result ? cutOffOf(result) : undefined;
  const resumed = ended.resumed;
  return {
    taskId,
    attempt: ended.attempt,
    outcome: outcome.kind === 'wait' ? 'rate-limited' : outcome.kind,
    ...(reason ? { reason } : {}),
    ...(summary ? { summary } : {}),
    ...(artifacts.length > 0 ? { artifacts: [...artifacts] } : {}),
    ...(sessionId ? { sessionId } : {}),
    startedAt: result?.startedAt ?? ended.startedAt,
    finishedAt: result?.finishedAt ?? ended.at,
    durationMs: result?.durationMs ?? Math.max(0, Date.parse(ended.at) - Date.parse(ended.startedAt)),
    costUsd: result?.result?.costUsd ?? unreportedCost(result?.streamedUsage, reservedUsd),
    // An agent cut off before its result line was still billed for what it did: count what its stream showed.
    usage: result?.result?.usage ?? result?.streamedUsage ?? { ...ZERO_USAGE },
    ...(result ? { log: result.logFile } : {}),
    ...(conflictPaths.length > 0 ? { conflictPaths: [...conflictPaths] } : {}),
    ...(denials.length > 0 ? { denials: denials.map((d) => ({ ...d })) } : {}),
    ...(cutOff ? { cutOff } : {}),
    ...(resumed ? { resumed: { fromAttempt: resumed.fromAttempt, sessionId: resumed.sessionId, tokensSaved: resumed.tokensSaved } } : {}),
  };
}

/**
 * An agent cut off before claude said what it spent: once it has used the API, count its whole
 * reservation (claude kept it within that, give or take a turn), so a cost limit still holds.
 */
function unreportedCost(streamed: Usage | undefined, reservedUsd: number | undefined): number {
  return streamed && totalTokens(streamed) > 0 && reservedUsd !== undefined ? reservedUsd : 0;
}
