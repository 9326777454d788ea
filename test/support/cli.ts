import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { onTestFinished } from 'vitest';
import { cleanEnv } from './env.js';

export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const CCASP_BIN = path.join(REPO_ROOT, 'bin', 'ccasp');

export interface CliResult {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** One `--json` line of `ccasp run`: an event, loosely typed (the schema tests pin the shapes). */
export interface RunEvent {
  readonly type: string;
  readonly [key: string]: unknown;
}

export interface CliOptions {
  /** Default: the repository. */
  readonly cwd?: string;
  /** Default: `cleanEnv()`. */
  readonly env?: NodeJS.ProcessEnv;
  /** Options for node itself, e.g. `--import` of a preload. */
  readonly nodeArgs?: readonly string[];
  /** Another ccasp than the repository's bin/ccasp. */
  readonly bin?: string;
  /**
   * The reader of stdout goes away after this many lines, as `| head -n N` does: the pipe is closed
   * and what ccasp writes later fails (0: closed before ccasp writes anything). `stdout()` keeps
   * the lines read.
   */
  readonly stdoutLines?: number;
  /** The same for stderr. */
  readonly stderrLines?: number;
  /** A file descriptor for stdout instead of a pipe (an open /dev/full, say: every write fails with ENOSPC). */
  readonly stdoutFd?: number;
}

export interface RunningCli {
  readonly child: ChildProcess;
  readonly pid: number;
  readonly done: Promise<CliResult>;
  stdout(): string;
  stderr(): string;
  /** The `--json` events printed so far. */
  events(): RunEvent[];
  /** Resolves with true once an event of this type was printed, false if the process ended first. */
  waitForEvent(type: string): Promise<boolean>;
  exited(): boolean;
}

/**
 * Starts the built CLI as a real subprocess through pipes (so stdout is not a TTY), collecting its
 * output. Killed when the current test ends if it is still running.
 */
export function startCli(args: readonly string[], options: CliOptions = {}): RunningCli {
  const bin = options.bin ?? CCASP_BIN;
  const child = spawn(process.execPath, [...(options.nodeArgs ?? []), bin, ...args], {
    cwd: options.cwd ?? REPO_ROOT,
    env: options.env ?? cleanEnv(),
    stdio: ['ignore', options.stdoutFd ?? 'pipe', 'pipe'],
  });
  if (child.pid === undefined) throw new Error(`could not start ${bin}`);
  onTestFinished(() => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  });
  let out = '';
  let err = '';
  let partial = '';
  let ended = false;
  const events: RunEvent[] = [];
  const waiters: { type: string; resolve: (seen: boolean) => void }[] = [];
  const onStdout = (d: string) => {
    out += d;
    partial += d;
    let nl: number;
    while ((nl = partial.indexOf('\n')) >= 0) {
      const event = parseEvent(partial.slice(0, nl));
      partial = partial.slice(nl + 1);
      if (!event) continue;
      events.push(event);
      for (const w of waiters.filter((x) => x.type === event.type)) {
        waiters.splice(waiters.indexOf(w), 1);
        w.resolve(true);
      }
    }
  };
  if (child.stdout) readHead(child.stdout, options.stdoutLines, onStdout);
  readHead(child.stderr!, options.stderrLines, (d) => (err += d));
  const done = new Promise<CliResult>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code, signal) => {
      ended = true;
      for (const w of waiters.splice(0)) w.resolve(false);
      resolve({ code, signal, stdout: out, stderr: err });
    });
  });
  return {
    child,
    pid: child.pid,
    done,
    stdout: () => out,
    stderr: () => err,
    events: () => events,
    exited: () => ended,
    waitForEvent(type) {
      if (events.some((e) => e.type === type)) return Promise.resolve(true);
      if (ended) return Promise.resolve(false);
      return new Promise((resolve) => waiters.push({ type, resolve }));
    },
  };
}

/** Runs the built CLI to its end; see `startCli`. */
export function runCli(args: readonly string[], options: CliOptions = {}): Promise<CliResult> {
  return startCli(args, options).done;
}

/**
 * Hands `stream`'s text to `onData`; with a limit, only its first `lines` lines, and then closes the
 * pipe's end as a reader that goes away does, which is what makes ccasp's later writes fail (EPIPE).
 */
function readHead(stream: Readable, lines: number | undefined, onData: (text: string) => void): void {
  stream.setEncoding('utf8');
  if (lines === undefined) {
    stream.on('data', onData);
    return;
  }
  let seen = 0;
  if (lines === 0) stream.destroy();
  stream.on('data', (d: string) => {
    let cut = 0;
    while (seen < lines && (cut = d.indexOf('\n', cut) + 1) > 0) seen++;
    onData(seen < lines ? d : d.slice(0, cut));
    if (seen >= lines) stream.destroy();
  });
}

function parseEvent(line: string): RunEvent | undefined {
  if (!line.startsWith('{')) return undefined;
  try {
    const value: unknown = JSON.parse(line);
    if (typeof value === 'object' && value !== null && 'type' in value && typeof value.type === 'string') return value as RunEvent;
  } catch {
    // Not an event.
  }
  return undefined;
}
