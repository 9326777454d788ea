import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { createServer, connect } from 'node:net';
import { setTimeout as delay } from 'node:timers/promises';
import { onTestFinished } from 'vitest';
import { tempDir } from './tmp.js';

export interface RedisServer {
  readonly port: number;
  /** `redis://127.0.0.1:<port>`, or `rediss://` with `tls`; without the password. */
  readonly url: string;
  /** With `tls`: the certificate of the throwaway authority that signed the server's, for clients to trust. */
  readonly caFile?: string;
  /** Ends the server (SIGKILL, as a crash would) and waits until it is gone. */
  kill(): Promise<void>;
  /** Starts it again on the same port and folder, with what it had saved (only with `persist`). */
  restart(): Promise<void>;
}

const REDIS_BIN = process.env.REDIS_SERVER_BIN ?? 'redis-server';

export interface RedisOptions {
  /** Every write is in the append-only file before it answers, so a kill -9 and a restart lose nothing. */
  readonly persist?: boolean;
  /** TLS only (no plain port), with a server certificate for 127.0.0.1 from a CA made for the test. */
  readonly tls?: boolean;
  /** Clients must give this password (`requirepass`). */
  readonly password?: string;
}

/**
 * A real redis-server of the test's own, on a free 127.0.0.1 port with a temporary folder; killed
 * when the current test ends, so no server outlives its test.
 */
export async function startRedis(options: RedisOptions = {}): Promise<RedisServer> {
  const dir = tempDir('ccasp-redis-');
  const port = await freePort();
  const caFile = options.tls ? makeCertificates(dir) : undefined;
  let child: ChildProcess | undefined;

  async function start(): Promise<void> {
    const listen = options.tls
      ? ['--port', '0', '--tls-port', String(port), '--tls-cert-file', 'server.crt', '--tls-key-file', 'server.key', '--tls-ca-cert-file', 'ca.crt', '--tls-auth-clients', 'no']
      : ['--port', String(port)];
    const args = [...listen, '--bind', '127.0.0.1', '--dir', dir, '--save', '', ...(options.persist ? ['--appendonly', 'yes', '--appendfsync', 'always'] : ['--appendonly', 'no']), ...(options.password ? ['--requirepass', options.password] : []), '--daemonize', 'no', '--loglevel', 'warning'];
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
  return { port, url: `${options.tls ? 'rediss' : 'redis'}://127.0.0.1:${port}`, ...(caFile ? { caFile } : {}), kill, restart: start };
}

/** A throwaway CA and a server certificate it signed for 127.0.0.1, in `dir`; returns the CA's file. */
function makeCertificates(dir: string): string {
  const openssl = (...args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: 'ignore' });
  openssl('req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'ca.key', '-out', 'ca.crt', '-days', '1', '-subj', '/CN=ccasp test CA');
  openssl('req', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'server.key', '-out', 'server.csr', '-subj', '/CN=127.0.0.1');
  writeFileSync(path.join(dir, 'server.ext'), 'subjectAltName=IP:127.0.0.1\n');
  openssl('x509', '-req', '-in', 'server.csr', '-CA', 'ca.crt', '-CAkey', 'ca.key', '-CAcreateserial', '-out', 'server.crt', '-days', '1', '-extfile', 'server.ext');
  return path.join(dir, 'ca.crt');
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
