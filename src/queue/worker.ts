import { UnrecoverableError, Queue, Worker, type Job } from 'bullmq';
import { connectRedis, refuseUntrustedServer } from './connection.js';
import { parseAttemptJob, QUEUE_NAME, type AttemptJobResult } from './job.js';
import { runAttemptJob, type WorkerMachine } from './run-attempt.js';

export interface WorkerOptions {
  readonly url: string;
  /** Attempts at once. */
  readonly concurrency: number;
  /**
   * How long a job stays this worker's without word from it: a worker killed mid-task loses its job
   * to another this long after (BullMQ's lock; its stalled-job check runs at half this interval).
   */
  readonly leaseMs: number;
  /** End once the queue has had nothing waiting or running for this long; run until stopped when absent. */
  readonly exitWhenIdleMs?: number;
  readonly machine: WorkerMachine;
  /** Told what the worker takes up and hands back, one line each. */
  readonly log: (line: string) => void;
}

/** How often a worker asks whether the queue has gone idle. */
const IDLE_POLL_MS = 250;

/**
 * Takes attempts from the queue until `stop` is aborted (running agents are stopped and their
 * attempts reported as cancelled) or, with `exitWhenIdleMs`, until the queue stays empty. BullMQ
 * holds the lease on each job, renews it while the attempt runs and hands a dead worker's job to
 * another; ccasp adds no lease or heartbeat of its own.
 */
export async function runWorker(options: WorkerOptions, stop: AbortSignal): Promise<void> {
  await refuseUntrustedServer(options.url);
  const agents = new AbortController();
  const onStop = () => agents.abort();
  stop.addEventListener('abort', onStop, { once: true });
  const processor = async (job: Job): Promise<AttemptJobResult> => {
    const read = parseAttemptJob(job.data);
    // A job this worker cannot read will not become readable by trying again.
    if (!read.ok) throw new UnrecoverableError(`job ${job.id} is not an attempt this worker understands: ${read.message}`);
    const { request } = read.job;
    options.log(`${request.task.id}: attempt ${request.attempt} started`);
    const result = await runAttemptJob(read.job, options.machine, agents.signal, (progress) => {
      void job.updateProgress({ tokens: progress.tokens, toolCalls: progress.toolCalls }).catch(() => undefined);
    });
    options.log(`${request.task.id}: attempt ${request.attempt} ended${result.commit ? ` at ${result.commit.slice(0, 12)}` : ''}`);
    return result;
  };
  // BullMQ leaves connections it was given open; these are ended below.
  const connections = [connectRedis(options.url), connectRedis(options.url)] as const;
  const worker = new Worker(QUEUE_NAME, processor, {
    connection: connections[0],
    concurrency: options.concurrency,
    lockDuration: options.leaseMs,
    stalledInterval: Math.max(100, Math.floor(options.leaseMs / 2)),
    // A job stalls only when its worker died; the next worker takes it, up to this many deaths.
    maxStalledCount: 3,
    name: options.machine.name,
  });
  worker.on('error', () => undefined);
  const queue = new Queue(QUEUE_NAME, { connection: connections[1] });
  queue.on('error', () => undefined);
  try {
    // Asking an unreachable Redis whether the queue is idle waits for it to come back; a stop must not.
    await (options.exitWhenIdleMs === undefined ? untilAborted(stop) : Promise.race([untilIdle(queue, options.exitWhenIdleMs, stop), untilAborted(stop)]));
  } finally {
    agents.abort();
    stop.removeEventListener('abort', onStop);
    // Closing tells Redis, and waits for it while it is out of reach: the stopped agents' attempts
    // get a bounded time to be reported, then the connections are cut and BullMQ's lease hands any
    // unreported attempt to another worker.
    const closed = Promise.all([worker.close(), queue.close()]).catch(() => undefined);
    await Promise.race([closed, new Promise((resolve) => setTimeout(resolve, CLOSE_GRACE_MS).unref())]);
    for (const connection of connections) connection.disconnect();
  }
}

const CLOSE_GRACE_MS = 15_000;

function untilAborted(signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) resolve();
    else signal.addEventListener('abort', () => resolve(), { once: true });
  });
}

/** Resolves once nothing has waited or run in the queue for `idleMs`, or on `signal`. */
async function untilIdle(queue: Queue, idleMs: number, signal: AbortSignal): Promise<void> {
  let idleSince = Date.now();
  while (!signal.aborted) {
    const counts = await queue.getJobCounts('waiting', 'active', 'delayed', 'prioritized', 'paused');
    const pending = Object.values(counts).reduce((sum, n) => sum + n, 0);
    if (pending > 0) idleSince = Date.now();
    else if (Date.now() - idleSince >= idleMs) return;
    await new Promise((resolve) => setTimeout(resolve, IDLE_POLL_MS));
  }
}
