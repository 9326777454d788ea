/**
 * Spawns the real `claude` CLI (the dev dependency) in print + stream-json
 * mode against a local API (see scripted-api.ts), the way ccasp does.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { onTestFinished } from 'vitest';
import { cleanEnv } from './env.js';
import { tempDir } from './tmp.js';

export const CLAUDE_BIN = fileURLToPath(new URL('../../node_modules/.bin/claude', import.meta.url));

/** One parsed stdout line. Deliberately loose: the zod parser is what pins shapes down. */
export type StreamLine = Record<string, unknown> & { type: string };

export interface RunClaudeOptions {
  apiUrl: string;
  cwd: string;
  prompt: string;
  /** CLAUDE_CONFIG_DIR; a fresh temp dir when omitted. */
  configDir?: string;
  model?: string;
  sessionId?: string;
  extraArgs?: string[];
  /** Extra env, applied last (e.g. CLAUDE_CODE_MAX_RETRIES). */
  env?: Record<string, string>;
  /** SIGKILL after this long. Default 30 s. */
  timeoutMs?: number;
}

export interface ClaudeRun {
  exitCode: number | null;
  signal: NodeJS.Signals | null;
  timedOut: boolean;
  durationMs: number;
  stdout: string;
  stderr: string;
  /** Non-empty stdout lines, verbatim. */
  lines: string[];
  events: StreamLine[];
  sessionId: string;
  configDir: string;
}

export interface StartedClaude {
  child: ChildProcess;
  sessionId: string;
  done: Promise<ClaudeRun>;
}

/**
 * The environment claude runs in for a test: the test run's minus anything that could leak a real
 * Claude Code/Anthropic setup into it (see cleanEnv), pointed at the scripted server.
 */
export function claudeEnv(apiUrl: string, configDir: string, extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  return cleanEnv({
    ANTHROPIC_BASE_URL: apiUrl,
    ANTHROPIC_API_KEY: 'test-key',
    CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC: '1',
    DISABLE_AUTOUPDATER: '1',
    CLAUDE_CONFIG_DIR: configDir,
    ...extra,
  });
}

export function claudeArgs(model: string, sessionId: string, extra: string[] = []): string[] {
  return [
    '-p',
    '--output-format',
    'stream-json',
    '--verbose',
    '--model',
    model,
    '--permission-mode',
    'acceptEdits',
    '--session-id',
    sessionId,
    ...extra,
  ];
}

export function startClaude(opts: RunClaudeOptions): StartedClaude {
  const configDir = opts.configDir ?? tempDir('ccasp-claude-config-');
  const sessionId = opts.sessionId ?? randomUUID();
  const started = Date.now();
  const child = spawn(CLAUDE_BIN, claudeArgs(opts.model ?? 'claude-sonnet-4-5', sessionId, opts.extraArgs), {
    cwd: opts.cwd,
    env: claudeEnv(opts.apiUrl, configDir, opts.env),
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  onTestFinished(() => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  });

  let stdout = '';
  let stderr = '';
  child.stdout?.setEncoding('utf8').on('data', (d: string) => (stdout += d));
  child.stderr?.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  // claude -p reads the prompt until EOF; it waits forever if stdin stays open.
  child.stdin?.end(opts.prompt);

  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    child.kill('SIGKILL');
  }, opts.timeoutMs ?? 30_000);

  const done = new Promise<ClaudeRun>((resolve, reject) => {
    child.once('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    child.once('close', (exitCode, signal) => {
      clearTimeout(timer);
      const lines = stdout.split('\n').filter((l) => l.trim().length > 0);
      resolve({
        exitCode,
        signal,
        timedOut,
        durationMs: Date.now() - started,
        stdout,
        stderr,
        lines,
        events: lines.map(parseLine),
        sessionId,
        configDir,
      });
    });
  });
  return { child, sessionId, done };
}

export function runClaude(opts: RunClaudeOptions): Promise<ClaudeRun> {
  return startClaude(opts).done;
}

function parseLine(line: string): StreamLine {
  const v: unknown = JSON.parse(line);
  if (typeof v !== 'object' || v === null || Array.isArray(v) || !('type' in v) || typeof v.type !== 'string') {
    throw new Error(`stream-json line without a string "type": ${line.slice(0, 200)}`);
  }
  return v as StreamLine;
}

export interface SanitizeOptions {
  cwd: string;
  configDir?: string;
  port?: number;
}

/**
 * Makes captured stdout lines fit to commit: temp paths become `/project` (and
 * `/claude-config`), claude's slug of the cwd in memory paths follows suit, and
 * the ephemeral server port becomes a fixed one.
 */
export function sanitizeLines(lines: string[], o: SanitizeOptions): string[] {
  const slug = (p: string): string => p.replace(/[^a-zA-Z0-9]/g, '-');
  const pairs: [string, string][] = [];
  if (o.configDir) pairs.push([o.configDir, '/claude-config']);
  pairs.push([slug(o.cwd), slug('/project')], [o.cwd, '/project']);
  if (o.port !== undefined) pairs.push([`127.0.0.1:${o.port}`, '127.0.0.1:8787']);
  return lines.map((l) => pairs.reduce((acc, [from, to]) => acc.split(from).join(to), l));
}
