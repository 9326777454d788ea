import { describe, expect, it } from 'vitest';
import { runCli } from '../support/cli.js';
import { cleanEnv } from '../support/env.js';
import { startRedis } from '../support/redis.js';
import { startWorker } from './fixture.js';

/** Waits until `ccasp workers` lists the worker with this pid: it is connected and taking jobs. */
async function connected(url: string, pid: number): Promise<void> {
  for (let i = 0; i < 400; i++) {
    const list = await runCli(['workers', '--queue', url, '--json'], { env: cleanEnv() });
    if (list.stdout.includes(`:${pid}`)) return;
  }
  throw new Error(`worker ${pid} never connected`);
}

describe('ccasp worker, stopped while Redis is out of reach', () => {
  it('ends on SIGTERM, waiting or watching for idleness, instead of waiting for Redis to come back', async () => {
    const redis = await startRedis();
    const waiting = startWorker(redis.url, cleanEnv());
    const watching = startWorker(redis.url, cleanEnv(), ['--exit-when-idle', '1h']);
    await connected(redis.url, waiting.cli.pid);
    await connected(redis.url, watching.cli.pid);
    await redis.kill();
    for (const { cli } of [waiting, watching]) process.kill(cli.pid, 'SIGTERM');
    for (const { cli } of [waiting, watching]) {
      const r = await cli.done;
      expect(r.code, r.stderr).toBe(0);
      expect(r.stderr).toMatch(/ccasp worker \S+: stopped/);
    }
  });
});
