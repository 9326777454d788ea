import { chmod, lstat, open, readdir, readlink, rename, stat, unlink } from 'node:fs/promises';
import path from 'node:path';
import { WriteError } from '../errors.js';
import { isProcessAlive } from '../process/alive.js';

let counter = 0;

/**
 * Temp file in the same folder, fsync, rename: a reader sees the old file or the new one, never half
 * of one, and a failed write (disk full, read-only) leaves the old file in place; the file keeps its
 * permission bits. A symlink is written through, not replaced: the file it leads to is written so,
 * in its own folder, and the link stays (a plan kept elsewhere and linked in stays where it is). Not
 * write-file-atomic, which does the same but names its temp files by a hash: a run killed mid-write
 * leaves one behind in the user's plan folder, and the next run could not tell it from a file of the
 * user's. Ours carry the writer's pid, so removeStaleTempFiles can. Writes to one path are
 * serialised by the caller (SerialWriter).
 */
export async function writeAtomic(file: string, data: string): Promise<void> {
  await writeAtomicIf(file, data, async () => true);
}

/**
 * `writeAtomic`, but the file is replaced only if `stillOurs()`, asked once the new text is on disk
 * just before the rename, says so; returns whether it was. The check and the rename are as close
 * together as they can be, so someone else's write in between is all but ruled out.
 */
export async function writeAtomicIf(file: string, data: string, stillOurs: () => Promise<boolean>): Promise<boolean> {
  let temp: string | undefined;
  try {
    const target = await linkTarget(file);
    temp = path.join(path.dirname(target), `.${path.basename(target)}.${process.pid}.${++counter}.tmp`);
    const handle = await open(temp, 'wx');
    try {
      await handle.writeFile(data, 'utf8');
      await handle.sync();
    } finally {
      await handle.close();
    }
    const mode = await stat(target).then(
      (s) => s.mode & 0o7777,
      () => null,
    );
    if (mode !== null) await chmod(temp, mode);
    if (!(await stillOurs())) {
      await unlink(temp);
      return false;
    }
    await rename(temp, target);
    return true;
  } catch (error) {
    if (temp !== undefined) await unlink(temp).catch(() => undefined);
    throw new WriteError(file, error);
  }
}

/** The file a write to `file` lands in: `file` itself, or where its symlinks lead (a dangling one's target too). */
async function linkTarget(file: string): Promise<string> {
  let current = file;
  for (let hops = 0; hops < MAX_SYMLINK_HOPS; hops++) {
    const info = await lstat(current).catch(() => undefined);
    if (!info?.isSymbolicLink()) return current;
    current = path.resolve(path.dirname(current), await readlink(current));
  }
  throw Object.assign(new Error('too many levels of symbolic links'), { code: 'ELOOP' });
}

/** As many as Linux follows before ELOOP. */
const MAX_SYMLINK_HOPS = 40;

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
