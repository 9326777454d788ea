import { Redis } from 'ioredis';

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
