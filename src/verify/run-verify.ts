import { execa } from 'execa';
import { endGroup, trackGroup } from '../process/group.js';
import type { Redactor } from '../secrets/redact.js';

export interface VerifyOutcome {
  readonly ok: boolean;
  readonly detail: string;
}

/** How long a `verify` command or a CCASP gate may run, locally or on a queue worker. */
export const VERIFY_TIMEOUT_MS = 10 * 60_000;

export interface CheckOptions {
  readonly timeoutMs: number;
  /** The command's whole environment (secrets/agent-env.ts: what agents get). */
  readonly env: NodeJS.ProcessEnv;
  /** Scrubs the output before its tail is kept: it ends up in blockers, state and GitHub. */
  readonly redact: Redactor;
}

const SHELL_SYNTAX = /[|&;<>()$`\\"'*?[\]#~=%{}\n]/;
const TAIL_CHARS = 1500;
/**
 * How much of the output's end is scrubbed: scrubbing only the kept tail could keep the end of a
 * secret whose start was cut off; a whole private key block fits many times over.
 */
const SCRUBBED_CHARS = 64 * 1024;
const KILL_GRACE_MS = 2000;

/**
 * Runs a task's `verify` command in the project. A plain command line is split on spaces and run
 * without a shell; one that needs a shell (pipes, quotes, variables, globs) is given to `sh -c`,
 * since the plan's author wrote it for one. The time limit and a cancel end the command's whole
 * process group: killing only the shell would leave a pipeline's stages holding the output open.
 */
export async function runVerify(command: string, cwd: string, options: CheckOptions, signal?: AbortSignal): Promise<VerifyOutcome> {
  const { timeoutMs } = options;
  const needsShell = SHELL_SYNTAX.test(command);
  const [file, ...args] = needsShell ? ['sh', '-c', command] : command.trim().split(/\s+/);
  const subprocess = execa(file!, args, { cwd, env: options.env, extendEnv: false, reject: false, all: true, stdin: 'ignore', detached: true });
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
  const tail = options.redact((result.all ?? '').slice(-SCRUBBED_CHARS)).slice(-TAIL_CHARS).trim();
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
