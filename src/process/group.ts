/**
 * Agents and verify commands run in their own process group (spawned detached), so that ending one
 * also ends whatever it started: a test runner's workers, a dev server, a shell pipeline's stages.
 * SIGTERM first, SIGKILL after a grace period, and SIGKILL for any group still alive when ccasp exits.
 */
const liveGroups = new Set<number>();
let exitHookInstalled = false;

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

/** Remembers a group until `exited` settles, so it cannot outlive ccasp. */
export function trackGroup(pid: number, exited: Promise<unknown>): void {
  liveGroups.add(pid);
  if (!exitHookInstalled) {
    exitHookInstalled = true;
    process.on('exit', () => {
      for (const p of liveGroups) signalGroup(p, 'SIGKILL');
    });
  }
  void exited.finally(() => liveGroups.delete(pid));
}

/** Ends the group now, and kills it if it is still there after `graceMs` (unless `exited` settles first). */
export function endGroup(pid: number, graceMs: number, exited: Promise<unknown>): void {
  if (!signalGroup(pid, 'SIGTERM')) return;
  const timer = setTimeout(() => signalGroup(pid, 'SIGKILL'), graceMs);
  timer.unref();
  void exited.finally(() => {
    clearTimeout(timer);
    // What the process started may outlive it; nothing in its group is wanted any more.
    signalGroup(pid, 'SIGKILL');
  });
}
