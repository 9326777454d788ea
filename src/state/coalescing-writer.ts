/**
 * Group commit for one file. Each caller's promise settles once a write that began after its call
 * has finished, so what it changed is on disk. A write starts at the end of the event-loop turn in
 * which it was asked for, so that changes made in one turn share it (a task's end and the start of
 * the task that takes its slot are one write, not two in a row); calls that arrive during a write
 * share the next one. With many tasks finishing together, a large PROGRESS.json is rewritten once
 * per batch rather than once per task, which keeps a run linear in plan size. A write is durable
 * (fsync'd) when any of the callers it serves asked for that.
 */
export class CoalescingWriter {
  private inFlight: Promise<void> | undefined;
  private next: Promise<void> | undefined;
  private nextDurable = false;

  constructor(private readonly write: (durable: boolean) => Promise<void>) {}

  flush(durable = true): Promise<void> {
    this.nextDurable ||= durable;
    if (!this.next) {
      const start = this.inFlight ? this.inFlight.catch(() => undefined) : new Promise<void>((resolve) => setImmediate(resolve));
      this.next = start.then(() => {
        const wantDurable = this.nextDurable;
        this.next = undefined;
        this.nextDurable = false;
        const current = this.write(wantDurable).finally(() => {
          if (this.inFlight === current) this.inFlight = undefined;
        });
        this.inFlight = current;
        return current;
      });
    }
    return this.next;
  }
}
