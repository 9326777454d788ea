import type { Stats } from 'node:fs';

/** What a path that is not a regular file holds, for a message: "a folder", "a named pipe (FIFO)"… */
export function describeFileType(info: Stats): string {
  if (info.isDirectory()) return 'a folder';
  if (info.isSymbolicLink()) return 'a symbolic link';
  if (info.isFIFO()) return 'a named pipe (FIFO)';
  if (info.isSocket()) return 'a socket';
  if (info.isCharacterDevice() || info.isBlockDevice()) return 'a device';
  return 'not a regular file';
}
