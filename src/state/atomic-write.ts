import writeFileAtomic from 'write-file-atomic';

/**
 * Temp file in the same folder, fsync, rename: a reader sees the old file or the new one, never half
 * of one, and a failed write (disk full, read-only) leaves the old file in place. write-file-atomic
 * does exactly this, also keeps the file's mode, and queues concurrent writes to one path.
 */
export async function writeAtomic(file: string, data: string): Promise<void> {
  await writeFileAtomic(file, data, { encoding: 'utf8', fsync: true });
}
