import type { Plan } from '../plan/model.js';
import type { OrchestratorState } from './schema.js';
import { ZERO_USAGE } from './usage.js';
import { STATE_VERSION } from './version.js';

/** A state for a plan that has none yet. */
export function newState(plan: Plan, planPath: string, now: string): OrchestratorState {
  return {
    version: STATE_VERSION,
    planId: plan.id,
    planPath,
    initialized: now,
    lastUpdated: now,
    status: 'active',
    currentPhase: null,
    activeAgents: [],
    completedTasks: [],
    pendingTasks: [],
    failedTasks: [],
    blockedTasks: [],
    attempts: [],
    tokenBudget: { used: 0, limit: null, costLimitUsd: null, compactionThreshold: 0.8, lastCompaction: null, costUsd: 0, usage: { ...ZERO_USAGE } },
    githubConfig:
      plan.github?.owner && plan.github.repo
        ? { enabled: true, owner: plan.github.owner, repo: plan.github.repo, issueNumber: plan.github.issue, lastSyncAt: null, lastResult: null, pending: 0 }
        : null,
    metrics: { tasksCompleted: 0, tasksFailed: 0, totalAgentsSpawned: 0, averageTaskDuration: 0, tokensSavedByResuming: 0 },
  };
}
