import type { ToolPermissions } from './tool-rules.js';

/**
 * The normalised plan every part of ccasp works with, whatever shape the file on disk has.
 * Readers in `shapes/` build it; nothing outside `plan/` knows a file's own field names.
 */
export const TASK_STATUSES = ['pending', 'in_progress', 'completed', 'blocked', 'failed', 'skipped'] as const;
export type TaskStatus = (typeof TASK_STATUSES)[number];

export const PHASE_STATUSES = ['pending', 'in_progress', 'completed', 'failed', 'blocked'] as const;
export type PhaseStatus = (typeof PHASE_STATUSES)[number];

export const DOMAINS = ['frontend', 'backend', 'testing', 'deployment', 'general'] as const;
export type Domain = (typeof DOMAINS)[number];

export type PlanShape = 'canonical' | 'ccasp-phase-dev' | 'ccasp-roadmap' | 'ccasp-vision' | 'ccasp-plan-command' | 'taskmaster';

/** Tasks a CCASP plan writes for an LLM orchestrator; ccasp performs them itself. */
export type SystemStep = 'context-check' | 'batch-plan' | 'compact' | 'gate';

export interface Task {
  readonly id: string;
  readonly title: string;
  readonly details?: string;
  readonly files: readonly string[];
  /** Where each of `files` sits in the task, e.g. `file`, `file[1]` or `files[0].path`, for messages. */
  readonly fileAt: readonly string[];
  readonly domain?: Domain;
  readonly model?: string;
  readonly simple: boolean;
  readonly dependencies: readonly string[];
  readonly verify?: string;
  /** What this task's agent may and may not do, besides the plan's and the run's rules. */
  readonly permissions?: ToolPermissions;
  readonly status: TaskStatus;
  readonly completedAt?: string;
  readonly completedBy?: string;
  readonly blocker?: string;
  readonly attempts?: number;
  /** Set when the task is a CCASP system step, not work for an agent. */
  readonly systemStep?: SystemStep;
  /** Where the task sits in its file, e.g. `phases[0].tasks[1]`, for messages. */
  readonly at: string;
  /** The file's own name for the dependency list (`dependencies`, `blockedBy`). */
  readonly dependencyField: string;
}

export interface Phase {
  readonly id: string;
  readonly name: string;
  readonly status: PhaseStatus;
  readonly completedAt?: string;
  readonly tasks: readonly Task[];
  readonly at: string;
}

export interface GithubLink {
  readonly owner?: string;
  readonly repo?: string;
  readonly issue: number;
  /** False when the plan asks to leave its issue open once done (CCASP's `workflow.github_issue.auto_close`). */
  readonly autoClose?: boolean;
}

export interface Plan {
  readonly id: string;
  readonly name: string;
  readonly shape: PlanShape;
  /** The Task Master tag the plan was read from; reading the file again must take the same one. */
  readonly tag?: string;
  readonly status?: string;
  readonly completionPercentage?: number;
  readonly github?: GithubLink;
  /** The plan's own parallelism setting, e.g. CCASP's `orchestration.max_parallel_agents`. */
  readonly maxParallel?: number;
  /** The plan's own token budget for a run. */
  readonly tokenLimit?: number;
  /** The plan's own test command, run by phase gates. */
  readonly testCommand?: string;
  /** What every task's agent may and may not do. */
  readonly permissions?: ToolPermissions;
  /** The plan's own command that readies a new task worktree (`npm ci`), run before its agent. */
  readonly worktreeSetup?: string;
  readonly phases: readonly Phase[];
}

/** Statuses that let dependants go ahead and count as done for a phase. */
export function isDone(status: TaskStatus): boolean {
  return status === 'completed' || status === 'skipped';
}
