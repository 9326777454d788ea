import type { BudgetPolicy } from './budget.js';
import { budgetStanding } from './budget.js';
import type { RunControl } from './control.js';
import { earlierWork, renderMemory } from './memory.js';
import type { RunPorts } from './ports.js';
import type { RunState } from './run-state.js';

/**
 * Keeps the run inside its budget after every measured attempt: past the compaction threshold,
 * earlier work is summarised once into memory.md for later prompts; at a limit, the run stops
 * spawning (and with a hard limit stops its agents too). A retry that cannot reserve its share of a
 * cost limit waits here until a running agent settles.
 */
export class BudgetWatch {
  private memory: string | undefined;
  private compacting: Promise<void> | undefined;
  /** Retries waiting for a reservation wait on this; it settles after every settled attempt. */
  private settled: Promise<void>;
  private wake: () => void = () => undefined;

  constructor(
    private readonly run: RunState,
    private readonly policy: BudgetPolicy,
    private readonly ports: Pick<RunPorts, 'readMemory' | 'writeMemory' | 'save' | 'emit' | 'now'>,
    private readonly control: RunControl,
  ) {
    this.settled = this.nextSettle();
  }

  /** Reads the summary an earlier run left, when it compacted. */
  async start(): Promise<void> {
    if (this.run.budget().lastCompaction) this.memory = await this.ports.readMemory();
    await this.check();
  }

  async check(): Promise<void> {
    const standing = budgetStanding(this.run.budget(), this.policy);
    if (standing.kind === 'exhausted') {
      this.control.stop('budget', `${standing.reason}. Continue with a higher limit, e.g. \`ccasp run --token-limit ${this.suggestedLimit()}\``, {
        stopAgents: this.policy.hardLimit,
      });
    }
    const wake = this.wake;
    this.settled = this.nextSettle();
    wake();
    if (standing.kind === 'compact') this.compacting ??= this.compact(standing.used, standing.limit);
    await this.compacting;
  }

  /**
   * Reserves the task's share of a cost limit for its next attempt (undefined without one), waiting
   * while running agents hold what it needs; 'stop' when the run stops meanwhile or nothing is left.
   */
  async reserve(taskId: string): Promise<number | undefined | 'stop'> {
    for (;;) {
      if (this.control.stopping) return 'stop';
      const reservation = this.run.reserveCost(taskId, 1);
      if (reservation !== 'wait') return reservation;
      // Nothing reserved by anyone, yet nothing to reserve: the limit is spent.
      if (this.run.reservedUsd() === 0) return 'stop';
      await this.settled;
    }
  }

  /** Earlier work for the next agent's prompt, bounded (see memory.ts). */
  earlierWork(): string | undefined {
    return earlierWork({ attempts: this.run.history(), lastCompaction: this.run.budget().lastCompaction }, this.memory);
  }

  private async compact(used: number, limit: number): Promise<void> {
    const at = this.ports.now().toISOString();
    this.memory = renderMemory(this.run.plan, this.run.books(at), this.run.statusOf, at);
    const file = await this.ports.writeMemory(this.memory);
    this.run.compacted(at);
    await this.ports.save();
    this.ports.emit({ type: 'budget.threshold', used, limit, memoryFile: file });
  }

  private nextSettle(): Promise<void> {
    return new Promise((resolve) => {
      this.wake = resolve;
    });
  }

  private suggestedLimit(): number {
    return Math.ceil(((this.policy.tokenLimit ?? this.run.budget().used) * 1.5) / 1000) * 1000;
  }
}
