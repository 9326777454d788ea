/**
 * An agent runs in its own process group (spawned detached), so that ending it also ends whatever
 * its tools started: a test runner, a dev server, a shell pipeline. SIGTERM first, then SIGKILL.
 */
export function signalGroup(pid: number, signal: NodeJS.Signals): boolean {
  try {
    process.kill(-pid, signal);
    return true;
  } catch {
    try {
      // Not a group leader after all (or already reaped): the process alone.
      process.kill(pid, signal);
      return true;
    } catch {
      return false;
    }
  }
}

/** Ends the group now, and kills it if it is still there after `graceMs` (unless `exited` settles first). */
export function endGroup(pid: number, graceMs: number, exited: Promise<unknown>): void {
  if (!signalGroup(pid, 'SIGTERM')) return;
  const timer = setTimeout(() => signalGroup(pid, 'SIGKILL'), graceMs);
  timer.unref();
  void exited.finally(() => {
    clearTimeout(timer);
    // Tools the agent started may outlive it; nothing in its group is wanted any more.
    signalGroup(pid, 'SIGKILL');
  });
}
