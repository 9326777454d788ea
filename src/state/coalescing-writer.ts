/**
 * Group commit for one file. Each caller's promise settles once a write that began after its call
 * has finished, so what it changed is on disk; calls that arrive during a write share the next one.
 * With many tasks finishing together, a large PROGRESS.json is rewritten once per batch rather than
 * once per task, which keeps a run linear in plan size.
 */
export class CoalescingWriter {
  private inFlight: Promise<void> | undefined;
  private queued: Promise<void> | undefined;

  constructor(private readonly write: () => Promise<void>) {}

  flush(): Promise<void> {
    if (!this.inFlight) {
      const current = this.write().finally(() => {
        if (this.inFlight === current) this.inFlight = undefined;
      });
      this.inFlight = current;
      return current;
    }
    if (!this.queued) {
      const queued = this.inFlight
        .catch(() => undefined)
        .then(() => {
          this.queued = undefined;
          return this.flush();
        });
      this.queued = queued;
    }
    return this.queued;
  }
}
