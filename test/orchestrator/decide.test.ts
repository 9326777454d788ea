import { describe, expect, it } from 'vitest';
import type { AgentRequest } from '../../src/agents/request.js';
import { decide, followsConflict, nextStep, type AttemptContext, type AttemptFacts } from '../../src/orchestrator/decide.js';
import type { AttemptRecord } from '../../src/state/schema.js';
import { answer, blocked, complete, ended, task } from './harness.js';

const request = { task: task('A'), sessionId: 's', attempt: 1 } as AgentRequest;
const ctx: AttemptContext = { taskId: 'A', attempt: 1, lastTry: false, stopped: false };
const OK = { missing: [], outside: [] };
const WS = { cwd: '/wt/A', branch: 'ccasp/A' };

/** Answers every question `decide` asks from `known`, and says which it asked. */
function settle(facts: AttemptFacts, c: AttemptContext, known: Omit<AttemptFacts, 'result'>): { asked: string[]; outcome: unknown } {
  const asked: string[] = [];
  for (;;) {
    const d = decide(facts, c);
    if (d.kind === 'outcome') return { asked, outcome: d.outcome };
    asked.push(d.kind);
    if (d.kind === 'check') facts = { ...facts, check: known.check! };
    if (d.kind === 'integrate') facts = { ...facts, integration: known.integration! };
    if (d.kind === 'fingerprint') facts = { ...facts, fingerprint: known.fingerprint! };
  }
}

describe('decide asks only for the facts the outcome needs', () => {
  it('a completion is checked, then (in a worktree) merged; no fingerprint', () => {
    const r = settle({ result: complete(request, ['a.ts']) }, { ...ctx, workspace: WS }, { check: OK, integration: { kind: 'integrated', commit: 'c', how: 'merge' } });
    expect(r).toEqual({ asked: ['check', 'integrate'], outcome: { kind: 'completed', summary: 'did A', artifacts: ['a.ts'] } });
  });

  it('a completion whose check fails is not merged, and is fingerprinted for the circuit breaker', () => {
    const r = settle({ result: complete(request, ['a.ts']) }, { ...ctx, workspace: WS }, { check: { missing: ['a.ts'], outside: [] }, fingerprint: { value: 'f' } });
    expect(r.asked).toEqual(['check', 'fingerprint']);
    expect(r.outcome).toMatchObject({ kind: 'retry', reason: 'claimed completion, but these files do not exist: a.ts' });
  });

  it('a blocked report needs nothing checked', () => {
    expect(settle({ result: blocked(request, 'no key') }, ctx, {})).toEqual({ asked: [], outcome: { kind: 'blocked', blocker: 'no key', suggestedAction: 'ask someone' } });
  });

  it('an agent the run stopped is interrupted, unless it completed', () => {
    expect(settle({ result: ended(request, { kind: 'signal', signal: 'SIGTERM' }) }, { ...ctx, stopped: true }, {})).toEqual({ asked: [], outcome: { kind: 'interrupted' } });
    expect(settle({ result: complete(request) }, { ...ctx, stopped: true }, { check: OK }).outcome).toMatchObject({ kind: 'completed' });
  });

  it('the same failure with the same files blocks; a changed file earns another try', () => {
    const lastFailure = { reason: 'the agent ended without a TASK_COMPLETE, TASK_BLOCKED or TASK_FAILED report', fingerprint: 'f1' };
    const facts = { result: answer(request, 'nothing') };
    expect(settle(facts, { ...ctx, lastFailure }, { fingerprint: { value: 'f1' } }).outcome).toMatchObject({ kind: 'blocked' });
    expect(settle(facts, { ...ctx, lastFailure }, { fingerprint: { value: 'f2' } }).outcome).toMatchObject({ kind: 'retry' });
    // A fingerprint that could not be taken never trips the breaker.
    expect(settle(facts, { ...ctx, lastFailure: { ...lastFailure, fingerprint: undefined } }, { fingerprint: { value: undefined } }).outcome).toMatchObject({ kind: 'retry' });
  });

  it('gives up on the last try, counting attempts as people do', () => {
    const facts = { result: answer(request, 'nothing') };
    expect(settle(facts, { ...ctx, lastTry: true }, { fingerprint: { value: 'f' } }).outcome).toMatchObject({ kind: 'blocked', blocker: expect.stringMatching(/^gave up after 1 attempt; last: /) });
    expect(settle(facts, { ...ctx, attempt: 3, lastTry: true }, { fingerprint: { value: 'f' } }).outcome).toMatchObject({ blocker: expect.stringMatching(/^gave up after 3 attempts; /) });
  });

  it('a refused merge blocks the task, saying where its work is kept', () => {
    const r = settle({ result: complete(request) }, { ...ctx, workspace: WS }, { check: OK, integration: { kind: 'refused', reason: 'local changes', suggestedAction: 'commit them' } });
    expect(r.outcome).toEqual({ kind: 'blocked', blocker: 'local changes', suggestedAction: 'commit them (its work is kept in /wt/A, branch ccasp/A)' });
  });
});

describe('nextStep', () => {
  it('retries only while the run goes on, and waits only when told to', () => {
    const retry = { kind: 'retry', reason: 'x' } as const;
    const wait = { kind: 'wait', resetsAt: 0 } as const;
    expect(nextStep(retry, { stopping: false, waitForRateLimit: true })).toBe('retry');
    expect(nextStep(retry, { stopping: true, waitForRateLimit: true })).toBe('stop');
    expect(nextStep(wait, { stopping: false, waitForRateLimit: true })).toBe('wait');
    expect(nextStep(wait, { stopping: false, waitForRateLimit: false })).toBe('done');
    expect(nextStep({ kind: 'completed', summary: '', artifacts: [] }, { stopping: false, waitForRateLimit: true })).toBe('done');
  });
});

describe('followsConflict', () => {
  const rec = (outcome: AttemptRecord['outcome'], conflictPaths?: string[]): AttemptRecord => ({
    taskId: 'A',
    attempt: 1,
    outcome,
    startedAt: '',
    finishedAt: '',
    durationMs: 0,
    costUsd: 0,
    usage: { inputTokens: 0, outputTokens: 0, cacheCreationTokens: 0, cacheReadTokens: 0 },
    ...(conflictPaths ? { conflictPaths } : {}),
  });

  it('reads the last attempt that came to a verdict, past interruptions and usage limits', () => {
    expect(followsConflict([])).toBe(false);
    expect(followsConflict([rec('retry', ['a.ts'])])).toBe(true);
    expect(followsConflict([rec('retry', ['a.ts']), rec('interrupted'), rec('rate-limited')])).toBe(true);
    expect(followsConflict([rec('retry', ['a.ts']), rec('retry')])).toBe(false);
  });
});

