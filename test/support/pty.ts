import { spawn } from 'node:child_process';
import { CCASP_BIN, cleanEnv, outputOf, type CliResult } from './cli.js';

/**
 * Runs the CLI inside a real pseudo-terminal through util-linux `script`, so that stdout.isTTY is
 * true exactly as in a user's terminal. The terminal turns "\n" into "\r\n"; that is undone here.
 */
export async function runCliInPty(args: readonly string[], options: { cwd: string; env?: NodeJS.ProcessEnv }): Promise<CliResult> {
  const quoted = [process.execPath, CCASP_BIN, ...args].map((a) => `'${a.replace(/'/g, `'\\''`)}'`).join(' ');
  const result = await outputOf(
    spawn('script', ['-qefc', quoted, '/dev/null'], {
      cwd: options.cwd,
      env: options.env ?? cleanEnv({ TERM: 'xterm-256color' }),
      stdio: ['ignore', 'pipe', 'pipe'],
    }),
  );
  return { ...result, stdout: result.stdout.replace(/\r\n/g, '\n') };
}
