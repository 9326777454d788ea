import { describe, expect, it } from 'vitest';
import { WriteError } from '../../src/errors.js';
import type { AttemptResult } from '../../src/agents/attempt.js';
import type { AgentRequest } from '../../src/agents/request.js';
import type { RunState } from '../../src/orchestrator/run-state.js';
import { newState } from '../../src/state/new-state.js';
import { answer, blocked, complete, ended, eventsOf, failed, harness, held, phase, plan, task } from './harness.js';
import { WorktreeSetupError } from '../../src/worktree/ready.js';

const twoPhases = () =>
  plan(phase('P1', [task('P1.1'), task('P1.2', { dependencies: ['P1.1'] })]), phase('P2', [task('P2.1', { dependencies: ['P1.2'] })]));

describe('runPlan: the protocol', () => {
  it('runs the phases in order, each task once its dependencies are done, and says so in order', async () => {
    const h = harness(twoPhases(), { agent: (r) => complete(r, [`src/${r.task.id}.ts`]) });
    expect(await h.start()).toEqual({ outcome: 'completed', reason: 'all phases completed' });
    expect(h.requests.map((r) => r.task.id)).toEqual(['P1.1', 'P1.2', 'P2.1']);
    expect(h.types()).toEqual([
      'run.started',
      'phase.started',
      'task.started',
      'task.completed',
      'task.started',
      'task.completed',
      'phase.completed',
      'phase.started',
      'task.started',
      'task.completed',
      'phase.completed',
      'run.finished',
    ]);
    expect(eventsOf(h.events, 'phase.completed').map((e) => e.percent)).toEqual([50, 100]);
    const disk = h.onDisk();
    expect(disk.statuses).toEqual({ 'P1.1': 'completed', 'P1.2': 'completed', 'P2.1': 'completed' });
    expect(disk.books).toMatchObject({ status: 'completed', currentPhase: null, completedTasks: ['P1.1', 'P1.2', 'P2.1'], pendingTasks: [], activeAgents: [] });
    expect(disk.books.metrics).toMatchObject({ tasksCompleted: 3, totalAgentsSpawned: 3, tasksFailed: 0 });
    expect(disk.books.tokenBudget).toMatchObject({ used: 450, costUsd: 0.03 });
    expect(eventsOf(h.events, 'run.finished')[0]).toMatchObject({ completed: 3, total: 3, tokens: 450, agentsSpawned: 3 });
  });

  it("tells an agent its plan's and phase's names and the plan's tool rules, not their other tasks", async () => {
    const p = { ...twoPhases(), testCommand: 'npm test', permissions: { allow: ['Bash(make:*)'], deny: [] } };
    const h = harness(p, { agent: (r) => complete(r, [`src/${r.task.id}.ts`]) });
    await h.start();
    // A queue job carries the request: it must not grow with the plan.
    expect(h.requests[2]!.plan).toEqual({ id: p.id, name: p.name, testCommand: 'npm test', permissions: { allow: ['Bash(make:*)'], deny: [] } });
    expect(h.requests[2]!.phase).toEqual({ id: 'P2', name: p.phases[1]!.name });
  });

  it('starts an agent only once its start is on disk, and a dependant only once its dependency is', async () => {
    const seen: Record<string, string>[] = [];
    let h!: ReturnType<typeof harness>;
    h = harness(twoPhases(), {
      agent: (r) => {
        seen.push(h.onDisk().statuses);
        expect(h.onDisk().books.activeAgents.map((a) => a.taskId)).toEqual([r.task.id]);
        return complete(r);
      },
    });
    await h.start();
    expect(seen).toEqual([
      { 'P1.1': 'in_progress', 'P1.2': 'pending', 'P2.1': 'pending' },
      { 'P1.1': 'completed', 'P1.2': 'in_progress', 'P2.1': 'pending' },
      { 'P1.1': 'completed', 'P1.2': 'completed', 'P2.1': 'in_progress' },
    ]);
  });

  it('runs independent tasks side by side up to the concurrency, never two that share a file', async () => {
    const agents = held();
    const p = plan(phase('P1', [task('A', { files: ['src/a.ts'] }), task('B', { files: ['src/a.ts'] }), task('C'), task('D')]));
    const h = harness(p, { agent: agents.agent, settings: { concurrency: 3 } });
    const done = h.start();
    await until(() => agents.started().length === 3);
    // B shares A's file; C and D take the free slots.
    expect(agents.started()).toEqual(['A', 'C', 'D']);
    agents.release('A');
    await until(() => agents.started().length === 4);
    expect(agents.started()).toEqual(['A', 'C', 'D', 'B']);
    for (const id of ['B', 'C', 'D']) agents.release(id);
    expect((await done).outcome).toBe('completed');
  });

  it('with agents that answer at once, tells a dependency\'s end before its dependant\'s start, and a phase\'s before the next', async () => {
    const chains = (id: string) => phase(id, Array.from({ length: 12 }, (_, i) => task(`${id}.${i + 1}`, i % 3 === 0 ? {} : { dependencies: [`${id}.${i}`] })));
    const p = plan(chains('P1'), chains('P2'), chains('P3'));
    const h = harness(p, { agent: (r) => complete(r), settings: { concurrency: 4 } });
    expect((await h.start()).outcome).toBe('completed');
    const at = (type: string, id: string) => h.events.findIndex((e) => e.type === type && ('taskId' in e ? e.taskId : 'phaseId' in e ? e.phaseId : '') === id);
    for (const t of p.phases.flatMap((ph) => ph.tasks)) {
      for (const dep of t.dependencies) expect(at('task.completed', dep)).toBeLessThan(at('task.started', t.id));
    }
    expect(at('phase.completed', 'P1')).toBeLessThan(at('phase.started', 'P2'));
    expect(at('phase.completed', 'P2')).toBeLessThan(at('phase.started', 'P3'));
  });

  it('records the agent pid for people reading state.json, and drops it with the agent', async () => {
    const h = harness(twoPhases(), { agent: (r) => complete(r) });
    await h.start();
    const pids = h.saves.flatMap((s) => s.books.activeAgents.map((a) => a.pid));
    expect(pids).toContain(1001);
    expect(h.onDisk().books.activeAgents).toEqual([]);
  });
});

describe('runPlan: when an attempt fails', () => {
  it('retries with the reason in the next prompt, and completes', async () => {
    const h = harness(plan(phase('P1', [task('A', { files: ['a.ts'] })])), {
      agent: (r) => complete(r, ['a.ts']),
      check: (_t, attempt) => (attempt === 1 ? { missing: ['a.ts'], outside: [] } : { missing: [], outside: [] }),
    });
    expect((await h.start()).outcome).toBe('completed');
    expect(h.requests.map((r) => r.attempt)).toEqual([1, 2]);
    expect(h.requests[1]!.previous).toEqual([{ attempt: 1, reason: 'claimed completion, but these files do not exist: a.ts', summary: 'did A' }]);
    expect(eventsOf(h.events, 'task.attempt.failed')).toEqual([
      { type: 'task.attempt.failed', taskId: 'A', attempt: 1, reason: 'claimed completion, but these files do not exist: a.ts', willRetry: true, durationMs: 1000 },
    ]);
    expect(h.onDisk().books.failedTasks.map((a) => a.outcome)).toEqual(['retry']);
    expect(h.onDisk().books.metrics.tasksFailed).toBe(1);
  });

  it('surfaces the tools claude denied: an event, the attempt in state.json, and the retry\'s prompt', async () => {
    const denial = { tool: 'Bash', input: 'npm install left-pad', rule: 'Bash(npm install:*)' };
    const h = harness(plan(phase('P1', [task('A')])), { agent: (r) => (r.attempt === 1 ? answer(r, 'could not install', { denials: [denial] }) : complete(r)) });
    expect((await h.start()).outcome).toBe('completed');
    expect(eventsOf(h.events, 'task.denied')).toEqual([{ type: 'task.denied', taskId: 'A', attempt: 1, denials: [denial] }]);
    expect(h.types().filter((t) => t.startsWith('task.'))).toEqual(['task.started', 'task.denied', 'task.attempt.failed', 'task.started', 'task.completed']);
    expect(h.onDisk().books.attempts.map((a) => a.denials)).toEqual([[denial], undefined]);
    expect(h.requests[1]!.previous).toEqual([expect.objectContaining({ attempt: 1, denials: [denial] })]);
  });

  it("tells a resumed run's retry what an earlier run's attempt was denied", async () => {
    const denial = { tool: 'Bash', input: 'npm install left-pad', rule: 'Bash(npm install:*)' };
    const p = plan(phase('P1', [task('A')]));
    const books = newState(p, 'plan/PROGRESS.json', '2026-01-01T00:00:00.000Z');
    const usage = { inputTokens: 0, outputTokens: 0, cacheCreationTokens: 0, cacheReadTokens: 0 };
    books.attempts.push({ taskId: 'A', attempt: 1, outcome: 'retry', reason: 'no report', startedAt: '2026-01-01T00:00:00.000Z', finishedAt: '2026-01-01T00:00:01.000Z', durationMs: 1000, costUsd: 0, usage, denials: [denial] });
    const h = harness(p, { books, agent: (r) => complete(r) });
    expect((await h.start()).outcome).toBe('completed');
    expect(h.requests[0]!.previous).toEqual([{ attempt: 1, reason: 'no report', denials: [denial] }]);
  });

  it('bills an agent stopped before its result line for what its stream showed', async () => {
    const seen = { inputTokens: 3000, outputTokens: 40, cacheCreationTokens: 0, cacheReadTokens: 900 };
    const h = harness(plan(phase('P1', [task('A')])), {
      agent: (r) => (r.attempt === 1 ? { ...ended(r, { kind: 'stalled', afterMs: 2000 }), streamedUsage: seen } : complete(r)),
    });
    expect((await h.start()).outcome).toBe('completed');
    const books = h.onDisk().books;
    expect(books.attempts[0]!.usage).toEqual(seen);
    expect(books.attempts[0]!.costUsd).toBe(0);
    expect(books.tokenBudget.used).toBe(3940 + 150);
  });

  it('blocks a task that fails the same way twice with no file changed (the circuit breaker)', async () => {
    const h = harness(plan(phase('P1', [task('A')])), { agent: (r) => answer(r, 'no report at all'), fingerprint: () => 'unchanged' });
    const result = await h.start();
    expect(h.requests).toHaveLength(2);
    expect(result.outcome).toBe('blocked');
    expect(eventsOf(h.events, 'task.blocked')[0]!.blocker).toMatch(/^the same failure twice in a row with no file changed: the agent ended without a TASK_COMPLETE/);
    expect(h.onDisk().statuses).toEqual({ A: 'blocked' });
  });

  it('gives up after the retries when each failure differs, naming the last', async () => {
    const h = harness(plan(phase('P1', [task('A')])), { agent: (r) => answer(r, `attempt ${r.attempt} wrote no report`), settings: { maxRetries: 2 } });
    await h.start();
    expect(h.requests).toHaveLength(3);
    expect(eventsOf(h.events, 'task.attempt.failed').map((e) => e.willRetry)).toEqual([true, true]);
    const [block] = eventsOf(h.events, 'task.blocked');
    expect(block!.blocker).toBe('gave up after 3 attempts; last: the agent ended without a TASK_COMPLETE, TASK_BLOCKED or TASK_FAILED report');
    expect(h.onDisk().books.blockedTasks).toEqual([expect.objectContaining({ taskId: 'A', blocker: block!.blocker })]);
  });

  it('backs off between retries, doubling each time', async () => {
    const h = harness(plan(phase('P1', [task('A')])), { agent: (r) => answer(r, `no report ${r.attempt}`), settings: { maxRetries: 2, retryBackoffMs: 1000 } });
    const starts: number[] = [];
    await h.start();
    for (const e of h.saves) if (e.books.activeAgents.length > 0 && !e.books.activeAgents[0]!.pid) starts.push(Date.parse(e.books.activeAgents[0]!.spawnedAt));
    expect(starts.map((t) => t - starts[0]!)).toEqual([0, 1000, 3000]);
  });

  it('does not try again a task a person skipped while it waited for its next attempt', async () => {
    const skippedA = task('A', { status: 'skipped' });
    const b = task('B', { dependencies: ['A'] });
    const edited = plan(phase('P1', [skippedA, b]));
    let skipped = false;
    const h = harness(plan(phase('P1', [task('A'), b])), {
      agent: (r) => (r.task.id === 'A' ? answer(r, 'no report') : complete(r)),
      save(run) {
        if (skipped || run.attemptsOf('A').length !== 1) return;
        skipped = true;
        expect(run.planEdited(edited, [skippedA], '2026-01-01T00:00:01.000Z')).toEqual([]);
      },
    });
    expect((await h.start()).outcome).toBe('completed');
    expect(h.requests.map((r) => r.task.id)).toEqual(['A', 'B']);
    expect(h.onDisk().statuses).toEqual({ A: 'skipped', B: 'completed' });
  });

  it('escalates a blocked report and goes on with the other tasks, ending blocked', async () => {
    const p = plan(phase('P1', [task('A'), task('B'), task('C', { dependencies: ['A'] })]));
    const h = harness(p, { agent: (r) => (r.task.id === 'A' ? blocked(r, 'needs a database password') : complete(r)) });
    const result = await h.start();
    expect(h.requests.map((r) => r.task.id)).toEqual(['A', 'B']);
    expect(result).toEqual({ outcome: 'blocked', reason: 'phase P1 cannot go on: 1 blocked task(s) need a person (A)' });
    expect(h.onDisk().statuses).toEqual({ A: 'blocked', B: 'completed', C: 'pending' });
    expect(h.onDisk().books.status).toBe('blocked');
    expect(eventsOf(h.events, 'run.finished')[0]!.blocked).toEqual([{ taskId: 'A', blocker: 'needs a database password', suggestedAction: 'ask someone' }]);
  });

  it('a fatal failure fails the phase: the running agent finishes, nothing new starts', async () => {
    const agents = held();
    const p = plan(phase('P1', [task('A'), task('B'), task('C')]), phase('P2', [task('D')]));
    const h = harness(p, { agent: (r, signal) => (r.task.id === 'B' ? failed(r, 'the API does not exist') : agents.agent(r, signal)), settings: { concurrency: 2 } });
    const done = h.start();
    await until(() => h.types().includes('phase.failed'));
    expect(agents.started()).toEqual(['A']);
    agents.release('A');
    const result = await done;
    expect(result).toEqual({ outcome: 'failed', reason: 'B: the API does not exist' });
    expect(h.requests.map((r) => r.task.id)).toEqual(['A', 'B']);
    expect(h.types().filter((t) => t !== 'task.started')).toEqual(['run.started', 'phase.started', 'task.failed', 'phase.failed', 'task.completed', 'run.finished']);
    const disk = h.onDisk();
    expect(disk.statuses).toEqual({ A: 'completed', B: 'failed', C: 'pending', D: 'pending' });
    expect(disk.books.status).toBe('failed');
  });

  it('a run that finds a failed task in its phase stops at once', async () => {
    const p = plan(phase('P1', [task('A', { status: 'failed', blocker: 'impossible' }), task('B')]));
    const h = harness(p, { agent: (r) => complete(r) });
    expect(await h.start()).toEqual({ outcome: 'failed', reason: 'phase P1 failed earlier; fix the failed task and run `ccasp unblock <task-id>`' });
    expect(h.requests).toEqual([]);
  });

  it('claude that cannot start fails the phase without blaming the task', async () => {
    const h = harness(plan(phase('P1', [task('A')])), { agent: (r) => ended(r, { kind: 'not-started', message: 'spawn claude ENOENT' }) });
    expect(await h.start()).toEqual({ outcome: 'failed', reason: 'A: spawn claude ENOENT' });
    expect(h.onDisk().statuses).toEqual({ A: 'pending' });
    expect(eventsOf(h.events, 'task.attempt.failed')[0]).toMatchObject({ willRetry: false, reason: 'spawn claude ENOENT' });
  });

  it('a phase failed by a run that could not start its agent is open again for the next run', async () => {
    const p = plan(phase('P1', [task('A')]), phase('P2', [task('B')]));
    const first = harness(p, { agent: (r) => ended(r, { kind: 'auth-refused', status: 401 }) });
    expect((await first.start()).outcome).toBe('failed');
    expect(first.onDisk().books.status).toBe('failed');
    const again = harness(p, { agent: (r) => complete(r), books: first.onDisk().books });
    expect((await again.start()).outcome).toBe('completed');
    expect(again.requests.map((r) => [r.task.id, r.attempt])).toEqual([
      ['A', 2],
      ['B', 1],
    ]);
  });

  it('--retry-blocked puts blocked and failed tasks back first', async () => {
    const p = plan(phase('P1', [task('A', { status: 'blocked', blocker: 'x' }), task('B', { status: 'failed', blocker: 'y' })]));
    const h = harness(p, { agent: (r) => complete(r), settings: { retryBlocked: true } });
    expect((await h.start()).outcome).toBe('completed');
    expect(eventsOf(h.events, 'run.notice')[0]!.message).toBe('Back to pending: A, B');
  });
});

/** Let everything the last event set going run to its next wait. */
const settle = () => new Promise<void>((resolve) => setImmediate(resolve));
const costing = (costUsd: number, make = complete) => (r: Parameters<typeof complete>[0]) => {
  const a = make(r);
  return { ...a, result: { ...a.result!, costUsd } };
};

describe('runPlan: a cost limit that holds with agents in parallel', () => {
  it('agents starting together share what is free: together they never reserve more than the limit', async () => {
    const agents = held();
    const p = plan(phase('P1', [task('A'), task('B'), task('C'), task('D')]));
    const h = harness(p, { agent: agents.agent, settings: { concurrency: 4 }, budget: { maxCostUsd: 1 } });
    const done = h.start();
    await until(() => agents.started().length === 4);
    // The per-task cap would be $0.50 each ($2 in all); four at once get a quarter each.
    expect(h.requests.map((r) => r.maxBudgetUsd)).toEqual([0.25, 0.25, 0.25, 0.25]);
    expect(h.run.reservedUsd()).toBeCloseTo(1);
    for (const id of ['A', 'B', 'C', 'D']) agents.end(id, costing(0.2));
    expect((await done).outcome).toBe('completed');
    expect(h.run.reservedUsd()).toBe(0);
    expect(h.onDisk().books.tokenBudget.costUsd).toBeCloseTo(0.8);
  });

  it('a task waits while running agents hold what it needs, and starts with what they give back when they settle', async () => {
    const agents = held();
    const p = plan(phase('P1', [task('A'), task('B'), task('C')]));
    const h = harness(p, { agent: agents.agent, settings: { concurrency: 2 }, budget: { maxCostUsd: 1 } });
    const done = h.start();
    await until(() => agents.started().length === 2);
    expect(h.requests.map((r) => r.maxBudgetUsd)).toEqual([0.5, 0.5]);
    // A settles at $0.30: $0.20 is free while B holds $0.50, less than half C's cap ($0.70): C waits.
    agents.end('A', costing(0.3));
    await until(() => eventsOf(h.events, 'task.completed').length === 1);
    await settle();
    expect(agents.started()).toEqual(['A', 'B']);
    // B settles at $0.10: C gets all that is left.
    agents.end('B', costing(0.1));
    await until(() => agents.started().length === 3);
    expect(h.requests[2]!.maxBudgetUsd).toBeCloseTo(0.6);
    agents.end('C', costing(0.5));
    expect((await done).outcome).toBe('completed');
    expect(h.onDisk().books.tokenBudget.costUsd).toBeCloseTo(0.9);
  });

  it('counts an agent cut off before its result line at its whole reservation once it has used the API', async () => {
    const seen = { inputTokens: 3000, outputTokens: 40, cacheCreationTokens: 0, cacheReadTokens: 0 };
    const p = plan(phase('P1', [task('A'), task('B')]));
    const h = harness(p, {
      settings: { concurrency: 2 },
      budget: { maxCostUsd: 1 },
      // A never got to the API; B did, and claude never said what it spent.
      agent: (r) => (r.attempt > 1 ? costing(0.1)(r) : r.task.id === 'A' ? ended(r, { kind: 'stalled', afterMs: 10 }) : { ...ended(r, { kind: 'stalled', afterMs: 10 }), streamedUsage: seen }),
    });
    expect((await h.start()).outcome).toBe('completed');
    const first = h.onDisk().books.attempts.filter((a) => a.attempt === 1);
    expect(Object.fromEntries(first.map((a) => [a.taskId, a.costUsd]))).toEqual({ A: 0, B: 0.5 });
    expect(h.onDisk().books.tokenBudget.costUsd).toBeCloseTo(0.7);
  });

  it('a retry waits for its reservation too', async () => {
    const agents = held();
    const p = plan(phase('P1', [task('A'), task('B')]));
    const h = harness(p, { agent: agents.agent, settings: { concurrency: 2 }, budget: { maxCostUsd: 1 } });
    const done = h.start();
    await until(() => agents.started().length === 2);
    agents.end('A', costing(0.3, (r) => answer(r, 'I stopped halfway.')));
    await until(() => eventsOf(h.events, 'task.attempt.failed').length === 1);
    await settle();
    expect(agents.started()).toEqual(['A', 'B']);
    agents.end('B', costing(0.1));
    await until(() => agents.started().length === 3);
    expect(h.requests.map((r) => [r.task.id, r.attempt])).toEqual([['A', 1], ['B', 1], ['A', 2]]);
    expect(h.requests[2]!.maxBudgetUsd).toBeCloseTo(0.6);
    agents.release('A');
    expect((await done).outcome).toBe('completed');
  });
});

describe('runPlan: agents at once follow the API\'s rate limits', () => {
  const rateLimited = (r: Parameters<typeof complete>[0]) => ({ ...complete(r), apiRetries: [{ status: 429, message: 'rate_limit' }] });

  it('halves the figure when an agent was rate limited, raises it after calm attempts, and says so in events and state.json', async () => {
    const p = plan(phase('P1', Array.from({ length: 12 }, (_, i) => task(`T${i + 1}`))));
    let running = 0;
    /** At each agent's start: how many run, and the figure then. */
    const starts: [number, number][] = [];
    const h = harness(p, {
      settings: { concurrency: 4 },
      agent: async (r) => {
        running++;
        starts.push([running, h.run.concurrency().current]);
        await settle();
        running--;
        return r.task.id === 'T1' ? rateLimited(r) : complete(r);
      },
    });
    expect((await h.start()).outcome).toBe('completed');
    const moves = eventsOf(h.events, 'run.concurrency');
    expect(moves[0]).toEqual({ type: 'run.concurrency', concurrency: 2, max: 4, reason: 'T1 was rate limited by the API' });
    expect(moves.slice(1).map((e) => e.concurrency)).toEqual([3, 4]);
    expect(moves[1]!.reason).toBe('no rate limit in the last 3 attempts');
    // No agent started beyond the figure of its moment; after the cut, fewer ran at once.
    for (const [atOnce, figure] of starts) expect(atOnce).toBeLessThanOrEqual(figure);
    expect(starts.some(([, figure]) => figure === 2)).toBe(true);
    expect(h.saves.some((s) => s.books.concurrency?.current === 2)).toBe(true);
    expect(h.onDisk().books.concurrency).toEqual({ current: 4, max: 4 });
    expect(eventsOf(h.events, 'run.finished')[0]!.concurrency).toBe(4);
  });

  it('never drops below one agent, and the run still completes', async () => {
    const p = plan(phase('P1', [task('A'), task('B'), task('C')]));
    const h = harness(p, { settings: { concurrency: 2 }, agent: (r) => rateLimited(r) });
    expect((await h.start()).outcome).toBe('completed');
    expect(h.onDisk().books.concurrency).toEqual({ current: 1, max: 2 });
    expect(eventsOf(h.events, 'run.finished')[0]!.concurrency).toBe(1);
  });
});

describe('runPlan: stopping and going on', () => {
  it('pauses at the token limit and a higher limit goes on exactly where it stopped', async () => {
    const p = plan(phase('P1', [task('A'), task('B'), task('C')]));
    const first = harness(p, { agent: (r) => complete(r), budget: { tokenLimit: 300 } });
    const result = await first.start();
    expect(result.outcome).toBe('budget');
    expect(result.reason).toBe('token budget reached: 300 of 300 tokens used. Continue with a higher limit, e.g. `ccasp run --token-limit 1000`');
    expect(first.requests.map((r) => r.task.id)).toEqual(['A', 'B']);
    expect(first.onDisk().books.status).toBe('paused');

    const again = harness(plan(phase('P1', [task('A', { status: 'completed' }), task('B', { status: 'completed' }), task('C')])), {
      agent: (r) => complete(r),
      books: first.onDisk().books,
      budget: { tokenLimit: 1000 },
    });
    expect((await again.start()).outcome).toBe('completed');
    expect(again.requests.map((r) => r.task.id)).toEqual(['C']);
    expect(again.onDisk().books.tokenBudget).toMatchObject({ used: 450, limit: 1000 });
  });

  it('a hard limit stops the running agents too', async () => {
    const agents = held();
    const p = plan(phase('P1', [task('A'), task('B')]));
    const h = harness(p, {
      agent: (r, signal) => (r.task.id === 'A' ? complete(r) : agents.agent(r, signal)),
      budget: { tokenLimit: 100, hardLimit: true },
      settings: { concurrency: 2 },
    });
    // A spends 150 tokens; B, still running, is stopped rather than left to spend more.
    expect((await h.start()).outcome).toBe('budget');
    expect(h.onDisk().books.attempts.map((a) => [a.taskId, a.outcome])).toEqual([
      ['A', 'completed'],
      ['B', 'interrupted'],
    ]);
    expect(h.onDisk().statuses).toEqual({ A: 'completed', B: 'pending' });
  });

  it('compacts once past the threshold, and later agents get the summary', async () => {
    const p = plan(phase('P1', [task('A'), task('B'), task('C')]));
    const h = harness(p, { agent: (r) => complete(r), budget: { tokenLimit: 1000, compactionThreshold: 0.2 } });
    expect((await h.start()).outcome).toBe('completed');
    expect(h.memory.writes).toBe(1);
    expect(h.memory.text).toMatch(/^# Plan: work so far/);
    expect(eventsOf(h.events, 'budget.threshold')).toEqual([{ type: 'budget.threshold', used: 300, limit: 1000, memoryFile: '.claude/orchestrator/memory.md' }]);
    expect(h.requests[2]!.earlierWork).toContain('# Plan: work so far');
    expect(h.onDisk().books.tokenBudget.lastCompaction).not.toBeNull();
  });

  it('gives each agent a share of what is left of a cost limit', async () => {
    const p = plan(phase('P1', [task('A'), task('B')]));
    const h = harness(p, { agent: (r) => complete(r), budget: { maxCostUsd: 1 } });
    await h.start();
    expect(h.requests.map((r) => r.maxBudgetUsd)).toEqual([1, 0.99]);
  });

  it('a signal stops the agents; their tasks go back to pending and a new run starts them again', async () => {
    const agents = held();
    const p = plan(phase('P1', [task('A'), task('B')]));
    const h = harness(p, { agent: agents.agent, settings: { concurrency: 2 } });
    const done = h.start();
    await until(() => agents.started().length === 2);
    h.stop.abort();
    expect(await done).toEqual({ outcome: 'paused', reason: 'stopped by a signal' });
    const disk = h.onDisk();
    expect(disk.statuses).toEqual({ A: 'pending', B: 'pending' });
    expect(disk.books.status).toBe('paused');
    expect(disk.books.attempts.map((a) => a.outcome)).toEqual(['interrupted', 'interrupted']);

    const again = harness(p, { agent: (r) => complete(r), books: disk.books });
    expect((await again.start()).outcome).toBe('completed');
    expect(again.requests.map((r) => r.attempt)).toEqual([2, 2]);
  });

  it('resumes after a kill: a task left in progress is recorded interrupted and runs again', async () => {
    const p = plan(phase('P1', [task('A', { status: 'completed' }), task('B', { status: 'in_progress', attempts: 1 })]));
    const first = harness(p, { agent: (r) => complete(r) });
    const books = first.run.books('2026-01-01T00:00:00.000Z');
    books.activeAgents = [{ agentId: 's', taskId: 'B', spawnedAt: '2026-01-01T00:00:00.000Z', status: 'running', attempt: 1, specialist: 'x', model: 'sonnet', sessionId: 's', pid: 42 }];
    const h = harness(p, { agent: (r) => complete(r), books });
    expect((await h.start()).outcome).toBe('completed');
    expect(h.requests.map((r) => [r.task.id, r.attempt])).toEqual([['B', 2]]);
    expect(eventsOf(h.events, 'run.notice')[0]!.message).toBe('Resuming: B were running when the last run stopped; they start again.');
    expect(h.onDisk().books.attempts.map((a) => [a.taskId, a.attempt, a.outcome, a.sessionId])).toEqual([
      ['B', 1, 'interrupted', 's'],
      ['B', 2, 'completed', '00000000-0000-4000-8000-000000000001'],
    ]);
  });

  it('waits out a usage limit with a countdown, without spending a retry', async () => {
    const resetsAt = Date.parse('2026-01-01T00:01:10.000Z');
    const h = harness(plan(phase('P1', [task('A')])), {
      agent: (r) => (r.attempt === 1 ? ended(r, { kind: 'rate-limited', resetsAt }) : complete(r)),
      settings: { maxRetries: 0 },
    });
    expect((await h.start()).outcome).toBe('completed');
    expect(eventsOf(h.events, 'run.waiting').map((e) => e.remainingMs)).toEqual([70_000, 40_000, 10_000]);
    expect(h.onDisk().books.attempts.map((a) => a.outcome)).toEqual(['rate-limited', 'completed']);
  });

  it('records the attempt of a lost queue worker as interrupted, naming it, without spending a retry', async () => {
    const h = harness(plan(phase('P1', [task('A')])), {
      agent: (r) => (r.attempt === 1 ? ended(r, { kind: 'worker-lost', worker: 'box-2:4242' }) : r.attempt === 2 ? answer(r, 'no report') : complete(r)),
      settings: { maxRetries: 1 },
    });
    expect((await h.start()).outcome).toBe('completed');
    const attempts = h.onDisk().books.attempts;
    expect(attempts.map((a) => a.outcome)).toEqual(['interrupted', 'retry', 'completed']);
    expect(attempts[0]!.reason).toBe('the worker box-2:4242 went silent past its lease (killed, or its machine gone); another worker runs the job again');
  });

  it('with --no-wait stops at a usage limit, resumably', async () => {
    const resetsAt = Date.parse('2026-01-01T05:00:00.000Z');
    const h = harness(plan(phase('P1', [task('A')])), { agent: (r) => ended(r, { kind: 'rate-limited', resetsAt }), settings: { waitForRateLimit: false } });
    expect(await h.start()).toEqual({
      outcome: 'rate-limited',
      reason: 'usage limit reached; it resets at 2026-01-01T05:00:00.000Z. Run `ccasp run` again then (or without --no-wait)',
    });
    expect(h.onDisk().statuses).toEqual({ A: 'pending' });
    expect(h.onDisk().books.status).toBe('paused');
  });
});

describe('runPlan: worktrees', () => {
  it('retries a conflicting merge with the conflict in the prompt, then merges', async () => {
    const afterConflict: boolean[] = [];
    const h = harness(plan(phase('P1', [task('A')])), {
      agent: (r) => complete(r),
      worktrees: {
        workspace: (t, _attempt, after) => {
          afterConflict.push(after);
          return { cwd: `/wt/${t.id}`, branch: `ccasp/${t.id}`, ...(after ? { conflict: { branch: 'main', paths: ['src/x.ts'] } } : {}), release: async () => undefined };
        },
        integrate: (_t, attempt) => (attempt === 1 ? { kind: 'conflict', branch: 'main', paths: ['src/x.ts'] } : { kind: 'integrated', commit: 'abc123', how: 'merge' }),
      },
    });
    expect((await h.start()).outcome).toBe('completed');
    expect(afterConflict).toEqual([false, true]);
    expect(h.requests[1]).toMatchObject({ cwd: '/wt/A', conflict: { branch: 'main', paths: ['src/x.ts'] } });
    expect(h.requests[1]!.previous).toEqual([{ attempt: 1, reason: 'conflict with main in src/x.ts', summary: 'did A', conflictPaths: ['src/x.ts'] }]);
    expect(eventsOf(h.events, 'task.conflict')).toEqual([{ type: 'task.conflict', taskId: 'A', paths: ['src/x.ts'], willRetry: true }]);
    expect(h.types().filter((t) => t.startsWith('task.'))).toEqual(['task.started', 'task.conflict', 'task.attempt.failed', 'task.started', 'task.integrated', 'task.completed']);
    expect(h.onDisk().books.attempts[0]).toMatchObject({ outcome: 'retry', conflictPaths: ['src/x.ts'] });
  });

  it('blocks a task whose conflict outlasts its retries, saying where its work is kept', async () => {
    const h = harness(plan(phase('P1', [task('A')])), {
      agent: (r) => complete(r),
      settings: { maxRetries: 1 },
      worktrees: { integrate: () => ({ kind: 'conflict', branch: 'main', paths: ['src/x.ts'] }) },
    });
    expect((await h.start()).outcome).toBe('blocked');
    const [block] = eventsOf(h.events, 'task.blocked');
    expect(block!.blocker).toBe('gave up after 2 attempts: the work conflicts with the integration branch in src/x.ts; it is kept in /wt/A (branch ccasp/A)');
    expect(eventsOf(h.events, 'task.conflict').map((e) => e.willRetry)).toEqual([true, false]);
  });

  it('blocks a task whose worktree cannot be made, with git\'s words, and goes on', async () => {
    const p = plan(phase('P1', [task('A'), task('B')]));
    const h = harness(p, {
      agent: (r) => complete(r),
      worktrees: {
        workspace: (t) => {
          if (t.id === 'A') throw new Error('fatal: invalid reference: main');
          return { cwd: `/wt/${t.id}`, branch: `ccasp/${t.id}`, release: async () => undefined };
        },
        integrate: () => ({ kind: 'integrated', commit: 'abc', how: 'fast-forward' }),
      },
    });
    expect((await h.start()).outcome).toBe('blocked');
    expect(eventsOf(h.events, 'task.blocked')[0]!.blocker).toBe('its git worktree could not be prepared: fatal: invalid reference: main');
    expect(h.onDisk().statuses).toEqual({ A: 'blocked', B: 'completed' });
  });
});

describe('runPlan: continuing a cut-off session', () => {
  const SEEN = { inputTokens: 3000, outputTokens: 40, cacheCreationTokens: 0, cacheReadTokens: 900 };
  const stalled = (r: AgentRequest): AttemptResult => ({ ...ended(r, { kind: 'stalled', afterMs: 2000 }), streamedUsage: SEEN });
  const first = '00000000-0000-4000-8000-000000000001';

  it('continues the session of an attempt the stall watchdog stopped, and counts what that saved', async () => {
    const h = harness(plan(phase('P1', [task('A')])), { agent: (r) => (r.attempt === 1 ? stalled(r) : complete(r)) });
    expect((await h.start()).outcome).toBe('completed');
    expect(h.requests[1]!.resume).toEqual({ fromAttempt: 1, sessionId: first, cutOff: 'stalled', reason: 'the agent printed nothing for 2 s and was stopped as stalled', tokensSaved: 3940 });
    // A session of its own all the same: the earlier one is forked, not reused.
    expect(h.requests[1]!.sessionId).not.toBe(first);
    expect(h.types().slice(4, 6)).toEqual(['task.started', 'task.resumed']);
    expect(eventsOf(h.events, 'task.resumed')).toEqual([
      { type: 'task.resumed', taskId: 'A', attempt: 2, fromAttempt: 1, sessionId: first, cutOff: 'stalled', tokensSaved: 3940 },
    ]);
    const books = h.onDisk().books;
    expect(books.attempts.map((a) => [a.attempt, a.cutOff, a.resumed])).toEqual([
      [1, 'stalled', undefined],
      [2, undefined, { fromAttempt: 1, sessionId: first, tokensSaved: 3940 }],
    ]);
    expect(books.metrics.tokensSavedByResuming).toBe(3940);
    expect(eventsOf(h.events, 'run.finished')[0]!.tokensSaved).toBe(3940);
  });

  it('records only the continuation the delegate made: none when it started afresh, none of another session', async () => {
    const other = '00000000-0000-4000-8000-0000000000ff';
    const h = harness(plan(phase('P1', [task('A')])), {
      agent: (r) => {
        // 2: a worker without the transcript starts afresh; 3: an adopted job continued another session.
        if (r.attempt === 2) return { ...stalled(r), resumed: undefined };
        if (r.attempt === 3) return { ...stalled(r), resumed: other };
        return r.attempt === 1 ? stalled(r) : complete(r);
      },
    });
    expect((await h.start()).outcome).toBe('completed');
    expect(h.requests.map((r) => r.resume?.sessionId)).toEqual([undefined, first, h.requests[1]!.sessionId, h.requests[2]!.sessionId]);
    expect(eventsOf(h.events, 'task.resumed').map((e) => [e.attempt, e.fromAttempt])).toEqual([[4, 3]]);
    const books = h.onDisk().books;
    expect(books.attempts.map((a) => [a.attempt, a.resumed?.fromAttempt])).toEqual([
      [1, undefined],
      [2, undefined],
      [3, undefined],
      [4, 3],
    ]);
    expect(books.metrics.tokensSavedByResuming).toBe(3940);
  });

  it('starts afresh, told what was wrong, after work that was judged', async () => {
    const h = harness(plan(phase('P1', [task('A')])), { agent: (r) => (r.attempt === 1 ? answer(r, 'no report at all') : complete(r)) });
    expect((await h.start()).outcome).toBe('completed');
    expect(h.requests[1]!.resume).toBeUndefined();
    expect(h.requests[1]!.previous).toHaveLength(1);
    expect(eventsOf(h.events, 'task.resumed')).toEqual([]);
    expect(h.onDisk().books.metrics.tokensSavedByResuming).toBe(0);
  });

  it('starts afresh when claude no longer has the transcript', async () => {
    const asked: (string | undefined)[] = [];
    const h = harness(plan(phase('P1', [task('A')])), {
      agent: (r) => (r.attempt === 1 ? stalled(r) : complete(r)),
      transcript: (sessionId, cwd) => {
        asked.push(sessionId, cwd);
        return false;
      },
    });
    expect((await h.start()).outcome).toBe('completed');
    expect(asked).toEqual([first, undefined]);
    expect(h.requests[1]!.resume).toBeUndefined();
    expect(h.requests[1]!.previous).toEqual([{ attempt: 1, reason: 'the agent printed nothing for 2 s and was stopped as stalled' }]);
    expect(eventsOf(h.events, 'task.resumed')).toEqual([]);
    expect(h.onDisk().books.attempts[1]!.resumed).toBeUndefined();
  });

  it("looks for the transcript in the task's worktree, where the agent ran", async () => {
    const asked: (string | undefined)[] = [];
    const h = harness(plan(phase('P1', [task('A')])), {
      agent: (r) => (r.attempt === 1 ? ended(r, { kind: 'timed-out', afterMs: 60_000 }) : complete(r)),
      worktrees: { integrate: () => ({ kind: 'integrated', commit: 'abc', how: 'fast-forward' }) },
      transcript: (_id, cwd) => {
        asked.push(cwd);
        return true;
      },
    });
    expect((await h.start()).outcome).toBe('completed');
    expect(asked).toEqual(['/wt/A']);
    expect(h.requests[1]).toMatchObject({ cwd: '/wt/A', resume: { fromAttempt: 1, cutOff: 'timed-out' } });
  });

  it('continues, in the next run, the session of an agent a killed run left', async () => {
    const p = plan(phase('P1', [task('B', { status: 'in_progress', attempts: 1 })]));
    const books = harness(p, { agent: (r) => complete(r) }).run.books('2026-01-01T00:00:00.000Z');
    const left = 'b1d0c8e4-0000-4000-8000-00000000000b';
    books.activeAgents = [{ agentId: left, taskId: 'B', spawnedAt: '2026-01-01T00:00:00.000Z', status: 'running', attempt: 1, specialist: 'x', model: 'sonnet', sessionId: left, pid: 42 }];
    const h = harness(p, { agent: (r) => complete(r), books, transcript: (id) => id === left });
    expect((await h.start()).outcome).toBe('completed');
    expect(h.requests[0]!.resume).toMatchObject({ fromAttempt: 1, sessionId: left, cutOff: 'stopped', tokensSaved: 0 });
  });

  it('a usage limit waited out continues the same session', async () => {
    const h = harness(plan(phase('P1', [task('A')])), {
      agent: (r) => (r.attempt === 1 ? ended(r, { kind: 'rate-limited', resetsAt: Date.parse('2026-01-01T00:00:30.000Z') }) : complete(r)),
    });
    expect((await h.start()).outcome).toBe('completed');
    expect(h.requests[1]!.resume).toMatchObject({ fromAttempt: 1, cutOff: 'usage-limit' });
  });
});

describe('runPlan: worktree setup', () => {
  it('a failed setup is retried without an agent, then the agent runs in the readied worktree', async () => {
    const h = harness(plan(phase('P1', [task('A')])), {
      agent: (r) => complete(r),
      worktrees: {
        workspace: (t, attempt) => {
          if (attempt === 1) throw new WorktreeSetupError('`npm ci` exited with code 1; output ends with:\nregistry unreachable');
          return { cwd: `/wt/${t.id}`, branch: `ccasp/${t.id}`, release: async () => undefined };
        },
        integrate: () => ({ kind: 'integrated', commit: 'abc', how: 'fast-forward' }),
      },
    });
    expect((await h.start()).outcome).toBe('completed');
    expect(h.requests).toHaveLength(1);
    expect(eventsOf(h.events, 'task.attempt.failed')).toEqual([
      expect.objectContaining({ attempt: 1, willRetry: true, reason: 'the worktree could not be set up: `npm ci` exited with code 1; output ends with:\nregistry unreachable' }),
    ]);
    expect(h.onDisk().books.attempts.map((a) => a.outcome)).toEqual(['retry', 'completed']);
  });

  it('a setup that keeps failing blocks the task once its retries are spent', async () => {
    const h = harness(plan(phase('P1', [task('A')])), {
      agent: (r) => complete(r),
      settings: { maxRetries: 2 },
      worktrees: {
        workspace: () => {
          throw new WorktreeSetupError('`npm ci` exited with code 1');
        },
        integrate: () => ({ kind: 'integrated', commit: 'abc', how: 'fast-forward' }),
      },
    });
    expect((await h.start()).outcome).toBe('blocked');
    expect(h.requests).toEqual([]);
    expect(eventsOf(h.events, 'task.blocked')[0]!.blocker).toBe('gave up after 3 attempts; last: the worktree could not be set up: `npm ci` exited with code 1');
  });
});

describe('runPlan: CCASP system steps', () => {
  const withGate = () => plan(phase('P1', [task('1.1'), task('1.99-gate', { systemStep: 'gate', dependencies: ['1.1'] })]));

  it('runs the gate itself once the phase\'s work is done', async () => {
    const h = harness(withGate(), { agent: (r) => complete(r), gate: () => ({ ok: true, detail: '' }) });
    expect((await h.start()).outcome).toBe('completed');
    expect(h.requests.map((r) => r.task.id)).toEqual(['1.1']);
    expect(eventsOf(h.events, 'task.system')).toEqual([{ type: 'task.system', taskId: '1.99-gate', step: 'gate', detail: 'phase checks passed' }]);
  });

  it('a failing gate blocks the phase', async () => {
    const h = harness(withGate(), { agent: (r) => complete(r), gate: () => ({ ok: false, detail: '2 tests failed' }) });
    expect((await h.start()).outcome).toBe('blocked');
    expect(eventsOf(h.events, 'task.blocked')[0]!.blocker).toBe('phase validation failed: 2 tests failed');
  });
});

describe('runPlan: a write that fails', () => {
  it('stops the run with the write\'s error and stops its agents', async () => {
    const agents = held();
    const h = harness(plan(phase('P1', [task('A'), task('B')])), {
      agent: (r, signal) => (r.task.id === 'A' ? complete(r) : agents.agent(r, signal)),
      settings: { concurrency: 2 },
      save: (run: RunState) => {
        // A's end is the write that fails, while B's agent is still at work.
        if (run.statusOf('A') === 'completed') throw new WriteError('plan/PROGRESS.json', Object.assign(new Error('no space left on device'), { code: 'ENOSPC' }));
      },
    });
    await expect(h.start()).rejects.toThrow(/PROGRESS\.json/);
    expect(agents.started()).toEqual(['B']);
    expect(h.run.books('x').activeAgents).toEqual([]);
    expect(h.run.attemptsOf('B').map((a) => a.outcome)).toEqual(['interrupted']);
  });

  it('records the attempt whose agent\'s pid could not be written before the run stops', async () => {
    const h = harness(plan(phase('P1', [task('A')])), {
      agent: (r) => complete(r),
      save: (run: RunState) => {
        // From the write of the agent's pid on, every write fails (a disk that filled up, a refused edit).
        if (run.attemptsOf('A').length > 0 || run.books('x').activeAgents[0]?.pid !== undefined) throw new WriteError('plan/PROGRESS.json', new Error('gone'));
      },
    });
    await expect(h.start()).rejects.toThrow(/PROGRESS\.json/);
    expect(h.run.attemptsOf('A').map((a) => a.outcome), 'what can still be saved holds the attempt').toEqual(['completed']);
  });
});

/** Lets the loop's promises run until `done` holds. */
async function until(done: () => boolean): Promise<void> {
  for (let i = 0; i < 1000 && !done(); i++) await new Promise((resolve) => setImmediate(resolve));
  expect(done()).toBe(true);
}
