import type { Redactor } from '../secrets/redact.js';
import type { RequestOptions } from './deliver.js';
import type { OutboxEntry } from './entries.js';
import { classifyFailure, type Failure } from './failure.js';
import type { Outbox } from './outbox.js';

export interface Notice {
  readonly level: 'info' | 'warning';
  readonly message: string;
}

export interface Delivered {
  readonly entry: OutboxEntry;
  /** False when the comment was already on the issue (an earlier delivery's, found by its marker). */
  readonly posted: boolean;
}

export interface SyncStatus {
  readonly lastSyncAt?: string;
  readonly lastResult?: string;
  readonly delivered: readonly Delivered[];
  readonly pending: number;
  /** Why sync was turned off for this run, if it was. */
  readonly disabled?: string;
}

export interface WorkerOptions {
  readonly outbox: Outbox;
  /** Does one entry; throws on failure (see failure.ts for what each failure means). */
  readonly deliver: (entry: OutboxEntry, request: RequestOptions) => Promise<boolean>;
  /** Hears notices; messages are already redacted by the caller's `notify`. */
  readonly notify: (notice: Notice) => void;
  /** Scrubs GitHub's words in a failure before they reach a notice or `lastResult` (state.json). */
  readonly redact: Redactor;
  /** e.g. "the token from GH_TOKEN", for the notice when GitHub refuses it. */
  readonly tokenDescription: string;
  /** Background retry delays after transient failures: doubling from `firstMs` up to `maxMs`. */
  readonly backoff?: { readonly firstMs: number; readonly maxMs: number };
  readonly now?: () => Date;
}

const DEFAULT_BACKOFF = { firstMs: 5_000, maxMs: 5 * 60_000 };
/**
 * Once the run is over nothing else waits on GitHub, and a drain that backs off like the run does
 * (5 s, 10 s, ...) spends its time waiting: after a hiccup, try again within a second or two.
 */
const DRAIN_BACKOFF = { firstMs: 250, maxMs: 2_000 };
const STOP_GRACE_MS = 1_000;

/**
 * Waits for `promise`, at most `ms`; true when it settled. The timer is ref'd on purpose (a drain
 * awaited at the end of `ccasp run` must keep the process alive) and cleared as soon as the promise
 * settles.
 */
async function within(promise: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const settled = await Promise.race([promise.then(() => true), new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(false), ms)))]);
  clearTimeout(timer);
  return settled;
}

/**
 * Delivers the outbox in order, one entry at a time, in the background. `kick()` is all the run's
 * subscriber calls; nothing here is awaited by the run. Order matters (the success comment before
 * closing), so a transient failure holds the queue until a timer (unref'd: it never keeps ccasp
 * alive) tries again, no sooner than GitHub's `retry-after`.
 */
export class DeliveryWorker {
  private running: Promise<void> | undefined;
  private timer: NodeJS.Timeout | undefined;
  private timerDue = 0;
  /** When GitHub's `retry-after` lets the held entry be tried again (0: it said nothing). */
  private notBefore = 0;
  /** Set by `drain`; until then every retry is "in time". */
  private drainLimits: { readonly end: number; readonly stallMs: number } | undefined;
  private lastProgress = 0;
  private failures = 0;
  private disabled: string | undefined;
  private stopped = false;
  private outageReported = false;
  private persistReported = false;
  private readonly abort = new AbortController();
  private readonly waiters: (() => void)[] = [];
  private readonly delivered: Delivered[] = [];
  private lastSyncAt: string | undefined;
  private lastResult: string | undefined;
  private readonly backoff: { firstMs: number; maxMs: number };
  private readonly now: () => Date;

  constructor(private readonly o: WorkerOptions) {
    this.backoff = o.backoff ?? DEFAULT_BACKOFF;
    this.now = o.now ?? (() => new Date());
  }

  /** Queues entries (saved in the background, never awaited) and starts delivering them. */
  enqueue(entries: readonly OutboxEntry[]): void {
    for (const entry of entries) this.o.outbox.add(entry);
    this.persist();
    this.kick();
  }

  /** Starts delivering if idle; a no-op while delivering, waiting out a backoff, stopped or disabled. */
  kick(): void {
    if (this.running || this.timer || this.stopped || this.disabled) return;
    this.running = this.loop().finally(() => {
      this.running = undefined;
      this.wake();
    });
  }

  status(): SyncStatus {
    return {
      delivered: [...this.delivered],
      pending: this.o.outbox.size,
      ...(this.lastSyncAt ? { lastSyncAt: this.lastSyncAt } : {}),
      ...(this.lastResult ? { lastResult: this.lastResult } : {}),
      ...(this.disabled ? { disabled: this.disabled } : {}),
    };
  }

  /**
   * Gives the queue up to `maxMs` to empty, retrying transient failures quickly, but gives up sooner
   * once nothing has been delivered for `stallMs`: GitHub that only hiccups keeps delivering and gets
   * the time it needs, while a real outage (or a `retry-after` past the deadline) ends the drain. Then
   * it stops: an unfinished request is aborted and what is left stays in the outbox for the next run
   * or `ccasp sync`.
   */
  async drain(maxMs: number, stallMs: number = maxMs): Promise<SyncStatus> {
    this.lastProgress = Date.now();
    this.drainLimits = { end: this.lastProgress + maxMs, stallMs };
    this.hurryPendingRetry();
    this.kick();
    const idle = this.idle();
    // The deadline moves on with each delivery, so wake up at it and look again.
    let left = this.deadline() - Date.now();
    while (left > 0 && !(await within(idle, left))) left = this.deadline() - Date.now();
    this.stop();
    // An aborted request ends at once, but one waiting out a plugin's retry delay (at most
    // MAX_INLINE_WAIT_S) only notices the abort after it: do not hold the run's exit for that.
    if (this.running) await within(this.running, STOP_GRACE_MS);
    await this.o.outbox.persist().catch((error: unknown) => this.reportPersist(error));
    return this.status();
  }

  stop(): void {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    this.abort.abort();
    this.wake();
  }

  /** When the drain gives up: its end, or `stallMs` after the last delivery, whichever is first. */
  private deadline(): number {
    if (!this.drainLimits) return Infinity;
    return Math.min(this.drainLimits.end, this.lastProgress + this.drainLimits.stallMs);
  }

  /** A retry the run put off on its own slow schedule is due at once, or when GitHub's `retry-after` ends. */
  private hurryPendingRetry(): void {
    if (!this.timer) return;
    clearTimeout(this.timer);
    this.timer = undefined;
    const wait = this.notBefore - Date.now();
    if (wait > 0) this.retryIn(wait);
  }

  private retryIn(wait: number): void {
    this.timerDue = Date.now() + wait;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.kick();
    }, wait);
    this.timer.unref();
  }

  private idle(): Promise<void> {
    return new Promise((resolve) => {
      this.waiters.push(resolve);
      this.wake();
    });
  }

  /**
   * Settles `idle()` waiters once nothing more can happen in time: stopped, disabled, the outbox empty,
   * or only a retry left that is due after the drain's deadline.
   */
  private wake(): void {
    const waitingPastDeadline = this.timer !== undefined && this.timerDue > this.deadline();
    const idle = this.stopped || this.disabled !== undefined || (!this.running && (waitingPastDeadline || (!this.timer && this.o.outbox.size === 0)));
    if (!idle) return;
    for (const resolve of this.waiters.splice(0)) resolve();
  }

  private async loop(): Promise<void> {
    for (let entry = this.o.outbox.first(); entry && !this.stopped; entry = this.o.outbox.first()) {
      try {
        // While draining, the worker's quick retries replace plugin-retry's: those wait up to seconds
        // inside a request, where the drain's stop cannot end them.
        const posted = await this.o.deliver(entry, { signal: this.abort.signal, ...(this.drainLimits ? { retries: 0 } : {}) });
        this.o.outbox.remove(entry);
        this.delivered.push({ entry, posted });
        this.succeeded();
      } catch (error) {
        const failure = classifyFailure(error);
        if (!this.failed(entry, { ...failure, message: this.o.redact(failure.message) })) return;
      } finally {
        this.persist();
      }
    }
  }

  private succeeded(): void {
    this.failures = 0;
    this.lastProgress = Date.now();
    this.lastSyncAt = this.now().toISOString();
    this.lastResult = 'ok';
    if (this.outageReported) {
      this.outageReported = false;
      this.o.notify({ level: 'info', message: 'GitHub sync: GitHub is reachable again; delivering the updates that waited.' });
    }
  }

  /** Returns true when the loop should go on with the next entry. */
  private failed(entry: OutboxEntry, f: Failure): boolean {
    // A request the drain's end aborted says nothing about GitHub: the failure before it does.
    if (f.kind !== 'aborted' || this.lastResult === undefined) this.lastResult = `${f.kind}: ${f.message}`;
    const kept = `${this.o.outbox.size} update(s) are kept in ${this.o.outbox.file}`;
    switch (f.kind) {
      case 'aborted':
        return false;
      case 'auth':
        this.disable(
          f.status === 401
            ? `GitHub refused ${this.o.tokenDescription} (401: ${f.message})`
            : `${this.o.tokenDescription} may not update ${describe(entry)} (${f.status}: ${f.message})`,
          kept,
        );
        return false;
      case 'gone':
        this.disable(`${describe(entry)} was not found (${f.status}); check the link and that the token can see the repository`, kept);
        return false;
      case 'rejected':
        this.o.outbox.remove(entry);
        this.o.notify({ level: 'warning', message: `GitHub sync: GitHub rejected ${entry.kind} "${entry.id}" (${f.status}: ${f.message}); it is dropped.` });
        return true;
      case 'transient': {
        this.failures++;
        const schedule = this.drainLimits ? { firstMs: Math.min(this.backoff.firstMs, DRAIN_BACKOFF.firstMs), maxMs: Math.min(this.backoff.maxMs, DRAIN_BACKOFF.maxMs) } : this.backoff;
        const backoff = Math.min(schedule.maxMs, schedule.firstMs * 2 ** (this.failures - 1));
        this.notBefore = Date.now() + (f.retryAfterMs ?? 0);
        const wait = Math.max(backoff, f.retryAfterMs ?? 0);
        if (!this.outageReported) {
          this.outageReported = true;
          this.o.notify({
            level: 'warning',
            message: `GitHub sync: could not deliver to GitHub (${f.message}); ${kept} and retried in the background.`,
          });
        }
        this.retryIn(wait);
        return false;
      }
    }
  }

  private disable(why: string, kept: string): void {
    this.disabled = why;
    this.o.notify({
      level: 'warning',
      message: `GitHub sync stopped: ${why}. ${kept}; fix this, then run \`ccasp sync\`.`,
    });
  }

  private persist(): void {
    this.o.outbox.persist().catch((error: unknown) => this.reportPersist(error));
  }

  private reportPersist(error: unknown): void {
    if (this.persistReported) return;
    this.persistReported = true;
    this.o.notify({ level: 'warning', message: `GitHub sync: could not save ${this.o.outbox.file}: ${String(error)}` });
  }
}

function describe(entry: OutboxEntry): string {
  return `${entry.target.owner}/${entry.target.repo}#${entry.target.issue}`;
}
