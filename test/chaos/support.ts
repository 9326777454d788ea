import { readdirSync, readFileSync, readlinkSync, statSync } from 'node:fs';
import { setTimeout as delay } from 'node:timers/promises';
import path from 'node:path';
import { standIn } from '../support/agents.js';
import { CCASP_BIN, type CliOptions } from '../support/cli.js';
import { cleanEnv } from '../support/env.js';

/**
 * What the chaos suites share beyond test/support: the stand-in agents, the chaos plan, a seeded
 * random source, and a look at /proc for the agents a run left behind.
 */

/** The ccasp under test: the repository's bin/ccasp, or another install given by CHAOS_CCASP_BIN. */
const CHAOS_BIN = process.env.CHAOS_CCASP_BIN ?? CCASP_BIN;

/** How the chaos suites run ccasp: CHAOS_BIN in `project`, with the clean environment plus `extra`. */
export function chaosOptions(project: string, extra: NodeJS.ProcessEnv = {}, nodeArgs: readonly string[] = []): CliOptions {
  return { cwd: project, env: cleanEnv(extra), nodeArgs, bin: CHAOS_BIN };
}

/** Sleeps 20-200 ms, writes its target files, counts its starts, lingers when its parent is gone. */
export const CHAOS_AGENT = standIn('chaos-agent.sh');

export interface TaskSpec {
  readonly id: string;
  readonly title: string;
  readonly status: 'pending';
  readonly file?: string | string[];
  readonly dependencies?: string[];
  readonly details?: string;
  readonly model?: string;
  readonly verify?: string;
}

export interface PlanSpec {
  readonly name: string;
  readonly phases: { readonly id: string; readonly name: string; readonly tasks: TaskSpec[] }[];
  readonly [key: string]: unknown;
}

/**
 * The chaos plan: `phases` phases of `perPhase` tasks each. In each phase three branches start at
 * once (the first three tasks, which depend on the end of the previous phase's branches), and every
 * later task joins one or two earlier tasks of its phase, so up to three or four run in parallel.
 * Every task declares its own file, `out/<id>.txt`.
 */
export function chaosPlan(phases = 3, perPhase = 10): PlanSpec {
  const list: PlanSpec['phases'] = [];
  for (let p = 1; p <= phases; p++) {
    const tasks: TaskSpec[] = [];
    for (let i = 1; i <= perPhase; i++) {
      const id = `P${p}.${i}`;
      const dependencies: string[] = [];
      if (i > 3) {
        dependencies.push(`P${p}.${i - 3}`);
        if (i % 2 === 0) dependencies.push(`P${p}.${i - 2}`);
      } else if (p > 1) {
        dependencies.push(`P${p - 1}.${perPhase - 3 + i}`);
      }
      tasks.push({ id, title: `Chaos task ${id}`, status: 'pending', file: `out/${id}.txt`, dependencies });
    }
    list.push({ id: `P${p}`, name: `Phase ${p}`, tasks });
  }
  return { name: 'Chaos plan', phases: list };
}

/** Rejects when `promise` has not settled within `ms`, naming `what`. */
export async function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      promise,
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms waiting for ${what}`)), ms);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}

/** mulberry32: a small, fast, seedable source of numbers in [0, 1). */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * Live chaos agents working under `dir` (their cwd), by session id: the pid of the process whose
 * command line carries the agent and the session. A shell's `$(…)` forks copies with the same
 * command line for a moment; the agent is the one that leads its process group (agents are spawned
 * detached), else the oldest (lowest pid). Agents elsewhere belong to other tests.
 */
export function liveAgents(dir: string): Map<string, number> {
  const found = new Map<string, { pid: number; leader: boolean }>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    let cmdline: string;
    let stat: string;
    try {
      cmdline = readFileSync(`/proc/${entry}/cmdline`, 'utf8');
      if (!cmdline.includes(CHAOS_AGENT)) continue;
      if (!readlinkSync(`/proc/${entry}/cwd`).startsWith(dir + path.sep)) continue;
      stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
    } catch {
      continue; // gone while we looked
    }
    const session = /--session-id=([^\0]+)/.exec(cmdline)?.[1];
    if (!session) continue;
    const pid = Number(entry);
    // /proc/<pid>/stat: "pid (comm) state ppid pgrp …"; comm may hold spaces, so read after the last ')'.
    const pgrp = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[2]);
    const leader = pgrp === pid;
    const seen = found.get(session);
    if (!seen || (leader && !seen.leader) || (leader === seen.leader && pid < seen.pid)) found.set(session, { pid, leader });
  }
  return new Map([...found].map(([session, p]) => [session, p.pid]));
}

/** Lines in each task's start counter (one per agent start), by task id. */
export function startCounts(startsDir: string): Map<string, string[]> {
  const counts = new Map<string, string[]>();
  let names: string[] = [];
  try {
    names = readdirSync(startsDir);
  } catch {
    return counts;
  }
  for (const name of names) {
    const lines = readFileSync(path.join(startsDir, name), 'utf8').split('\n').filter(Boolean);
    counts.set(name, lines);
  }
  return counts;
}

/** Every file under `dir`, recursively (paths relative to `dir`). */
export function filesUnder(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string, rel: string) => {
    let entries;
    try {
      entries = readdirSync(d, { withFileTypes: true });
    } catch {
      return;
    }
    for (const e of entries) {
      const r = rel ? `${rel}/${e.name}` : e.name;
      if (e.isDirectory()) walk(path.join(d, e.name), r);
      else out.push(r);
    }
  };
  walk(dir, '');
  return out.sort();
}

/** Resolves once `file` has not been replaced or written for a while: ccasp's writes under way have ended. */
export async function unchanged(file: string): Promise<void> {
  const identity = () => {
    const info = statSync(file);
    return `${info.ino} ${info.mtimeMs} ${info.size}`;
  };
  for (let last = identity(); ; ) {
    await delay(200);
    const now = identity();
    if (now === last) return;
    last = now;
  }
}
