import { spawn, type ChildProcess } from 'node:child_process';
import { createServer, connect } from 'node:net';
import { setTimeout as delay } from 'node:timers/promises';
import { onTestFinished } from 'vitest';
import { tempDir } from './tmp.js';

export interface RedisServer {
  readonly port: number;
  readonly url: string;
  /** Ends the server (SIGKILL, as a crash would) and waits until it is gone. */
  kill(): Promise<void>;
  /** Starts it again on the same port and folder, with what it had saved (only with `persist`). */
  restart(): Promise<void>;
}

const REDIS_BIN = process.env.REDIS_SERVER_BIN ?? 'redis-server';

/**
 * A real redis-server of the test's own, on a free 127.0.0.1 port with a temporary folder; killed
 * when the current test ends, so no server outlives its test. With `persist`, every write is in its
 * append-only file before it answers, so a kill -9 and a restart lose nothing.
 */
export async function startRedis(options: { persist?: boolean } = {}): Promise<RedisServer> {
  const dir = tempDir('ccasp-redis-');
  const port = await freePort();
  let child: ChildProcess | undefined;

  async function start(): Promise<void> {
    const args = ['--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--save', '', ...(options.persist ? ['--appendonly', 'yes', '--appendfsync', 'always'] : ['--appendonly', 'no']), '--daemonize', 'no', '--loglevel', 'warning'];
    const proc = spawn(REDIS_BIN, args, { cwd: dir, stdio: 'ignore' });
    child = proc;
    const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
    proc.once('error', () => undefined);
    for (let i = 0; i < 400; i++) {
      if (await accepts(port)) return;
      if (proc.exitCode !== null || proc.signalCode !== null) break;
      await delay(25);
    }
    proc.kill('SIGKILL');
    await exited;
    throw new Error(`redis-server did not start on port ${port} (is the redis-server package installed?)`);
  }

  async function kill(): Promise<void> {
    const proc = child;
    if (!proc || proc.exitCode !== null || proc.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
    proc.kill('SIGKILL');
    await exited;
  }

  await start();
  onTestFinished(kill);
  return { port, url: `redis://127.0.0.1:${port}`, kill, restart: start };
}

function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}
