import type { AttemptResult } from '../agents/attempt.js';
import type { Report } from '../agents/report.js';
import type { AgentRequest } from '../agents/request.js';
import type { Route } from '../agents/route.js';
import type { Phase, Task } from '../plan/model.js';
import type { StartedProcess } from '../process/identity.js';
import type { Integration, Workspace } from '../worktree/workspace.js';
import type { BudgetPolicy } from './budget.js';
import type { OrchestratorEvent } from './events.js';
import type { WorkCheck } from '../verify/check-work.js';

/** Where an attempt's agent runs: a process on this machine, or a queue worker (host:pid) elsewhere. */
export type SpawnedAgent = StartedProcess | { readonly worker: string };

/** Everything the loop does to the world goes through here, so the loop itself only decides. */
export interface RunPorts {
  route(task: Task): Route;
  /**
   * Runs one attempt; `onSpawn` hears which process the agent is (pid, group, start time, user) so
   * state.json can show it while it works, and a later run can end it if this one is killed; or,
   * for an attempt on a queue worker, which worker took it up.
   */
  delegate(request: AgentRequest, signal: AbortSignal, onSpawn: (agent: SpawnedAgent) => void): Promise<AttemptResult>;
  /**
   * Whether claude, run in `cwd` (default: the project root), would find session `sessionId` to
   * resume; true when only the delegate can tell (a queue worker), whose result says if it did.
   */
  sessionExists(sessionId: string, cwd?: string): Promise<boolean>;
  /** Checks the claimed work in `cwd` (the task's worktree), or the project root when absent. */
  checkWork(task: Task, report: Extract<Report, { kind: 'complete' }>, signal: AbortSignal, cwd?: string): Promise<WorkCheck>;
  /** A CCASP gate step: the plan's test command, or undefined when there is none. */
  runGate(phase: Phase, signal: AbortSignal): Promise<{ ok: boolean; detail: string } | undefined>;
  /**
   * A cheap fingerprint of the files `task`'s last attempt left in `cwd` (default: the project root),
   * or undefined when it cannot tell; equal fingerprints mean the attempt changed no file.
   */
  fingerprint(task: Task, cwd?: string): Promise<string | undefined>;
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
  /** Writes the run's state whole; settles once everything recorded before the call is on disk. */
  save(): Promise<void>;
  /** Tells the run's subscribers (renderers, NDJSON, event log, GitHub). */
  emit(event: OrchestratorEvent): void;
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
