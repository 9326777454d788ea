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
  | { readonly kind: 'cancelled' };

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
   * Runs the attempt through the queue and waits for its result. A job left by a coordinator that
   * stopped or was killed, for the attempt before this one, is adopted instead (queued, running, or
   * finished while no coordinator listened): a killed run records that attempt as interrupted and
   * starts the next, but the worker never stopped. A job is removed once its result is collected,
   * so a job still there is one nobody has collected.
   */
  async run(
    job: AttemptJob,
    signal: AbortSignal,
    onProgress: (p: { tokens: number; toolCalls: number }) => void,
    onTaken: (worker: string) => void,
    /** The worker running it went silent past its lease (died, or lost Redis): the job goes to another. */
    onLost: () => void,
  ): Promise<QueuedAttempt> {
    const { task, attempt } = job.request;
    await this.events.waitUntilReady();
    const left = attempt > 1 ? await this.queue.getJob(attemptJobId(job.planId, task.id, attempt - 1)) : undefined;
    const id = left?.id ?? attemptJobId(job.planId, task.id, attempt);
    // Listening before the job is added: a worker may take it up at once.
    this.progress.set(id, onProgress);
    this.taken.set(id, onTaken);
    this.lost.set(id, onLost);
    try {
      const queued =
        left ??
        (await this.queue.add('attempt', job, {
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
      const outcome = await Promise.race([finished, cancelled]);
      // Collected: a later run must not adopt it again. A cancelled wait leaves it for the next run.
      if (outcome.kind !== 'cancelled') await queued.remove().catch(() => undefined);
      return outcome;
    } finally {
      this.progress.delete(id);
      this.taken.delete(id);
      this.lost.delete(id);
    }
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
