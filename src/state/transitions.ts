import type { PlanDocument } from '../plan/document.js';
import type { Plan, PhaseStatus, TaskStatus } from '../plan/model.js';
import { percent } from '../plan/progress.js';
import type { PhaseTally } from './phase-tally.js';
import type { ActiveAgent, OrchestratorState } from './schema.js';
import { ZERO_USAGE } from './usage.js';
import { STATE_VERSION } from './version.js';

/**
 * How a run changes PROGRESS.json and state.json together. Pure mutations of the plan document and
 * the state object; the store writes them. PROGRESS.json holds task statuses, state.json the
 * run's books (agents, attempts, metrics, tokens); the lists in state.json are derived from the
 * statuses each time, so the two files cannot drift apart.
 */

export function createState(plan: Plan, planPath: string, now: string, tokenLimit: number | null = null, costLimitUsd: number | null = null): OrchestratorState {
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
    tokenBudget: {
      used: 0,
      limit: tokenLimit,
      costLimitUsd,
      compactionThreshold: 0.8,
      lastCompaction: null,
      costUsd: 0,
      usage: { ...ZERO_USAGE },
    },
    githubConfig: plan.github?.owner && plan.github.repo
      ? { enabled: true, owner: plan.github.owner, repo: plan.github.repo, issueNumber: plan.github.issue, lastSyncAt: null, lastResult: null, pending: 0 }
      : null,
    metrics: { tasksCompleted: 0, tasksFailed: 0, totalAgentsSpawned: 0, averageTaskDuration: 0 },
  };
}

/** Live task statuses during a run; starts from the plan file. */
export type Statuses = Map<string, TaskStatus>;

export function statusesOf(plan: Plan): Statuses {
  return new Map(plan.phases.flatMap((p) => p.tasks.map((t) => [t.id, t.status] as const)));
}

export function recordSpawn(state: OrchestratorState, agent: ActiveAgent): void {
  state.activeAgents = [...state.activeAgents.filter((a) => a.taskId !== agent.taskId), agent];
  state.metrics.totalAgentsSpawned++;
}

export function setTaskStatus(
  doc: PlanDocument,
  statuses: Statuses,
  taskId: string,
  status: TaskStatus,
  extra: { completedAt?: string; completedBy?: string; blocker?: string | null; attempts?: number } = {},
): void {
  statuses.set(taskId, status);
  doc.updateTask(taskId, {
    status,
    completedAt: status === 'completed' ? extra.completedAt : null,
    completedBy: status === 'completed' ? extra.completedBy : null,
    blocker: extra.blocker === undefined ? (status === 'blocked' || status === 'failed' ? undefined : null) : extra.blocker,
    attempts: extra.attempts,
  });
}

/**
 * Phase status from its tasks (or `failed` when the phase was aborted), written to the plan when it
 * differs from `before`; `completedAt` is set only on the change to completed.
 */
export function syncPhase(
  doc: PlanDocument,
  tally: PhaseTally,
  phaseIndex: number,
  now: string,
  failed: boolean,
  before: PhaseStatus | undefined,
): PhaseStatus {
  const phase = doc.plan.phases[phaseIndex]!;
  const status = tally.status(phaseIndex, failed);
  if (status !== before) doc.updatePhase(phase.id, { status, completedAt: status === 'completed' ? now : null });
  return status;
}

/**
 * The plan's progress from its phases: the seed orchestrator's percentage (the share of phases
 * completed), and a status that follows the phases as a phase's follows its tasks, so a plan being
 * worked on does not say pending, nor one with a task reopened say completed.
 */
export function syncPlanProgress(doc: PlanDocument, phaseStatuses: readonly PhaseStatus[]): number {
  const value = percent(phaseStatuses.filter((s) => s === 'completed').length, phaseStatuses.length);
  doc.updatePlan({ completionPercentage: value, status: planStatusOf(phaseStatuses) });
  return value;
}

function planStatusOf(phaseStatuses: readonly PhaseStatus[]): 'pending' | 'in_progress' | 'completed' {
  if (phaseStatuses.every((s) => s === 'completed')) return 'completed';
  if (phaseStatuses.every((s) => s === 'pending')) return 'pending';
  return 'in_progress';
}
