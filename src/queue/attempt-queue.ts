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

  constructor(url: string) {
    // BullMQ leaves connections it was given open; close() ends them.
    this.connections = [connectRedis(url), connectRedis(url)];
    this.queue = new Queue(QUEUE_NAME, { connection: this.connections[0]! });
    this.queue.on('error', () => undefined);
    this.events = new QueueEvents(QUEUE_NAME, { connection: this.connections[1]! });
    this.events.on('error', () => undefined);
    this.events.on('progress', ({ jobId, data }) => {
      if (typeof data === 'object' && data !== null && 'tokens' in data && 'toolCalls' in data) {
        this.progress.get(jobId)?.({ tokens: Number(data.tokens), toolCalls: Number(data.toolCalls) });
      }
    });
  }

  /**
   * Enqueues the attempt under its one id, or adopts the job already there under it (queued, running
   * or finished while this coordinator was away), and waits for its result.
   */
  async run(job: AttemptJob, signal: AbortSignal, onProgress: (p: { tokens: number; toolCalls: number }) => void): Promise<QueuedAttempt> {
    const id = attemptJobId(job.planId, job.request.task.id, job.request.attempt);
    await this.events.waitUntilReady();
    this.progress.set(id, onProgress);
    try {
      const added = await this.queue.add('attempt', job, {
        jobId: id,
        removeOnComplete: { age: KEEP_FINISHED_S },
        removeOnFail: { age: KEEP_FINISHED_S },
      });
      const cancelled = new Promise<QueuedAttempt>((resolve) => {
        if (signal.aborted) resolve({ kind: 'cancelled' });
        signal.addEventListener('abort', () => resolve({ kind: 'cancelled' }), { once: true });
      });
      const finished = added.waitUntilFinished(this.events).then(
        (value: unknown): QueuedAttempt => {
          const read = parseAttemptJobResult(value);
          return read.ok ? { kind: 'done', result: read.result } : { kind: 'failed', reason: `the worker's result is not readable: ${read.message}` };
        },
        (error: unknown): QueuedAttempt => ({ kind: 'failed', reason: `the job failed in the queue: ${error instanceof Error ? error.message : String(error)}` }),
      );
      return await Promise.race([finished, cancelled]);
    } finally {
      this.progress.delete(id);
    }
  }

  async close(): Promise<void> {
    await this.events.close();
    await this.queue.close();
    for (const connection of this.connections) connection.disconnect();
  }
}
