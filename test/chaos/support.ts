import { spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { CCASP_BIN, REPO_ROOT, cleanEnv, type CliResult } from '../support/cli.js';

/**
 * Shared pieces of the chaos suites: the stand-in agents, projects in temporary folders, the CLI as
 * a real subprocess with its NDJSON events, a seeded random source, and a look at /proc.
 */

/** The ccasp under test: the repository's bin/ccasp, or another install given by CHAOS_CCASP_BIN. */
export const CHAOS_BIN = process.env.CHAOS_CCASP_BIN ?? CCASP_BIN;

export const AGENTS_DIR = path.join(REPO_ROOT, 'test', 'fixtures', 'agents');
/** Sleeps 20-200 ms, writes its target files, counts its starts, lingers when its parent is gone. */
export const CHAOS_AGENT = path.join(AGENTS_DIR, 'chaos-agent.sh');
/** Records its argv and stdin, and reports the artifacts it is told to. */
export const RECORDER_AGENT = path.join(AGENTS_DIR, 'chaos-recorder.sh');

export function makeAgentsExecutable(): void {
  for (const file of [CHAOS_AGENT, RECORDER_AGENT]) chmodSync(file, 0o755);
}

/** A temporary folder; the caller removes it (see `removeDir`). */
export function makeTemp(prefix: string): string {
  return mkdtempSync(path.join(tmpdir(), prefix));
}

export function removeDir(dir: string): void {
  rmSync(dir, { recursive: true, force: true, maxRetries: 3 });
}

export interface TaskSpec {
  readonly id: string;
  readonly title: string;
  readonly status: 'pending';
  readonly file?: string | string[];
  readonly dependencies?: string[];
  readonly details?: string;
  readonly model?: string;
}

export interface PlanSpec {
  readonly name: string;
  readonly phases: { readonly id: string; readonly name: string; readonly tasks: TaskSpec[] }[];
  readonly [key: string]: unknown;
}

/**
 * A project folder: `.git` (so the project root is this folder whatever the cwd), and the plan at
 * `plan/PROGRESS.json`. Returns the project's path.
 */
export function makeProject(parent: string, plan: PlanSpec | string | Buffer, name = 'project'): string {
  const dir = path.join(parent, name);
  mkdirSync(path.join(dir, '.git'), { recursive: true });
  mkdirSync(path.join(dir, 'plan'), { recursive: true });
  writeFileSync(path.join(dir, 'plan', 'PROGRESS.json'), typeof plan === 'string' || Buffer.isBuffer(plan) ? plan : `${JSON.stringify(plan, null, 2)}\n`);
  return dir;
}

export const planFile = (project: string): string => path.join(project, 'plan', 'PROGRESS.json');
export const orchestratorDir = (project: string): string => path.join(project, '.claude', 'orchestrator');
export const stateFile = (project: string): string => path.join(orchestratorDir(project), 'state.json');
export const lockFile = (project: string): string => path.join(orchestratorDir(project), 'lock');

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

export interface RunEvent {
  readonly type: string;
  readonly [key: string]: unknown;
}

export interface RunningCli {
  readonly child: ChildProcess;
  readonly pid: number;
  readonly done: Promise<CliResult>;
  stdout(): string;
  stderr(): string;
  events(): RunEvent[];
  /** Resolves with true once an event of this type was printed, false if the process ended first. */
  waitForEvent(type: string): Promise<boolean>;
  exited(): boolean;
}

/** The environment for ccasp under test: no colour, no CI settings, no GitHub token of the developer's. */
export function chaosEnv(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const env = cleanEnv();
  for (const key of ['GH_TOKEN', 'GITHUB_TOKEN', 'GITHUB_API_URL', 'CCASP_CLAUDE_BIN', 'ANTHROPIC_API_KEY']) delete env[key];
  return { ...env, ...extra };
}

/** Starts `ccasp <args>` in `cwd`, collecting its output; `--json` events are parsed as they come. */
export function startCli(args: readonly string[], cwd: string, env: NodeJS.ProcessEnv, nodeArgs: readonly string[] = []): RunningCli {
  const child = spawn(process.execPath, [...nodeArgs, CHAOS_BIN, ...args], { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  let ended = false;
  const events: RunEvent[] = [];
  const waiters: { type: string; resolve: (seen: boolean) => void }[] = [];
  let partial = '';
  child.stdout!.setEncoding('utf8').on('data', (d: string) => {
    out += d;
    partial += d;
    let nl: number;
    while ((nl = partial.indexOf('\n')) >= 0) {
      const line = partial.slice(0, nl);
      partial = partial.slice(nl + 1);
      const event = parseEvent(line);
      if (!event) continue;
      events.push(event);
      for (const w of waiters.filter((x) => x.type === event.type)) {
        waiters.splice(waiters.indexOf(w), 1);
        w.resolve(true);
      }
    }
  });
  child.stderr!.setEncoding('utf8').on('data', (d: string) => (err += d));
  const done = new Promise<CliResult>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code, signal) => {
      ended = true;
      for (const w of waiters.splice(0)) w.resolve(false);
      resolve({ code, signal, stdout: out, stderr: err });
    });
  });
  if (child.pid === undefined) throw new Error(`could not start ${CHAOS_BIN}`);
  return {
    child,
    pid: child.pid,
    done,
    stdout: () => out,
    stderr: () => err,
    events: () => events,
    exited: () => ended,
    waitForEvent(type) {
      if (events.some((e) => e.type === type)) return Promise.resolve(true);
      if (ended) return Promise.resolve(false);
      return new Promise((resolve) => waiters.push({ type, resolve }));
    },
  };
}

function parseEvent(line: string): RunEvent | undefined {
  if (!line.startsWith('{')) return undefined;
  try {
    const value: unknown = JSON.parse(line);
    if (typeof value === 'object' && value !== null && 'type' in value && typeof value.type === 'string') return value as RunEvent;
  } catch {
    // not an event
  }
  return undefined;
}

export function runCli(args: readonly string[], cwd: string, env: NodeJS.ProcessEnv, nodeArgs: readonly string[] = []): Promise<CliResult> {
  return startCli(args, cwd, env, nodeArgs).done;
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
 * Live chaos agents, by session id: the pid of the process whose command line carries the agent and
 * the session. A shell's `$(…)` forks copies with the same command line for a moment; the agent is
 * the one that leads its process group (agents are spawned detached), else the oldest (lowest pid).
 */
export function liveAgents(agentPath: string): Map<string, number> {
  const found = new Map<string, { pid: number; leader: boolean }>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    let cmdline: string;
    let stat: string;
    try {
      cmdline = readFileSync(`/proc/${entry}/cmdline`, 'utf8');
      if (!cmdline.includes(agentPath)) continue;
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

/** Ends a process group this suite started (an agent left behind), by its leader's pid. */
export function killGroup(pid: number): void {
  try {
    process.kill(-pid, 'SIGKILL');
  } catch {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
}

/** Task statuses in a canonical PROGRESS.json, by id. */
export function statusesIn(planText: string): Map<string, string> {
  const plan = JSON.parse(planText) as { phases: { tasks: { id: string; status: string }[] }[] };
  return new Map(plan.phases.flatMap((p) => p.tasks.map((t) => [t.id, t.status] as const)));
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
