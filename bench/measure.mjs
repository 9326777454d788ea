// Small measuring helpers for the bench: wall time of a child process, its peak RSS through
// GNU time, medians, and the makespan lower bound of a finished run.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const TIME_BIN = '/usr/bin/time';

/** True when /usr/bin/time exists and understands `-f "%M" -o file` (GNU time; busybox's does not). */
export function gnuTimeWorks() {
  if (!existsSync(TIME_BIN)) return false;
  const dir = mkdtempSync(path.join(os.tmpdir(), 'ccasp-bench-probe-'));
  try {
    const out = path.join(dir, 'rss');
    const r = spawnSync(TIME_BIN, ['-f', '%M', '-o', out, process.execPath, '-e', '0'], { stdio: 'ignore' });
    return r.status === 0 && /^\d+\s*$/.test(readFileSync(out, 'utf8'));
  } catch {
    return false;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * Runs `cmd args` to the end and returns its wall time in ms (measured here, around the spawn) and,
 * when `rssFile` is given, its peak RSS in KiB and the CPU time in ms it and the children it waited
 * for used, as GNU time reports them (the process wrapped in `/usr/bin/time -f "%M %U %S" -o
 * rssFile`). Output is collected and returned, never shown.
 */
export function timed(cmd, args, { cwd, input, rssFile, env } = {}) {
  const [file, argv] = rssFile ? [TIME_BIN, ['-f', '%M %U %S', '-o', rssFile, cmd, ...args]] : [cmd, args];
  const start = process.hrtime.bigint();
  const r = spawnSync(file, argv, {
    cwd,
    env: env ?? process.env,
    input,
    stdio: [input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'],
    maxBuffer: 256 * 1024 * 1024,
  });
  const ms = Number(process.hrtime.bigint() - start) / 1e6;
  let rssKb;
  let cpuMs;
  if (rssFile) {
    try {
      // GNU time prefixes "Command exited with non-zero status N" when the command fails.
      const lines = readFileSync(rssFile, 'utf8').trim().split('\n');
      const [rss, user, system] = lines[lines.length - 1].split(' ').map(Number);
      rssKb = rss;
      cpuMs = (user + system) * 1000;
    } catch {
      rssKb = undefined;
    }
  }
  return { ms, status: r.status, signal: r.signal, error: r.error, stdout: r.stdout?.toString() ?? '', stderr: r.stderr?.toString() ?? '', rssKb, cpuMs };
}

export function median(values) {
  if (values.length === 0) return NaN;
  const s = [...values].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/**
 * The makespan lower bound of a run: phases run one after another; within a phase no schedule can
 * beat the longest dependency chain (by measured agent durations; dependencies on earlier phases are
 * already done), nor the total agent time spread over `concurrency` slots, nor the busiest slot:
 * some slot runs at least ⌈tasks / concurrency⌉ of the phase's tasks, which take at least as long
 * as that many of the shortest. A task's duration is the sum of its attempts. Returns the bound in
 * ms and per-phase detail.
 */
export function makespanBound(planDoc, attempts, concurrency) {
  const duration = new Map();
  for (const a of attempts) duration.set(a.taskId, (duration.get(a.taskId) ?? 0) + a.durationMs);
  let total = 0;
  const phases = [];
  for (const phase of planDoc.phases) {
    const inPhase = new Map(phase.tasks.map((t) => [t.id, t]));
    const chain = new Map();
    const longest = (id) => {
      const known = chain.get(id);
      if (known !== undefined) return known;
      chain.set(id, 0); // cycle guard; valid plans have none
      const t = inPhase.get(id);
      let before = 0;
      for (const d of t.dependencies ?? []) if (inPhase.has(d)) before = Math.max(before, longest(d));
      const v = before + (duration.get(id) ?? 0);
      chain.set(id, v);
      return v;
    };
    let maxChain = 0;
    let sum = 0;
    for (const t of phase.tasks) {
      maxChain = Math.max(maxChain, longest(t.id));
      sum += duration.get(t.id) ?? 0;
    }
    const shortest = phase.tasks.map((t) => duration.get(t.id) ?? 0).sort((a, b) => a - b);
    const busiest = shortest.slice(0, Math.ceil(phase.tasks.length / concurrency)).reduce((n, d) => n + d, 0);
    const bound = Math.max(maxChain, sum / concurrency, busiest);
    phases.push({ id: phase.id, maxChain, sum, busiest, bound });
    total += bound;
  }
  return { bound: total, phases };
}
