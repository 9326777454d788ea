import { spawn, type ChildProcess } from 'node:child_process';
import { onTestFinished } from 'vitest';
import { CCASP_BIN, type CliResult } from './cli.js';
import { cleanEnv } from './env.js';
import { killGroup } from './processes.js';

export interface PtyResult extends CliResult {
  /** What the terminal got, byte for byte ("\r\n" line ends, escape codes). */
  readonly raw: string;
}

export interface PtyOptions {
  readonly cwd: string;
  readonly env?: NodeJS.ProcessEnv;
  readonly columns?: number;
  /**
   * Start ccasp in a session of its own (`setsid`): it still writes to the terminal, but is not one
   * of the terminal's processes, so the terminal closing sends it no SIGHUP; its writes just fail.
   */
  readonly ownSession?: boolean;
}

export interface RunningPty {
  /** `script`, which holds the terminal; ccasp runs under it. */
  readonly script: ChildProcess;
  readonly done: Promise<PtyResult>;
  /** What the terminal got so far. */
  raw(): string;
  /** Closes the terminal, as closing its window does: `script` is killed and the terminal hangs up. */
  close(): void;
}

/**
 * Starts the CLI inside a real pseudo-terminal through util-linux `script`, so that stdout.isTTY is
 * true exactly as in a user's terminal, `columns` wide when given. stdout and stderr both reach the
 * terminal.
 */
export function startCliInPty(args: readonly string[], options: PtyOptions): RunningPty {
  const quoted = [...(options.ownSession ? ['setsid', '-w'] : []), process.execPath, CCASP_BIN, ...args].map((a) => `'${a.replace(/'/g, `'\\''`)}'`).join(' ');
  const command = options.columns === undefined ? quoted : `stty cols ${options.columns} rows 40; exec ${quoted}`;
  const script = spawn('script', ['-qefc', command, '/dev/null'], {
    cwd: options.cwd,
    env: options.env ?? cleanEnv({ TERM: 'xterm-256color' }),
    stdio: ['ignore', 'pipe', 'pipe'],
    // Its own group, so that the CLI under `script` goes too if the test ends first.
    detached: true,
  });
  onTestFinished(() => {
    if (script.exitCode === null && script.signalCode === null && script.pid !== undefined) killGroup(script.pid);
  });
  let raw = '';
  script.stdout.setEncoding('utf8').on('data', (d: string) => (raw += d));
  script.stderr.setEncoding('utf8').on('data', (d: string) => (raw += d));
  const done = new Promise<PtyResult>((resolve, reject) => {
    script.on('error', reject);
    script.on('close', (code, signal) => resolve({ code, signal, stdout: raw.replace(/\r\n/g, '\n'), stderr: '', raw }));
  });
  return { script, done, raw: () => raw, close: () => script.kill('SIGKILL') };
}

/** Runs the CLI in a pseudo-terminal to its end; `stdout` is all the terminal got, with its "\r\n" turned back into "\n". */
export function runCliInPty(args: readonly string[], options: PtyOptions): Promise<PtyResult> {
  return startCliInPty(args, options).done;
}
