import type { RunOutcome } from './events.js';

/**
 * Whether the run is stopping, and why: the user's signal, a failed phase, a budget limit or a usage
 * limit. A stopping run starts nothing new and retries nothing; `agents` is aborted when running
 * agents must stop too (the signal, a hard budget limit), not when they may finish their work.
 */
export class RunControl {
  readonly agents = new AbortController();
  private end: { readonly outcome: RunOutcome; readonly reason: string } | undefined;

  constructor(private readonly signal: AbortSignal) {
    if (signal.aborted) this.agents.abort();
    else signal.addEventListener('abort', () => this.agents.abort(), { once: true });
  }

  get stopping(): boolean {
    return this.signal.aborted || this.end !== undefined;
  }

  /** The first reason wins, except that a failed phase outranks a limit. */
  stop(outcome: RunOutcome, reason: string, options: { stopAgents: boolean } = { stopAgents: false }): void {
    if (!this.end || (outcome === 'failed' && this.end.outcome !== 'failed')) this.end = { outcome, reason };
    if (options.stopAgents) this.agents.abort();
  }

  /** How the run ends once nothing is running, if it is stopping. */
  ending(): { readonly outcome: RunOutcome; readonly reason: string } | undefined {
    if (this.signal.aborted) return { outcome: 'paused', reason: 'stopped by a signal' };
    return this.end;
  }
}
