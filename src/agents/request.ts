import type { Phase, Plan, Task } from '../plan/model.js';
import type { MergedTip } from '../worktree/workspace.js';
import type { PreviousAttempt, SessionResume } from './prompt.js';
import type { Route } from './route.js';

/**
 * What an agent is told of its plan and phase: their names, and the plan's rules for what agents may
 * run. Not their tasks: a queue job carries the request, and must not grow with the plan.
 */
export type AgentPlan = Pick<Plan, 'id' | 'name' | 'testCommand' | 'permissions'>;
export type AgentPhase = Pick<Phase, 'id' | 'name'>;

export function agentPlan(plan: Plan): AgentPlan {
  const { id, name, testCommand, permissions } = plan;
  return { id, name, ...(testCommand !== undefined ? { testCommand } : {}), ...(permissions ? { permissions } : {}) };
}

export function agentPhase(phase: Phase): AgentPhase {
  return { id: phase.id, name: phase.name };
}

/** One attempt at one task, as the run asks an agent for it. */
export interface AgentRequest {
  readonly plan: AgentPlan;
  readonly phase: AgentPhase;
  readonly task: Task;
  readonly route: Route;
  readonly attempt: number;
  readonly sessionId: string;
  readonly previous: readonly PreviousAttempt[];
  /** A bounded account of earlier work in the plan. */
  readonly earlierWork?: string;
  /** What this attempt may spend (claude --max-budget-usd), when the run has a cost limit. */
  readonly maxBudgetUsd?: number;
  /** Where the agent works (its task's worktree); the project root when absent. */
  readonly cwd?: string;
  /** After a conflict: the integration branch's tip merged into `cwd`, and the files left to resolve. */
  readonly conflict?: MergedTip;
  /** Continue this earlier attempt's claude session (forked under `sessionId`) rather than start from zero. */
  readonly resume?: SessionResume;
}

