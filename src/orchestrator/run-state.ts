import type { PlanDocument, ProgressChanges } from '../plan/document.js';
import { buildGraph } from '../plan/graph.js';
import { isDone, type PhaseStatus, type Plan, type Task, type TaskStatus } from '../plan/model.js';
import { phasesPercent, phaseStatusOf, planStatusOf } from '../plan/progress.js';
import type { PhasePatch, TaskPatch } from '../plan/shapes/shape.js';
import type { FileSnapshot } from '../state/run-files.js';
import type { ActiveAgent, AttemptRecord, OrchestratorState, Usage } from '../state/schema.js';
import { totalTokens, ZERO_USAGE } from '../state/usage.js';
import { STATE_VERSION } from '../state/version.js';
import { costReservation, type BudgetPolicy } from './budget.js';
import { afterAttempt, initialConcurrency, isRateLimitStatus, type Concurrency } from './concurrency.js';
import type { RunOutcome } from './events.js';
import { attemptRecord, type AttemptEnd } from './attempt-record.js';
import { Schedule } from './schedule.js';
import type { SpawnedAgent } from './ports.js';

/** A task's progress as PROGRESS.json records it. */
export type TaskProgress = Pick<Task, 'status' | 'completedAt' | 'completedBy' | 'blocker' | 'attempts'>;

type BlockedTask = OrchestratorState['blockedTasks'][number];
type GithubConfig = NonNullable<OrchestratorState['githubConfig']>;

/**
 * The one owner of a run's state: every task's progress, the attempts, the running agents, the
 * blockers and the budget's books. It changes only through the transitions below, each a plain
 * method with no I/O, and everything else is derived from it when asked: a phase's status (one rule,
 * plan/progress.ts), the plan's, what may start next, the totals and lists of state.json, and what
 * PROGRESS.json must say. Nothing else holds a copy.
 */
export class RunState {
  readonly schedule: Schedule;
  private readonly tasks = new Map<string, TaskProgress>();
  private readonly phaseCompletedAt: (string | undefined)[];
  private readonly phaseAborted: boolean[];
  private readonly agents = new Map<string, ActiveAgent>();
  private readonly attempts: AttemptRecord[];
  private readonly attemptsByTask = new Map<string, AttemptRecord[]>();
  private blocked: BlockedTask[];
  private status: OrchestratorState['status'];
  private spawned: number;
  private limits: Pick<OrchestratorState['tokenBudget'], 'limit' | 'costLimitUsd' | 'compactionThreshold' | 'lastCompaction'>;
  /** Per running task, what its agent reserved of the cost limit; in memory only, settled by attemptEnded. */
  private readonly reservations = new Map<string, number>();
  /** Agents at once, as rate limits allow; undefined until a run begins and in files older than it. */
  private pace: Concurrency | undefined;
  private github: GithubConfig | null;
  private readonly origin: Pick<OrchestratorState, 'planId' | 'planPath' | 'initialized'>;
  private isolation: Pick<OrchestratorState, 'isolation' | 'integrationBranch'>;
  /** The plan as PROGRESS.json reads without this run's changes: as read, or as a person edited it since. */
  private onDisk: Plan;
  private onDiskTasks: ReadonlyMap<string, TaskProgress>;

  /**
   * `books` is state.json as read (or new); the plan's progress is taken from the plan itself. `plan`
   * is what the run works from to its end, a person's later edits to the file notwithstanding.
   */
  constructor(
    readonly plan: Plan,
    books: OrchestratorState,
  ) {
    this.onDisk = plan;
    this.onDiskTasks = progressByTask(plan);
    this.schedule = new Schedule(plan);
    for (const task of this.schedule.graph.tasks.values()) this.tasks.set(task.id, progressOf(task));
    this.phaseCompletedAt = plan.phases.map((p) => p.completedAt);
    this.phaseAborted = plan.phases.map(() => false);
    for (const agent of books.activeAgents) this.agents.set(agent.taskId, agent);
    this.attempts = [];
    for (const record of books.attempts) this.remember(record);
    this.blocked = [...books.blockedTasks];
    this.status = books.status;
    this.spawned = books.metrics.totalAgentsSpawned;
    const { limit, costLimitUsd, compactionThreshold, lastCompaction } = books.tokenBudget;
    this.limits = { limit, costLimitUsd, compactionThreshold, lastCompaction };
    this.pace = books.concurrency ? { ...books.concurrency, calm: 0 } : undefined;
    this.github = books.githubConfig;
    const { planId, planPath, initialized, isolation, integrationBranch } = books;
    this.origin = { planId, planPath, initialized };
    this.isolation = { ...(isolation ? { isolation } : {}), ...(integrationBranch ? { integrationBranch } : {}) };
  }

  // ── What the state says ────────────────────────────────────────────────────────────────────

  readonly statusOf = (taskId: string): TaskStatus => this.tasks.get(taskId)?.status ?? 'pending';

  progress(taskId: string): TaskProgress {
    return this.tasks.get(taskId) ?? { status: 'pending' };
  }

  phaseStatus(index: number): PhaseStatus {
    return phaseStatusOf(this.plan.phases[index]?.tasks.map((t) => this.statusOf(t.id)) ?? [], this.phaseAborted[index]);
  }

  phaseStatuses(): PhaseStatus[] {
    return this.plan.phases.map((_, i) => this.phaseStatus(i));
  }

  /** The seed orchestrator's completion percentage: the share of phases completed. */
  percent(): number {
    return phasesPercent(this.phaseStatuses());
  }

  /** The first phase with work left, or -1 when the plan is done. */
  currentPhase(): number {
    return this.schedule.currentPhase(this.statusOf);
  }

  attemptsOf(taskId: string): readonly AttemptRecord[] {
    return this.attemptsByTask.get(taskId) ?? [];
  }

  /** Every attempt of every run, oldest first. */
  history(): readonly AttemptRecord[] {
    return this.attempts;
  }

  blockers(): readonly BlockedTask[] {
    return this.blocked;
  }

  /** Agent tasks (not CCASP system steps) pending or running: what a cost budget is shared among. */
  agentTasksLeft(): number {
    let open = 0;
    for (const task of this.schedule.graph.tasks.values()) {
      const status = this.statusOf(task.id);
      if (!task.systemStep && (status === 'pending' || status === 'in_progress')) open++;
    }
    return open;
  }

  /** Tasks done (completed or skipped) and in all. */
  tally(): { done: number; total: number } {
    let done = 0;
    for (const { status } of this.tasks.values()) if (isDone(status)) done++;
    return { done, total: this.tasks.size };
  }

  /** What has been spent, from the attempts, and the limits it is held to. */
  budget(): OrchestratorState['tokenBudget'] {
    const usage: Usage = { ...ZERO_USAGE };
    let costUsd = 0;
    for (const a of this.attempts) {
      usage.inputTokens += a.usage.inputTokens;
      usage.outputTokens += a.usage.outputTokens;
      usage.cacheCreationTokens += a.usage.cacheCreationTokens;
      usage.cacheReadTokens += a.usage.cacheReadTokens;
      costUsd += a.costUsd;
    }
    const { limit, costLimitUsd, compactionThreshold, lastCompaction } = this.limits;
    return { used: totalTokens(usage), limit, costLimitUsd, compactionThreshold, lastCompaction, costUsd, usage };
  }

  /** What continuing cut-off sessions saved, over every attempt of every run (see resume.ts). */
  tokensSaved(): number {
    return this.attempts.reduce((sum, a) => sum + (a.resumed?.tokensSaved ?? 0), 0);
  }

  agentsSpawned(): number {
    return this.spawned;
  }

  /** How many agents may run at once now, and the configured most. */
  concurrency(): { current: number; max: number } {
    const { current, max } = this.pace ?? initialConcurrency(1);
    return { current, max };
  }

  /** What running agents have reserved of the cost limit and not yet settled. */
  reservedUsd(): number {
    let sum = 0;
    for (const usd of this.reservations.values()) sum += usd;
    return sum;
  }

  // ── Transitions ────────────────────────────────────────────────────────────────────────────

  /**
   * Before anything runs: a task left in progress by a killed run goes back to pending (its attempt
   * recorded as interrupted), blocked and failed ones too when asked, and the run is active. Phases
   * whose file status disagrees with their tasks take their tasks' word.
   */
  begin(options: { retryBlocked: boolean; policy: BudgetPolicy; concurrency: number }, at: string): { requeued: string[]; unblocked: string[] } {
    const requeued: string[] = [];
    const unblocked: string[] = [];
    for (const [taskId, progress] of this.tasks) {
      if (progress.status === 'in_progress') {
        requeued.push(taskId);
        const agent = this.agents.get(taskId);
        this.remember({
          taskId,
          attempt: agent?.attempt ?? this.attemptsOf(taskId).length + 1,
          outcome: 'interrupted',
          reason: 'the previous ccasp run stopped while this attempt was running',
          cutOff: 'stopped',
          ...(agent?.sessionId ? { sessionId: agent.sessionId } : {}),
          startedAt: agent?.spawnedAt ?? at,
          finishedAt: at,
          durationMs: 0,
          costUsd: 0,
          usage: { ...ZERO_USAGE },
        });
        this.tasks.set(taskId, { ...progress, status: 'pending', completedAt: undefined, completedBy: undefined, blocker: undefined });
      } else if (options.retryBlocked && (progress.status === 'blocked' || progress.status === 'failed')) {
        unblocked.push(taskId);
        this.tasks.set(taskId, { ...progress, status: 'pending', blocker: undefined });
      }
    }
    this.agents.clear();
    this.reservations.clear();
    // Each run starts at its configured figure: the last run's rate limits may have passed.
    this.pace = initialConcurrency(options.concurrency);
    if (options.retryBlocked) this.blocked = [];
    this.status = 'active';
    // This run's limits replace the last run's: resuming with a higher limit goes on from here.
    const { tokenLimit, maxCostUsd, compactionThreshold } = options.policy;
    this.limits = { ...this.limits, limit: tokenLimit, costLimitUsd: maxCostUsd, compactionThreshold };
    this.plan.phases.forEach((phase, i) => this.settlePhase(i, phase.status, at));
    return { requeued, unblocked };
  }

  /**
   * Reserves what the task's next agent may spend of the cost limit (see costReservation), before it
   * starts; `startingNow` agents, this one included, start together. Returns the amount, 'wait' when
   * it must wait for running agents to settle, or undefined without a cost limit.
   */
  reserveCost(taskId: string, startingNow: number): number | 'wait' | undefined {
    const limitUsd = this.limits.costLimitUsd;
    if (limitUsd === null) return undefined;
    const usd = costReservation({ limitUsd, spentUsd: this.budget().costUsd, reservedUsd: this.reservedUsd(), tasksLeft: this.agentTasksLeft(), startingNow });
    if (usd === undefined) return 'wait';
    this.reservations.set(taskId, usd);
    return usd;
  }

  taskStarted(agent: ActiveAgent): void {
    const progress = this.need(agent.taskId);
    this.agents.set(agent.taskId, agent);
    this.spawned++;
    this.change(agent.taskId, { ...progress, status: 'in_progress', completedAt: undefined, completedBy: undefined, blocker: undefined, attempts: agent.attempt }, agent.spawnedAt);
  }

  /** For people reading state.json while an agent works, and for the next run if this one is killed. */
  agentSpawned(taskId: string, started: SpawnedAgent): void {
    const agent = this.agents.get(taskId);
    if (agent) this.agents.set(taskId, { ...agent, ...started });
  }

  /** Records how an attempt ended and what becomes of its task; returns its phase's status if that moved. */
  attemptEnded(task: Task, ended: AttemptEnd): PhaseStatus | undefined {
    const record = attemptRecord(task.id, ended, this.reservations.get(task.id));
    this.remember(record);
    this.agents.delete(task.id);
    // Settled: the attempt's real cost is in the books now, in place of what it reserved.
    this.reservations.delete(task.id);
    const { outcome, at, result } = ended;
    if (this.pace && result) {
      const rateLimited = result.apiRetries.some((r) => isRateLimitStatus(r.status)) || isRateLimitStatus(result.result?.apiErrorStatus);
      this.pace = afterAttempt(this.pace, { rateLimited, startedAt: ended.startedAt, at });
    }
    const progress = this.need(task.id);
    const base = { ...progress, completedAt: undefined, completedBy: undefined, blocker: undefined, attempts: record.attempt };
    switch (outcome.kind) {
      case 'completed':
        return this.change(task.id, { ...base, status: 'completed', completedAt: at, completedBy: ended.completedBy }, at);
      case 'blocked':
        this.blocked = [
          ...this.blocked.filter((b) => b.taskId !== task.id),
          { taskId: task.id, blocker: outcome.blocker, ...(outcome.suggestedAction ? { suggestedAction: outcome.suggestedAction } : {}), at },
        ];
        return this.change(task.id, { ...base, status: 'blocked', blocker: outcome.blocker }, at);
      case 'fatal':
        return this.change(task.id, outcome.taskFailed ? { ...base, status: 'failed', blocker: outcome.reason } : { ...base, status: 'pending' }, at);
      case 'retry':
      case 'interrupted':
      case 'wait':
        return this.change(task.id, { ...base, status: 'pending' }, at);
    }
  }

  /** A CCASP system step ccasp performed itself; a failed one blocks its task. */
  systemStepEnded(taskId: string, result: { ok: true } | { ok: false; blocker: string }, at: string): PhaseStatus | undefined {
    const progress = this.need(taskId);
    return this.change(
      taskId,
      result.ok
        ? { ...progress, status: 'completed', completedAt: at, completedBy: 'ccasp', blocker: undefined }
        : { ...progress, status: 'blocked', completedAt: undefined, completedBy: undefined, blocker: result.blocker },
      at,
    );
  }

  /** A fatal failure stops the phase: it is failed whatever its tasks say, for the rest of this run. */
  phaseFailed(index: number, at: string): void {
    const before = this.phaseStatus(index);
    this.phaseAborted[index] = true;
    this.settlePhase(index, before, at);
  }

  /** How this run isolates its agents; a resumed run keeps it (see worktree/set-up-isolation.ts). */
  isolated(mode: 'none' | 'worktree', integrationBranch?: string): void {
    this.isolation = { isolation: mode, ...(mode === 'worktree' && integrationBranch ? { integrationBranch } : {}) };
  }

  compacted(at: string): void {
    this.limits = { ...this.limits, lastCompaction: at };
  }

  /**
   * A person edited PROGRESS.json during the run: `onDisk` is the plan as the file now reads (its
   * phases and tasks in the same places), `skipped` the tasks they set to skipped there. Those are
   * skipped as the file says, whatever this run had done with them, and what the file must say is
   * from now on what differs from `onDisk`. A task whose agent is running cannot be skipped under
   * it: then nothing changes, and the running ones are returned for the caller to refuse the edit.
   */
  planEdited(onDisk: Plan, skipped: readonly Task[], at: string): string[] {
    const running = skipped.filter((t) => this.statusOf(t.id) === 'in_progress').map((t) => t.id);
    if (running.length > 0) return running;
    for (const task of skipped) {
      this.need(task.id);
      this.blocked = this.blocked.filter((b) => b.taskId !== task.id);
      this.change(task.id, progressOf(task), at);
    }
    this.onDisk = onDisk;
    this.onDiskTasks = progressByTask(onDisk);
    return [];
  }

  /** A person put the task back to pending (`ccasp unblock` / `ccasp reset`). */
  reopened(taskId: string, at: string): void {
    const progress = this.need(taskId);
    this.blocked = this.blocked.filter((b) => b.taskId !== taskId);
    this.change(taskId, { ...progress, status: 'pending', completedAt: undefined, completedBy: undefined, blocker: undefined }, at);
    if (this.status === 'blocked' || this.status === 'failed') this.status = 'paused';
  }

  finished(outcome: RunOutcome): void {
    this.status = outcome === 'rate-limited' || outcome === 'budget' ? 'paused' : outcome;
    this.agents.clear();
    this.reservations.clear();
  }

  /** Where GitHub sync stands after a run: the link used, the last delivery, what is still queued. */
  githubSynced(sync: Pick<GithubConfig, 'owner' | 'repo' | 'issueNumber' | 'enabled' | 'pending'> & { lastSyncAt?: string; lastResult?: string }): void {
    this.github = {
      enabled: sync.enabled,
      owner: sync.owner,
      repo: sync.repo,
      issueNumber: sync.issueNumber,
      lastSyncAt: sync.lastSyncAt ?? this.github?.lastSyncAt ?? null,
      lastResult: sync.lastResult ?? this.github?.lastResult ?? null,
      pending: sync.pending,
    };
  }

  // ── Snapshots ──────────────────────────────────────────────────────────────────────────────

  /** What PROGRESS.json must say that differs from the file (as read, or as a person edited it): only what this state changed. */
  planChanges(): ProgressChanges {
    const tasks = new Map<string, TaskPatch>();
    for (const task of this.schedule.graph.tasks.values()) {
      const now = this.progress(task.id);
      const onDisk = this.onDiskTasks.get(task.id);
      if (onDisk && sameProgress(now, onDisk)) continue;
      tasks.set(task.id, {
        status: now.status,
        completedAt: now.completedAt ?? null,
        completedBy: now.completedBy ?? null,
        blocker: now.blocker ?? null,
        ...(now.attempts !== undefined ? { attempts: now.attempts } : {}),
      });
    }
    const phases = new Map<string, PhasePatch>();
    const statuses = this.phaseStatuses();
    this.onDisk.phases.forEach((phase, i) => {
      const status = statuses[i]!;
      const completedAt = this.phaseCompletedAt[i];
      if (status !== phase.status || completedAt !== phase.completedAt) phases.set(phase.id, { status, completedAt: completedAt ?? null });
    });
    const status = planStatusOf(statuses);
    const completionPercentage = phasesPercent(statuses);
    const plan = status !== this.onDisk.status || completionPercentage !== this.onDisk.completionPercentage ? { status, completionPercentage } : undefined;
    return { tasks, phases, ...(plan ? { plan } : {}) };
  }

  /** state.json, whole, as of `at`. */
  books(at: string): OrchestratorState {
    const ids = [...this.tasks.keys()];
    const failedTasks = this.attempts.filter(isRejected);
    const completed = this.attempts.filter((a) => a.outcome === 'completed');
    const current = this.plan.phases[this.currentPhase()];
    return {
      version: STATE_VERSION,
      planId: this.origin.planId,
      planPath: this.origin.planPath,
      initialized: this.origin.initialized,
      lastUpdated: at,
      status: this.status,
      currentPhase: current?.id ?? null,
      activeAgents: [...this.agents.values()],
      completedTasks: ids.filter((id) => this.statusOf(id) === 'completed'),
      pendingTasks: ids.filter((id) => this.statusOf(id) === 'pending' || this.statusOf(id) === 'in_progress'),
      failedTasks,
      blockedTasks: this.blocked,
      attempts: this.attempts,
      tokenBudget: this.budget(),
      githubConfig: this.github,
      metrics: {
        tasksCompleted: completed.length,
        tasksFailed: new Set(failedTasks.map((a) => a.taskId)).size,
        totalAgentsSpawned: this.spawned,
        averageTaskDuration: completed.length === 0 ? 0 : Math.round(completed.reduce((ms, a) => ms + a.durationMs, 0) / completed.length),
        tokensSavedByResuming: this.tokensSaved(),
      },
      ...this.isolation,
      ...(this.pace ? { concurrency: this.concurrency() } : {}),
    };
  }

  /** Both files, whole, as of `at`: the plan in its own shape, and state.json. */
  files(doc: PlanDocument, stateFile: string, at: string): FileSnapshot[] {
    return [
      { file: doc.file, text: doc.render(this.planChanges()) },
      { file: stateFile, text: `${JSON.stringify(this.books(at), null, 2)}\n` },
    ];
  }

  // ── Inside ─────────────────────────────────────────────────────────────────────────────────

  private need(taskId: string): TaskProgress {
    const progress = this.tasks.get(taskId);
    if (!progress) throw new Error(`unknown task ${taskId}`);
    return progress;
  }

  private remember(record: AttemptRecord): void {
    this.attempts.push(record);
    const list = this.attemptsByTask.get(record.taskId);
    if (list) list.push(record);
    else this.attemptsByTask.set(record.taskId, [record]);
  }

  /** Sets a task's progress and settles its phase; returns the phase's status if it moved. */
  private change(taskId: string, progress: TaskProgress, at: string): PhaseStatus | undefined {
    const index = this.schedule.graph.phaseOf.get(taskId) ?? -1;
    const before = this.phaseStatus(index);
    this.tasks.set(taskId, progress);
    return this.settlePhase(index, before, at);
  }

  /** A phase that became completed is stamped with the time; one that stopped being completed loses it. */
  private settlePhase(index: number, before: PhaseStatus, at: string): PhaseStatus | undefined {
    const after = this.phaseStatus(index);
    if (after === before) return undefined;
    this.phaseCompletedAt[index] = after === 'completed' ? at : undefined;
    return after;
  }
}

/** Attempts that failed on their own account: not those a stop or a usage limit cut short. */
function isRejected(a: AttemptRecord): boolean {
  return a.outcome !== 'completed' && a.outcome !== 'interrupted' && a.outcome !== 'rate-limited';
}

function progressByTask(plan: Plan): Map<string, TaskProgress> {
  return new Map([...buildGraph(plan).tasks].map(([id, task]) => [id, progressOf(task)]));
}

function progressOf(task: Task): TaskProgress {
  return { status: task.status, completedAt: task.completedAt, completedBy: task.completedBy, blocker: task.blocker, attempts: task.attempts };
}

function sameProgress(a: TaskProgress, b: TaskProgress): boolean {
  return a.status === b.status && a.completedAt === b.completedAt && a.completedBy === b.completedBy && a.blocker === b.blocker && a.attempts === b.attempts;
}
