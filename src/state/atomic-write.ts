import { chmod, open, readdir, rename, stat, unlink } from 'node:fs/promises';
import path from 'node:path';
import { WriteError } from '../errors.js';
import { isProcessAlive } from '../process/alive.js';

const modes = new Map<string, number | null>();
let counter = 0;

/**
 * Temp file in the same folder, fsync, rename: a reader sees the old file or the new one, never half
 * of one, and a failed write (disk full, read-only) leaves the old file in place. This replaced
 * write-file-atomic after the bench showed its fixed costs per call (a JavaScript realpath, chown,
 * and installing and removing exit handlers each time) at about 2.8 ms of a task's overhead; ccasp
 * needs none of that, only the file's mode kept. Concurrent writes to one path are serialised by
 * the caller (CoalescingWriter). `durable: false` skips the fsync for records that only matter
 * while the machine stays up; the rename is atomic either way. `data` may be bytes already: the run's
 * books keep theirs encoded between writes.
 */
export async function writeAtomic(file: string, data: string | Uint8Array, options: { durable?: boolean } = {}): Promise<void> {
  const temp = path.join(path.dirname(file), `.${path.basename(file)}.${process.pid}.${++counter}.tmp`);
  try {
    const handle = await open(temp, 'wx');
    try {
      await handle.writeFile(data, 'utf8');
      if (options.durable !== false) await handle.sync();
    } finally {
      await handle.close();
    }
    const mode = await originalMode(file);
    if (mode !== null) await chmod(temp, mode);
    await rename(temp, file);
  } catch (error) {
    await unlink(temp).catch(() => undefined);
    throw new WriteError(file, error);
  }
}

/** The file's permission bits, read once per path: a user's plan keeps the mode it had. */
async function originalMode(file: string): Promise<number | null> {
  if (!modes.has(file)) {
    const mode = await stat(file).then(
      (s) => s.mode & 0o7777,
      () => null,
    );
    modes.set(file, mode);
  }
  return modes.get(file) ?? null;
}

const TEMP_FILE = /^\..+\.(\d+)\.\d+\.tmp$/;

/**
 * A run killed in the middle of a write leaves its temp file behind; the next run removes those of
 * processes that are gone, so the user's plan folder does not fill up with them.
 */
export async function removeStaleTempFiles(dirs: readonly string[], isAlive: (pid: number) => boolean = isProcessAlive): Promise<void> {
  for (const dir of dirs) {
    const names = await readdir(dir).catch(() => [] as string[]);
    for (const name of names) {
      const pid = TEMP_FILE.exec(name)?.[1];
      if (pid !== undefined && Number(pid) !== process.pid && !isAlive(Number(pid))) {
        await unlink(path.join(dir, name)).catch(() => undefined);
      }
    }
  }
}
