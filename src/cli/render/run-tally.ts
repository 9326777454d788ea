import type { OrchestratorEvent } from '../../orchestrator/events.js';

type Finished = Extract<OrchestratorEvent, { type: 'run.finished' }>;
type Started = Extract<OrchestratorEvent, { type: 'run.started' }>;

export type TaskState = 'running' | 'retrying' | 'waiting' | 'completed' | 'blocked' | 'failed' | 'stopped';

/** One task as this run saw it. */
export interface TaskTally {
  readonly taskId: string;
  title: string;
  state: TaskState;
  specialist: string;
  model: string;
  /** Attempts made in this run. */
  attempts: number;
  /** The current (or last) attempt's number, counting earlier runs' attempts too. */
  attempt: number;
  /** When the current attempt started (ms since the epoch). */
  attemptStartedAt: number;
  /** Tokens and tool calls of the current attempt so far. */
  attemptTokens: number;
  toolCalls: number;
  /** Over every finished attempt of this run. */
  durationMs: number;
  tokens: number;
  costUsd: number;
  /** Why it is blocked or failed, or why the last attempt was rejected. */
  reason?: string;
  suggestedAction?: string;
}

/**
 * What the run has done so far, gathered from its events: the terminal renderer draws from it and
 * the summaries are written from it. Events carry no time, so `now` stamps them as they arrive.
 */
export class RunTally {
  started: Started | undefined;
  finished: Finished | undefined;
  phase: { id: string; name: string } | undefined;
  /** A usage-limit wait in progress. */
  waiting: { taskId: string; until: string } | undefined;
  retries = 0;
  readonly failedPhases: { phaseId: string; name: string; reason: string }[] = [];
  private readonly byId = new Map<string, TaskTally>();

  constructor(private readonly now: () => number = Date.now) {}

  add(e: OrchestratorEvent): void {
    switch (e.type) {
      case 'run.started':
        this.started = e;
        return;
      case 'run.finished':
        this.finished = e;
        // Agents the run stopped (a signal, a hard limit) get no event of their own.
        for (const t of this.byId.values()) {
          if (isActive(t.state)) this.endAttempt(t, 'stopped', this.now() - t.attemptStartedAt);
          else if (t.state === 'retrying') t.state = 'stopped';
        }
        return;
      case 'phase.started':
        this.phase = { id: e.phaseId, name: e.name };
        return;
      case 'phase.failed':
        this.failedPhases.push({ phaseId: e.phaseId, name: e.name, reason: e.reason });
        return;
      case 'run.waiting': {
        this.waiting = { taskId: e.taskId, until: e.until };
        const t = this.byId.get(e.taskId);
        if (t) t.state = 'waiting';
        return;
      }
      case 'task.started': {
        const t = this.byId.get(e.taskId) ?? this.newTask(e.taskId);
        t.title = e.title;
        t.specialist = e.specialist;
        t.model = e.model;
        t.state = 'running';
        t.attempts++;
        t.attempt = e.attempt;
        t.attemptStartedAt = this.now();
        t.attemptTokens = 0;
        t.toolCalls = 0;
        if (this.waiting?.taskId === e.taskId) this.waiting = undefined;
        return;
      }
      case 'task.progress': {
        const t = this.byId.get(e.taskId);
        if (t && e.attempt === t.attempt) {
          t.attemptTokens = e.tokens;
          t.toolCalls = e.toolCalls;
        }
        return;
      }
      case 'task.attempt.failed': {
        const t = this.byId.get(e.taskId);
        if (!t) return;
        if (e.willRetry) this.retries++;
        t.reason = e.reason;
        this.endAttempt(t, e.willRetry ? 'retrying' : 'stopped', e.durationMs);
        return;
      }
      case 'task.completed': {
        const t = this.byId.get(e.taskId);
        if (!t) return;
        t.attemptTokens = e.usage.inputTokens + e.usage.outputTokens + e.usage.cacheCreationTokens + e.usage.cacheReadTokens;
        t.costUsd += e.costUsd;
        delete t.reason;
        this.endAttempt(t, 'completed', e.durationMs);
        return;
      }
      case 'task.blocked': {
        const t = this.byId.get(e.taskId) ?? this.newTask(e.taskId, e.title);
        t.reason = e.blocker;
        t.suggestedAction = e.suggestedAction;
        this.endAttempt(t, 'blocked', isActive(t.state) ? this.now() - t.attemptStartedAt : 0);
        return;
      }
      case 'task.failed': {
        const t = this.byId.get(e.taskId) ?? this.newTask(e.taskId, e.title);
        t.reason = e.error;
        this.endAttempt(t, 'failed', isActive(t.state) ? this.now() - t.attemptStartedAt : 0);
        return;
      }
      case 'run.notice':
      case 'run.concurrency':
      // A line of its own; the attempt's figures come with its other events.
      case 'task.resumed':
      case 'budget.threshold':
      case 'task.system':
      case 'phase.completed':
      // Integration outcomes are shown as lines; the attempt's own events carry the figures.
      case 'task.integrated':
      case 'task.conflict':
        return;
    }
  }

  /** Tasks this run touched, in the order they first started. */
  tasks(): TaskTally[] {
    return [...this.byId.values()];
  }

  /** Agents at work now (a task waiting out a usage limit counts). */
  running(): TaskTally[] {
    return this.tasks().filter((t) => t.state === 'running' || t.state === 'waiting');
  }

  get(taskId: string): TaskTally | undefined {
    return this.byId.get(taskId);
  }

  /** Tokens of finished attempts plus what running ones report so far. */
  tokensSoFar(): number {
    let sum = 0;
    for (const t of this.byId.values()) sum += t.tokens + (isActive(t.state) ? t.attemptTokens : 0);
    return sum;
  }

  private newTask(taskId: string, title = ''): TaskTally {
    const t: TaskTally = {
      taskId,
      title,
      state: 'stopped',
      specialist: '',
      model: '',
      attempts: 0,
      attempt: 0,
      attemptStartedAt: this.now(),
      attemptTokens: 0,
      toolCalls: 0,
      durationMs: 0,
      tokens: 0,
      costUsd: 0,
    };
    this.byId.set(taskId, t);
    return t;
  }

  private endAttempt(t: TaskTally, state: TaskState, durationMs: number): void {
    if (isActive(t.state)) {
      t.durationMs += durationMs;
      t.tokens += t.attemptTokens;
      t.attemptTokens = 0;
    }
    t.state = state;
  }
}

function isActive(state: TaskState): boolean {
  return state === 'running' || state === 'waiting';
}
