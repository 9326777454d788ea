import { constants, type Stats } from 'node:fs';
import { hostname } from 'node:os';
import { link, lstat, mkdir, open, unlink, type FileHandle } from 'node:fs/promises';
import path from 'node:path';
import { LockHeldError, NotAFileError } from '../errors.js';
import { isProcessAlive } from '../process/alive.js';
import { processStartOf } from '../process/identity.js';
import { describeFileType } from '../regular-file.js';

/**
 * One `ccasp run` per project. proper-lockfile and its kin judge staleness by mtime and need a
 * heartbeat; this lock records pid and host so a dead owner is recognised at once and a live one on
 * another machine (a shared folder) is never taken over, and the owner's process start time so a
 * pid reused by another process since is not mistaken for the owner.
 */
export interface LockOwner {
  readonly pid: number;
  readonly host: string;
  readonly startedAt: string;
  /** The owner's start time (see ProcessIdentity); absent in locks of older versions and where /proc is not. */
  readonly processStart?: number;
  readonly command?: string;
}

export interface HeldLock {
  readonly file: string;
  readonly owner: LockOwner;
  /** Set when a dead run's lock was taken over, for the caller to warn about. */
  readonly tookOverFrom?: LockOwner;
  release(): Promise<void>;
}

export interface LockOptions {
  readonly pid?: number;
  readonly host?: string;
  readonly now?: () => Date;
  readonly isAlive?: (pid: number) => boolean;
  readonly command?: string;
}

export { isProcessAlive };

export async function acquireLock(file: string, options: LockOptions = {}): Promise<HeldLock> {
  const pid = options.pid ?? process.pid;
  const processStart = processStartOf(pid);
  const owner: LockOwner = {
    pid,
    host: options.host ?? hostname(),
    startedAt: (options.now?.() ?? new Date()).toISOString(),
    ...(processStart !== undefined ? { processStart } : {}),
    ...(options.command ? { command: options.command } : {}),
  };
  const isAlive = options.isAlive ?? isProcessAlive;
  const running = (o: LockOwner): boolean => isAlive(o.pid) && !pidReused(o);
  await mkdir(path.dirname(file), { recursive: true });
  let tookOverFrom: LockOwner | undefined;
  for (let round = 0; round < 20; round++) {
    if (await tryCreate(file, owner)) {
      return { file, owner, ...(tookOverFrom ? { tookOverFrom } : {}), release: () => releaseLock(file, owner) };
    }
    const current = await readOwner(file);
    if (current === 'gone') continue;
    if (current === 'unreadable') {
      // A run killed between creating and writing the file; give a live writer a moment first.
      await new Promise((r) => setTimeout(r, 50));
      if ((await readOwner(file)) !== 'unreadable') continue;
      await takeOver(file, null, owner, running);
      continue;
    }
    if (current.host !== owner.host) {
      throw new LockHeldError(
        `Another ccasp run holds ${file} (pid ${current.pid} on host ${current.host}, since ${current.startedAt}). ` +
          'It cannot be checked from this host; if that run is gone, delete the lock file.',
      );
    }
    if (running(current) && current.pid !== owner.pid) {
      throw new LockHeldError(
        `Another ccasp run is active in this project (pid ${current.pid}, since ${current.startedAt}); lock ${file}.`,
      );
    }
    if (await takeOver(file, current, owner, running)) tookOverFrom = current;
  }
  throw new LockHeldError(`Could not take the lock ${file}: it keeps changing hands.`);
}

async function tryCreate(file: string, owner: LockOwner): Promise<boolean> {
  // Written to a private file first, then linked into place: link() fails if the lock exists, and a
  // reader never sees a half-written lock.
  const temp = `${file}.${owner.pid}.${Math.random().toString(36).slice(2)}.tmp`;
  const handle = await open(temp, 'wx');
  try {
    await handle.writeFile(`${JSON.stringify(owner)}\n`);
    await handle.sync();
  } finally {
    await handle.close();
  }
  try {
    await link(temp, file);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw error;
  } finally {
    await unlink(temp).catch(() => undefined);
  }
}

/** Whether the owner's pid now names another process: one started at another time. */
function pidReused(owner: LockOwner): boolean {
  if (owner.processStart === undefined) return false;
  const now = processStartOf(owner.pid);
  return now !== undefined && now !== owner.processStart;
}

async function readOwner(file: string): Promise<LockOwner | 'gone' | 'unreadable'> {
  let text: string;
  try {
    text = await readLockText(file);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return 'gone';
    throw error;
  }
  try {
    const value = JSON.parse(text) as Partial<LockOwner>;
    if (typeof value.pid === 'number' && typeof value.host === 'string' && typeof value.startedAt === 'string') {
      const start = value.processStart;
      const processStart = typeof start === 'number' && Number.isSafeInteger(start) && start >= 0 ? { processStart: start } : {};
      return { pid: value.pid, host: value.host, startedAt: value.startedAt, ...processStart };
    }
  } catch {
    // fall through
  }
  return 'unreadable';
}

/**
 * The lock file's text, once it is known to be a regular file: reading a pipe put in its place
 * would wait forever, and a folder or a link there is not ccasp's. Checked before the open, and
 * again on the opened file (not following a link, not waiting on a pipe) in case it was swapped.
 */
async function readLockText(file: string): Promise<string> {
  const refuse = (info: Stats): void => {
    if (!info.isFile()) throw new NotAFileError(file, describeFileType(info), 'remove it (ccasp creates its lock itself) and run the command again.');
  };
  refuse(await lstat(file));
  let handle: FileHandle;
  try {
    handle = await open(file, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
  } catch (error) {
    // ELOOP: a link appeared since the check.
    if ((error as NodeJS.ErrnoException).code === 'ELOOP') refuse(await lstat(file));
    throw error;
  }
  try {
    refuse(await handle.stat());
    return await handle.readFile('utf8');
  } finally {
    await handle.close();
  }
}

/**
 * Removes a dead owner's lock. Several runs may try at once, and moving the lock aside is not safe:
 * a run that read the stale lock a moment ago would move away the fresh lock of the run that took
 * over first, and a third run could then create its own, leaving two holders. So the removal
 * happens under a short-lived second lock, `<file>.takeover`: its holder re-reads the lock and
 * deletes it only while it is still the one judged stale. Only the holder of that guard deletes a
 * lock it does not own, so nothing can replace the lock between the check and the delete.
 */
async function takeOver(file: string, stale: LockOwner | null, me: LockOwner, running: (owner: LockOwner) => boolean): Promise<boolean> {
  const guard = `${file}.takeover`;
  if (!(await tryCreate(guard, me))) {
    const holder = await readOwner(guard);
    if (holder === 'unreadable' || (typeof holder === 'object' && holder.host === me.host && !running(holder))) {
      // A run died within the few milliseconds of a takeover: clear its guard, then look again.
      await unlink(guard).catch(() => undefined);
    } else if (holder !== 'gone') {
      // Another run is taking over right now; look again once it is done.
      await new Promise((r) => setTimeout(r, 10));
    }
    return false;
  }
  try {
    const current = await readOwner(file);
    const same =
      stale === null
        ? current === 'unreadable'
        : typeof current === 'object' && current.pid === stale.pid && current.host === stale.host && current.startedAt === stale.startedAt;
    if (same) await unlink(file).catch(() => undefined);
    return same;
  } finally {
    await unlink(guard).catch(() => undefined);
  }
}

async function releaseLock(file: string, owner: LockOwner): Promise<void> {
  // Whatever is there now that cannot be read is not this run's lock to remove.
  const current = await readOwner(file).catch(() => 'unreadable' as const);
  if (typeof current === 'object' && current.pid === owner.pid && current.startedAt === owner.startedAt) {
    await unlink(file).catch(() => undefined);
  }
}

/**
 * The run holding `file` when it is alive on this host, for readers (the dashboard) that must tell a
 * running run from one a kill left `active`; undefined when the lock is absent, damaged or stale.
 */
export async function liveHolder(file: string): Promise<LockOwner | undefined> {
  const owner = await readOwner(file).catch(() => 'unreadable' as const);
  if (typeof owner === 'string' || owner.host !== hostname()) return undefined;
  return isProcessAlive(owner.pid) && !pidReused(owner) ? owner : undefined;
}
