import { describe, expect, it } from 'vitest';
import { RunState } from '../../src/orchestrator/run-state.js';
import { newState } from '../../src/state/new-state.js';
import type { Outcome } from '../../src/orchestrator/outcome.js';
import type { Task } from '../../src/plan/model.js';
import { phase, plan, task } from './harness.js';

const AT = '2026-02-01T10:00:00.000Z';
const LATER = '2026-02-01T11:00:00.000Z';
const POLICY = { tokenLimit: null, maxCostUsd: null, compactionThreshold: 0.8, hardLimit: false };

function stateOf(p: ReturnType<typeof plan>): RunState {
  return new RunState(p, newState(p, 'plan/PROGRESS.json', AT));
}

function start(run: RunState, taskId: string, attempt = 1): void {
  run.taskStarted({ agentId: 's', taskId, spawnedAt: AT, status: 'running', attempt, specialist: 'l2-general-specialist', model: 'sonnet', sessionId: 's' });
}

function end(run: RunState, t: Task, outcome: Outcome, attempt = 1): void {
  run.attemptEnded(t, { attempt, outcome, startedAt: AT, at: LATER, completedBy: 'l2-general-specialist' });
}

const COMPLETED: Outcome = { kind: 'completed', summary: 'done', artifacts: ['a.ts'] };

describe('RunState: what PROGRESS.json must say', () => {
  it('changes nothing for a plan nothing happened to', () => {
    const run = stateOf({ ...plan(phase('P1', [task('A'), task('B')])), status: 'pending', completionPercentage: 0 });
    run.begin({ retryBlocked: false, policy: POLICY, concurrency: 1 }, AT);
    expect(run.planChanges()).toEqual({ tasks: new Map(), phases: new Map() });
  });

  it('gives a plan the progress fields it lacks', () => {
    const run = stateOf(plan(phase('P1', [task('A')])));
    expect(run.planChanges().plan).toEqual({ status: 'pending', completionPercentage: 0 });
  });

  it('writes a task it touched whole, its phase when its status moved, and the plan\'s progress', () => {
    const a = task('A');
    const run = stateOf(plan(phase('P1', [a, task('B')]), phase('P2', [task('C')])));
    run.begin({ retryBlocked: false, policy: POLICY, concurrency: 1 }, AT);
    start(run, 'A');
    end(run, a, COMPLETED);
    const changes = run.planChanges();
    expect(changes.tasks).toEqual(new Map([['A', { status: 'completed', completedAt: LATER, completedBy: 'l2-general-specialist', blocker: null, attempts: 1 }]]));
    expect(changes.phases).toEqual(new Map([['P1', { status: 'in_progress', completedAt: null }]]));
    expect(changes.plan).toEqual({ status: 'in_progress', completionPercentage: 0 });
  });

  it('stamps a phase completed when its last task is, and drops the stamp when a task is reopened', () => {
    const a = task('A');
    const run = stateOf(plan(phase('P1', [a])));
    start(run, 'A');
    end(run, a, COMPLETED);
    expect(run.planChanges().phases.get('P1')).toEqual({ status: 'completed', completedAt: LATER });
    expect(run.planChanges().plan).toEqual({ status: 'completed', completionPercentage: 100 });
    run.reopened('A', '2026-02-02T00:00:00.000Z');
    // Back where the file started: pending with no stamp, so nothing to write for the phase.
    expect(run.planChanges().phases).toEqual(new Map());
    expect(run.planChanges().tasks.get('A')).toEqual({ status: 'pending', completedAt: null, completedBy: null, blocker: null, attempts: 1 });
  });

  it('keeps the stamp of a phase the file already says is completed', () => {
    const run = stateOf(plan(phase('P1', [task('A', { status: 'completed' })], { status: 'completed', completedAt: AT })));
    run.begin({ retryBlocked: false, policy: POLICY, concurrency: 1 }, LATER);
    expect(run.planChanges().phases).toEqual(new Map());
  });

  it('takes the tasks\' word over a phase status that disagrees with them', () => {
    const run = stateOf(plan(phase('P1', [task('A'), task('B', { status: 'blocked' })], { status: 'completed', completedAt: AT })));
    run.begin({ retryBlocked: false, policy: POLICY, concurrency: 1 }, LATER);
    expect(run.planChanges().phases).toEqual(new Map([['P1', { status: 'in_progress', completedAt: null }]]));
  });

  it('a blocked task keeps its blocker; a failed one records its error as the blocker', () => {
    const a = task('A');
    const b = task('B');
    const run = stateOf(plan(phase('P1', [a, b])));
    end(run, a, { kind: 'blocked', blocker: 'no key', suggestedAction: 'add one' });
    end(run, b, { kind: 'fatal', reason: 'impossible', taskFailed: true });
    expect(run.progress('A')).toMatchObject({ status: 'blocked', blocker: 'no key' });
    expect(run.progress('B')).toMatchObject({ status: 'failed', blocker: 'impossible' });
    expect(run.phaseStatus(0)).toBe('failed');
    expect(run.blockers()).toEqual([{ taskId: 'A', blocker: 'no key', suggestedAction: 'add one', at: LATER }]);
  });

  it('a failed phase stays failed for the run whatever its tasks say', () => {
    const run = stateOf(plan(phase('P1', [task('A')])));
    run.phaseFailed(0, AT);
    expect(run.phaseStatus(0)).toBe('failed');
    expect(run.planChanges().phases.get('P1')).toEqual({ status: 'failed', completedAt: null });
  });
});

describe('RunState: state.json', () => {
  it('derives its lists, totals and metrics from the tasks and the attempts', () => {
    const [a, b, c] = [task('A'), task('B'), task('C')];
    const run = stateOf(plan(phase('P1', [a, b, c])));
    start(run, 'A');
    run.attemptEnded(a, {
      attempt: 1,
      outcome: COMPLETED,
      result: {
        end: { kind: 'exited', code: 0 },
        result: { isError: false, subtype: 'success', text: '', errors: [], numTurns: 1, durationMs: 4000, costUsd: 0.25, usage: { inputTokens: 10, outputTokens: 20, cacheCreationTokens: 30, cacheReadTokens: 40 }, denials: [] },
        apiRetries: [],
        sessionId: 'sa',
        logFile: 'logs/A.1.jsonl',
        stderrTail: '',
        startedAt: AT,
        finishedAt: LATER,
        durationMs: 4000,
      },
      startedAt: AT,
      at: LATER,
      completedBy: 'x',
    });
    start(run, 'B');
    end(run, b, { kind: 'retry', reason: 'no report' });
    const books = run.books(LATER);
    expect(books).toMatchObject({
      lastUpdated: LATER,
      currentPhase: 'P1',
      completedTasks: ['A'],
      pendingTasks: ['B', 'C'],
      activeAgents: [],
      tokenBudget: { used: 100, costUsd: 0.25, usage: { inputTokens: 10, outputTokens: 20, cacheCreationTokens: 30, cacheReadTokens: 40 } },
      metrics: { tasksCompleted: 1, tasksFailed: 1, totalAgentsSpawned: 2, averageTaskDuration: 4000 },
    });
    expect(books.attempts[0]).toMatchObject({ taskId: 'A', outcome: 'completed', sessionId: 'sa', log: 'logs/A.1.jsonl', artifacts: ['a.ts'], durationMs: 4000 });
    expect(books.failedTasks.map((f) => [f.taskId, f.reason])).toEqual([['B', 'no report']]);
  });

  it('keeps its keys in the order of the seed orchestrator\'s schema', () => {
    const run = stateOf(plan(phase('P1', [task('A')])));
    expect(Object.keys(run.books(AT))).toEqual([
      'version',
      'planId',
      'planPath',
      'initialized',
      'lastUpdated',
      'status',
      'currentPhase',
      'activeAgents',
      'completedTasks',
      'pendingTasks',
      'failedTasks',
      'blockedTasks',
      'attempts',
      'tokenBudget',
      'githubConfig',
      'metrics',
    ]);
  });

  it('a usage limit is recorded as rate-limited and is not a failure', () => {
    const a = task('A');
    const run = stateOf(plan(phase('P1', [a])));
    end(run, a, { kind: 'wait', resetsAt: 0 });
    expect(run.books(AT).attempts[0]!.outcome).toBe('rate-limited');
    expect(run.books(AT).failedTasks).toEqual([]);
  });

  it('a finished run has no agents; a budget or usage limit pauses it', () => {
    const run = stateOf(plan(phase('P1', [task('A')])));
    start(run, 'A');
    run.finished('budget');
    expect(run.books(AT)).toMatchObject({ status: 'paused', activeAgents: [] });
  });

  it('refuses a task the plan does not have', () => {
    const run = stateOf(plan(phase('P1', [task('A')])));
    expect(() => run.reopened('nope', AT)).toThrow('unknown task nope');
  });
});

describe('RunState: a person editing PROGRESS.json during the run', () => {
  /** A and B in one phase, A completed by this run and written so. */
  function afterA(): { run: RunState; b: Task } {
    const a = task('A');
    const b = task('B');
    const run = stateOf(plan(phase('P1', [a, b])));
    run.begin({ retryBlocked: false, policy: POLICY, concurrency: 1 }, AT);
    start(run, 'A');
    end(run, a, COMPLETED);
    return { run, b };
  }

  /** The file as a person left it: A as ccasp wrote it, B as given. */
  const onDisk = (b: Task) => plan(phase('P1', [task('A', { status: 'completed', completedAt: LATER, completedBy: 'l2-general-specialist', attempts: 1 }), b], { status: 'in_progress' }));

  it('skips a task as the file says, and writes from then on only what differs from the edited file', () => {
    const { run } = afterA();
    const skipped = task('B', { status: 'skipped', blocker: 'not needed after all' });
    expect(run.planEdited(onDisk(skipped), [skipped], LATER)).toEqual([]);
    expect(run.progress('B')).toEqual({ status: 'skipped', completedAt: undefined, completedBy: undefined, blocker: 'not needed after all', attempts: undefined });
    const changes = run.planChanges();
    expect(changes.tasks, 'A and B read in the file as the state has them').toEqual(new Map());
    expect(changes.phases).toEqual(new Map([['P1', { status: 'completed', completedAt: LATER }]]));
    expect(changes.plan).toEqual({ status: 'completed', completionPercentage: 100 });
  });

  it('takes a blocked task off the blockers when it is skipped', () => {
    const a = task('A');
    const run = stateOf(plan(phase('P1', [a])));
    end(run, a, { kind: 'blocked', blocker: 'no key', suggestedAction: 'add one' });
    const skipped = task('A', { status: 'skipped' });
    expect(run.planEdited(plan(phase('P1', [skipped])), [skipped], LATER)).toEqual([]);
    expect(run.blockers()).toEqual([]);
    expect(run.statusOf('A')).toBe('skipped');
  });

  it('refuses to skip a task whose agent is running, and changes nothing', () => {
    const { run, b } = afterA();
    start(run, 'B');
    const before = run.planChanges();
    const skipped = task('B', { status: 'skipped' });
    expect(run.planEdited(onDisk(skipped), [skipped], LATER)).toEqual(['B']);
    expect(run.statusOf('B')).toBe('in_progress');
    expect(run.planChanges()).toEqual(before);
    expect(b.status).toBe('pending');
  });
});

describe('RunState: reservations and agents at once', () => {
  const withResult = (costUsd: number, apiRetries: { status?: number; message: string }[] = []) => ({
    end: { kind: 'exited' as const, code: 0 },
    result: { isError: false, subtype: 'success', text: '', errors: [], numTurns: 1, durationMs: 1, costUsd, usage: { inputTokens: 1, outputTokens: 1, cacheCreationTokens: 0, cacheReadTokens: 0 }, denials: [] },
    apiRetries,
    sessionId: 's',
    logFile: 'l',
    stderrTail: '',
    startedAt: AT,
    finishedAt: LATER,
    durationMs: 1,
  });

  it('reserves out of what is neither spent nor reserved, and an attempt\'s end settles its reservation to what it spent', () => {
    const [a, b, c] = [task('A'), task('B'), task('C')];
    const run = stateOf(plan(phase('P1', [a, b, c])));
    run.begin({ retryBlocked: false, policy: { ...POLICY, maxCostUsd: 3 }, concurrency: 3 }, AT);
    expect([run.reserveCost('A', 3), run.reserveCost('B', 2), run.reserveCost('C', 1)]).toEqual([1, 1, 1]);
    expect(run.reservedUsd()).toBe(3);
    start(run, 'A');
    run.attemptEnded(a, { attempt: 1, outcome: COMPLETED, result: withResult(0.4), startedAt: AT, at: LATER, completedBy: 'x' });
    expect(run.reservedUsd()).toBe(2);
    expect(run.budget().costUsd).toBe(0.4);
    run.finished('paused');
    expect(run.reservedUsd()).toBe(0);
  });

  it('has no reservation to make without a cost limit', () => {
    const run = stateOf(plan(phase('P1', [task('A')])));
    run.begin({ retryBlocked: false, policy: POLICY, concurrency: 1 }, AT);
    expect(run.reserveCost('A', 1)).toBeUndefined();
  });

  it('lowers the figure after a rate-limited attempt, keeps it in state.json, and a new run starts again from the configured one', () => {
    const a = task('A');
    const p = plan(phase('P1', [a]));
    const run = stateOf(p);
    run.begin({ retryBlocked: false, policy: POLICY, concurrency: 4 }, AT);
    start(run, 'A');
    run.attemptEnded(a, { attempt: 1, outcome: { kind: 'retry', reason: 'x' }, result: withResult(0, [{ status: 529, message: 'overloaded' }]), startedAt: AT, at: LATER, completedBy: 'x' });
    expect(run.concurrency()).toEqual({ current: 2, max: 4 });
    const books = run.books(LATER);
    expect(books.concurrency).toEqual({ current: 2, max: 4 });
    const next = new RunState(p, books);
    expect(next.concurrency()).toEqual({ current: 2, max: 4 });
    next.begin({ retryBlocked: false, policy: POLICY, concurrency: 4 }, LATER);
    expect(next.concurrency()).toEqual({ current: 4, max: 4 });
  });
});
