import { accessSync, constants, readlinkSync, realpathSync, statSync } from 'node:fs';
import path from 'node:path';

/**
 * Which program a running process is, for telling an agent ccasp started from anything else.
 * Hand-rolled rather than the `which` package: the lookup is a loop over PATH, and the part that
 * matters (how the kernel shows a started script) no package does.
 */

/** A program as ccasp starts it: a path or a bare name, and the PATH a bare name is looked up in. */
export interface Program {
  readonly command: string;
  readonly searchPath: string | undefined;
}

/**
 * Whether process `pid`, whose argument vector is `argv` and whose own arguments begin at
 * `argv[firstArgument]`, runs `program`. A binary shows as the process's executable (and as
 * argv[0]); a script started through its `#!` line shows as `interpreter [option] script`, with
 * the script as it was found on PATH. Paths are compared as written and as resolved, so a program
 * reached through a link (`claude` on PATH pointing at the installed version) is recognised either
 * way. Linux /proc; false where it cannot be read.
 */
export function runsProgram(pid: number, argv: readonly string[], firstArgument: number, program: Program): boolean {
  const cwd = readLink(`/proc/${pid}/cwd`);
  if (cwd === undefined) return false;
  const wanted = locate(program.command, cwd, program.searchPath);
  if (wanted === undefined) return false;
  const names = new Set([wanted, realPath(wanted)]);
  const shown = [...argv.slice(0, firstArgument).map((word) => locate(word, cwd, program.searchPath)), readLink(`/proc/${pid}/exe`)];
  return shown.some((file) => file !== undefined && (names.has(file) || names.has(realPath(file))));
}

/** Where `command` is, as a process started in `cwd` with `searchPath` would find it. */
function locate(command: string, cwd: string, searchPath: string | undefined): string | undefined {
  if (command === '') return undefined;
  if (command.includes('/')) return path.resolve(cwd, command);
  for (const dir of (searchPath ?? '').split(path.delimiter)) {
    const file = path.resolve(cwd, dir, command);
    if (isExecutableFile(file)) return file;
  }
  return undefined;
}

function isExecutableFile(file: string): boolean {
  try {
    accessSync(file, constants.X_OK);
    return statSync(file).isFile();
  } catch {
    return false;
  }
}

function readLink(file: string): string | undefined {
  try {
    return readlinkSync(file);
  } catch {
    return undefined;
  }
}

function realPath(file: string): string {
  try {
    return realpathSync(file);
  } catch {
    return file;
  }
}
