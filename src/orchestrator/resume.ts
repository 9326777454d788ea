import type { AttemptResult } from '../agents/attempt.js';
import type { SessionResume } from '../agents/prompt.js';
import type { AttemptRecord, CutOff } from '../state/schema.js';
import { totalTokens } from '../state/usage.js';

/**
 * How the agent was cut off before it could report, or undefined when it ended on its own terms: a
 * report (accepted or not), or a refusal that no continuation mends (no start, refused credentials).
 * Only a cut-off attempt's session is worth continuing: one whose work was judged wrong starts over,
 * told what was wrong, rather than carry on from a conversation that led there.
 */
export function cutOffOf(attempt: AttemptResult): CutOff | undefined {
  const { end, result } = attempt;
  switch (end.kind) {
    case 'stalled':
      return 'stalled';
    case 'timed-out':
      return 'timed-out';
    case 'rate-limited':
      return 'usage-limit';
    case 'cancelled':
      return 'stopped';
    case 'not-started':
    case 'auth-refused':
    // The session is on the lost worker's machine, and the job runs again from its start.
    case 'worker-lost':
      return undefined;
    case 'exited':
    case 'signal':
      break;
  }
  if (!result) return 'crashed';
  if (!result.isError) return undefined;
  if (result.subtype === 'error_max_turns') return 'max-turns';
  if (result.subtype === 'error_max_budget_usd') return 'max-budget';
  const status = result.apiErrorStatus;
  return status !== undefined && status !== 401 && status !== 403 ? 'api-error' : undefined;
}

/** A session the next attempt may continue, and what continuing it saves. */
export interface ResumeCandidate extends SessionResume {
  /**
   * The tokens (input, output and cache, as the budget counts them) the continued attempt had
   * spent: a fresh session would spend them again to get back to where it was cut off. Its own
   * savings are not added again, so the run's total counts each attempt's tokens once.
   */
  readonly tokensSaved: number;
}

/**
 * The one decision "continue or start fresh", from the task's last attempt: its session is worth
 * continuing when it was cut off. The run then continues it only if claude kept its transcript in
 * the folder the next attempt runs in (none when the agent never started, or ran in another folder).
 */
export function sessionToContinue(last: AttemptRecord | undefined): ResumeCandidate | undefined {
  if (!last?.sessionId || !last.cutOff) return undefined;
  return {
    fromAttempt: last.attempt,
    sessionId: last.sessionId,
    cutOff: last.cutOff,
    ...(last.reason ? { reason: last.reason } : {}),
    tokensSaved: totalTokens(last.usage),
  };
}
