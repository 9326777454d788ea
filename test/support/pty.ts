import { spawn } from 'node:child_process';
import { onTestFinished } from 'vitest';
import { CCASP_BIN, type CliResult } from './cli.js';
import { cleanEnv } from './env.js';
import { killGroup } from './processes.js';

export interface PtyResult extends CliResult {
  /** What the terminal got, byte for byte ("\r\n" line ends, escape codes). */
  readonly raw: string;
}

/**
 * Runs the CLI inside a real pseudo-terminal through util-linux `script`, so that stdout.isTTY is
 * true exactly as in a user's terminal, `columns` wide when given. stdout and stderr both reach the
 * terminal: `stdout` is all of it with the terminal's "\r\n" turned back into "\n".
 */
export async function runCliInPty(args: readonly string[], options: { cwd: string; env?: NodeJS.ProcessEnv; columns?: number }): Promise<PtyResult> {
  const quoted = [process.execPath, CCASP_BIN, ...args].map((a) => `'${a.replace(/'/g, `'\\''`)}'`).join(' ');
  const command = options.columns === undefined ? quoted : `stty cols ${options.columns} rows 40; exec ${quoted}`;
  const child = spawn('script', ['-qefc', command, '/dev/null'], {
    cwd: options.cwd,
    env: options.env ?? cleanEnv({ TERM: 'xterm-256color' }),
    stdio: ['ignore', 'pipe', 'pipe'],
    // Its own group, so that the CLI under `script` goes too if the test ends first.
    detached: true,
  });
  onTestFinished(() => {
    if (child.exitCode === null && child.signalCode === null && child.pid !== undefined) killGroup(child.pid);
  });
  let raw = '';
  child.stdout.setEncoding('utf8').on('data', (d: string) => (raw += d));
  child.stderr.setEncoding('utf8').on('data', (d: string) => (raw += d));
  const { code, signal } = await new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (c, s) => resolve({ code: c, signal: s }));
  });
  return { code, signal, stdout: raw.replace(/\r\n/g, '\n'), stderr: '', raw };
}
