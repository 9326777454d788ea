import type { PlanDocument } from '../plan/document.js';
import { type PhaseStatus, type Task, type TaskStatus } from '../plan/model.js';
import { AttemptLog } from './attempt-log.js';
import { writeAtomic } from './atomic-write.js';
import { CoalescingWriter } from './coalescing-writer.js';
import { PhaseTally } from './phase-tally.js';
import type { ActiveAgent, AttemptRecord, OrchestratorState } from './schema.js';
import { StateJson } from './state-json.js';
import { StatusLists } from './status-lists.js';
import { WriteBuffer } from './write-buffer.js';
import { recordSpawn, setTaskStatus, statusesOf, syncPhase, syncPlanProgress, type Statuses } from './transitions.js';

/** How long an agent's pid waits for another write to carry it to state.json. */
const PID_WRITE_DELAY_MS = 1000;

export type TaskEnd =
  | { readonly status: 'completed'; readonly completedBy: string }
  | { readonly status: 'pending' }
  | { readonly status: 'blocked'; readonly blocker: string; readonly suggestedAction: string }
  | { readonly status: 'failed'; readonly error: string };

/**
 * The run's record on disk: PROGRESS.json and state.json, changed together and written atomically
 * after every change, so that whoever reads them mid-run (or after a kill) sees the truth.
 *
 * Both files are rewritten whole after every change, so what a change costs must not grow with the
 * plan: both files' text is kept between writes and only what changed is made again, phase statuses
 * follow counts rather than a pass over the phase, and each task's attempts are indexed.
 */
export class RunBook {
  readonly statuses: Statuses;
  private readonly phaseStatuses: PhaseStatus[];
  private readonly tally: PhaseTally;
  private readonly attempts: AttemptLog;
  /** `state.completedTasks` and `pendingTasks` are behind `lists`. */
  private listsStale = true;
  private readonly lists: StatusLists;
  private readonly planWriter: CoalescingWriter;
  private readonly stateWriter: CoalescingWriter;
  /** Pids waiting for a write to carry them; see agentSpawned. */
  private pidsWaiting: { readonly timer: NodeJS.Timeout; readonly written: Promise<void>; readonly carry: (write: Promise<void>) => void } | undefined;

  constructor(
    readonly doc: PlanDocument,
    readonly state: OrchestratorState,
    readonly stateFile: string,
    private readonly now: () => Date,
  ) {
    this.statuses = statusesOf(doc.plan);
    this.phaseStatuses = doc.plan.phases.map((p) => p.status);
    this.tally = new PhaseTally(doc.plan, this.statuses);
    this.attempts = new AttemptLog(state);
    const stateText = new StateJson();
    const lists = new StatusLists(this.statuses);
    this.lists = lists;
    const listTexts = () =>
      new Map([
        ['completedTasks', lists.json('completed')],
        ['pendingTasks', lists.json('pending')],
      ]);
    // Each writer's buffer is reused: the writer starts its next write only once the last one ended.
    const planBuffer = new WriteBuffer();
    const stateBuffer = new WriteBuffer();
    this.planWriter = new CoalescingWriter((durable) => writeAtomic(doc.file, planBuffer.gather(doc.pieces()), { durable }));
    this.stateWriter = new CoalescingWriter((durable) => writeAtomic(stateFile, stateBuffer.gather(stateText.pieces(this.state, listTexts())), { durable }));
  }

  attemptsOf(taskId: string): readonly AttemptRecord[] {
    return this.attempts.of(taskId);
  }

  phaseStatus(index: number): PhaseStatus {
    return this.phaseStatuses[index] ?? 'pending';
  }

  /**
   * Makes the files agree before anything runs: a task left in progress by a killed run goes back to
   * pending (its attempt recorded as interrupted), phase statuses follow their tasks, and the run is
   * marked active.
   */
  async begin(options: { retryBlocked: boolean }): Promise<{ requeued: string[]; unblocked: string[] }> {
    const at = this.now().toISOString();
    const requeued: string[] = [];
    const unblocked: string[] = [];
    for (const phase of this.doc.plan.phases) {
      for (const task of phase.tasks) {
        const status = this.statuses.get(task.id);
        if (status === 'in_progress') {
          requeued.push(task.id);
          const agent = this.state.activeAgents.find((a) => a.taskId === task.id);
          this.attempts.record({
            taskId: task.id,
            attempt: agent?.attempt ?? this.attemptsOf(task.id).length + 1,
            outcome: 'interrupted',
            reason: 'the previous ccasp run stopped while this attempt was running',
            ...(agent?.sessionId ? { sessionId: agent.sessionId } : {}),
            startedAt: agent?.spawnedAt ?? at,
            finishedAt: at,
            durationMs: 0,
            costUsd: 0,
            usage: { inputTokens: 0, outputTokens: 0, cacheCreationTokens: 0, cacheReadTokens: 0 },
          });
          this.setStatus(task.id, 'pending');
        } else if (options.retryBlocked && (status === 'blocked' || status === 'failed')) {
          unblocked.push(task.id);
          this.setStatus(task.id, 'pending', { blocker: null });
        }
      }
    }
    this.state.activeAgents = [];
    if (options.retryBlocked) this.state.blockedTasks = [];
    this.state.status = 'active';
    this.doc.plan.phases.forEach((_, i) => this.syncPhase(i, at));
    await this.write();
    return { requeued, unblocked };
  }

  async taskStarted(task: Task, phaseIndex: number, agent: ActiveAgent): Promise<void> {
    const at = this.now().toISOString();
    recordSpawn(this.state, agent);
    this.setStatus(task.id, 'in_progress', { attempts: agent.attempt });
    this.state.currentPhase = this.doc.plan.phases[phaseIndex]?.id ?? null;
    this.syncPhase(phaseIndex, at);
    await this.write({ plan: true, durable: false });
  }

  /**
   * Records the agent's pid, for people reading state.json while it works (a killed run's agents are
   * found by their session id, not by this). The pid rides on the next write, which for a short
   * agent is its end; one still running a second later gets a write of its own. Writing state.json
   * again for every spawn cost each task a whole extra rewrite, growing with the run's history.
   * Settles once a write that carries the pid has finished; never, if the run closes first.
   */
  agentSpawned(taskId: string, pid: number): Promise<void> {
    const agent = this.state.activeAgents.find((a) => a.taskId === taskId);
    if (!agent) return Promise.resolve();
    agent.pid = pid;
    if (!this.pidsWaiting) {
      let carry!: (write: Promise<void>) => void;
      const written = new Promise<void>((resolve) => (carry = resolve));
      const timer = setTimeout(() => void this.write({ plan: false, durable: false }).catch(() => undefined), PID_WRITE_DELAY_MS);
      timer.unref();
      this.pidsWaiting = { timer, written, carry };
    }
    return this.pidsWaiting.written;
  }

  /**
   * The run is over, however it ended: a pid still waiting for a write gets none. Its write would
   * start up to a second later, perhaps after the lock is released and under another run's.
   */
  close(): void {
    if (this.pidsWaiting) clearTimeout(this.pidsWaiting.timer);
    this.pidsWaiting = undefined;
  }

  /** Records an attempt and the task's new status; returns the phase's status if it changed. */
  async attemptEnded(task: Task, phaseIndex: number, record: AttemptRecord, end: TaskEnd): Promise<PhaseStatus | undefined> {
    const at = this.now().toISOString();
    this.attempts.record(record);
    switch (end.status) {
      case 'completed':
        this.setStatus(task.id, 'completed', { completedAt: at, completedBy: end.completedBy, attempts: record.attempt });
        break;
      case 'pending':
        this.setStatus(task.id, 'pending', { attempts: record.attempt });
        break;
      case 'blocked':
        this.setStatus(task.id, 'blocked', { blocker: end.blocker, attempts: record.attempt });
        this.state.blockedTasks = [
          ...this.state.blockedTasks.filter((b) => b.taskId !== task.id),
          { taskId: task.id, blocker: end.blocker, ...(end.suggestedAction ? { suggestedAction: end.suggestedAction } : {}), at },
        ];
        break;
      case 'failed':
        this.setStatus(task.id, 'failed', { blocker: end.error, attempts: record.attempt });
        break;
    }
    const changed = this.syncPhase(phaseIndex, at);
    await this.write();
    return changed;
  }

  /** A system step ccasp performed itself. */
  async systemTaskEnded(task: Task, phaseIndex: number, status: TaskStatus, blocker?: string): Promise<PhaseStatus | undefined> {
    const at = this.now().toISOString();
    this.setStatus(task.id, status, { completedAt: at, completedBy: 'ccasp', ...(blocker ? { blocker } : {}) });
    const changed = this.syncPhase(phaseIndex, at);
    await this.write();
    return changed;
  }

  /** This run's limits replace the last run's: resuming with a higher limit goes on from here. */
  setLimits(tokenLimit: number | null, costLimitUsd: number | null, compactionThreshold: number): void {
    Object.assign(this.state.tokenBudget, { limit: tokenLimit, costLimitUsd, compactionThreshold });
  }

  async recordCompaction(at: string): Promise<void> {
    this.state.tokenBudget.lastCompaction = at;
    await this.write({ plan: false, durable: true });
  }

  /** Where GitHub sync stands after a run: the link used, the last delivery, what is still queued. */
  async recordGithubSync(sync: { owner: string; repo: string; issueNumber: number; enabled: boolean; lastSyncAt?: string; lastResult?: string; pending: number }): Promise<void> {
    const previous = this.state.githubConfig;
    this.state.githubConfig = {
      enabled: sync.enabled,
      owner: sync.owner,
      repo: sync.repo,
      issueNumber: sync.issueNumber,
      lastSyncAt: sync.lastSyncAt ?? previous?.lastSyncAt ?? null,
      lastResult: sync.lastResult ?? previous?.lastResult ?? null,
      pending: sync.pending,
    };
    await this.write({ plan: false, durable: true });
  }

  /** A person put the task back to pending (`ccasp unblock` / `ccasp reset`). */
  async reopen(taskId: string): Promise<void> {
    const at = this.now().toISOString();
    this.setStatus(taskId, 'pending', { blocker: null });
    this.state.blockedTasks = this.state.blockedTasks.filter((b) => b.taskId !== taskId);
    const phaseIndex = this.doc.plan.phases.findIndex((p) => p.tasks.some((t) => t.id === taskId));
    this.syncPhase(phaseIndex, at);
    if (this.state.status === 'blocked' || this.state.status === 'failed') this.state.status = 'paused';
    await this.write();
  }

  async phaseFailed(phaseIndex: number): Promise<void> {
    this.syncPhase(phaseIndex, this.now().toISOString(), true);
    await this.write();
  }

  async finish(outcome: 'completed' | 'blocked' | 'failed' | 'paused' | 'rate-limited' | 'budget'): Promise<void> {
    this.state.status = outcome === 'rate-limited' || outcome === 'budget' ? 'paused' : outcome;
    this.state.activeAgents = [];
    syncPlanProgress(this.doc, this.phaseStatuses);
    await this.write();
  }

  private setStatus(taskId: string, status: TaskStatus, extra?: Parameters<typeof setTaskStatus>[4]): void {
    const before = this.statuses.get(taskId);
    // Before anything changes: the books below keep the plan's tasks only.
    if (before === undefined) throw new Error(`unknown task ${taskId}`);
    setTaskStatus(this.doc, this.statuses, taskId, status, extra);
    this.tally.moved(taskId, before, status);
    this.lists.changed(taskId);
    this.listsStale = true;
  }

  private syncPhase(index: number, at: string, failed = false): PhaseStatus | undefined {
    const before = this.phaseStatuses[index];
    const after = syncPhase(this.doc, this.tally, index, at, failed, before);
    this.phaseStatuses[index] = after;
    if (after !== before) syncPlanProgress(this.doc, this.phaseStatuses);
    return after !== before ? after : undefined;
  }

  /**
   * Writes state.json, and PROGRESS.json too unless only the run's books changed. Every write is
   * atomic; only the ones that record finished work are fsync'd. A task's start and its agent's pid
   * need no fsync: after a power loss the agent is gone too, and the task simply runs again.
   */
  private async write(options: { plan: boolean; durable: boolean } = { plan: true, durable: true }): Promise<void> {
    if (this.listsStale) {
      this.state.completedTasks = this.lists.list('completed');
      this.state.pendingTasks = this.lists.list('pending');
    }
    this.listsStale = false;
    this.state.lastUpdated = this.now().toISOString();
    const written = Promise.all([options.plan ? this.planWriter.flush(options.durable) : undefined, this.stateWriter.flush(options.durable)]).then(() => undefined);
    if (this.pidsWaiting) {
      clearTimeout(this.pidsWaiting.timer);
      this.pidsWaiting.carry(written);
      this.pidsWaiting = undefined;
    }
    await written;
  }
}
