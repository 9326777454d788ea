/**
 * The one error family. Every failure a user can act on is a CcaspError with an exit code from
 * this table; the CLI maps anything else to `internal`. Codes are a contract (docs/exit-codes.md).
 */
export const ExitCode = {
  ok: 0,
  internal: 1,
  invalidInput: 2,
  locked: 3,
  blocked: 4,
  phaseFailed: 5,
  budget: 6,
  rateLimited: 7,
  stateConflict: 8,
  writeFailed: 9,
  hangup: 129,
  interrupted: 130,
  terminated: 143,
} as const;
export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode];

export class CcaspError extends Error {
  readonly exitCode: ExitCode;
  constructor(message: string, exitCode: ExitCode, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
    this.exitCode = exitCode;
  }
}

/** One problem found in a file: which file, where in it (a JSON path), and what is wrong. */
export interface Problem {
  readonly file: string;
  readonly path: string;
  readonly message: string;
}

export function formatProblem(p: Problem): string {
  return p.path ? `${p.file}: ${p.path}: ${p.message}` : `${p.file}: ${p.message}`;
}

/** Files that are unreadable or invalid, each problem listed under a heading that says which files. */
export class FileProblemsError extends CcaspError {
  readonly problems: readonly Problem[];
  constructor(heading: string, problems: readonly Problem[]) {
    const head = problems.length === 1 ? heading : `${heading} (${problems.length} problems)`;
    super(`${head}:\n${problems.map((p) => `  ${formatProblem(p)}`).join('\n')}`, ExitCode.invalidInput);
    this.problems = problems;
  }
}

/** The plan is unreadable or invalid; carries every problem found. */
export class InvalidPlanError extends FileProblemsError {
  constructor(problems: readonly Problem[]) {
    super('Invalid plan', problems);
  }
}

/** A file ccasp keeps under `.claude/orchestrator/` (state.json, the outbox, memory, logs) cannot be used as it is. */
export class InvalidStateError extends FileProblemsError {
  constructor(problems: readonly Problem[]) {
    super('Invalid orchestrator state', problems);
  }
}

/** A specialist's definition (`.claude/agents/<name>.md`) states tool rules that are not rules. */
export class InvalidSpecialistError extends FileProblemsError {
  constructor(problems: readonly Problem[]) {
    super('Invalid specialist definition', problems);
  }
}

export class UsageError extends CcaspError {
  constructor(message: string) {
    super(message, ExitCode.invalidInput);
  }
}

/** Where ccasp keeps a file of its own there is something else: a folder, a pipe, a link, a device. */
export class NotAFileError extends CcaspError {
  constructor(file: string, what: string, remedy: string) {
    super(`${file} is ${what}, not a file ccasp wrote; ${remedy}`, ExitCode.invalidInput);
  }
}

/** claude's own settings file (`~/.claude.json`) is broken: every agent would fail on it. */
export class ClaudeConfigError extends CcaspError {
  constructor(message: string) {
    super(message, ExitCode.invalidInput);
  }
}

export class LockHeldError extends CcaspError {
  constructor(message: string) {
    super(message, ExitCode.locked);
  }
}

/** A command a signal stopped before it could finish; the exit code says which signal. */
export class StoppedError extends CcaspError {
  constructor(message: string, exitCode: ExitCode) {
    super(message, exitCode);
  }
}

export class StateConflictError extends CcaspError {
  constructor(message: string) {
    super(message, ExitCode.stateConflict);
  }
}

/** A file ccasp must keep true could not be written (disk full, read-only, permissions). */
export class WriteError extends CcaspError {
  constructor(file: string, cause: unknown) {
    const code = (cause as NodeJS.ErrnoException | undefined)?.code;
    const why =
      code === 'ENOSPC' ? 'the disk is full' : code === 'EROFS' ? 'the file system is read-only' : code === 'EACCES' || code === 'EPERM' ? 'permission denied' : code === 'EDQUOT' ? 'the disk quota is exhausted' : String(cause);
    super(`cannot write ${file}: ${why}. The previous version is still in place; free space or fix permissions, then run ccasp again.`, ExitCode.writeFailed, { cause });
  }
}

/**
 * PROGRESS.json was changed during a run in a way the run cannot take; ccasp stops and leaves the
 * file as it now is, as it does with a file it cannot write.
 */
export class PlanEditedError extends CcaspError {
  constructor(file: string, change: string) {
    super(
      `${file} was changed during the run in a way ccasp cannot take: ${change}. ccasp stopped the run and left the file as it now is; ` +
        'run ccasp run again to go on from it. During a run, only setting a task\'s status to "skipped", and editing fields ccasp does not keep (titles, details and the like), are taken.',
      ExitCode.writeFailed,
    );
  }
}
