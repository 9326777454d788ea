// Small measuring helpers for the bench: wall time of a child process, medians, and what a finished
// run's attempts say about its schedule (its span and the makespan lower bound).
import { spawnSync } from 'node:child_process';

/**
 * Runs `cmd args` to the end and returns its wall time in ms (measured here, around the spawn), its
 * exit status and its output (collected, never shown).
 */
export function timed(cmd, args, { cwd, env } = {}) {
  const start = process.hrtime.bigint();
  const r = spawnSync(cmd, args, { cwd, env: env ?? process.env, stdio: ['ignore', 'pipe', 'pipe'], maxBuffer: 256 * 1024 * 1024 });
  const ms = Number(process.hrtime.bigint() - start) / 1e6;
  return { ms, status: r.status, signal: r.signal, stdout: r.stdout?.toString() ?? '', stderr: r.stderr?.toString() ?? '' };
}

export function median(values) {
  if (values.length === 0) return NaN;
  const s = [...values].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/** From the first agent start to the last agent end, in ms: the schedule without process start-up and exit. */
export function span(attempts) {
  if (attempts.length === 0) return NaN;
  const starts = attempts.map((a) => Date.parse(a.startedAt));
  const ends = attempts.map((a) => Date.parse(a.finishedAt));
  return Math.max(...ends) - Math.min(...starts);
}

/**
 * The makespan lower bound of a finished run, in ms, from the agent durations ccasp recorded (a task's
 * duration is the sum of its attempts'). ccasp runs phases one after another, so the bound is the sum
 * of each phase's bound. Within a phase (dependencies on earlier phases are already met) no schedule
 * with `concurrency` slots finishes sooner than:
 *   - the critical path: the longest dependency chain of the phase's tasks;
 *   - the busiest slot: the tasks of a schedule that never runs more than `concurrency` at once can
 *     be laid out on `concurrency` slots, so one slot runs at least ⌈tasks / concurrency⌉ of them, one
 *     after another, which takes at least as long as that many of the phase's shortest tasks (with
 *     equal durations, the tightest of the three unless the chains are long);
 *   - total work ÷ concurrency: with uneven durations it can exceed the busiest slot.
 * The phase's bound is the largest of the three.
 */
export function makespanBound(planDoc, attempts, concurrency) {
  const duration = new Map();
  for (const a of attempts) duration.set(a.taskId, (duration.get(a.taskId) ?? 0) + a.durationMs);
  const phases = planDoc.phases.map((phase) => {
    const inPhase = new Map(phase.tasks.map((t) => [t.id, t]));
    const chain = new Map();
    const longest = (id) => {
      const known = chain.get(id);
      if (known !== undefined) return known;
      chain.set(id, 0); // cycle guard; valid plans have none
      let before = 0;
      for (const d of inPhase.get(id).dependencies ?? []) if (inPhase.has(d)) before = Math.max(before, longest(d));
      const v = before + (duration.get(id) ?? 0);
      chain.set(id, v);
      return v;
    };
    const durations = phase.tasks.map((t) => duration.get(t.id) ?? 0).sort((a, b) => a - b);
    const criticalPath = Math.max(0, ...phase.tasks.map((t) => longest(t.id)));
    const busiestSlot = durations.slice(0, Math.ceil(durations.length / concurrency)).reduce((n, d) => n + d, 0);
    const work = durations.reduce((n, d) => n + d, 0) / concurrency;
    return { id: phase.id, criticalPath, busiestSlot, work, bound: Math.max(criticalPath, busiestSlot, work) };
  });
  return { bound: phases.reduce((n, p) => n + p.bound, 0), phases };
}
