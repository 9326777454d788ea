import { describe, expect, it } from 'vitest';
import type { AgentResult, AttemptResult, ProcessEnd } from '../../src/agents/attempt.js';
import { cutOffOf, sessionToContinue } from '../../src/orchestrator/resume.js';
import type { AttemptRecord } from '../../src/state/schema.js';

const USAGE = { inputTokens: 1000, outputTokens: 200, cacheCreationTokens: 30, cacheReadTokens: 4000 };

function attempt(end: ProcessEnd, result?: Partial<AgentResult>): AttemptResult {
  return {
    end,
    ...(result
      ? { result: { isError: false, subtype: 'success', text: '', errors: [], numTurns: 3, durationMs: 10, costUsd: 0.01, usage: USAGE, denials: [], ...result } }
      : {}),
    apiRetries: [],
    sessionId: 'b1d0c8e4-0000-4000-8000-000000000001',
    logFile: 'log',
    stderrTail: '',
    startedAt: '2026-01-01T00:00:00.000Z',
    finishedAt: '2026-01-01T00:00:01.000Z',
    durationMs: 1000,
  };
}

const exited: ProcessEnd = { kind: 'exited', code: 0 };

describe('how an agent was cut off', () => {
  it('names every ending that stopped an agent before it could report', () => {
    expect(cutOffOf(attempt({ kind: 'stalled', afterMs: 1000 }))).toBe('stalled');
    expect(cutOffOf(attempt({ kind: 'timed-out', afterMs: 1000 }))).toBe('timed-out');
    expect(cutOffOf(attempt({ kind: 'rate-limited', resetsAt: 1 }))).toBe('usage-limit');
    expect(cutOffOf(attempt({ kind: 'cancelled' }))).toBe('stopped');
    expect(cutOffOf(attempt({ kind: 'signal', signal: 'SIGKILL' }))).toBe('crashed');
    expect(cutOffOf(attempt({ kind: 'exited', code: 1 }))).toBe('crashed');
    expect(cutOffOf(attempt({ kind: 'exited', code: 1 }, { isError: true, subtype: 'error_max_turns' }))).toBe('max-turns');
    expect(cutOffOf(attempt({ kind: 'exited', code: 1 }, { isError: true, subtype: 'error_max_budget_usd' }))).toBe('max-budget');
    expect(cutOffOf(attempt({ kind: 'exited', code: 1 }, { isError: true, apiErrorStatus: 529 }))).toBe('api-error');
  });

  it('names none for an agent that reported, however badly, or that no continuation can mend', () => {
    expect(cutOffOf(attempt(exited, { text: 'TASK_COMPLETE: T1' }))).toBeUndefined();
    expect(cutOffOf(attempt(exited, { text: 'no report at all' }))).toBeUndefined();
    expect(cutOffOf(attempt({ kind: 'not-started', message: 'no claude' }))).toBeUndefined();
    expect(cutOffOf(attempt({ kind: 'auth-refused', status: 401 }))).toBeUndefined();
    expect(cutOffOf(attempt({ kind: 'exited', code: 1 }, { isError: true, apiErrorStatus: 401 }))).toBeUndefined();
    expect(cutOffOf(attempt({ kind: 'exited', code: 1 }, { isError: true, subtype: 'error_during_execution' }))).toBeUndefined();
  });
});

describe('the session a retry continues', () => {
  const record = (fields: Partial<AttemptRecord>): AttemptRecord => ({
    taskId: 'T1',
    attempt: 2,
    outcome: 'retry',
    sessionId: 'b1d0c8e4-0000-4000-8000-000000000002',
    startedAt: '2026-01-01T00:00:00.000Z',
    finishedAt: '2026-01-01T00:00:01.000Z',
    durationMs: 1000,
    costUsd: 0.01,
    usage: USAGE,
    ...fields,
  });

  it("is the last attempt's when it was cut off; it saves the tokens that attempt spent", () => {
    expect(sessionToContinue(record({ cutOff: 'stalled', reason: 'stalled for 2 s' }))).toEqual({
      fromAttempt: 2,
      sessionId: 'b1d0c8e4-0000-4000-8000-000000000002',
      cutOff: 'stalled',
      reason: 'stalled for 2 s',
      tokensSaved: 5230,
    });
    // The verdict does not matter, only how the agent ended: a task given up on after cut-offs, then unblocked, continues too.
    expect(sessionToContinue(record({ outcome: 'blocked', cutOff: 'timed-out' }))?.cutOff).toBe('timed-out');
    expect(sessionToContinue(record({ outcome: 'interrupted', cutOff: 'stopped' }))?.fromAttempt).toBe(2);
  });

  it('counts only the continued attempt, not what it saved in turn', () => {
    const resumed = { fromAttempt: 1, sessionId: 'b1d0c8e4-0000-4000-8000-000000000001', tokensSaved: 99_999 };
    expect(sessionToContinue(record({ cutOff: 'max-turns', resumed }))?.tokensSaved).toBe(5230);
  });

  it('is none after work that was judged, after an attempt without a session, and for a first attempt', () => {
    expect(sessionToContinue(record({ reason: 'claimed completion, but these files do not exist: a.txt' }))).toBeUndefined();
    expect(sessionToContinue(record({ outcome: 'blocked', reason: 'gave up' }))).toBeUndefined();
    const { sessionId: _, ...withoutSession } = record({ cutOff: 'stopped' });
    expect(sessionToContinue(withoutSession)).toBeUndefined();
    expect(sessionToContinue(undefined)).toBeUndefined();
  });
});
