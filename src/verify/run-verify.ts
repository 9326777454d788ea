import { execa } from 'execa';
import { endGroup, trackGroup } from '../process/group.js';

export interface VerifyOutcome {
  readonly ok: boolean;
  readonly detail: string;
}

const SHELL_SYNTAX = /[|&;<>()$`\\"'*?[\]#~=%{}\n]/;
const TAIL_CHARS = 1500;
const KILL_GRACE_MS = 2000;

/**
 * Runs a task's `verify` command in the project. A plain command line is split on spaces and run
 * without a shell; one that needs a shell (pipes, quotes, variables, globs) is given to `sh -c`,
 * since the plan's author wrote it for one. The time limit and a cancel end the command's whole
 * process group: killing only the shell would leave a pipeline's stages holding the output open.
 */
export async function runVerify(command: string, cwd: string, timeoutMs: number, signal?: AbortSignal): Promise<VerifyOutcome> {
  const needsShell = SHELL_SYNTAX.test(command);
  const [file, ...args] = needsShell ? ['sh', '-c', command] : command.trim().split(/\s+/);
  const subprocess = execa(file!, args, { cwd, reject: false, all: true, stdin: 'ignore', detached: true });
  const exited = subprocess.then(
    () => undefined,
    () => undefined,
  );
  let stopped: 'timed-out' | 'cancelled' | undefined;
  const stop = (why: 'timed-out' | 'cancelled') => {
    if (stopped || subprocess.pid === undefined) return;
    stopped = why;
    endGroup(subprocess.pid, KILL_GRACE_MS, exited);
  };
  const onAbort = () => stop('cancelled');
  const timer = setTimeout(() => stop('timed-out'), timeoutMs);
  if (signal?.aborted) onAbort();
  else signal?.addEventListener('abort', onAbort, { once: true });
  if (subprocess.pid !== undefined) trackGroup(subprocess.pid, exited);

  const result = await subprocess;
  clearTimeout(timer);
  signal?.removeEventListener('abort', onAbort);
  const tail = (result.all ?? '').slice(-TAIL_CHARS).trim();
  if (!stopped && result.exitCode === 0 && !result.failed) return { ok: true, detail: tail };
  const why =
    stopped === 'timed-out'
      ? `\`${command}\` timed out after ${Math.round(timeoutMs / 1000)} s`
      : stopped === 'cancelled'
        ? `\`${command}\` was stopped`
        : result.exitCode === undefined
          ? `\`${command}\` could not run (${result.shortMessage})`
          : `\`${command}\` exited with code ${result.exitCode}`;
  return { ok: false, detail: tail ? `${why}; output ends with:\n${tail}` : why };
}
