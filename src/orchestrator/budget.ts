import type { OrchestratorState } from '../state/schema.js';
import { thousands } from '../numbers.js';

/** The run's limits, from flags, the plan or config. */
export interface BudgetPolicy {
  /** Tokens (input + output + cache creation + cache read), or null for none. */
  readonly tokenLimit: number | null;
  readonly maxCostUsd: number | null;
  /** Share of the token limit at which earlier work is compacted into memory.md. */
  readonly compactionThreshold: number;
  /** At the limit, stop running agents too, instead of letting them finish. */
  readonly hardLimit: boolean;
}

export type BudgetStanding =
  | { readonly kind: 'ok' }
  | { readonly kind: 'compact'; readonly used: number; readonly limit: number }
  | { readonly kind: 'exhausted'; readonly reason: string };

/** Where the run stands against its limits, from what state.json has measured. */
export function budgetStanding(budget: OrchestratorState['tokenBudget'], policy: BudgetPolicy): BudgetStanding {
  if (policy.tokenLimit !== null && budget.used >= policy.tokenLimit) {
    return { kind: 'exhausted', reason: `token budget reached: ${thousands(budget.used)} of ${thousands(policy.tokenLimit)} tokens used` };
  }
  if (policy.maxCostUsd !== null && budget.costUsd >= policy.maxCostUsd) {
    return { kind: 'exhausted', reason: `cost budget reached: $${budget.costUsd.toFixed(2)} of $${policy.maxCostUsd.toFixed(2)} spent` };
  }
  if (policy.tokenLimit !== null && budget.lastCompaction === null && budget.used >= policy.tokenLimit * policy.compactionThreshold) {
    return { kind: 'compact', used: budget.used, limit: policy.tokenLimit };
  }
  return { kind: 'ok' };
}

/**
 * What one task may spend (claude's --max-budget-usd): twice its even share of what is left, so a
 * task that needs more than average can have it, but no single task can eat the whole budget.
 */
export function perTaskCapUsd(policy: BudgetPolicy, spentUsd: number, tasksLeft: number): number | undefined {
  if (policy.maxCostUsd === null || tasksLeft <= 0) return undefined;
  const left = Math.max(0, policy.maxCostUsd - spentUsd);
  return Math.min(left, (left / tasksLeft) * 2);
}

/** Where a cost limit stands when an agent is about to start. */
export interface CostBooks {
  readonly limitUsd: number;
  readonly spentUsd: number;
  /** What running agents have reserved and not yet settled. */
  readonly reservedUsd: number;
  /** Agent tasks pending or running (see perTaskCapUsd). */
  readonly tasksLeft: number;
  /** Agents starting together, this one included: what is free is split evenly among them. */
  readonly startingNow: number;
}

/**
 * What an agent about to start reserves out of a cost limit (its claude --max-budget-usd), or
 * undefined when it must wait: the per-task cap, or less when the agents starting together would
 * otherwise claim more than is free (what is neither spent nor reserved), then what is free split
 * evenly among them. Below half the cap it waits for running agents to settle rather than start
 * with too little to finish; with nothing reserved it takes what it can, and with nothing left at
 * all it waits for ever: the caller ends the run at the limit.
 */
export function costReservation(books: CostBooks): number | undefined {
  const left = Math.max(0, books.limitUsd - books.spentUsd);
  const free = Math.max(0, left - books.reservedUsd);
  const cap = Math.min(left, (left / Math.max(1, books.tasksLeft)) * 2);
  const usd = Math.min(cap, free / Math.max(1, books.startingNow));
  if (usd <= 0) return undefined;
  if (books.reservedUsd > 0 && usd < cap / 2) return undefined;
  return usd;
}
