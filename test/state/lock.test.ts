import { existsSync, lstatSync, mkdirSync, readdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ExitCode, LockHeldError, NotAFileError } from '../../src/errors.js';
import { processStartOf } from '../../src/process/identity.js';
import { acquireLock, isProcessAlive, type HeldLock, type LockOwner } from '../../src/state/lock.js';
import { deadPid } from '../support/processes.js';
import { mkfifo, tempDir, writeFile } from '../support/tmp.js';

function readLock(file: string): LockOwner {
  return JSON.parse(readFileSync(file, 'utf8')) as LockOwner;
}

async function rejection(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => {
      throw new Error('expected a rejection');
    },
    (error: unknown) => error,
  );
}

function lockFile(): string {
  return path.join(tempDir(), '.ccasp', 'run.lock');
}

describe('acquireLock', () => {
  it('creates the lock file (and its folder) with pid, host, start times and command; release removes it', async () => {
    const file = lockFile();
    const lock = await acquireLock(file, { command: 'ccasp run', now: () => new Date('2026-01-02T03:04:05.000Z') });
    expect(lock.file).toBe(file);
    const processStart = processStartOf(process.pid);
    expect(processStart).toBeTypeOf('number');
    expect(lock.owner).toEqual({ pid: process.pid, host: hostname(), startedAt: '2026-01-02T03:04:05.000Z', processStart, command: 'ccasp run' });
    expect(lock.tookOverFrom).toBeUndefined();
    expect(readLock(file)).toEqual(lock.owner);
    await lock.release();
    expect(existsSync(file)).toBe(false);
  });

  it('leaves no temporary files behind', async () => {
    const file = lockFile();
    const lock = await acquireLock(file);
    expect(readdirSync(path.dirname(file))).toEqual(['run.lock']);
    await lock.release();
    expect(readdirSync(path.dirname(file))).toEqual([]);
  });

  it('can be taken again after release', async () => {
    const file = lockFile();
    await (await acquireLock(file)).release();
    const again = await acquireLock(file, { pid: 4242, isAlive: () => true });
    expect(again.tookOverFrom).toBeUndefined();
    expect(readLock(file).pid).toBe(4242);
  });

  it('refuses while the owner is alive: LockHeldError, exit code 3, naming the pid; the lock is untouched', async () => {
    const file = lockFile();
    // This test process is the live owner; the second caller claims another pid.
    const first = await acquireLock(file);
    const before = readFileSync(file, 'utf8');
    const error = await rejection(acquireLock(file, { pid: 999_999 }));
    expect(error).toBeInstanceOf(LockHeldError);
    expect((error as LockHeldError).exitCode).toBe(ExitCode.locked);
    expect((error as LockHeldError).exitCode).toBe(3);
    expect((error as LockHeldError).message).toContain(`pid ${process.pid}`);
    expect(readFileSync(file, 'utf8')).toBe(before);
    await first.release();
  });

  it('takes over a lock whose owner has died, and says from whom', async () => {
    const file = lockFile();
    const pid = deadPid();
    expect(isProcessAlive(pid)).toBe(false);
    const stale: LockOwner = { pid, host: hostname(), startedAt: '2026-01-01T00:00:00.000Z' };
    writeFile(path.dirname(file), 'run.lock', stale);
    const lock = await acquireLock(file);
    expect(lock.tookOverFrom).toEqual(stale);
    expect(readLock(file).pid).toBe(process.pid);
    expect(readdirSync(path.dirname(file))).toEqual(['run.lock']);
  });

  it('takes over a lock whose pid now names another process (one started at another time), and says from whom', async () => {
    const file = lockFile();
    // This test process is alive, but not the process that wrote the lock: that one started earlier.
    const reused: LockOwner = { pid: process.pid, host: hostname(), startedAt: '2026-01-01T00:00:00.000Z', processStart: processStartOf(process.pid)! - 1 };
    writeFile(path.dirname(file), 'run.lock', reused);
    const lock = await acquireLock(file, { pid: 999_999 });
    expect(lock.tookOverFrom).toEqual(reused);
    expect(readLock(file).pid).toBe(999_999);
  });

  it('respects a live owner whose lock has no start time (written by an older version)', async () => {
    const file = lockFile();
    const old: LockOwner = { pid: process.pid, host: hostname(), startedAt: '2026-01-01T00:00:00.000Z' };
    writeFile(path.dirname(file), 'run.lock', old);
    await expect(acquireLock(file, { pid: 999_999 })).rejects.toBeInstanceOf(LockHeldError);
    expect(readLock(file)).toEqual(old);
  });

  it('does not take over a lock from another host whose pid names another process here', async () => {
    const file = lockFile();
    const other: LockOwner = { pid: process.pid, host: `not-${hostname()}`, startedAt: '2026-01-01T00:00:00.000Z', processStart: 1 };
    writeFile(path.dirname(file), 'run.lock', other);
    await expect(acquireLock(file, { pid: 999_999 })).rejects.toBeInstanceOf(LockHeldError);
    expect(readLock(file)).toEqual(other);
  });

  it('does not take over a lock from another host, even with a pid that looks dead here', async () => {
    const file = lockFile();
    const pid = deadPid();
    const other: LockOwner = { pid, host: `not-${hostname()}`, startedAt: '2026-01-01T00:00:00.000Z' };
    writeFile(path.dirname(file), 'run.lock', other);
    const error = await rejection(acquireLock(file));
    expect(error).toBeInstanceOf(LockHeldError);
    expect((error as LockHeldError).message).toContain(`pid ${pid} on host not-${hostname()}`);
    expect(readLock(file)).toEqual(other);
  });

  it('does not take over a lock from another host with a live-looking pid', async () => {
    const file = lockFile();
    const other: LockOwner = { pid: process.pid, host: `not-${hostname()}`, startedAt: '2026-01-01T00:00:00.000Z' };
    writeFile(path.dirname(file), 'run.lock', other);
    await expect(acquireLock(file, { pid: 5 })).rejects.toBeInstanceOf(LockHeldError);
    expect(readLock(file)).toEqual(other);
  });

  it.each([
    ['garbage', 'not json at all'],
    ['an empty file', ''],
    ['JSON without the fields', '{"pid":"12"}\n'],
  ])('takes over an unreadable lock file (%s)', async (_name, content) => {
    const file = lockFile();
    writeFile(path.dirname(file), 'run.lock', content);
    const lock = await acquireLock(file);
    expect(readLock(file)).toEqual(lock.owner);
    expect(lock.tookOverFrom).toBeUndefined();
  });

  it('of 20 concurrent callers with live pids exactly one gets the lock', async () => {
    const file = lockFile();
    const results = await Promise.allSettled(Array.from({ length: 20 }, (_, i) => acquireLock(file, { pid: 1001 + i, isAlive: () => true })));
    const won = results.filter((r): r is PromiseFulfilledResult<HeldLock> => r.status === 'fulfilled');
    const lost = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
    expect(won).toHaveLength(1);
    expect(lost).toHaveLength(19);
    for (const r of lost) expect(r.reason).toBeInstanceOf(LockHeldError);
    expect(readLock(file).pid).toBe(won[0]!.value.owner.pid);
    expect(readdirSync(path.dirname(file))).toEqual(['run.lock']);
  });
});

describe('a lock path that is not a regular file', () => {
  // Reading a FIFO waits for a writer forever; a folder, a link or a device is not a lock ccasp wrote.
  it.each([
    ['a FIFO', 'a named pipe (FIFO)', (file: string) => mkfifo(file)],
    ['a folder', 'a folder', (file: string) => mkdirSync(file)],
    ['a symlink to a file elsewhere', 'a symbolic link', (file: string) => symlinkSync('/etc/passwd', file)],
    ['a symlink to a device', 'a symbolic link', (file: string) => symlinkSync('/dev/zero', file)],
    ['a dangling symlink', 'a symbolic link', (file: string) => symlinkSync('/nonexistent/lock', file)],
  ])('is refused with exit 2 naming the path when it is %s, and left alone', async (_name, what, make) => {
    const file = lockFile();
    mkdirSync(path.dirname(file), { recursive: true });
    make(file);
    const before = lstatSync(file);
    const error = await rejection(acquireLock(file));
    expect(error).toBeInstanceOf(NotAFileError);
    expect((error as NotAFileError).exitCode).toBe(ExitCode.invalidInput);
    expect((error as NotAFileError).message).toContain(`${file} is ${what}`);
    expect(readdirSync(path.dirname(file))).toEqual(['run.lock']);
    expect(lstatSync(file).ino).toBe(before.ino);
  });

  it('is refused when the takeover guard is a FIFO', async () => {
    const file = lockFile();
    writeFile(path.dirname(file), 'run.lock', { pid: deadPid(), host: hostname(), startedAt: '2026-01-01T00:00:00.000Z' });
    mkfifo(`${file}.takeover`);
    await expect(acquireLock(file)).rejects.toThrow(`${file}.takeover is a named pipe (FIFO)`);
  });
});

describe('taking over a stale lock', () => {
  it('does not remove a fresh lock that replaced the stale one after it was judged', async () => {
    const file = lockFile();
    writeFile(path.dirname(file), 'run.lock', { pid: 1, host: hostname(), startedAt: '2026-01-01T00:00:00.000Z' });
    const fresh: LockOwner = { pid: 2000, host: hostname(), startedAt: '2026-01-01T00:00:05.000Z' };
    const isAlive = (pid: number): boolean => {
      if (pid === 1) {
        // Just after this caller read the stale lock, another run takes over and holds it.
        writeFileSync(file, `${JSON.stringify(fresh)}\n`);
        return false;
      }
      return true;
    };
    const error = await rejection(acquireLock(file, { pid: 1001, isAlive }));
    expect(error).toBeInstanceOf(LockHeldError);
    expect((error as LockHeldError).message).toContain('pid 2000');
    expect(readLock(file)).toEqual(fresh);
  });

  it('clears a takeover guard left by a run that died', async () => {
    const file = lockFile();
    const dead = deadPid();
    writeFile(path.dirname(file), 'run.lock', { pid: dead, host: hostname(), startedAt: '2026-01-01T00:00:00.000Z' });
    writeFile(path.dirname(file), 'run.lock.takeover', { pid: dead, host: hostname(), startedAt: '2026-01-01T00:00:01.000Z' });
    const lock = await acquireLock(file);
    expect(lock.tookOverFrom?.pid).toBe(dead);
    expect(readdirSync(path.dirname(file))).toEqual(['run.lock']);
  });

  it('leaves the stale lock alone while a live run holds the takeover guard', async () => {
    const file = lockFile();
    const stale: LockOwner = { pid: 1, host: hostname(), startedAt: '2026-01-01T00:00:00.000Z' };
    writeFile(path.dirname(file), 'run.lock', stale);
    writeFile(path.dirname(file), 'run.lock.takeover', { pid: 2000, host: hostname(), startedAt: '2026-01-01T00:00:01.000Z' });
    await expect(acquireLock(file, { pid: 1001, isAlive: (pid) => pid !== 1 })).rejects.toBeInstanceOf(LockHeldError);
    expect(readLock(file)).toEqual(stale);
  });
});

describe('release', () => {
  it('does not delete a lock that someone else owns now', async () => {
    const file = lockFile();
    const mine = await acquireLock(file);
    const theirs: LockOwner = { pid: 777, host: hostname(), startedAt: '2030-01-01T00:00:00.000Z' };
    writeFile(path.dirname(file), 'run.lock', theirs);
    await mine.release();
    expect(readLock(file)).toEqual(theirs);
  });

  it('does not delete a lock with the same pid but another start time', async () => {
    const file = lockFile();
    const mine = await acquireLock(file, { now: () => new Date('2026-01-01T00:00:00.000Z') });
    const later: LockOwner = { pid: process.pid, host: hostname(), startedAt: '2026-01-01T00:00:01.000Z' };
    writeFile(path.dirname(file), 'run.lock', later);
    await mine.release();
    expect(readLock(file)).toEqual(later);
  });

  it('is quiet when the lock is already gone', async () => {
    const file = lockFile();
    const lock = await acquireLock(file);
    await lock.release();
    await expect(lock.release()).resolves.toBeUndefined();
  });
});

describe('isProcessAlive', () => {
  it('is true for this process and false for an exited one', async () => {
    expect(isProcessAlive(process.pid)).toBe(true);
    expect(isProcessAlive(deadPid())).toBe(false);
  });
});
