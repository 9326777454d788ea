import { setTimeout as delay } from 'node:timers/promises';

/**
 * Polls `probe` until it returns a value. A probe that throws is asked again: the file it reads may
 * be between two writes of another process.
 */
export async function until<T>(probe: () => T | undefined, what = 'a condition', timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      const value = probe();
      if (value !== undefined) return value;
    } catch {
      // Look again.
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await delay(25);
  }
}
