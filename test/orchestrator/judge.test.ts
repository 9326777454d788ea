import { describe, expect, it } from 'vitest';
import type { AgentResult, AttemptResult, ProcessEnd } from '../../src/agents/attempt.js';
import type { Report } from '../../src/agents/report.js';
import { judgeAttempt, judgeWork } from '../../src/orchestrator/judge.js';

const REPORT = 'TASK_COMPLETE: P1.1\nSTATUS: completed\nARTIFACTS: [src/a.ts]\nSUMMARY: Added a.ts';

function result(fields: Partial<AgentResult> = {}): AgentResult {
  return {
    isError: false,
    subtype: 'success',
    text: REPORT,
    errors: [],
    numTurns: 2,
    durationMs: 100,
    costUsd: 0.001,
    usage: { inputTokens: 10, outputTokens: 5, cacheCreationTokens: 0, cacheReadTokens: 0 },
    denials: [],
    ...fields,
  };
}

function attempt(fields: { end?: ProcessEnd; result?: AgentResult | null; apiRetries?: AttemptResult['apiRetries']; stderrTail?: string } = {}): AttemptResult {
  const r = fields.result === null ? undefined : (fields.result ?? result());
  return {
    end: fields.end ?? { kind: 'exited', code: 0 },
    ...(r ? { result: r } : {}),
    apiRetries: fields.apiRetries ?? [],
    sessionId: '00000000-0000-4000-8000-000000000000',
    logFile: '/tmp/log.jsonl',
    stderrTail: fields.stderrTail ?? '',
    startedAt: '2026-01-01T00:00:00.000Z',
    finishedAt: '2026-01-01T00:00:01.000Z',
    durationMs: 1000,
  };
}

describe('judgeAttempt', () => {
  it('cancelled → interrupted, whatever the result says', () => {
    expect(judgeAttempt('P1.1', attempt({ end: { kind: 'cancelled' } }))).toEqual({ kind: 'interrupted' });
  });

  it('not started → fatal with the spawn message, not a task failure', () => {
    expect(judgeAttempt('P1.1', attempt({ end: { kind: 'not-started', message: 'spawn claude ENOENT' }, result: null }))).toEqual({
      kind: 'fatal',
      reason: 'spawn claude ENOENT',
      taskFailed: false,
    });
  });

  it.each([401, 403])('HTTP %i in the result → fatal, not a task failure', (status) => {
    const verdict = judgeAttempt('P1.1', attempt({ end: { kind: 'exited', code: 1 }, result: result({ isError: true, apiErrorStatus: status, text: 'Invalid API key' }) }));
    expect(verdict).toMatchObject({ kind: 'fatal', taskFailed: false });
    expect(verdict).toHaveProperty('reason', expect.stringContaining(`HTTP ${status}`));
  });

  it.each([401, 403])('HTTP %i in an api_retry → fatal even when the process timed out without a result', (status) => {
    const verdict = judgeAttempt(
      'P1.1',
      attempt({ end: { kind: 'timed-out', afterMs: 60_000 }, result: null, apiRetries: [{ status: 500, message: 'server_error' }, { status, message: 'authentication_failed' }] }),
    );
    expect(verdict).toMatchObject({ kind: 'fatal', taskFailed: false });
    expect(verdict).toHaveProperty('reason', expect.stringContaining(`HTTP ${status}`));
  });

  it('other api_retry statuses are not fatal', () => {
    const verdict = judgeAttempt('P1.1', attempt({ apiRetries: [{ status: 529, message: 'overloaded' }, { message: 'unknown' }] }));
    expect(verdict.kind).toBe('check');
  });

  it('timeout → retry naming the limit in seconds', () => {
    const verdict = judgeAttempt('P1.1', attempt({ end: { kind: 'timed-out', afterMs: 90_000 }, result: null }));
    expect(verdict).toEqual({ kind: 'retry', reason: 'the agent ran past the 90 s time limit and was stopped' });
  });

  it('timeout wins over a result that came before the kill', () => {
    expect(judgeAttempt('P1.1', attempt({ end: { kind: 'timed-out', afterMs: 1000 } })).kind).toBe('retry');
  });

  it('exit without a result → retry with the exit code and the stderr tail', () => {
    const verdict = judgeAttempt('P1.1', attempt({ end: { kind: 'exited', code: 143 }, result: null, stderrTail: '  Error: Session ID is already in use.\n' }));
    expect(verdict).toEqual({ kind: 'retry', reason: 'the agent process exited with code 143 without a result: Error: Session ID is already in use.' });
  });

  it('killed by a signal without a result → retry naming the signal; no stderr, no colon', () => {
    const verdict = judgeAttempt('P1.1', attempt({ end: { kind: 'signal', signal: 'SIGKILL' }, result: null }));
    expect(verdict).toEqual({ kind: 'retry', reason: 'the agent process was killed by SIGKILL without a result' });
  });

  it('is_error with an API status → retry naming the status and the text', () => {
    const verdict = judgeAttempt('P1.1', attempt({ result: result({ isError: true, apiErrorStatus: 529, text: 'API Error: 529 Overloaded.' }) }));
    expect(verdict).toEqual({ kind: 'retry', reason: 'the agent ended in error (API error 529): API Error: 529 Overloaded.' });
  });

  it('is_error with errors → retry naming the subtype and the errors', () => {
    const verdict = judgeAttempt(
      'P1.1',
      attempt({ result: result({ isError: true, subtype: 'error_during_execution', text: '', errors: ['[ede_diagnostic] result_type=user', 'second'] }) }),
    );
    expect(verdict).toEqual({ kind: 'retry', reason: 'the agent ended in error (error_during_execution): [ede_diagnostic] result_type=user; second' });
  });

  it('is_error without errors or text → retry naming the subtype alone', () => {
    const verdict = judgeAttempt('P1.1', attempt({ result: result({ isError: true, subtype: 'error_during_execution', text: '' }) }));
    expect(verdict).toEqual({ kind: 'retry', reason: 'the agent ended in error (error_during_execution)' });
  });

  it('error_max_turns → retry telling the agent to finish within the turns', () => {
    const verdict = judgeAttempt(
      'P1.1',
      attempt({ end: { kind: 'exited', code: 1 }, result: result({ isError: true, subtype: 'error_max_turns', text: '', numTurns: 7, errors: ['Reached maximum number of turns (6)'] }) }),
    );
    expect(verdict).toMatchObject({ kind: 'retry', reason: expect.stringContaining('ran out of turns after 7') });
  });

  it('stalled → retry naming the silence', () => {
    expect(judgeAttempt('P1.1', attempt({ end: { kind: 'stalled', afterMs: 45_000 }, result: null }))).toEqual({
      kind: 'retry',
      reason: 'the agent printed nothing for 45 s and was stopped as stalled',
    });
  });

  it('a whole number of minutes is said in minutes', () => {
    expect(judgeAttempt('P1.1', attempt({ end: { kind: 'timed-out', afterMs: 1_800_000 }, result: null }))).toEqual({
      kind: 'retry',
      reason: 'the agent ran past the 30 min time limit and was stopped',
    });
  });

  it('auth-refused → fatal naming the status, not a task failure', () => {
    const verdict = judgeAttempt('P1.1', attempt({ end: { kind: 'auth-refused', status: 403 }, result: null }));
    expect(verdict).toMatchObject({ kind: 'fatal', taskFailed: false, reason: expect.stringContaining('HTTP 403') });
  });

  it('rate-limited → wait for the reset time', () => {
    expect(judgeAttempt('P1.1', attempt({ end: { kind: 'rate-limited', resetsAt: 1_767_225_600_000 }, result: null }))).toEqual({
      kind: 'wait',
      resetsAt: 1_767_225_600_000,
    });
  });

  it('is_error keeps a long text to 300 characters', () => {
    const verdict = judgeAttempt('P1.1', attempt({ result: result({ isError: true, text: `${REPORT}\n${'x'.repeat(1000)}` }) }));
    expect(verdict.kind).toBe('retry');
    expect(verdict.kind === 'retry' && verdict.reason.length).toBeLessThanOrEqual('the agent ended in error (success): '.length + 300);
  });

  it('is_error even with a valid report → retry', () => {
    expect(judgeAttempt('P1.1', attempt({ result: result({ isError: true }) })).kind).toBe('retry');
  });

  it('no report → retry', () => {
    expect(judgeAttempt('P1.1', attempt({ result: result({ text: 'I did it, all done.' }) }))).toEqual({
      kind: 'retry',
      reason: 'the agent ended without a TASK_COMPLETE, TASK_BLOCKED or TASK_FAILED report',
    });
  });

  it('a report for another task → retry naming that id', () => {
    expect(judgeAttempt('P1.1', attempt({ result: result({ text: REPORT.replace('P1.1', 'P1.10') }) }))).toEqual({
      kind: 'retry',
      reason: 'the report names task "P1.10", not P1.1',
    });
  });

  it('blocked → blocked with the blocker and suggested action', () => {
    const text = 'TASK_BLOCKED: P1.1\nBLOCKER: no database\nSUGGESTED_ACTION: start postgres';
    expect(judgeAttempt('P1.1', attempt({ result: result({ text }) }))).toEqual({ kind: 'blocked', blocker: 'no database', suggestedAction: 'start postgres' });
  });

  it('blocked without a blocker → a default blocker text', () => {
    const verdict = judgeAttempt('P1.1', attempt({ result: result({ text: 'TASK_BLOCKED: P1.1' }) }));
    expect(verdict).toEqual({ kind: 'blocked', blocker: 'the agent reported the task blocked', suggestedAction: '' });
  });

  it('failed → fatal with taskFailed and the error', () => {
    const verdict = judgeAttempt('P1.1', attempt({ result: result({ text: 'TASK_FAILED: P1.1\nERROR: impossible' }) }));
    expect(verdict).toEqual({ kind: 'fatal', reason: 'impossible', taskFailed: true });
  });

  it('failed without an error → a default reason', () => {
    const verdict = judgeAttempt('P1.1', attempt({ result: result({ text: 'TASK_FAILED: P1.1' }) }));
    expect(verdict).toEqual({ kind: 'fatal', reason: 'the agent reported the task cannot be done', taskFailed: true });
  });

  it('complete → check, carrying the parsed report', () => {
    expect(judgeAttempt('P1.1', attempt())).toEqual({
      kind: 'check',
      report: { kind: 'complete', taskId: 'P1.1', status: 'completed', artifacts: ['src/a.ts'], summary: 'Added a.ts' },
    });
  });

  it('complete after a non-zero exit still goes to the check: the result line decides', () => {
    expect(judgeAttempt('P1.1', attempt({ end: { kind: 'exited', code: 1 } })).kind).toBe('check');
  });
});

describe('judgeWork', () => {
  const report: Extract<Report, { kind: 'complete' }> = { kind: 'complete', taskId: 'P1.1', status: 'completed', artifacts: ['src/a.ts'], summary: 'Added a.ts' };

  it('paths outside the project → retry naming them, keeping the summary', () => {
    expect(judgeWork(report, { missing: ['x.ts'], outside: ['../etc/passwd', '/tmp/x'], verify: { ok: false, detail: 'no' } })).toEqual({
      kind: 'retry',
      reason: 'refused paths outside the project: ../etc/passwd, /tmp/x',
      summary: 'Added a.ts',
    });
  });

  it('missing files → retry naming them', () => {
    expect(judgeWork(report, { missing: ['src/a.ts', 'src/b.ts'], outside: [], verify: { ok: false, detail: 'no' } })).toEqual({
      kind: 'retry',
      reason: 'claimed completion, but these files do not exist: src/a.ts, src/b.ts',
      summary: 'Added a.ts',
    });
  });

  it('failed verify → retry with its detail', () => {
    expect(judgeWork(report, { missing: [], outside: [], verify: { ok: false, detail: '`npm test` exited with code 1' } })).toEqual({
      kind: 'retry',
      reason: "the task's check failed: `npm test` exited with code 1",
      summary: 'Added a.ts',
    });
  });

  it('all fine → completed with summary and artifacts', () => {
    const done = { kind: 'completed', summary: 'Added a.ts', artifacts: ['src/a.ts'] };
    expect(judgeWork(report, { missing: [], outside: [], verify: { ok: true, detail: 'ok' } })).toEqual(done);
    expect(judgeWork(report, { missing: [], outside: [] })).toEqual(done);
  });
});
