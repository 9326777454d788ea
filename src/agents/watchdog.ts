/**
 * Fires once: when the whole attempt runs past `totalMs`, or when nothing arrives for `stallMs`.
 * claude's own idle limit on a stalled API stream is at least five minutes and cannot be lowered,
 * so ccasp keeps its own.
 */
export type WatchdogReason = { readonly kind: 'timed-out'; readonly afterMs: number } | { readonly kind: 'stalled'; readonly afterMs: number };

export class Watchdog {
  private total: NodeJS.Timeout | undefined;
  private stall: NodeJS.Timeout | undefined;
  private fired = false;

  constructor(
    totalMs: number,
    private readonly stallMs: number,
    private readonly onFire: (reason: WatchdogReason) => void,
  ) {
    this.total = setTimeout(() => this.fire({ kind: 'timed-out', afterMs: totalMs }), totalMs);
    this.touch();
  }

  /** Output arrived: the agent is alive. */
  touch(): void {
    if (this.fired) return;
    clearTimeout(this.stall);
    this.stall = setTimeout(() => this.fire({ kind: 'stalled', afterMs: this.stallMs }), this.stallMs);
  }

  stop(): void {
    this.fired = true;
    clearTimeout(this.total);
    clearTimeout(this.stall);
  }

  private fire(reason: WatchdogReason): void {
    if (this.fired) return;
    this.stop();
    this.onFire(reason);
  }
}
