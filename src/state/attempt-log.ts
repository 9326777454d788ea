import type { AttemptRecord, OrchestratorState } from './schema.js';
import { totalTokens } from './usage.js';

/**
 * The attempt history in state.json, and what is derived from it (each task's attempts, the token
 * and cost totals, the metrics), kept up to date as it grows: recording the 10,000th attempt costs
 * what recording the first did. A recorded attempt is frozen. It is history, and state.json keeps
 * its text from one write to the next (see StateJson), so changing it later would go unwritten.
 */
export class AttemptLog {
  private readonly byTask = new Map<string, AttemptRecord[]>();
  private readonly failedTaskIds = new Set<string>();
  private completed = 0;
  private completedMs = 0;

  constructor(private readonly state: OrchestratorState) {
    for (const record of state.attempts) this.index(deepFreeze(record));
    for (const record of state.failedTasks) this.failedTaskIds.add(deepFreeze(record).taskId);
  }

  /** The task's attempts, oldest first. */
  of(taskId: string): readonly AttemptRecord[] {
    return this.byTask.get(taskId) ?? [];
  }

  record(record: AttemptRecord): void {
    const state = this.state;
    deepFreeze(record);
    state.activeAgents = state.activeAgents.filter((a) => a.taskId !== record.taskId);
    state.attempts.push(record);
    this.index(record);
    const budget = state.tokenBudget;
    budget.usage.inputTokens += record.usage.inputTokens;
    budget.usage.outputTokens += record.usage.outputTokens;
    budget.usage.cacheCreationTokens += record.usage.cacheCreationTokens;
    budget.usage.cacheReadTokens += record.usage.cacheReadTokens;
    budget.used = totalTokens(budget.usage);
    budget.costUsd += record.costUsd;
    if (record.outcome === 'completed') {
      state.metrics.tasksCompleted = this.completed;
      state.metrics.averageTaskDuration = Math.round(this.completedMs / this.completed);
    } else if (record.outcome !== 'interrupted' && record.outcome !== 'rate-limited') {
      state.failedTasks.push(record);
      this.failedTaskIds.add(record.taskId);
      state.metrics.tasksFailed = this.failedTaskIds.size;
    }
  }

  private index(record: AttemptRecord): void {
    const list = this.byTask.get(record.taskId);
    if (list) list.push(record);
    else this.byTask.set(record.taskId, [record]);
    if (record.outcome === 'completed') {
      this.completed++;
      this.completedMs += record.durationMs;
    }
  }
}

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const child of Object.values(value)) deepFreeze(child);
  }
  return value;
}
