import type { AttemptResult } from '../agents/attempt.js';
import type { AgentRequest } from '../agents/request.js';
import type { PreviousAttempt } from '../agents/prompt.js';
import type { Report } from '../agents/report.js';
import type { Route } from '../agents/route.js';
import type { Phase, PhaseStatus, Plan, Task } from '../plan/model.js';
import type { RunBook } from '../state/run-book.js';
import type { AttemptRecord } from '../state/schema.js';
import { totalTokens, ZERO_USAGE } from '../state/usage.js';
import type { EventBus, OrchestratorEvent, RunOutcome } from './events.js';
import { judgeAttempt, judgeWork, type Verdict, type WorkCheck } from './judge.js';
import { Schedule } from './schedule.js';
import { afterIntegration, conflictBlocker, followsConflict, keptWorkNote } from './integration.js';
import type { Integration, Workspace } from '../worktree/workspace.js';
import { budgetStanding, perTaskCapUsd, type BudgetPolicy } from './budget.js';
import { earlierWork, renderMemory } from './memory.js';
import { thousands } from '../numbers.js';

/** Everything the loop does to the world goes through here, so the loop itself only decides. */
export interface RunPorts {
  route(task: Task): Route;
  /** Runs one attempt; `onSpawn` hears the agent's pid so a later run can end it if ccasp is killed. */
  delegate(request: AgentRequest, signal: AbortSignal, onSpawn: (pid: number) => void): Promise<AttemptResult>;
  /** Checks the claimed work in `cwd` (the task's worktree), or the project root when absent. */
  checkWork(task: Task, report: Extract<Report, { kind: 'complete' }>, signal: AbortSignal, cwd?: string): Promise<WorkCheck>;
  /** A CCASP gate step: the plan's test command, or undefined when there is none. */
  runGate(phase: Phase, signal: AbortSignal): Promise<{ ok: boolean; detail: string } | undefined>;
  /** A cheap fingerprint of the files in `cwd` (default: the project root), or undefined when it cannot tell. */
  fingerprint(cwd?: string): Promise<string | undefined>;
  /**
   * `--isolation worktree`: the task's own worktree for this attempt, created from the integration
   * branch's tip or kept from the last attempt; after a conflict, with that tip merged in. Without
   * this port, agents share the project root. A throw blocks the task with the error.
   */
  workspace?(task: Task, attempt: number, options: { afterConflict: boolean }): Promise<Workspace>;
  /** Commits the completed attempt's work in `ws` and merges it into the integration branch. */
  integrate?(task: Task, summary: string, ws: Workspace): Promise<Integration>;
  /** The compaction summary (`.claude/orchestrator/memory.md`): read what a run left, write a new one. */
  readMemory(): Promise<string | undefined>;
  writeMemory(text: string): Promise<string>;
  newSessionId(): string;
  now(): Date;
  sleep(ms: number, signal: AbortSignal): Promise<void>;
}

export interface RunSettings {
  readonly concurrency: number;
  readonly maxRetries: number;
  readonly retryBackoffMs: number;
  readonly retryBlocked: boolean;
  /** On a usage limit, wait for the reset (true) or stop the run resumably (false). */
  readonly waitForRateLimit: boolean;
  readonly budget: BudgetPolicy;
  /** Told right after `run.started` (what the session found while setting up: isolation, recovery). */
  readonly notices?: readonly { readonly level: 'info' | 'warning'; readonly message: string }[];
}

export interface RunResult {
  readonly outcome: RunOutcome;
  readonly reason: string;
}

interface Settled {
  readonly task: Task;
  readonly verdict: Verdict;
}

/**
 * The run loop: the current phase's ready tasks go to agents, up to the concurrency, never two at
 * once that declare the same file; each task is retried with what went wrong until it completes,
 * is blocked, or fails the phase. Ends when the plan is done, nothing more can run, or `signal`
 * says stop (the running agents are then stopped and their tasks go back to pending).
 */
export async function runPlan(
  book: RunBook,
  settings: RunSettings,
  ports: RunPorts,
  bus: EventBus,
  signal: AbortSignal,
): Promise<RunResult> {
  const plan = book.doc.plan;
  const emit = (e: OrchestratorEvent) => bus.emit(e);
  const started = ports.now().getTime();
  const policy = settings.budget;
  book.setLimits(policy.tokenLimit, policy.maxCostUsd, policy.compactionThreshold);
  const { requeued, unblocked } = await book.begin({ retryBlocked: settings.retryBlocked });
  const schedule = new Schedule(plan, book.statuses);
  let memory = book.state.tokenBudget.lastCompaction ? await ports.readMemory() : undefined;
  // Agents stop on the user's signal, and also at a hard budget limit while the loop winds down.
  const stopAgents = new AbortController();
  const agentSignal = stopAgents.signal;
  const onUserStop = () => stopAgents.abort();
  if (signal.aborted) onUserStop();
  else signal.addEventListener('abort', onUserStop, { once: true });

  emit({
    type: 'run.started',
    planId: plan.id,
    planName: plan.name,
    phases: plan.phases.length,
    tasks: schedule.graph.tasks.size,
    concurrency: settings.concurrency,
    resumed: book.state.attempts.length > 0,
  });
  if (requeued.length > 0) {
    emit({ type: 'run.notice', level: 'warning', message: `Resuming: ${requeued.join(', ')} were running when the last run stopped; they start again.` });
  }
  if (unblocked.length > 0) emit({ type: 'run.notice', level: 'info', message: `Back to pending: ${unblocked.join(', ')}` });
  for (const n of settings.notices ?? []) emit({ type: 'run.notice', ...n });

  /** Tasks holding a slot; each promise settles when the slot is free, which may be before its task's last write. */
  const running = new Map<string, Promise<Settled>>();
  /** Every runTask not yet returned, slot freed or not: the run ends only after them. */
  const tails = new Set<Promise<Settled>>();
  let crashed: { error: unknown } | undefined;
  /**
   * Settles once every task that freed its slot early has reported its end: a task that takes the
   * slot reports its start after that, so subscribers see a dependency's completion first.
   */
  let reported: Promise<unknown> = Promise.resolve();
  const runningTasks = () => [...running.keys()].map((id) => schedule.graph.tasks.get(id)!);
  // Looked for after every task that ends; found once rather than by reading each phase every time.
  const systemSteps = plan.phases.map((p) => p.tasks.filter((t) => t.systemStep));
  let announced = -1;
  let abort: { phase: number; reason: string } | undefined;
  let halt: { outcome: RunOutcome; reason: string } | undefined;
  let compacting: Promise<void> | undefined;

  /** After every measured attempt: compact once past the threshold; stop spawning at the limit. */
  const checkBudget = async (): Promise<void> => {
    const standing = budgetStanding(book.state.tokenBudget, policy);
    if (standing.kind === 'exhausted' && !halt) {
      halt = {
        outcome: 'budget',
        reason: `${standing.reason}. Continue with a higher limit, e.g. \`ccasp run --token-limit ${suggestLimit()}\``,
      };
      if (policy.hardLimit) stopAgents.abort();
    }
    if (standing.kind === 'compact' && !compacting) {
      compacting = (async () => {
        const at = ports.now().toISOString();
        memory = renderMemory(plan, book.state, book.statuses, at);
        const file = await ports.writeMemory(memory);
        await book.recordCompaction(at);
        emit({ type: 'budget.threshold', used: standing.used, limit: standing.limit, memoryFile: file });
      })();
    }
    await compacting;
  };
  const suggestLimit = () => Math.ceil(((policy.tokenLimit ?? book.state.tokenBudget.used) * 1.5) / 1000) * 1000;
  await checkBudget();

  /** Waits for every started task to have written and reported its end. */
  const allReported = async (): Promise<void> => {
    await Promise.allSettled([...tails]);
    if (crashed) throw crashed.error;
  };

  const finish = async (outcome: RunOutcome, reason: string): Promise<RunResult> => {
    await allReported();
    signal.removeEventListener('abort', onUserStop);
    await book.finish(outcome);
    const budget = book.state.tokenBudget;
    emit({
      type: 'run.finished',
      outcome,
      reason,
      completed: [...book.statuses.values()].filter((s) => s === 'completed' || s === 'skipped').length,
      total: book.statuses.size,
      blocked: book.state.blockedTasks.map((b) => ({ taskId: b.taskId, blocker: b.blocker, suggestedAction: b.suggestedAction ?? '' })),
      durationMs: ports.now().getTime() - started,
      costUsd: budget.costUsd,
      tokens: totalTokens(budget.usage),
      agentsSpawned: book.state.metrics.totalAgentsSpawned,
    });
    return { outcome, reason };
  };

  for (;;) {
    const phaseIndex = schedule.currentPhase();
    if (phaseIndex < 0 && running.size === 0) return finish('completed', 'all phases completed');
    const phase = plan.phases[phaseIndex];

    if (phase && !abort && !halt && !signal.aborted) {
      if (book.phaseStatus(phaseIndex) === 'failed' && running.size === 0 && phase.tasks.some((t) => schedule.status(t.id) === 'failed')) {
        return finish('failed', `phase ${phase.id} failed earlier; fix the failed task and run \`ccasp unblock <task-id>\``);
      }
      if (announced !== phaseIndex) {
        // The last phase's tasks report their ends (and the phase its completion) before this one starts.
        await allReported();
        announced = phaseIndex;
        emit({ type: 'phase.started', phaseId: phase.id, name: phase.name });
      }
      for (const task of systemSteps[phaseIndex] ?? []) {
        if (schedule.isReady(task)) await performSystemStep(task, phase, phaseIndex);
      }
      const slots = settings.concurrency - running.size;
      for (const task of schedule.next(phaseIndex, runningTasks(), slots).filter((t) => !t.systemStep)) {
        schedule.set(task.id, 'in_progress');
        running.set(task.id, startTask(task, phase, phaseIndex));
      }
      if (schedule.currentPhase() !== phaseIndex && running.size === 0) continue;
    }

    if (running.size === 0) {
      if (signal.aborted) return finish('paused', 'stopped by a signal');
      if (abort) return finish('failed', abort.reason);
      if (halt) return finish(halt.outcome, halt.reason);
      const stuck = phase ? schedule.stuck(phaseIndex) : [];
      if (stuck.length === 0 && phase && schedule.next(phaseIndex, [], 1).length > 0) continue;
      const blocked = stuck.filter((t) => schedule.status(t.id) === 'blocked');
      return finish('blocked', `phase ${phase?.id ?? '?'} cannot go on: ${blocked.length} blocked task(s) need a person (${blocked.map((t) => t.id).join(', ') || stuck.map((t) => t.id).join(', ')})`);
    }

    const settled = await Promise.race(running.values());
    if (crashed) throw crashed.error;
    running.delete(settled.task.id);
    const v = settled.verdict;
    if (v.kind === 'rate-limited' && !halt) {
      halt = {
        outcome: 'rate-limited',
        reason: `usage limit reached; it resets at ${new Date(v.resetsAt).toISOString()}. Run \`ccasp run\` again then (or without --no-wait)`,
      };
    }
    if (v.kind === 'fatal' && !abort) {
      abort = { phase: schedule.graph.phaseOf.get(settled.task.id) ?? phaseIndex, reason: `${settled.task.id}: ${v.reason}` };
      const failedPhase = plan.phases[abort.phase]!;
      await book.phaseFailed(abort.phase);
      // The task's own failure is reported before its phase's.
      await reported;
      emit({ type: 'phase.failed', phaseId: failedPhase.id, name: failedPhase.name, reason: abort.reason });
    }
  }

  async function performSystemStep(task: Task, phase: Phase, phaseIndex: number): Promise<void> {
    let detail: string;
    let ok = true;
    if (task.systemStep === 'gate') {
      const gate = await ports.runGate(phase, signal);
      ok = gate?.ok ?? true;
      detail = gate ? (gate.ok ? 'phase checks passed' : gate.detail) : 'no test command configured; nothing to check';
    } else if (task.systemStep === 'batch-plan') {
      detail = 'scheduled by ccasp';
    } else {
      await checkBudget();
      const b = book.state.tokenBudget;
      detail = `${thousands(b.used)} tokens used${b.limit ? ` of ${thousands(b.limit)}` : ''}${b.lastCompaction ? `; compacted at ${b.lastCompaction}` : ''}`;
    }
    schedule.set(task.id, ok ? 'completed' : 'blocked');
    emit({ type: 'task.system', taskId: task.id, step: task.systemStep ?? 'system', detail: ok ? detail : `failed: ${detail}` });
    const blocker = ok ? undefined : `phase validation failed: ${detail}`;
    const changed = await book.systemTaskEnded(task, phaseIndex, ok ? 'completed' : 'blocked', blocker);
    if (!ok) emit({ type: 'task.blocked', taskId: task.id, title: task.title, blocker: blocker!, suggestedAction: 'fix the failing checks, then run `ccasp unblock ' + task.id + '`' });
    if (changed === 'completed') emit({ type: 'phase.completed', phaseId: phase.id, name: phase.name, percent: phasePercent() });
  }

  function phasePercent(): number {
    const done = plan.phases.filter((_, i) => book.phaseStatus(i) === 'completed').length;
    return Math.round((done / Math.max(1, plan.phases.length)) * 100);
  }

  /** Runs the task; the promise settles when its slot is free (see runTask's `freeSlot`). */
  function startTask(task: Task, phase: Phase, phaseIndex: number): Promise<Settled> {
    return new Promise<Settled>((resolve, reject) => {
      const tail = runTask(task, phase, phaseIndex, resolve);
      tails.add(tail);
      tail.then(resolve, (error: unknown) => {
        crashed ??= { error };
        reject(error);
      });
      void tail.finally(() => tails.delete(tail)).catch(() => undefined);
    });
  }

  /**
   * `freeSlot` is called once the attempt's end is in the books in memory, before it is written:
   * the next task's start then goes to disk in the same write, instead of one write after another
   * with the slot empty. Not with a worktree, whose removal must wait for the write.
   */
  async function runTask(task: Task, phase: Phase, phaseIndex: number, freeSlot: (settled: Settled) => void): Promise<Settled> {
    const mayStart = reported;
    const route = ports.route(task);
    const previous: PreviousAttempt[] = book
      .attemptsOf(task.id)
      .filter((a) => a.outcome === 'retry' && a.reason)
      .map((a) => ({ attempt: a.attempt, reason: a.reason!, ...(a.summary ? { summary: a.summary } : {}), ...(a.conflictPaths ? { conflictPaths: a.conflictPaths } : {}) }));
    let attempt = book.attemptsOf(task.id).length;
    let maxAttempts = attempt + settings.maxRetries + 1;
    let lastFailure: { reason: string; fingerprint: string | undefined } | undefined;
    let afterConflict = followsConflict(book.attemptsOf(task.id));
    for (;;) {
      attempt++;
      const sessionId = ports.newSessionId();
      const spawnedAt = ports.now().toISOString();
      await book.taskStarted(task, phaseIndex, {
        agentId: sessionId,
        taskId: task.id,
        spawnedAt,
        status: 'running',
        attempt,
        specialist: route.specialist,
        model: route.model,
        sessionId,
      });
      await mayStart;
      emit({ type: 'task.started', taskId: task.id, title: task.title, attempt, specialist: route.specialist, model: route.model, sessionId });
      let ws: Workspace | undefined;
      if (ports.workspace) {
        try {
          ws = await ports.workspace(task, attempt, { afterConflict });
        } catch (error) {
          return workspaceFailed(task, phaseIndex, route, attempt, spawnedAt, error);
        }
      }
      const context = earlierWork(book.state, memory);
      const cap = perTaskCapUsd(policy, book.state.tokenBudget.costUsd, schedule.agentTasksLeft());
      const request: AgentRequest = {
        plan,
        phase,
        task,
        route,
        attempt,
        sessionId,
        previous,
        ...(context ? { earlierWork: context } : {}),
        ...(cap !== undefined ? { maxBudgetUsd: cap } : {}),
        ...(ws ? { cwd: ws.cwd } : {}),
        ...(ws?.conflict ? { conflict: ws.conflict } : {}),
      };
      const result = await ports.delegate(request, agentSignal, (pid) => {
        void book.agentSpawned(task.id, pid).catch(() => undefined);
      });
      let verdict: Verdict;
      const first = judgeAttempt(task.id, result);
      verdict = first.kind === 'check' ? judgeWork(first.report, await ports.checkWork(task, first.report, agentSignal, ws?.cwd)) : first;
      // An agent stopped by the user's Ctrl-C may still exit with a result; it was interrupted all the same.
      if (agentSignal.aborted && verdict.kind !== 'completed') verdict = { kind: 'interrupted' };
      let conflictPaths: readonly string[] | undefined;
      // Before the attempt is recorded: PROGRESS.json must never say completed for work that is
      // not on the integration branch. A conflict turns the completion into a retry.
      if (verdict.kind === 'completed' && ws && ports.integrate) ({ verdict, conflictPaths } = await integrateWork(task, verdict, ws));
      if (verdict.kind === 'retry') {
        // Circuit breaker: the same failure again, with nothing on disk changed since the last one,
        // will not get better. Only failed attempts pay for the fingerprint.
        const after = await ports.fingerprint(ws?.cwd);
        if (lastFailure && lastFailure.reason === verdict.reason && after !== undefined && after === lastFailure.fingerprint) {
          verdict = {
            kind: 'blocked',
            blocker: `the same failure twice in a row with no file changed: ${verdict.reason}`,
            suggestedAction: 'look at the agent logs, clarify the task or fix the cause, then run `ccasp unblock ' + task.id + '`',
          };
        } else {
          lastFailure = { reason: verdict.reason, fingerprint: after };
        }
      }
      if (verdict.kind === 'retry' && attempt >= maxAttempts) {
        verdict =
          conflictPaths && ws
            ? { kind: 'blocked', ...conflictBlocker(task.id, attempt, conflictPaths, ws) }
            : {
                kind: 'blocked',
                blocker: `gave up after ${attempt} attempts; last: ${verdict.reason}`,
                suggestedAction: 'look at the agent logs, fix the cause, then run `ccasp unblock ' + task.id + '`',
              };
      } else if (verdict.kind === 'blocked' && ws) {
        verdict = { ...verdict, suggestedAction: `${verdict.suggestedAction}${keptWorkNote(ws)}`.trim() };
      }
      if (conflictPaths) {
        emit({ type: 'task.conflict', taskId: task.id, paths: conflictPaths, willRetry: verdict.kind === 'retry' && !agentSignal.aborted && !abort && !halt });
      }
      const record = attemptRecord(task, attempt, result, verdict, conflictPaths);
      // The books change now; the write starts at the end of this turn.
      const ended = book.attemptEnded(task, phaseIndex, record, taskEnd(verdict, route));
      schedule.set(task.id, book.statuses.get(task.id) ?? 'pending');
      // Decides at once whether the budget still allows another agent.
      const budgetChecked = checkBudget();
      // Awaited below, unless the write fails first; its failure must not go unhandled meanwhile.
      budgetChecked.catch(() => undefined);
      const final = verdict.kind !== 'retry' && !(verdict.kind === 'rate-limited' && settings.waitForRateLimit);
      let reportedEnd: (() => void) | undefined;
      if (final && !ws) {
        const done = new Promise<void>((resolve) => (reportedEnd = resolve));
        reported = Promise.all([reported, done]);
        freeSlot({ task, verdict });
      }
      try {
        const phaseChange = await ended;
        // Only once the record says completed: a kill before this leaves a worktree recover() removes.
        if (ws) await releaseWorkspace(task, ws, verdict.kind === 'completed' ? 'integrated' : 'keep');
        if (verdict.kind !== 'rate-limited') afterConflict = conflictPaths !== undefined;
        await budgetChecked;
        reportEnd(task, phase, attempt, verdict, result, record, phaseChange);
      } finally {
        reportedEnd?.();
      }
      if (final) return { task, verdict };
      if (verdict.kind === 'retry') {
        previous.push({ attempt, reason: verdict.reason, ...(verdict.summary ? { summary: verdict.summary } : {}), ...(conflictPaths ? { conflictPaths } : {}) });
        // Once the phase is aborted or the user stopped the run, a retry would only spend money.
        if (agentSignal.aborted || abort || halt) return { task, verdict: { kind: 'interrupted' } };
        schedule.set(task.id, 'in_progress');
        await ports.sleep(settings.retryBackoffMs * 2 ** (attempt - 1), agentSignal);
        continue;
      }
      if (verdict.kind === 'rate-limited') {
        await waitUntil(task.id, verdict.resetsAt);
        if (agentSignal.aborted || abort || halt) return { task, verdict: { kind: 'interrupted' } };
        // The limit, not the task, failed: this attempt does not count against the retries.
        maxAttempts++;
        schedule.set(task.id, 'in_progress');
        continue;
      }
    }
  }

  /** Tells subscribers how the attempt ended. */
  function reportEnd(task: Task, phase: Phase, attempt: number, verdict: Verdict, result: AttemptResult, record: AttemptRecord, phaseChange: PhaseStatus | undefined): void {
    switch (verdict.kind) {
      case 'completed':
        emit({
          type: 'task.completed',
          taskId: task.id,
          title: task.title,
          attempt,
          summary: verdict.summary,
          artifacts: verdict.artifacts,
          durationMs: result.durationMs,
          costUsd: record.costUsd,
          usage: record.usage,
        });
        if (phaseChange === 'completed') emit({ type: 'phase.completed', phaseId: phase.id, name: phase.name, percent: phasePercent() });
        return;
      case 'retry':
        emit({ type: 'task.attempt.failed', taskId: task.id, attempt, reason: verdict.reason, willRetry: !agentSignal.aborted && !abort && !halt, durationMs: result.durationMs });
        return;
      case 'blocked':
        emit({ type: 'task.blocked', taskId: task.id, title: task.title, blocker: verdict.blocker, suggestedAction: verdict.suggestedAction });
        return;
      case 'fatal':
        if (verdict.taskFailed) emit({ type: 'task.failed', taskId: task.id, title: task.title, error: verdict.reason });
        else emit({ type: 'task.attempt.failed', taskId: task.id, attempt, reason: verdict.reason, willRetry: false, durationMs: result.durationMs });
        return;
      case 'interrupted':
      case 'rate-limited':
        return;
    }
  }

  /** Commits and merges a completed attempt's work; the verdict says what became of it. */
  async function integrateWork(
    task: Task,
    verdict: Extract<Verdict, { kind: 'completed' }>,
    ws: Workspace,
  ): Promise<{ verdict: Verdict; conflictPaths?: readonly string[] | undefined }> {
    let result: Integration;
    try {
      result = await ports.integrate!(task, verdict.summary, ws);
    } catch (error) {
      result = { kind: 'refused', reason: `ccasp could not merge the work: ${errorText(error)}`, suggestedAction: `fix the repository, then run \`ccasp unblock ${task.id}\`` };
    }
    if (result.kind === 'integrated') emit({ type: 'task.integrated', taskId: task.id, commit: result.commit, how: result.how });
    return afterIntegration(task.id, verdict, result);
  }

  async function releaseWorkspace(task: Task, ws: Workspace, outcome: 'integrated' | 'keep'): Promise<void> {
    try {
      await ws.release(outcome);
    } catch (error) {
      emit({ type: 'run.notice', level: 'warning', message: `${task.id}: its worktree could not be removed (${errorText(error)}); \`ccasp clean\` removes it` });
    }
  }

  /** No worktree, no agent: the task is blocked with git's own words, and the run goes on. */
  async function workspaceFailed(task: Task, phaseIndex: number, route: Route, attempt: number, startedAt: string, error: unknown): Promise<Settled> {
    const verdict: Verdict = {
      kind: 'blocked',
      blocker: `its git worktree could not be prepared: ${errorText(error)}`,
      suggestedAction: `fix the repository as the message says (\`ccasp status\` lists ccasp's worktrees), then run \`ccasp unblock ${task.id}\``,
    };
    const now = ports.now();
    const record: AttemptRecord = {
      taskId: task.id,
      attempt,
      outcome: 'blocked',
      reason: verdict.blocker,
      startedAt,
      finishedAt: now.toISOString(),
      durationMs: Math.max(0, now.getTime() - Date.parse(startedAt)),
      costUsd: 0,
      usage: { ...ZERO_USAGE },
    };
    await book.attemptEnded(task, phaseIndex, record, taskEnd(verdict, route));
    schedule.set(task.id, book.statuses.get(task.id) ?? 'pending');
    emit({ type: 'task.blocked', taskId: task.id, title: task.title, blocker: verdict.blocker, suggestedAction: verdict.suggestedAction });
    return { task, verdict };
  }

  async function waitUntil(taskId: string, resetsAt: number): Promise<void> {
    const until = new Date(resetsAt).toISOString();
    for (let remaining = resetsAt - ports.now().getTime(); remaining > 0 && !signal.aborted; remaining = resetsAt - ports.now().getTime()) {
      emit({ type: 'run.waiting', taskId, until, remainingMs: remaining });
      await ports.sleep(Math.min(remaining, 30_000), agentSignal);
    }
  }

  function attemptRecord(task: Task, attempt: number, result: AttemptResult, verdict: Verdict, conflictPaths?: readonly string[]): AttemptRecord {
    const outcome = verdict.kind === 'completed' ? 'completed' : verdict.kind;
    const reason =
      verdict.kind === 'retry' || verdict.kind === 'fatal' ? verdict.reason : verdict.kind === 'blocked' ? verdict.blocker : undefined;
    const summary = verdict.kind === 'completed' || verdict.kind === 'retry' ? verdict.summary : undefined;
    const artifacts = verdict.kind === 'completed' ? verdict.artifacts : undefined;
    return {
      taskId: task.id,
      attempt,
      outcome,
      ...(reason ? { reason } : {}),
      ...(summary ? { summary } : {}),
      ...(artifacts && artifacts.length > 0 ? { artifacts: [...artifacts] } : {}),
      sessionId: result.result?.sessionId ?? result.sessionId,
      startedAt: result.startedAt,
      finishedAt: result.finishedAt,
      durationMs: result.durationMs,
      costUsd: result.result?.costUsd ?? 0,
      usage: result.result?.usage ?? { inputTokens: 0, outputTokens: 0, cacheCreationTokens: 0, cacheReadTokens: 0 },
      log: result.logFile,
      ...(conflictPaths && conflictPaths.length > 0 ? { conflictPaths: [...conflictPaths] } : {}),
    };
  }
}

function taskEnd(verdict: Verdict, route: Route): Parameters<RunBook['attemptEnded']>[3] {
  switch (verdict.kind) {
    case 'completed':
      return { status: 'completed', completedBy: route.specialist };
    case 'blocked':
      return { status: 'blocked', blocker: verdict.blocker, suggestedAction: verdict.suggestedAction };
    case 'fatal':
      return verdict.taskFailed ? { status: 'failed', error: verdict.reason } : { status: 'pending' };
    case 'retry':
    case 'interrupted':
    case 'rate-limited':
      return { status: 'pending' };
  }
}

function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
