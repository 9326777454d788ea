import { Redis } from 'ioredis';
import { UsageError } from '../errors.js';
import { withoutCredentials } from './url.js';

/**
 * A connection to the queue's Redis (`redis://` or `rediss://` for TLS). BullMQ needs commands to wait
 * through an outage rather than fail after a few retries (`maxRetriesPerRequest: null`), so coordinator
 * and workers ride out a Redis restart; ioredis reconnects with a growing delay, capped here.
 */
export function connectRedis(url: string): Redis {
  const client = new Redis(url, {
    maxRetriesPerRequest: null,
    retryStrategy: (times) => Math.min(times * 200, 5000),
    lazyConnect: false,
  });
  // A refused connection is retried; the error itself could carry the URL, so it is not printed here.
  client.on('error', () => undefined);
  return client;
}

/** Node's codes for a server certificate it does not accept (OpenSSL's verify results, and a wrong host name). */
const CERTIFICATE_PROBLEM = /CERT|UNABLE_TO_(GET|VERIFY)/;

/**
 * For `rediss://`: fails at once, with a way out, when the server's certificate is not one this
 * machine trusts. Waiting does not cure that, and ioredis would retry it in silence forever. Any
 * other trouble (refused, down, a wrong password) is left to the reconnecting clients and Redis's own answers.
 */
export async function refuseUntrustedServer(url: string): Promise<void> {
  if (!url.startsWith('rediss:')) return;
  const probe = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null, connectTimeout: 10_000 });
  let problem: string | undefined;
  probe.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code && CERTIFICATE_PROBLEM.test(error.code)) problem ??= `${error.message} (${error.code})`;
  });
  try {
    await probe.connect().catch(() => undefined);
  } finally {
    probe.disconnect();
  }
  if (problem !== undefined) {
    throw new UsageError(
      `the Redis server at ${withoutCredentials(url)} has a certificate this machine does not trust: ${problem}; if your own authority signed it, give its certificate with NODE_EXTRA_CA_CERTS=<ca.pem>`,
    );
  }
}
