import { readFile } from 'node:fs/promises';
import { setTimeout as delay } from 'node:timers/promises';
import { signalGroup } from '../process/group.js';
import { isProcessAlive } from './lock.js';
import type { ActiveAgent } from './schema.js';

/**
 * Agents a killed run left behind. A pid alone could by now belong to anything, so a process is
 * ended only if its command line still carries the agent's session id.
 */
export async function endOrphans(agents: readonly ActiveAgent[], graceMs = 3000): Promise<ActiveAgent[]> {
  const orphans: ActiveAgent[] = [];
  for (const agent of agents) {
    if (agent.pid === undefined || !agent.sessionId || !isProcessAlive(agent.pid)) continue;
    const cmdline = await readFile(`/proc/${agent.pid}/cmdline`, 'utf8').catch(() => '');
    if (!cmdline.includes(agent.sessionId)) continue;
    orphans.push(agent);
    signalGroup(agent.pid, 'SIGTERM');
  }
  const deadline = Date.now() + graceMs;
  while (orphans.some((a) => isProcessAlive(a.pid!)) && Date.now() < deadline) await delay(50);
  for (const a of orphans) if (isProcessAlive(a.pid!)) signalGroup(a.pid!, 'SIGKILL');
  return orphans;
}
