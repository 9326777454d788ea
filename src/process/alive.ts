import { procStat } from './identity.js';

/**
 * Whether a process is running. A zombie (exited, not yet reaped by its parent) counts as gone: it
 * holds no lock and does no work, and in containers whose init reaps slowly it can linger for seconds.
 */
export function isProcessAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
  return procStat(pid)?.state !== 'Z';
}
