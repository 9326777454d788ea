/**
 * Writes one file's latest contents, one write at a time. A write takes its contents when it starts;
 * calls made while it is in flight share the next write, which folds in every change made until
 * then. Each caller's promise settles once a write that began after its call has finished, so what it
 * changed is on disk (or the write's error says why not). However often the state changes, there is
 * at most one write running and one waiting.
 */
export class SerialWriter {
  private current: Promise<void> | undefined;
  private next: Promise<void> | undefined;

  constructor(private readonly write: () => Promise<void>) {}

  request(): Promise<void> {
    if (this.next) return this.next;
    if (!this.current) return this.begin();
    // A failed write is its own callers' error; the next one starts all the same.
    this.next = this.current
      .catch(() => undefined)
      .then(() => {
        this.next = undefined;
        return this.begin();
      });
    return this.next;
  }

  private begin(): Promise<void> {
    const write = this.write();
    this.current = write;
    const clear = () => {
      if (this.current === write) this.current = undefined;
    };
    write.then(clear, clear);
    return write;
  }
}
