import { cpSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
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

describe('RunBook on disk', () => {
  // The books keep both files' text between writes and make again only what changed; whatever
  // happens, the files must be what a plain serialisation of the books would write.
  it('writes, after every change, exactly what serialising the plan and the state whole would write', async () => {
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
          else if (s.kind === 'spawned') await book.agentSpawned(task.id, 4242);
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
