import { Chalk, type ChalkInstance } from 'chalk';

/** What a command needs of the outside world, passed in so a test can run it with its own streams. */
export interface Io {
  readonly stdout: NodeJS.WritableStream & { isTTY?: boolean };
  readonly stderr: NodeJS.WritableStream & { isTTY?: boolean };
  readonly env: NodeJS.ProcessEnv;
  readonly cwd: string;
}

export function processIo(): Io {
  dropOutputOnFailure(process.stdout);
  dropOutputOnFailure(process.stderr);
  return { stdout: process.stdout, stderr: process.stderr, env: process.env, cwd: process.cwd() };
}

/**
 * Output that cannot be delivered (the reader of a pipe is gone, as with `| head -1`; the terminal
 * closed; the disk under a redirect is full) is dropped, and nothing else changes: a run goes on to its
 * end and exit code, a command finishes its work. Node ignores SIGPIPE and reports a failed write to
 * stdout or stderr as an 'error' event on the stream, never a throw; unheard, that event would crash
 * the process with the run's lock held and its agents working. The stream stays open, so each later
 * write fails the same way and is dropped here too.
 */
function dropOutputOnFailure(stream: NodeJS.WriteStream): void {
  stream.on('error', () => undefined);
}

/**
 * Colour is decided once, with one precedence: `--no-color` flag, then `NO_COLOR`, then `FORCE_COLOR`,
 * then whether the stream is a terminal. chalk alone ignores `NO_COLOR`.
 */
export function colorLevel(flag: boolean | undefined, env: NodeJS.ProcessEnv, isTTY: boolean | undefined): 0 | 1 | 2 | 3 {
  if (flag === false) return 0;
  if (env.NO_COLOR !== undefined && env.NO_COLOR !== '') return 0;
  const force = env.FORCE_COLOR;
  if (force !== undefined) {
    if (force === '0' || force === 'false') return 0;
    if (force === '2') return 2;
    if (force === '3') return 3;
    return 1;
  }
  if (!isTTY || env.TERM === 'dumb') return 0;
  if (env.COLORTERM === 'truecolor' || env.COLORTERM === '24bit') return 3;
  return /-256(color)?$/i.test(env.TERM ?? '') ? 2 : 1;
}

export function chalkFor(flag: boolean | undefined, io: Io, stream: 'stdout' | 'stderr' = 'stdout'): ChalkInstance {
  return new Chalk({ level: colorLevel(flag, io.env, io[stream].isTTY) });
}

export function writeLine(stream: NodeJS.WritableStream, line = ''): void {
  stream.write(`${line}\n`);
}

export function writeJson(io: Io, value: unknown): void {
  io.stdout.write(`${JSON.stringify(value, null, io.stdout.isTTY ? 2 : undefined)}\n`);
}
