import { createRedactor, secretsFromEnv } from '../secrets/redact.js';
import type { ClientOptions } from './client.js';
import { connect, describeToken } from './connection.js';
import { deliverWith } from './deliver.js';
import type { GithubDeliveryFlags } from './options.js';
import { outboxPath } from '../state/paths.js';
import { Outbox } from './outbox.js';
import type { GhAuthToken } from './token.js';
import { DeliveryWorker, type Notice, type SyncStatus, type WorkerOptions } from './worker.js';

export interface FlushOptions {
  readonly projectRoot: string;
  readonly flags: GithubDeliveryFlags;
  readonly env: NodeJS.ProcessEnv;
  readonly notify: (notice: Notice) => void;
  /** How long to keep trying, retries included. */
  readonly timeoutMs: number;
  readonly ghAuthToken?: GhAuthToken;
  readonly client?: Pick<ClientOptions, 'retryAfterBaseMs' | 'paceWrites' | 'onLimit'>;
  readonly backoff?: WorkerOptions['backoff'];
}

export type FlushResult =
  | { readonly kind: 'empty'; readonly file: string }
  | { readonly kind: 'off'; readonly file: string; readonly pending: number; readonly message: string }
  | { readonly kind: 'flushed'; readonly file: string; readonly status: SyncStatus };

/**
 * `ccasp sync`: delivers what the outbox holds, each entry to the issue it names, the same way a run
 * does (marker checks included, so flushing twice, or while an earlier delivery's comment is already
 * there, posts nothing twice). The caller holds the project's lock.
 */
export async function flushOutbox(o: FlushOptions): Promise<FlushResult> {
  const file = outboxPath(o.projectRoot);
  const outbox = await Outbox.open(file);
  if (outbox.damagedLines > 0) o.notify({ level: 'warning', message: `skipped ${outbox.damagedLines} unreadable line(s) in ${file}` });
  if (outbox.size === 0) return { kind: 'empty', file };
  // Entries name their issue's web host when the run knew it; the oldest one stands for the rest.
  const conn = await connect(o.flags, o.env, o.ghAuthToken, outbox.first()?.target.host);
  if (conn.kind === 'off') return { kind: 'off', file, pending: outbox.size, message: conn.message };
  const redact = createRedactor([conn.token.token, ...secretsFromEnv(o.env)]);
  const notify = (n: Notice) => o.notify({ level: n.level, message: redact(n.message) });
  const { createClient } = await import('./client.js');
  const worker = new DeliveryWorker({
    outbox,
    deliver: deliverWith(createClient({ token: conn.token.token, baseUrl: conn.apiUrl, ...o.client })),
    notify,
    redact,
    tokenDescription: describeToken(conn.token),
    ...(o.backoff ? { backoff: o.backoff } : {}),
  });
  return { kind: 'flushed', file, status: await worker.drain(o.timeoutMs) };
}
