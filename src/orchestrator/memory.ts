import { isDone, type Plan, type TaskStatus } from '../plan/model.js';
import type { AttemptRecord, OrchestratorState } from '../state/schema.js';
import { thousands } from '../numbers.js';

/** About four characters a token for English text and code: close enough to bound a prompt. */
export function estimateTokens(text: string): number {
  return Math.ceil(text.length / 4);
}

/** The most earlier work any agent prompt carries, whatever the plan's size. */
export const EARLIER_WORK_TOKENS = 2000;

/**
 * The compaction summary written to `.claude/orchestrator/memory.md`: the plan, the phases done,
 * each completed task's summary and artifacts, open blockers, and the decisions recorded.
 */
export function renderMemory(plan: Plan, state: OrchestratorState, statusOf: (taskId: string) => TaskStatus, now: string): string {
  const lines = [`# ${plan.name}: work so far`, '', `Compacted by ccasp at ${now}, after ${thousands(state.tokenBudget.used)} tokens.`, ''];
  const done = plan.phases.filter((p) => p.tasks.every((t) => isDone(statusOf(t.id))));
  lines.push(`## Phases completed (${done.length} of ${plan.phases.length})`, '');
  for (const p of done) lines.push(`- ${p.id}: ${p.name}`);
  lines.push('', '## Completed tasks', '');
  for (const a of state.attempts) if (a.outcome === 'completed') lines.push(taskLine(a));
  const blocked = state.blockedTasks;
  lines.push('', '## Open blockers', '');
  if (blocked.length === 0) lines.push('- none');
  for (const b of blocked) lines.push(`- ${b.taskId}: ${b.blocker}${b.suggestedAction ? ` (to do: ${b.suggestedAction})` : ''}`);
  const rejected = state.failedTasks.filter((f) => f.reason);
  if (rejected.length > 0) {
    lines.push('', '## Lessons from rejected attempts', '');
    for (const f of rejected.slice(-20)) lines.push(`- ${f.taskId} attempt ${f.attempt}: ${f.reason}`);
  }
  return `${lines.join('\n')}\n`;
}

/**
 * Earlier work for the next agent's prompt, never more than EARLIER_WORK_TOKENS: after a compaction
 * the summary (cut to fit) and what finished since; before one, the most recent results that fit.
 * Read from the newest attempt back, stopping once the budget is full: every task asks for this, so
 * making a line for every finished task each time made a long run's cost grow with its square.
 */
export function earlierWork(
  history: { readonly attempts: readonly AttemptRecord[]; readonly lastCompaction: string | null },
  memory: string | undefined,
): string | undefined {
  const budget = EARLIER_WORK_TOKENS * 4;
  const { attempts, lastCompaction: since } = history;
  const parts: string[] = [];
  let used = 0;
  if (memory) {
    const cut = memory.length > budget / 2 ? `${memory.slice(0, budget / 2 - 40).trimEnd()}\n… (summary cut to fit)` : memory.trimEnd();
    parts.push(cut);
    used += cut.length;
  }
  const kept: string[] = [];
  for (let i = attempts.length - 1; i >= 0; i--) {
    const a = attempts[i]!;
    if (a.outcome !== 'completed' || (since !== null && a.finishedAt <= since)) continue;
    const line = taskLine(a);
    if (used + line.length + 1 > budget) break;
    kept.push(line);
    used += line.length + 1;
  }
  if (kept.length > 0) parts.push(`${memory ? 'Finished since then' : 'Finished so far'} (most recent first):\n${kept.join('\n')}`);
  return parts.length > 0 ? parts.join('\n\n') : undefined;
}

function taskLine(a: AttemptRecord): string {
  const artifacts = a.artifacts && a.artifacts.length > 0 ? ` [${a.artifacts.join(', ')}]` : '';
  return `- ${a.taskId}: ${a.summary ?? 'completed'}${artifacts}`;
}
