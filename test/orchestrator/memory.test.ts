import { describe, expect, it } from 'vitest';
import { earlierWork, EARLIER_WORK_TOKENS, estimateTokens, renderMemory } from '../../src/orchestrator/memory.js';
import { renderTaskPrompt } from '../../src/agents/prompt.js';
import { routeTask } from '../../src/agents/route.js';
import type { Plan, Task } from '../../src/plan/model.js';
import type { AttemptRecord, OrchestratorState } from '../../src/state/schema.js';
import { newState } from '../../src/state/new-state.js';

function task(id: string): Task {
  return { id, title: `Task ${id}`, files: [`src/${id}.ts`], fileAt: ['file'], simple: false, dependencies: [], status: 'pending', at: 'x', dependencyField: 'dependencies' };
}

function bigRun(tasks: number) {
  const plan: Plan = {
    id: 'big',
    name: 'Big plan',
    shape: 'canonical',
    phases: [{ id: 'P1', name: 'All', status: 'in_progress', at: 'phases[0]', tasks: Array.from({ length: tasks }, (_, i) => task(`T${i}`)) }],
  };
  const state = newState(plan, 'plan/PROGRESS.json', '2026-01-01T00:00:00.000Z');
  state.attempts = plan.phases[0]!.tasks.map(
    (t, i): AttemptRecord => ({
      taskId: t.id,
      attempt: 1,
      outcome: 'completed',
      summary: `Implemented ${t.id} with a long explanation: ${'detail '.repeat(60)}`,
      artifacts: [`src/${t.id}.ts`, `test/${t.id}.test.ts`],
      startedAt: new Date(Date.UTC(2026, 0, 1, 0, 0, i)).toISOString(),
      finishedAt: new Date(Date.UTC(2026, 0, 1, 0, 0, i + 1)).toISOString(),
      durationMs: 1000,
      costUsd: 0.01,
      usage: { inputTokens: 1, outputTokens: 1, cacheCreationTokens: 0, cacheReadTokens: 0 },
    }),
  );
  return { plan, state };
}

const historyOf = (state: OrchestratorState) => ({ attempts: state.attempts, lastCompaction: state.tokenBudget.lastCompaction });

describe('earlier work in prompts', () => {
  for (const size of [10, 500, 5000]) {
    it(`stays within ${EARLIER_WORK_TOKENS} tokens for a plan of ${size} finished tasks, before and after compaction`, () => {
      const { plan, state } = bigRun(size);
      const before = earlierWork(historyOf(state), undefined)!;
      expect(estimateTokens(before)).toBeLessThanOrEqual(EARLIER_WORK_TOKENS);
      expect(before).toContain(`- T${size - 1}: Implemented T${size - 1}`);

      const memory = renderMemory(plan, state, () => 'completed', '2026-01-02T00:00:00.000Z');
      expect(memory).toContain(`- T0: Implemented T0`);
      state.tokenBudget.lastCompaction = '2026-01-01T00:00:05.500Z';
      const after = earlierWork(historyOf(state), memory)!;
      expect(estimateTokens(after)).toBeLessThanOrEqual(EARLIER_WORK_TOKENS);
      expect(after.startsWith('# Big plan: work so far')).toBe(true);

      // The whole prompt stays bounded too: the task's own text plus at most the earlier-work budget.
      const t = plan.phases[0]!.tasks[0]!;
      const prompt = renderTaskPrompt({ plan, phase: plan.phases[0]!, task: t, route: routeTask(t, { model: 'sonnet', simpleModel: 'haiku' }), projectRoot: '/p', previous: [], earlierWork: after });
      expect(estimateTokens(prompt)).toBeLessThanOrEqual(EARLIER_WORK_TOKENS + 600);
    });
  }

  it('lists the most recent completions first, and after a compaction only those that finished since', () => {
    const { state } = bigRun(6);
    state.attempts[4] = { ...state.attempts[4]!, outcome: 'retry' };
    const lines = (text: string) => [...text.matchAll(/^- (T\d+):/gm)].map((m) => m[1]);
    expect(lines(earlierWork(historyOf(state), undefined)!)).toEqual(['T5', 'T3', 'T2', 'T1', 'T0']);
    // T0..T5 finished at seconds 1..6; compacted at 2.5 s.
    state.tokenBudget.lastCompaction = '2026-01-01T00:00:02.500Z';
    const after = earlierWork(historyOf(state), '# summary')!;
    expect(after).toContain('Finished since then (most recent first):');
    expect(lines(after)).toEqual(['T5', 'T3', 'T2']);
  });

  it('gives nothing before any task finished', () => {
    const { state } = bigRun(0);
    expect(earlierWork(historyOf(state), undefined)).toBeUndefined();
  });
});
