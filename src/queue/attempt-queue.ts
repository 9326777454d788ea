import { Queue, QueueEvents } from 'bullmq';
import type { Redis } from 'ioredis';
import { connectRedis } from './connection.js';
import { attemptJobId, parseAttemptJobResult, QUEUE_NAME, type AttemptJob, type AttemptJobResult } from './job.js';

/** How long completed and failed jobs stay in Redis, for a restarted coordinator to collect. */
const KEEP_FINISHED_S = 7 * 24 * 3600;

export type QueuedAttempt =
  | { readonly kind: 'done'; readonly result: AttemptJobResult }
  /** The job failed in the queue (unreadable, or its workers kept dying) or its result could not be read. */
  | { readonly kind: 'failed'; readonly reason: string }
  /** The worker running it (host:pid, when known) went silent past its lease: BullMQ gives the job to another, which a later attempt adopts. */
  | { readonly kind: 'lost'; readonly worker: string | undefined }
  | { readonly kind: 'cancelled' };

/** Which attempt of which task a job is for. */
export interface AttemptKey {
  readonly planId: string;
  readonly taskId: string;
  readonly attempt: number;
}

/** The coordinator's side of the queue: sends attempts, hears their progress, waits for their results. */
export class AttemptQueue {
  private readonly queue: Queue;
  private readonly events: QueueEvents;
  private readonly connections: readonly Redis[];
  private readonly progress = new Map<string, (p: { tokens: number; toolCalls: number }) => void>();
  private readonly taken = new Map<string, (worker: string) => void>();
  private readonly lost = new Map<string, () => void>();

  constructor(url: string) {
    // BullMQ leaves connections it was given open; close() ends them.
    this.connections = [connectRedis(url), connectRedis(url)];
    this.queue = new Queue(QUEUE_NAME, { connection: this.connections[0]! });
    this.queue.on('error', () => undefined);
    this.events = new QueueEvents(QUEUE_NAME, { connection: this.connections[1]! });
    this.events.on('error', () => undefined);
    this.events.on('active', ({ jobId }) => void this.tellTaken(jobId));
    this.events.on('stalled', ({ jobId }) => this.lost.get(jobId)?.());
    this.events.on('progress', ({ jobId, data }) => {
      if (typeof data === 'object' && data !== null && 'tokens' in data && 'toolCalls' in data) {
        this.progress.get(jobId)?.({ tokens: Number(data.tokens), toolCalls: Number(data.toolCalls) });
      }
    });
  }

  /**
   * Runs the attempt through the queue and waits for its result. A job left for an earlier attempt
   * is adopted instead (queued, running, or finished while no coordinator listened): one whose worker
   * was lost and which another worker runs again, or one a coordinator that stopped or was killed
   * left; either way that attempt is recorded as interrupted, but the job goes on. A job is removed
   * once its result is collected, so a job still there is one nobody has collected. `makeJob` is
   * asked only when there is none to adopt; it returns why it could not make one, if it could not.
   */
  async run(
    key: AttemptKey,
    makeJob: () => Promise<AttemptJob | string>,
    signal: AbortSignal,
    onProgress: (p: { tokens: number; toolCalls: number }) => void,
    onTaken: (worker: string) => void,
  ): Promise<QueuedAttempt> {
    await this.events.waitUntilReady();
    const left = await this.leftJob(key);
    const id = left?.id ?? attemptJobId(key.planId, key.taskId, key.attempt);
    const made = left ? undefined : await makeJob();
    if (typeof made === 'string') return { kind: 'failed', reason: made };
    let worker: string | undefined;
    let lost: (outcome: QueuedAttempt) => void = () => undefined;
    const gone = new Promise<QueuedAttempt>((resolve) => (lost = resolve));
    // Listening before the job is added: a worker may take it up at once.
    this.progress.set(id, onProgress);
    this.taken.set(id, (name) => {
      worker = name;
      onTaken(name);
    });
    this.lost.set(id, () => lost({ kind: 'lost', worker }));
    try {
      const queued =
        left ??
        (await this.queue.add('attempt', made!, {
          // Adding again under the same id is a no-op in BullMQ: exactly one job per attempt.
          jobId: id,
          removeOnComplete: { age: KEEP_FINISHED_S },
          removeOnFail: { age: KEEP_FINISHED_S },
        }));
      // An adopted job may be running already: its 'active' event went by before this coordinator listened.
      if (left) await this.tellTaken(id);
      const cancelled = new Promise<QueuedAttempt>((resolve) => {
        if (signal.aborted) resolve({ kind: 'cancelled' });
        signal.addEventListener('abort', () => resolve({ kind: 'cancelled' }), { once: true });
      });
      const finished = queued.waitUntilFinished(this.events).then(
        (value: unknown): QueuedAttempt => {
          const read = parseAttemptJobResult(value);
          return read.ok ? { kind: 'done', result: read.result } : { kind: 'failed', reason: `the worker's result is not readable: ${read.message}` };
        },
        (error: unknown): QueuedAttempt => ({ kind: 'failed', reason: `the job failed in the queue: ${error instanceof Error ? error.message : String(error)}` }),
      );
      const outcome = await Promise.race([finished, cancelled, gone]);
      // Collected: a later attempt must not adopt it again. A cancelled wait, or a lost worker's job, is left for the next.
      if (outcome.kind === 'done' || outcome.kind === 'failed') await queued.remove().catch(() => undefined);
      return outcome;
    } finally {
      this.progress.delete(id);
      this.taken.delete(id);
      this.lost.delete(id);
    }
  }

  /** The uncollected job of the task's latest earlier attempt, if any: the one a new attempt adopts. */
  private async leftJob(key: AttemptKey) {
    for (let earlier = key.attempt - 1; earlier >= 1; earlier--) {
      const job = await this.queue.getJob(attemptJobId(key.planId, key.taskId, earlier));
      if (job) return job;
    }
    return undefined;
  }

  /** Tells the waiting attempt which worker took its job up, once a worker has. */
  private async tellTaken(jobId: string): Promise<void> {
    const tell = this.taken.get(jobId);
    if (!tell) return;
    const job = await this.queue.getJob(jobId).catch(() => undefined);
    if (job?.processedBy) tell(job.processedBy);
  }

  async close(): Promise<void> {
    await this.events.close();
    await this.queue.close();
    for (const connection of this.connections) connection.disconnect();
  }
}
