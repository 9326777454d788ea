import { execa } from 'execa';

export interface VerifyOutcome {
  readonly ok: boolean;
  readonly detail: string;
}

const SHELL_SYNTAX = /[|&;<>()$`\\"'*?[\]#~=%{}\n]/;
const TAIL_CHARS = 1500;

/**
 * Runs a task's `verify` command in the project. A plain command line is split on spaces and run
 * without a shell; one that needs a shell (pipes, quotes, variables, globs) is given to `sh -c`,
 * since the plan's author wrote it for one.
 */
export async function runVerify(command: string, cwd: string, timeoutMs: number, signal?: AbortSignal): Promise<VerifyOutcome> {
  const needsShell = SHELL_SYNTAX.test(command);
  const [file, ...args] = needsShell ? ['sh', '-c', command] : command.trim().split(/\s+/);
  const result = await execa(file!, args, {
    cwd,
    reject: false,
    all: true,
    stdin: 'ignore',
    timeout: timeoutMs,
    forceKillAfterDelay: 2000,
    ...(signal ? { cancelSignal: signal } : {}),
  });
  const tail = (result.all ?? '').slice(-TAIL_CHARS).trim();
  if (result.exitCode === 0 && !result.failed) return { ok: true, detail: tail };
  const why = result.timedOut
    ? `\`${command}\` timed out after ${Math.round(timeoutMs / 1000)} s`
    : result.exitCode === undefined
      ? `\`${command}\` could not run (${result.shortMessage})`
      : `\`${command}\` exited with code ${result.exitCode}`;
  return { ok: false, detail: tail ? `${why}; output ends with:\n${tail}` : why };
}
