import { cpSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import fc from 'fast-check';
import { afterAll, afterEach, describe, expect, it, vi } from 'vitest';
import { loadPlan } from '../../src/plan/load.js';
import { serializeJson } from '../../src/plan/read-file.js';
import { RunBook, type TaskEnd } from '../../src/state/run-book.js';
import { StateJson } from '../../src/state/state-json.js';
import type { AttemptRecord } from '../../src/state/schema.js';
import { createState } from '../../src/state/transitions.js';

const runs = (n: number) => n * Number(process.env.FUZZ_RUNS ?? 1);
const tmp = mkdtempSync(path.join(os.tmpdir(), 'ccasp-run-book-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const PLANS = ['examples/canonical/PROGRESS.json', 'examples/ccasp-phase-dev/PROGRESS.json', 'test/fixtures/plans/ccasp-roadmap/phase-1.json', 'test/fixtures/plans/ccasp-vision/PROGRESS.json'];

/** One step of a run, on the n-th task of the plan (modulo its size). */
const step = fc.record({
  task: fc.nat(),
  kind: fc.constantFrom('start', 'spawned', 'completed', 'pending', 'blocked', 'failed', 'reopen', 'compaction', 'phaseFailed'),
  attempt: fc.integer({ min: 1, max: 3 }),
  text: fc.string({ maxLength: 8 }),
});

function record(taskId: string, attempt: number, outcome: AttemptRecord['outcome'], text: string): AttemptRecord {
  return {
    taskId,
    attempt,
    outcome,
    startedAt: '2026-12-04T10:00:00.000Z',
    finishedAt: '2026-12-04T10:00:01.000Z',
    durationMs: 1000 + text.length,
    sessionId: `s-${taskId}-${attempt}`,
    ...(text ? { reason: text } : {}),
    costUsd: 0.01,
    usage: { inputTokens: 10, outputTokens: text.length, cacheCreationTokens: 0, cacheReadTokens: 1 },
  };
}

async function freshBook(name: string): Promise<RunBook> {
  const dir = path.join(tmp, name);
  cpSync('examples/canonical', dir, { recursive: true });
  const doc = await loadPlan(path.join(dir, 'PROGRESS.json'));
  const book = new RunBook(doc, createState(doc.plan, doc.file, '2026-12-04T10:00:00.000Z'), path.join(dir, 'state.json'), () => new Date());
  await book.begin({ retryBlocked: false });
  return book;
}

const agentFor = (taskId: string) => ({ agentId: 'a', taskId, spawnedAt: '2026-12-04T10:00:00.000Z', status: 'running' as const, attempt: 1, specialist: 'general', model: 'sonnet', sessionId: 'a' });
/** Lets real time pass (long enough for a write to finish) while setTimeout is faked. */
async function realPause(ms: number): Promise<void> {
  const end = performance.now() + ms;
  while (performance.now() < end) await new Promise((resolve) => setImmediate(resolve));
}
const pidsOnDisk = (book: RunBook) => (JSON.parse(readFileSync(book.stateFile, 'utf8')) as { activeAgents: { pid?: number }[] }).activeAgents.map((a) => a.pid);

describe('RunBook on disk', () => {
  // Only setTimeout: the writes themselves (setImmediate, fs) run for real.
  afterEach(() => {
    vi.useRealTimers();
  });

  it("carries an agent's pid on the next write, and writes it on its own only when nothing else does for a second", async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    const book = await freshBook('pid');
    const [first, second] = book.doc.plan.phases[0]!.tasks;
    await book.taskStarted(first!, 0, agentFor(first!.id));
    const firstPid = book.agentSpawned(first!.id, 1111);
    await realPause(200);
    expect(pidsOnDisk(book)).toEqual([undefined]);
    // Another task's start is written anyway, and takes the pid with it.
    await book.taskStarted(second!, 0, agentFor(second!.id));
    await firstPid;
    expect(pidsOnDisk(book)).toEqual([1111, undefined]);
    // Nothing else to write: the pid gets its own write after a second.
    const secondPid = book.agentSpawned(second!.id, 2222);
    await vi.advanceTimersByTimeAsync(999);
    await realPause(200);
    expect(pidsOnDisk(book)).toEqual([1111, undefined]);
    await vi.advanceTimersByTimeAsync(1);
    await secondPid;
    expect(pidsOnDisk(book)).toEqual([1111, 2222]);
  });

  it('writes nothing once the run is closed, not even a pid that was waiting', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    const book = await freshBook('pid-closed');
    const task = book.doc.plan.phases[0]!.tasks[0]!;
    await book.taskStarted(task, 0, agentFor(task.id));
    const before = readFileSync(book.stateFile, 'utf8');
    void book.agentSpawned(task.id, 3333);
    book.close();
    await vi.advanceTimersByTimeAsync(5000);
    await realPause(200);
    expect(readFileSync(book.stateFile, 'utf8')).toBe(before);
  });

  it("keeps the plan's own status in step with its phases: in progress once work starts, completed at the end, in progress again when a task reopens", async () => {
    const book = await freshBook('plan-status');
    const planOnDisk = () => JSON.parse(readFileSync(book.doc.file, 'utf8')) as { status: string; completion_percentage: number };
    expect(planOnDisk()).toMatchObject({ status: 'pending', completion_percentage: 0 });
    const all = book.doc.plan.phases.flatMap((p, phaseIndex) => p.tasks.map((task) => ({ task, phaseIndex })));
    await book.taskStarted(all[0]!.task, 0, agentFor(all[0]!.task.id));
    expect(planOnDisk()).toMatchObject({ status: 'in_progress', completion_percentage: 0 });
    for (const { task, phaseIndex } of all) {
      await book.attemptEnded(task, phaseIndex, record(task.id, 1, 'completed', ''), { status: 'completed', completedBy: 'l2-general' });
    }
    await book.finish('completed');
    expect(planOnDisk()).toMatchObject({ status: 'completed', completion_percentage: 100 });
    await book.reopen(all.at(-1)!.task.id);
    expect(planOnDisk().status).toBe('in_progress');
    expect(planOnDisk().completion_percentage).toBeLessThan(100);
  });

  // The books keep both files' text between writes and make again only what changed; whatever
  // happens, the files must be what a plain serialisation of the books would write.
  it('writes, after every change, exactly what serialising the plan and the state whole would write', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    let case_ = 0;
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...PLANS), fc.array(step, { minLength: 1, maxLength: 25 }), async (plan, steps) => {
        const dir = path.join(tmp, `case-${case_++}`);
        cpSync(path.dirname(plan), dir, { recursive: true });
        const doc = await loadPlan(path.join(dir, path.basename(plan)));
        const stateFile = path.join(dir, 'state.json');
        let clock = Date.parse('2026-12-04T10:00:00.000Z');
        const now = () => new Date((clock += 1000));
        const book = new RunBook(doc, createState(doc.plan, doc.file, now().toISOString()), stateFile, now);
        await book.begin({ retryBlocked: false });
        const tasks = doc.plan.phases.flatMap((p, phaseIndex) => p.tasks.map((task) => ({ task, phaseIndex })));
        for (const s of steps) {
          const { task, phaseIndex } = tasks[s.task % tasks.length]!;
          const agent = { agentId: 'a', taskId: task.id, spawnedAt: now().toISOString(), status: 'running' as const, attempt: s.attempt, specialist: 'general', model: 'sonnet', sessionId: 'a' };
          const ends: Record<string, TaskEnd> = {
            completed: { status: 'completed', completedBy: 'l2-general' },
            pending: { status: 'pending' },
            blocked: { status: 'blocked', blocker: s.text, suggestedAction: s.text },
            failed: { status: 'failed', error: s.text },
          };
          if (s.kind === 'start') await book.taskStarted(task, phaseIndex, agent);
          else if (s.kind === 'spawned') {
            // The pid waits a second for another write to carry it, then gets its own.
            const carried = book.agentSpawned(task.id, 4242);
            await vi.advanceTimersByTimeAsync(1000);
            await carried;
          }
          else if (s.kind === 'reopen') await book.reopen(task.id);
          else if (s.kind === 'compaction') await book.recordCompaction(now().toISOString());
          else if (s.kind === 'phaseFailed') await book.phaseFailed(phaseIndex);
          else {
            const outcomes = { completed: 'completed', pending: 'retry', blocked: 'blocked', failed: 'fatal' } as const;
            await book.attemptEnded(task, phaseIndex, record(task.id, s.attempt, outcomes[s.kind], s.text), ends[s.kind]!);
          }
          expect(readFileSync(stateFile, 'utf8')).toBe(`${JSON.stringify(book.state, null, 2)}\n`);
          // PROGRESS.json: in the file's own layout, and saying what the books say.
          const text = readFileSync(doc.file, 'utf8');
          expect(text).toBe(serializeJson(JSON.parse(text.replace(/^\ufeff/, '')), doc.format));
          const reread = await loadPlan(doc.file);
          expect(new Map(reread.plan.phases.flatMap((p) => p.tasks.map((t) => [t.id, t.status])))).toEqual(book.statuses);
        }
      }),
      { numRuns: runs(40) },
    );
  });
});

describe('StateJson', () => {
  it('stays JSON.stringify of the state as the history grows past its blocks, and when a history is replaced', async () => {
    const { plan } = await loadPlan('examples/canonical');
    const state = createState(plan, 'PROGRESS.json', '2026-12-04T10:00:00.000Z');
    const text = new StateJson();
    const expectSame = () => expect(text.bytes(state).toString('utf8')).toBe(`${JSON.stringify(state, null, 2)}\n`);
    expectSame();
    for (let i = 1; i <= 70; i++) {
      state.attempts.push(record(`T${i}`, 1, i % 3 ? 'completed' : 'retry', 'é'.repeat(i % 4)));
      if (i % 5 === 0) state.failedTasks.push(record(`T${i}`, 1, 'fatal', 'x'));
      expectSame();
    }
    state.attempts = state.attempts.slice(10);
    expectSame();
    state.attempts = [];
    expectSame();
  });
});
