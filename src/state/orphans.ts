import { readdir, readFile } from 'node:fs/promises';
import { setTimeout as delay } from 'node:timers/promises';
import { isProcessAlive } from '../process/alive.js';
import { signalGroup } from '../process/group.js';
import type { ActiveAgent } from './schema.js';

export interface Orphan {
  readonly taskId: string;
  readonly pid: number;
}

/**
 * Agents a killed run left behind. A pid alone could by now belong to anything, so a process is
 * ended only if its command line still carries the agent's session id; and an agent killed before
 * its pid reached state.json is found by that session id alone.
 */
export async function endOrphans(agents: readonly ActiveAgent[], graceMs = 3000): Promise<Orphan[]> {
  const wanted = agents.filter((a): a is ActiveAgent & { sessionId: string } => Boolean(a.sessionId));
  if (wanted.length === 0) return [];
  const running = await processesBySession(wanted.map((a) => a.sessionId));
  const orphans: Orphan[] = [];
  for (const agent of wanted) {
    for (const pid of running.get(agent.sessionId) ?? []) {
      orphans.push({ taskId: agent.taskId, pid });
      signalGroup(pid, 'SIGTERM');
    }
  }
  const deadline = Date.now() + graceMs;
  while (orphans.some((o) => isProcessAlive(o.pid)) && Date.now() < deadline) await delay(50);
  for (const o of orphans) if (isProcessAlive(o.pid)) signalGroup(o.pid, 'SIGKILL');
  return orphans;
}

/** Live processes whose command line names one of the session ids (Linux /proc; none elsewhere). */
async function processesBySession(sessionIds: readonly string[]): Promise<Map<string, number[]>> {
  const found = new Map<string, number[]>();
  const entries = await readdir('/proc').catch(() => [] as string[]);
  for (const entry of entries) {
    if (!/^\d+$/.test(entry) || Number(entry) === process.pid) continue;
    const cmdline = await readFile(`/proc/${entry}/cmdline`, 'utf8').catch(() => '');
    const id = sessionIds.find((s) => cmdline.includes(s));
    if (id !== undefined && isProcessAlive(Number(entry))) found.set(id, [...(found.get(id) ?? []), Number(entry)]);
  }
  return found;
}
