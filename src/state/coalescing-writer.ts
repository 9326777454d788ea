/**
 * Group commit for one file. Each caller's promise settles once a write that began after its call
 * has finished, so what it changed is on disk; calls that arrive during a write share the next one.
 * With many tasks finishing together, a large PROGRESS.json is rewritten once per batch rather than
 * once per task, which keeps a run linear in plan size. A write is durable (fsync'd) when any of the
 * callers it serves asked for that.
 */
export class CoalescingWriter {
  private inFlight: Promise<void> | undefined;
  private queued: Promise<void> | undefined;
  private queuedDurable = false;

  constructor(private readonly write: (durable: boolean) => Promise<void>) {}

  flush(durable = true): Promise<void> {
    if (!this.inFlight) {
      const current = this.write(durable).finally(() => {
        if (this.inFlight === current) this.inFlight = undefined;
      });
      this.inFlight = current;
      return current;
    }
    this.queuedDurable ||= durable;
    if (!this.queued) {
      const queued = this.inFlight
        .catch(() => undefined)
        .then(() => {
          const wantDurable = this.queuedDurable;
          this.queued = undefined;
          this.queuedDurable = false;
          return this.flush(wantDurable);
        });
      this.queued = queued;
    }
    return this.queued;
  }
}
