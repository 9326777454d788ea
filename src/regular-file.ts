import { closeSync, constants, fstatSync, openSync, readFileSync, type Stats } from 'node:fs';
import { stat } from 'node:fs/promises';

export type RegularFileRead =
  | { readonly kind: 'ok'; readonly bytes: Buffer }
  | { readonly kind: 'absent' }
  /** A folder, pipe, socket or device: reading it would fail, block or never end. */
  | { readonly kind: 'not-a-file'; readonly message: string }
  | { readonly kind: 'unreadable'; readonly message: string };

export interface ReadLimit {
  readonly bytes: number;
  /** What the file is, in the plural, for the message: `plans`, `state files`. */
  readonly what: string;
}

/**
 * Reads a file whole, but only a regular one: the type is checked on the open file before a byte is
 * read, and the open itself never waits (a FIFO's open blocks until someone writes to it).
 * `expected` names what should be there, for the message: `a JSON file`. Synchronous inside: a
 * command reads a handful of files, and each hop through the thread pool cost `status` more than
 * the read itself.
 */
export async function readRegularFile(file: string, expected: string, limit?: ReadLimit): Promise<RegularFileRead> {
  let fd: number;
  try {
    fd = openSync(file, constants.O_RDONLY | constants.O_NONBLOCK);
  } catch (error) {
    return openFailure(error, expected);
  }
  try {
    const info = fstatSync(fd);
    if (!info.isFile()) return notAFile(info.isDirectory(), expected);
    if (limit && info.size > limit.bytes) return { kind: 'unreadable', message: `is ${info.size} bytes; ${limit.what} larger than ${limit.bytes} bytes are refused` };
    return { kind: 'ok', bytes: readFileSync(fd) };
  } catch (error) {
    return openFailure(error, expected);
  } finally {
    closeSync(fd);
  }
}

/** What is wrong with `file` as a place for a regular file, or undefined when it is one or is absent. */
export async function regularFileProblem(file: string, expected: string): Promise<string | undefined> {
  try {
    const info = await stat(file);
    return info.isFile() ? undefined : notAFile(info.isDirectory(), expected).message;
  } catch (error) {
    const failure = openFailure(error, expected);
    return failure.kind === 'absent' ? undefined : failure.message;
  }
}

function notAFile(directory: boolean, expected: string): { kind: 'not-a-file'; message: string } {
  return { kind: 'not-a-file', message: notAFileMessage(directory, expected) };
}

export function notAFileMessage(directory: boolean, expected: string): string {
  return directory ? `is a directory, expected ${expected}` : `is not a regular file (a pipe, socket or device), expected ${expected}`;
}

function openFailure(error: unknown, expected: string): RegularFileRead & { kind: 'absent' | 'not-a-file' | 'unreadable' } {
  const code = (error as NodeJS.ErrnoException).code;
  if (code === 'ENOENT') return { kind: 'absent' };
  if (code === 'EISDIR') return notAFile(true, expected);
  // A socket cannot be opened at all.
  if (code === 'ENXIO' || code === 'EOPNOTSUPP') return notAFile(false, expected);
  if (code === 'EACCES' || code === 'EPERM') return { kind: 'unreadable', message: 'cannot be read (permission denied)' };
  if (code === 'ENOTDIR') return { kind: 'unreadable', message: 'not found (a parent path is not a directory)' };
  return { kind: 'unreadable', message: `cannot be read (${code ?? String(error)})` };
}

/** What a path that is not a regular file holds, for a message: "a folder", "a named pipe (FIFO)"… */
export function describeFileType(info: Stats): string {
  if (info.isDirectory()) return 'a folder';
  if (info.isSymbolicLink()) return 'a symbolic link';
  if (info.isFIFO()) return 'a named pipe (FIFO)';
  if (info.isSocket()) return 'a socket';
  if (info.isCharacterDevice() || info.isBlockDevice()) return 'a device';
  return 'not a regular file';
}

/**
 * A small side file's text (a role, git's config, a roadmap) when it is a regular file, else
 * undefined: the open never waits and the type is checked before a byte is read, so a pipe or a
 * device in its place is as good as no file rather than a hang.
 */
export function readRegularTextSync(file: string): string | undefined {
  let fd: number;
  try {
    fd = openSync(file, constants.O_RDONLY | constants.O_NONBLOCK);
  } catch {
    return undefined;
  }
  try {
    return fstatSync(fd).isFile() ? readFileSync(fd, 'utf8') : undefined;
  } catch {
    return undefined;
  } finally {
    closeSync(fd);
  }
}
