import { Queue } from 'bullmq';
import { connectRedis, refuseUntrustedServer } from './connection.js';
import { parseAttemptJob, QUEUE_NAME } from './job.js';

export interface RunningAttempt {
  readonly planId: string;
  readonly taskId: string;
  readonly attempt: number;
  /** When the worker took it up, epoch milliseconds. */
  readonly since?: number;
}

export interface ConnectedWorker {
  /** Host and pid, as the worker named itself. */
  readonly name: string;
  readonly running: readonly RunningAttempt[];
}

/** The workers connected to the queue now, each with the attempts it holds. */
export async function listWorkers(url: string): Promise<{ workers: ConnectedWorker[]; waiting: number }> {
  await refuseUntrustedServer(url);
  const connection = connectRedis(url);
  const queue = new Queue(QUEUE_NAME, { connection });
  queue.on('error', () => undefined);
  try {
    const [clients, active, waiting] = await Promise.all([queue.getWorkers(), queue.getActive(), queue.getWaitingCount()]);
    const running = new Map<string, RunningAttempt[]>();
    for (const job of active) {
      const read = parseAttemptJob(job.data);
      if (!read.ok || !job.processedBy) continue;
      const { request, planId } = read.job;
      const list = running.get(job.processedBy) ?? [];
      list.push({ planId, taskId: request.task.id, attempt: request.attempt, ...(job.processedOn ? { since: job.processedOn } : {}) });
      running.set(job.processedBy, list);
    }
    // A worker holds several connections, each named after it.
    const names = new Set(clients.map((c) => workerName(c.rawname)).filter((n): n is string => n !== undefined));
    return { workers: [...names].sort().map((name) => ({ name, running: running.get(name) ?? [] })), waiting };
  } finally {
    await queue.close();
    connection.disconnect();
  }
}

function workerName(rawname: string | undefined): string | undefined {
  const at = rawname?.indexOf(':w:') ?? -1;
  return rawname && at >= 0 ? rawname.slice(at + 3) : undefined;
}
