import { existsSync, mkdirSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { runCli, startCli, type RunningCli } from '../support/cli.js';
import { lockFile, makeProject, planFile, readPlan, readStateJson, stateFile, taskStatuses } from '../support/files.js';
import { killGroup } from '../support/processes.js';
import { CHAOS_AGENT, chaosOptions, chaosPlan, liveAgents, seededRandom, startCounts, within } from './support.js';

/**
 * The kill -9 chaos driver. A 30-task plan with parallel branches runs with the chaos stub agent
 * (20-200 ms per task, writes its file, counts its starts), and the ccasp process is SIGKILLed at a
 * random moment, `runs` times. After every kill:
 *   - PROGRESS.json parses and `ccasp validate` accepts it; state.json, when there is one, parses
 *     and matches the state schema;
 *   - no task seen completed has gone back;
 *   - the agents the killed run left behind do not outlive the next run's start (ccasp ends the
 *     orphans it recorded; the stub lingers for 20 s once its parent is gone, as a busy claude would).
 * When a run finishes before its kill, its plan is checked and a new project starts (a new cycle).
 * After the last kill the current project is resumed until done. For every finished project: every
 * task completed, state.json agrees, and each task's agent starts are 1, or at most 1 + the number of
 * kills that caught it in flight; a task seen completed never starts again.
 */

export interface ChaosOptions {
  /** Kills to deliver. */
  readonly runs: number;
  readonly seed: number;
  /** Where projects are made (removed by the caller). */
  readonly workDir: string;
  readonly concurrency?: number;
  readonly log?: (line: string) => void;
}

export interface ChaosFigures {
  seed: number;
  killsRequested: number;
  kills: number;
  cyclesCompleted: number;
  runsStarted: number;
  calibrationMs: number;
  killWindowMs: number;
  killsBeforeRunStarted: number;
  killsDuringRun: number;
  tasksCompletedAtKill: number[];
  validateChecks: number;
  stateChecks: number;
  stateAbsentAtKill: number;
  stateAheadOfPlan: number;
  planAheadOfState: number;
  tasksInFlightAtKills: number;
  startsHistogram: Record<string, number>;
  maxStarts: number;
  orphansAliveAfterKill: number;
  orphansEndedByNextRun: number;
  orphansLeftAfterNextRunStarted: number;
  /** Orphans whose pid the killed run had not yet written to state.json: found by session id all the same. */
  orphansUnrecordedAtKill: number;
  lockTakeovers: number;
  requeueNotices: number;
  interruptedAttempts: number;
  strayTempFilesMax: number;
  strayTempFilesAtEnd: string[];
  durationMs: number;
  violations: string[];
}

const RUN_TIMEOUT_MS = 90_000;
/** How long an orphaned stub lingers when nothing ends it. */
const LINGER_S = 20;

interface Cycle {
  readonly index: number;
  readonly dir: string;
  readonly project: string;
  readonly startsDir: string;
  readonly taskIds: string[];
  /** Tasks seen completed, with their start count at that moment. */
  readonly completedSeen: Map<string, number>;
  /** Kills that caught each task started but not completed. */
  readonly inFlightKills: Map<string, number>;
  /** Agents started by killed runs (by session), to look for once the next run has started. */
  suspects: Map<string, { pid: number; recorded: boolean }>;
}

export async function runChaos(options: ChaosOptions): Promise<ChaosFigures> {
  const started = Date.now();
  const log = options.log ?? (() => undefined);
  const random = seededRandom(options.seed);
  const concurrency = options.concurrency ?? 4;
  const figures: ChaosFigures = {
    seed: options.seed,
    killsRequested: options.runs,
    kills: 0,
    cyclesCompleted: 0,
    runsStarted: 0,
    calibrationMs: 0,
    killWindowMs: 0,
    killsBeforeRunStarted: 0,
    killsDuringRun: 0,
    tasksCompletedAtKill: [],
    validateChecks: 0,
    stateChecks: 0,
    stateAbsentAtKill: 0,
    stateAheadOfPlan: 0,
    planAheadOfState: 0,
    tasksInFlightAtKills: 0,
    startsHistogram: {},
    maxStarts: 0,
    orphansAliveAfterKill: 0,
    orphansEndedByNextRun: 0,
    orphansLeftAfterNextRunStarted: 0,
    orphansUnrecordedAtKill: 0,
    lockTakeovers: 0,
    requeueNotices: 0,
    interruptedAttempts: 0,
    strayTempFilesMax: 0,
    strayTempFilesAtEnd: [],
    durationMs: 0,
    violations: [],
  };
  const violate = (cycle: Cycle, what: string) => {
    const line = `seed ${options.seed}, project ${cycle.index}, kill ${figures.kills}: ${what}`;
    figures.violations.push(line);
    log(`VIOLATION ${line}`);
  };

  let cycleCount = 0;
  const newCycle = (): Cycle => {
    const index = ++cycleCount;
    const dir = path.join(options.workDir, `cycle-${index}`);
    const startsDir = path.join(dir, 'starts');
    mkdirSync(startsDir, { recursive: true });
    const plan = chaosPlan();
    const project = makeProject(plan, dir);
    return {
      index,
      dir,
      project,
      startsDir,
      taskIds: plan.phases.flatMap((p) => p.tasks.map((t) => t.id)),
      completedSeen: new Map(),
      inFlightKills: new Map(),
      suspects: new Map(),
    };
  };

  const start = (cycle: Cycle): RunningCli => {
    figures.runsStarted++;
    const env = { CHAOS_STARTS_DIR: cycle.startsDir, CHAOS_SEED: `${options.seed}-${cycle.index}-${figures.runsStarted}`, CHAOS_LINGER_S: String(LINGER_S) };
    return startCli(['run', 'plan', '--claude-bin', CHAOS_AGENT, '-c', String(concurrency), '--json', '--no-github'], chaosOptions(cycle.project, env));
  };

  /** Once the next run has started (its run.started event), no agent of a killed run may be alive. */
  const checkSuspects = async (cycle: Cycle, run: RunningCli) => {
    if (cycle.suspects.size === 0) return;
    const startedRun = await run.waitForEvent('run.started');
    if (!startedRun) return; // killed or ended before it started: look again at the next run
    const live = liveAgents(options.workDir);
    for (const [session, { pid, recorded }] of cycle.suspects) {
      const now = live.get(session);
      if (now === undefined) continue;
      figures.orphansLeftAfterNextRunStarted++;
      violate(cycle, `agent pid ${pid} (session ${session}) of a killed run is still alive after the next run started${recorded ? ' (its pid was in state.json)' : ''}`);
      killGroup(now);
    }
    cycle.suspects = new Map();
  };

  const noteRunOutput = (run: RunningCli) => {
    const err = run.stderr();
    figures.lockTakeovers += (err.match(/took over the lock of a ccasp run that is gone/g) ?? []).length;
    figures.orphansEndedByNextRun += (err.match(/warning: ended agent pid \d+/g) ?? []).length;
    figures.requeueNotices += run.events().filter((e) => e.type === 'run.notice' && String(e.message).startsWith('Resuming:')).length;
  };

  /** The checks after a kill (or any stop): files parse and validate, nothing went back. */
  const checkFiles = async (cycle: Cycle, startsBefore: Map<string, number>, killed: boolean) => {
    let statuses: Record<string, string>;
    try {
      statuses = taskStatuses(cycle.project);
    } catch (error) {
      violate(cycle, `PROGRESS.json cannot be read or does not parse: ${String(error)}`);
      return;
    }
    const validate = await runCli(['validate', 'plan'], chaosOptions(cycle.project));
    figures.validateChecks++;
    if (validate.code !== 0) violate(cycle, `ccasp validate exited ${validate.code}: ${validate.stdout}${validate.stderr}`);

    let stateCompleted: Set<string> | undefined;
    if (existsSync(stateFile(cycle.project))) {
      figures.stateChecks++;
      try {
        // Parsed and checked against the state schema (src/state/schema.ts).
        stateCompleted = new Set(readStateJson(cycle.project).completedTasks);
      } catch (error) {
        violate(cycle, `state.json does not parse or match the schema: ${String(error)}`);
      }
    } else if (killed) {
      figures.stateAbsentAtKill++;
    }

    const starts = startCounts(cycle.startsDir);
    const count = (id: string) => starts.get(id)?.length ?? 0;
    for (const [id, startsThen] of cycle.completedSeen) {
      if (statuses[id] !== 'completed') violate(cycle, `task ${id} was completed and is now ${statuses[id]}`);
      if (count(id) !== startsThen) violate(cycle, `task ${id} started again after it was completed (${startsThen} → ${count(id)} starts)`);
    }
    let inFlight = 0;
    for (const id of cycle.taskIds) {
      const status = statuses[id];
      if (status === 'completed') {
        if (!cycle.completedSeen.has(id)) cycle.completedSeen.set(id, count(id));
      } else if (killed && (status === 'in_progress' || count(id) > (startsBefore.get(id) ?? 0))) {
        cycle.inFlightKills.set(id, (cycle.inFlightKills.get(id) ?? 0) + 1);
        inFlight++;
      }
      if (stateCompleted) {
        if (stateCompleted.has(id) && status !== 'completed') figures.stateAheadOfPlan++;
        if (!stateCompleted.has(id) && status === 'completed') figures.planAheadOfState++;
      }
    }
    if (killed) {
      figures.tasksInFlightAtKills += inFlight;
      figures.tasksCompletedAtKill.push(Object.values(statuses).filter((s) => s === 'completed').length);
    }
    const strays = [path.dirname(planFile(cycle.project)), path.dirname(stateFile(cycle.project))]
      .flatMap((d) => (existsSync(d) ? readdirSync(d) : []))
      .filter((n) => n.endsWith('.tmp')).length;
    figures.strayTempFilesMax = Math.max(figures.strayTempFilesMax, strays);
  };

  /** A project whose run ended on its own: everything completed, and the start counts add up. */
  const checkFinished = (cycle: Cycle, result: { code: number | null; stdout: string; stderr: string }) => {
    if (result.code !== 0) {
      violate(cycle, `the run ended with exit ${result.code}, not 0: ${result.stderr.slice(-2000)}`);
      return;
    }
    const statuses = taskStatuses(cycle.project);
    const notDone = cycle.taskIds.filter((id) => statuses[id] !== 'completed');
    if (notDone.length > 0) violate(cycle, `tasks not completed after the run ended: ${notDone.join(', ')}`);
    const plan = readPlan(cycle.project);
    if (plan.status !== 'completed') violate(cycle, `plan status is ${plan.status}, not completed`);
    const state = readStateJson(cycle.project);
    if (state.status !== 'completed') violate(cycle, `state.json status is ${state.status}`);
    if (state.activeAgents.length > 0) violate(cycle, `state.json still lists active agents: ${JSON.stringify(state.activeAgents)}`);
    if ([...state.completedTasks].sort().join() !== [...cycle.taskIds].sort().join()) violate(cycle, 'state.json completedTasks is not every task');
    if (existsSync(lockFile(cycle.project))) violate(cycle, 'the lock file is still there after the run ended');
    figures.interruptedAttempts += state.attempts.filter((a) => a.outcome === 'interrupted').length;
    for (const d of [path.dirname(planFile(cycle.project)), path.dirname(stateFile(cycle.project))]) {
      for (const name of readdirSync(d)) if (name.endsWith('.tmp')) figures.strayTempFilesAtEnd.push(`project ${cycle.index}: ${path.relative(cycle.project, path.join(d, name))}`);
    }

    const starts = startCounts(cycle.startsDir);
    for (const id of cycle.taskIds) {
      const n = starts.get(id)?.length ?? 0;
      const inFlight = cycle.inFlightKills.get(id) ?? 0;
      figures.startsHistogram[String(n)] = (figures.startsHistogram[String(n)] ?? 0) + 1;
      figures.maxStarts = Math.max(figures.maxStarts, n);
      if (n < 1) violate(cycle, `task ${id} completed without an agent start`);
      if (inFlight === 0 && n !== 1) violate(cycle, `task ${id} was never in flight at a kill but its agent started ${n} times`);
      if (n > 1 + inFlight) violate(cycle, `task ${id}: ${n} agent starts, but it was in flight at only ${inFlight} kill(s)`);
    }
  };

  // Calibration: one uninterrupted run sets the window in which kills land.
  {
    const cycle = newCycle();
    const t0 = Date.now();
    const run = start(cycle);
    const result = await within(run.done, RUN_TIMEOUT_MS, 'the calibration run');
    figures.calibrationMs = Date.now() - t0;
    checkFinished(cycle, result);
    figures.cyclesCompleted++;
    figures.killWindowMs = Math.max(300, Math.round(figures.calibrationMs * 0.9));
    log(`calibration: an uninterrupted run of ${cycle.taskIds.length} tasks took ${figures.calibrationMs} ms; kills land within ${figures.killWindowMs} ms of a start`);
  }

  let cycle = newCycle();
  while (figures.kills < options.runs) {
    const startsBefore = new Map([...startCounts(cycle.startsDir)].map(([id, lines]) => [id, lines.length]));
    const run = start(cycle);
    const delay = Math.floor(random() * figures.killWindowMs);
    const suspectsChecked = checkSuspects(cycle, run);
    const finishedFirst = await Promise.race([run.done.then(() => true), new Promise<false>((r) => setTimeout(() => r(false), delay))]);
    if (!finishedFirst) run.child.kill('SIGKILL');
    const result = await within(run.done, RUN_TIMEOUT_MS, 'a killed run to end');
    await suspectsChecked;
    noteRunOutput(run);
    if (result.signal !== 'SIGKILL') {
      // The run got to the end before the kill: check the finished project and start another.
      await checkFiles(cycle, startsBefore, false);
      checkFinished(cycle, result);
      figures.cyclesCompleted++;
      log(`project ${cycle.index}: finished before a kill at ${delay} ms`);
      cycle = newCycle();
      continue;
    }
    figures.kills++;
    const sawStart = run.events().some((e) => e.type === 'run.started');
    if (sawStart) figures.killsDuringRun++;
    else figures.killsBeforeRunStarted++;
    // The agents still alive now that their parent is gone, and whether state.json has their pid.
    const live = liveAgents(options.workDir);
    const recordedPids = new Set<number>();
    try {
      for (const a of readStateJson(cycle.project).activeAgents) if (a.pid !== undefined) recordedPids.add(a.pid);
    } catch {
      // reported by checkFiles
    }
    for (const lines of startCounts(cycle.startsDir).values()) {
      for (const line of lines) {
        const [session] = line.split(' ');
        const pid = session ? live.get(session) : undefined;
        if (session && pid !== undefined && !cycle.suspects.has(session)) {
          const recorded = recordedPids.has(pid);
          cycle.suspects.set(session, { pid, recorded });
          figures.orphansAliveAfterKill++;
          if (!recorded) figures.orphansUnrecordedAtKill++;
        }
      }
    }
    await checkFiles(cycle, startsBefore, true);
    log(
      `kill ${figures.kills}/${options.runs} at ${delay} ms (project ${cycle.index}${sawStart ? '' : ', before run.started'}): ` +
        `${figures.tasksCompletedAtKill.at(-1) ?? 0}/${cycle.taskIds.length} completed, ${cycle.suspects.size} agent(s) left running`,
    );
  }

  // Resume the last project until it is done.
  for (let attempt = 0; ; attempt++) {
    const run = start(cycle);
    const suspectsChecked = checkSuspects(cycle, run);
    const result = await within(run.done, RUN_TIMEOUT_MS, 'the final resume');
    await suspectsChecked;
    noteRunOutput(run);
    await checkFiles(cycle, new Map(), false);
    if (result.code === 0 || attempt >= 2) {
      checkFinished(cycle, result);
      figures.cyclesCompleted++;
      break;
    }
  }
  // Nothing of ours may be left running; end what is (a violation was recorded if it mattered).
  for (const pid of liveAgents(options.workDir).values()) killGroup(pid);
  figures.durationMs = Date.now() - started;
  return figures;
}

export function formatFigures(f: ChaosFigures): string {
  const completedAtKill = [...f.tasksCompletedAtKill].sort((a, b) => a - b);
  const median = completedAtKill.length > 0 ? completedAtKill[Math.floor(completedAtKill.length / 2)] : 0;
  return [
    `chaos figures (seed ${f.seed})`,
    `  kills delivered           ${f.kills} of ${f.killsRequested} (${f.killsBeforeRunStarted} before run.started, ${f.killsDuringRun} during the run)`,
    `  ccasp runs                ${f.runsStarted} over ${f.cyclesCompleted} completed 30-task projects`,
    `  uninterrupted run         ${f.calibrationMs} ms; kill window 0-${f.killWindowMs} ms after a start`,
    `  tasks completed at a kill min ${completedAtKill[0] ?? 0}, median ${median}, max ${completedAtKill.at(-1) ?? 0}`,
    `  validate checks           ${f.validateChecks} (state.json schema checks ${f.stateChecks}; no state.json yet at ${f.stateAbsentAtKill} kills)`,
    `  completed tasks gone back 0 expected; violations ${f.violations.length}`,
    `  tasks in flight at a kill ${f.tasksInFlightAtKills}; interrupted attempts recorded ${f.interruptedAttempts}; resume notices ${f.requeueNotices}`,
    `  agent starts per task     ${Object.entries(f.startsHistogram)
      .sort(([a], [b]) => Number(a) - Number(b))
      .map(([n, tasks]) => `${n}×: ${tasks} tasks`)
      .join(', ')} (max ${f.maxStarts})`,
    `  orphans                   ${f.orphansAliveAfterKill} agents alive after a kill (${f.orphansUnrecordedAtKill} with no pid in state.json yet); ` +
      `${f.orphansEndedByNextRun} reported ended by the next run; alive after the next run started: ${f.orphansLeftAfterNextRunStarted}`,
    `  stale locks taken over    ${f.lockTakeovers}`,
    `  files out of step at kill state.json ahead of PROGRESS.json ${f.stateAheadOfPlan} task(s), behind ${f.planAheadOfState}`,
    `  stray temp files          at most ${f.strayTempFilesMax} in plan/ and .claude/orchestrator/ after a kill; ${f.strayTempFilesAtEnd.length} left in finished projects${
      f.strayTempFilesAtEnd.length > 0 ? ` (e.g. ${f.strayTempFilesAtEnd.slice(0, 2).join('; ')})` : ''
    }`,
    `  duration                  ${(f.durationMs / 1000).toFixed(1)} s`,
  ].join('\n');
}
