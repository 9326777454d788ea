import { hostname } from 'node:os';
import { link, mkdir, open, readFile, unlink } from 'node:fs/promises';
import path from 'node:path';
import { LockHeldError } from '../errors.js';
import { isProcessAlive } from '../process/alive.js';

/**
 * One `ccasp run` per project. proper-lockfile and its kin judge staleness by mtime and need a
 * heartbeat; this lock records pid and host so a dead owner is recognised at once and a live one on
 * another machine (a shared folder) is never taken over.
 */
export interface LockOwner {
  readonly pid: number;
  readonly host: string;
  readonly startedAt: string;
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
  const owner: LockOwner = {
    pid: options.pid ?? process.pid,
    host: options.host ?? hostname(),
    startedAt: (options.now?.() ?? new Date()).toISOString(),
    ...(options.command ? { command: options.command } : {}),
  };
  const isAlive = options.isAlive ?? isProcessAlive;
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
      await takeOver(file, null, owner, isAlive);
      continue;
    }
    if (current.host !== owner.host) {
      throw new LockHeldError(
        `Another ccasp run holds ${file} (pid ${current.pid} on host ${current.host}, since ${current.startedAt}). ` +
          'It cannot be checked from this host; if that run is gone, delete the lock file.',
      );
    }
    if (isAlive(current.pid) && current.pid !== owner.pid) {
      throw new LockHeldError(
        `Another ccasp run is active in this project (pid ${current.pid}, since ${current.startedAt}); lock ${file}.`,
      );
    }
    if (await takeOver(file, current, owner, isAlive)) tookOverFrom = current;
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

async function readOwner(file: string): Promise<LockOwner | 'gone' | 'unreadable'> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return 'gone';
    throw error;
  }
  try {
    const value = JSON.parse(text) as Partial<LockOwner>;
    if (typeof value.pid === 'number' && typeof value.host === 'string' && typeof value.startedAt === 'string') {
      return { pid: value.pid, host: value.host, startedAt: value.startedAt };
    }
  } catch {
    // fall through
  }
  return 'unreadable';
}

/**
 * Removes a dead owner's lock. Several runs may try at once, and moving the lock aside is not safe:
 * a run that read the stale lock a moment ago would move away the fresh lock of the run that took
 * over first, and a third run could then create its own, leaving two holders. So the removal
 * happens under a short-lived second lock, `<file>.takeover`: its holder re-reads the lock and
 * deletes it only while it is still the one judged stale. Only the holder of that guard deletes a
 * lock it does not own, so nothing can replace the lock between the check and the delete.
 */
async function takeOver(file: string, stale: LockOwner | null, me: LockOwner, isAlive: (pid: number) => boolean): Promise<boolean> {
  const guard = `${file}.takeover`;
  if (!(await tryCreate(guard, me))) {
    const holder = await readOwner(guard);
    if (holder === 'unreadable' || (typeof holder === 'object' && holder.host === me.host && !isAlive(holder.pid))) {
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
  const current = await readOwner(file);
  if (typeof current === 'object' && current.pid === owner.pid && current.startedAt === owner.startedAt) {
    await unlink(file).catch(() => undefined);
  }
}
