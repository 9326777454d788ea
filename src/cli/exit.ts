import { CommanderError } from 'commander';
import { CcaspError, ExitCode } from '../errors.js';
import { writeLine, type Io } from './io.js';

/** The one place where an error becomes a message and an exit code. */
export function exitCodeFor(error: unknown, io: Io): number {
  if (error instanceof CommanderError) {
    // Commander has already printed its message (or the help or version text).
    if (error.code === 'commander.helpDisplayed' || error.code === 'commander.version' || error.code === 'commander.help') {
      return ExitCode.ok;
    }
    return ExitCode.invalidInput;
  }
  if (error instanceof CcaspError) {
    writeLine(io.stderr, `ccasp: ${error.message}`);
    return error.exitCode;
  }
  const detail = error instanceof Error ? (error.stack ?? error.message) : String(error);
  writeLine(io.stderr, `ccasp: internal error: ${detail}`);
  return ExitCode.internal;
}
