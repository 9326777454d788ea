import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Chalk } from 'chalk';
import { renderTranscript } from '../agents/transcript.js';
import { readLog, taskLogs } from '../state/orchestrator-files.js';
import type { RunSource, SourceChange } from './run-source.js';
import type { TranscriptView } from './view.js';

export interface DashboardOptions {
  readonly source: RunSource;
  readonly root: string;
  /** 0: any free port. */
  readonly port: number;
  /** Where the page's built files are (dist/dashboard). */
  readonly assets?: string;
}

export interface DashboardServer {
  /** The page's address, token included: the only way in. */
  readonly url: string;
  readonly port: number;
  close(): Promise<void>;
}

/** Loopback only: the page shows a project's plan, costs and agent transcripts. */
const HOST = '127.0.0.1';
const HEARTBEAT_MS = 15_000;

const SECURITY_HEADERS = {
  'Cache-Control': 'no-store',
  // The address carries the token; no page it links to may learn it.
  'Referrer-Policy': 'no-referrer',
  'X-Content-Type-Options': 'nosniff',
  'X-Frame-Options': 'DENY',
  'Content-Security-Policy': "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self' data:; frame-ancestors 'none'; base-uri 'none'",
};

/**
 * The dashboard's web server: node:http, since it serves four fixed routes on loopback to one person,
 * and a framework would bring more to audit than it saves. Read-only (GET only). Every request must
 * carry the random token printed in the address (compared in constant time) and a Host header naming
 * this address, so neither another local user's browser tab nor a DNS-rebinding page can read it:
 * 403 otherwise.
 */
export async function startDashboard(options: DashboardOptions): Promise<DashboardServer> {
  const token = randomBytes(24).toString('base64url');
  const assets = options.assets ?? builtAssets();
  const clients = new Set<ServerResponse>();
  let port = 0;

  const send = (res: ServerResponse, name: string, data: unknown) => res.write(`event: ${name}\ndata: ${JSON.stringify(data)}\n\n`);
  const unsubscribe = options.source.subscribe((change: SourceChange) => {
    for (const res of clients) {
      if (change.reset) send(res, 'reset', {});
      if (change.view) send(res, 'view', change.view);
      if (change.events.length > 0) send(res, 'events', change.events);
    }
  });

  const server = createServer((req, res) => {
    void handle(req, res).catch((error: unknown) => {
      if (!res.headersSent) refuse(res, 500, 'internal error');
      else res.destroy();
      process.emitWarning(`dashboard: ${String(error)}`);
    });
  });

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const host = req.headers.host ?? '';
    if (host !== `${HOST}:${port}` && host !== `localhost:${port}`) return refuse(res, 403, 'wrong Host');
    if (req.method !== 'GET') {
      res.setHeader('Allow', 'GET');
      return refuse(res, 405, 'read-only: GET only');
    }
    const url = new URL(req.url ?? '/', `http://${host}`);
    if (!sameToken(url.searchParams.get('token') ?? '', token)) return refuse(res, 403, 'a valid token is required');
    switch (url.pathname) {
      case '/':
        return reply(res, 'text/html; charset=utf-8', page(token));
      case '/app.js':
        return reply(res, 'text/javascript; charset=utf-8', await readFile(path.join(assets, 'app.js')));
      case '/app.css':
        return reply(res, 'text/css; charset=utf-8', await readFile(path.join(assets, 'app.css')));
      case '/events':
        return follow(req, res);
      case '/transcript':
        return reply(res, 'application/json', JSON.stringify(await transcript(options.root, url.searchParams.get('task') ?? '')));
      default:
        return refuse(res, 404, 'not found');
    }
  }

  function follow(req: IncomingMessage, res: ServerResponse): void {
    res.writeHead(200, { ...SECURITY_HEADERS, 'Content-Type': 'text/event-stream; charset=utf-8', Connection: 'keep-alive' });
    clients.add(res);
    const view = options.source.view;
    if (view) send(res, 'view', view);
    send(res, 'events', options.source.recentEvents);
    const beat = setInterval(() => res.write(': ping\n\n'), HEARTBEAT_MS);
    req.on('close', () => {
      clearInterval(beat);
      clients.delete(res);
    });
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, HOST, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address();
  port = typeof address === 'object' && address ? address.port : options.port;
  return {
    url: `http://${HOST}:${port}/?token=${token}`,
    port,
    close: async () => {
      unsubscribe();
      for (const res of clients) res.end();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** Equal tokens, in time that does not depend on where they differ (hashes: equal lengths). */
function sameToken(given: string, token: string): boolean {
  const digest = (s: string) => createHash('sha256').update(s).digest();
  return timingSafeEqual(digest(given), digest(token));
}

function reply(res: ServerResponse, type: string, body: string | Buffer): void {
  res.writeHead(200, { ...SECURITY_HEADERS, 'Content-Type': type });
  res.end(body);
}

function refuse(res: ServerResponse, status: number, message: string): void {
  res.writeHead(status, { ...SECURITY_HEADERS, 'Content-Type': 'text/plain; charset=utf-8' });
  res.end(`${message}\n`);
}

/** The page's shell; the token goes into its assets' addresses (it is base64url, safe in HTML). */
function page(token: string): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>ccasp dashboard</title>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="/app.css?token=${token}">
</head>
<body>
<div id="app">Loading…</div>
<script src="/app.js?token=${token}"></script>
</body>
</html>
`;
}

/** Every attempt's transcript of a task, as `ccasp logs` reads it, without colour. */
async function transcript(root: string, taskId: string): Promise<TranscriptView> {
  const plain = new Chalk({ level: 0 });
  const attempts = [];
  for (const log of await taskLogs(root, taskId)) {
    attempts.push({ attempt: log.attempt, lines: renderTranscript(await readLog(log.file), plain, { full: false }) });
  }
  return { taskId, attempts };
}

/** dist/dashboard beside the bundle this code runs from (dist/main.js or dist/chunks/…). */
function builtAssets(): string {
  const here = path.dirname(fileURLToPath(import.meta.url));
  const candidates = [path.join(here, 'dashboard'), path.join(here, '..', 'dashboard'), path.join(here, '..', '..', 'dist', 'dashboard')];
  return candidates.find((dir) => existsSync(path.join(dir, 'app.js'))) ?? candidates[0]!;
}
