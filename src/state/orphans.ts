import { readdir, readFile } from 'node:fs/promises';
import { setTimeout as delay } from 'node:timers/promises';
import { isProcessAlive } from '../process/alive.js';
import { signalGroup } from '../process/group.js';
import { processIdentity, processStartOf, type ProcessIdentity } from '../process/identity.js';
import { runsProgram, type Program } from '../process/program.js';
import type { ActiveAgent } from './schema.js';

export interface Orphan {
  readonly taskId: string;
  readonly pid: number;
}

/** ccasp starts claude as `<bin> -p --…`: what comes before `-p` is the program, as the kernel shows it. */
const FIRST_ARGUMENT = '-p';

/**
 * Agents a killed run left behind. state.json may have been edited or committed by anyone, and
 * ccasp often runs as root, so a process is ended only when everything about it says it is that
 * agent: one of its arguments is exactly `--session-id=<the agent's UUID>`; it runs `claude` (the
 * program this run would start); it runs as this user; it leads its own process group, as every
 * agent ccasp starts does; and, once the killed run had recorded the agent's process, it is that
 * process (the same pid, group, start time and user). An agent killed before its process reached
 * state.json is found by the rest alone. Its whole process group is ended: the agent and the tools
 * it started.
 */
export async function endOrphans(agents: readonly ActiveAgent[], program: Program, graceMs = 3000): Promise<Orphan[]> {
  const bySession = new Map(agents.filter((a) => a.sessionId !== undefined).map((a) => [`--session-id=${a.sessionId}`, a]));
  if (bySession.size === 0) return [];
  const found: { readonly taskId: string; readonly process: ProcessIdentity }[] = [];
  for (const { pid, argv } of await processesWithArgument(bySession)) {
    const firstArgument = argv.indexOf(FIRST_ARGUMENT);
    const agent = argv.map((arg) => bySession.get(arg)).find((a) => a !== undefined);
    const identity = processIdentity(pid);
    if (!agent || !identity || firstArgument < 0 || !isAgentProcess(identity, agent)) continue;
    if (!runsProgram(pid, argv, firstArgument, program)) continue;
    found.push({ taskId: agent.taskId, process: identity });
  }
  for (const o of found) signalGroup(o.process.pgid, 'SIGTERM');
  const running = (p: ProcessIdentity): boolean => isProcessAlive(p.pid) && processStartOf(p.pid) === p.processStart;
  const deadline = Date.now() + graceMs;
  while (found.some((o) => running(o.process)) && Date.now() < deadline) await delay(50);
  for (const o of found) if (running(o.process)) signalGroup(o.process.pgid, 'SIGKILL');
  return found.map((o) => ({ taskId: o.taskId, pid: o.process.pid }));
}

/** Whether a process that carries the agent's session id is the one ccasp started (and recorded) for it. */
function isAgentProcess(p: ProcessIdentity, agent: ActiveAgent): boolean {
  const sameUser = p.uid === process.getuid?.();
  const recorded = (field: 'pid' | 'pgid' | 'processStart' | 'uid') => agent[field] === undefined || agent[field] === p[field];
  return sameUser && p.pgid === p.pid && recorded('pid') && recorded('pgid') && recorded('processStart') && recorded('uid');
}

/** Live processes with one of `args` as a whole argument, and their argument vectors (Linux /proc; none elsewhere). */
async function processesWithArgument(args: ReadonlyMap<string, unknown>): Promise<{ pid: number; argv: string[] }[]> {
  const found: { pid: number; argv: string[] }[] = [];
  const entries = await readdir('/proc').catch(() => [] as string[]);
  for (const entry of entries) {
    if (!/^\d+$/.test(entry) || Number(entry) === process.pid) continue;
    const cmdline = await readFile(`/proc/${entry}/cmdline`, 'utf8').catch(() => '');
    // Arguments are separated, and ended, by NUL: a session id inside a longer argument is not one.
    const argv = cmdline.split('\0').slice(0, -1);
    if (argv.some((arg) => args.has(arg)) && isProcessAlive(Number(entry))) found.push({ pid: Number(entry), argv });
  }
  return found;
}
