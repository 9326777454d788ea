/**
 * What the dashboard page shows, as one JSON object the server sends whole on every change. Plain
 * data only: the page imports these types and nothing else from the server.
 */

export type TaskState = 'pending' | 'ready' | 'running' | 'completed' | 'blocked' | 'failed' | 'skipped';

/** Whether a run is going on, and if not, how the last one ended. */
export type RunState = 'running' | 'finished' | 'paused' | 'interrupted' | 'not-started';

export interface AttemptView {
  readonly attempt: number;
  /** completed, retry, blocked, fatal, interrupted or rate-limited: ccasp's verdict on it. */
  readonly outcome: string;
  readonly reason: string | null;
  readonly startedAt: string;
  readonly durationMs: number;
  readonly tokens: number;
  readonly costUsd: number;
}

export interface RunningAgentView {
  readonly attempt: number;
  readonly since: string;
  /** The attempt's usage so far and its tool calls, from the latest `task.progress`. */
  readonly tokens: number;
  readonly toolCalls: number;
  /** `run --queue`: the worker (host:pid) running the attempt; null for an agent on the run's machine. */
  readonly worker: string | null;
}

export interface TaskView {
  readonly id: string;
  readonly title: string;
  readonly details: string | null;
  readonly phaseId: string;
  readonly status: TaskState;
  readonly dependencies: readonly string[];
  /** From the task's latest start; null before it ever ran. */
  readonly specialist: string | null;
  readonly model: string | null;
  /** Ended attempts with their totals; the running one is in `running`. */
  readonly attempts: number;
  readonly durationMs: number;
  readonly tokens: number;
  readonly costUsd: number;
  readonly running: RunningAgentView | null;
  readonly blocker: string | null;
  readonly history: readonly AttemptView[];
}

export interface PhaseView {
  readonly id: string;
  readonly name: string;
  readonly status: string;
  readonly done: number;
  readonly total: number;
  readonly tokens: number;
  readonly costUsd: number;
}

export interface NoticeView {
  readonly time: string;
  readonly level: 'info' | 'warning';
  readonly message: string;
}

export interface DashboardView {
  readonly plan: { readonly id: string; readonly name: string; readonly file: string };
  readonly run: {
    readonly state: RunState;
    /** One plain sentence: what the run is doing or how it ended. */
    readonly message: string;
    readonly startedAt: string | null;
    readonly finishedAt: string | null;
    /** The server's clock when this view was made, for elapsed times on the page. */
    readonly now: string;
  };
  readonly progress: { readonly tasksDone: number; readonly tasksTotal: number; readonly phasesDone: number; readonly phasesTotal: number };
  /** state.json's figures: tokens and cost used, and the run's limits (null: none). */
  readonly budget: { readonly tokens: number; readonly tokenLimit: number | null; readonly costUsd: number; readonly costLimitUsd: number | null };
  readonly activeAgents: number;
  readonly github: {
    readonly target: string;
    readonly enabled: boolean;
    readonly lastSyncAt: string | null;
    readonly lastResult: string | null;
    readonly pending: number;
  } | null;
  readonly blocked: readonly { readonly taskId: string; readonly title: string; readonly blocker: string; readonly suggestedAction: string | null }[];
  readonly phases: readonly PhaseView[];
  readonly tasks: readonly TaskView[];
  /** The run's latest notices, oldest first. */
  readonly notices: readonly NoticeView[];
  /** What could not be read (a damaged state.json, a plan that no longer validates), for the page to say. */
  readonly problems: readonly string[];
}

/** A transcript as `ccasp logs` shows it, one attempt at a time. */
export interface TranscriptView {
  readonly taskId: string;
  readonly attempts: readonly { readonly attempt: number; readonly lines: readonly string[] }[];
}
