import type { CutOff, Usage } from '../state/schema.js';

/**
 * Everything a run reports, as one union. Renderers, the NDJSON log and GitHub sync subscribe to
 * these; the loop calls none of them. With `--json` each event is one line on stdout, so field names
 * are a contract: add fields, never rename or remove them.
 */
export type RunOutcome = 'completed' | 'blocked' | 'failed' | 'paused' | 'rate-limited' | 'budget';

export type OrchestratorEvent =
  | {
      readonly type: 'run.started';
      readonly planId: string;
      readonly planName: string;
      readonly phases: number;
      readonly tasks: number;
      readonly concurrency: number;
      readonly resumed: boolean;
    }
  | { readonly type: 'run.notice'; readonly level: 'info' | 'warning'; readonly message: string }
  /** A usage limit: waiting until `until` (ISO-8601), repeated as a countdown. */
  | { readonly type: 'run.waiting'; readonly taskId: string; readonly until: string; readonly remainingMs: number }
  /** Agents at once moved: halved after a rate limit, or one up after attempts with none; never above `max`. */
  | { readonly type: 'run.concurrency'; readonly concurrency: number; readonly max: number; readonly reason: string }
  /** Past the compaction threshold: earlier work was summarised into `memoryFile` for later prompts. */
  | { readonly type: 'budget.threshold'; readonly used: number; readonly limit: number; readonly memoryFile: string }
  | { readonly type: 'phase.started'; readonly phaseId: string; readonly name: string }
  | {
      readonly type: 'task.started';
      readonly taskId: string;
      readonly title: string;
      readonly attempt: number;
      readonly specialist: string;
      readonly model: string;
      readonly sessionId: string;
    }
  /**
   * The attempt continues the claude session of attempt `fromAttempt` (`sessionId`), which was cut
   * off (`cutOff`), rather than starting from zero; `tokensSaved` is what that attempt had spent
   * (input, output and cache tokens), which a fresh session would have spent again. Sent once the
   * attempt's agent has ended (only then does a queue worker's result say it continued the session),
   * before the event of the attempt's outcome.
   */
  | {
      readonly type: 'task.resumed';
      readonly taskId: string;
      readonly attempt: number;
      readonly fromAttempt: number;
      readonly sessionId: string;
      readonly cutOff: CutOff;
      readonly tokensSaved: number;
    }
  /**
   * A running agent's progress as its stream arrives, sent when either figure changes; for display
   * only. `tokens` is the attempt's usage so far (input, output and cache tokens of each API response
   * as claude reports it when the response starts; the exact total once claude's result arrives),
   * `toolCalls` the tool calls made so far. The attempt's real usage is on `task.completed`.
   */
  | {
      readonly type: 'task.progress';
      readonly taskId: string;
      readonly attempt: number;
      readonly tokens: number;
      readonly toolCalls: number;
    }
  | { readonly type: 'task.system'; readonly taskId: string; readonly step: string; readonly detail: string }
  | {
      readonly type: 'task.attempt.failed';
      readonly taskId: string;
      readonly attempt: number;
      readonly reason: string;
      readonly willRetry: boolean;
      readonly durationMs: number;
    }
  /**
   * Tool calls claude refused the attempt's agent, each with a rule that would allow it (for
   * `--allowed-tools` or a plan's `permissions.allow`). Sent when the attempt ends, before its outcome.
   */
  | {
      readonly type: 'task.denied';
      readonly taskId: string;
      readonly attempt: number;
      readonly denials: readonly { readonly tool: string; readonly input: string; readonly rule: string }[];
    }
  | {
      readonly type: 'task.completed';
      readonly taskId: string;
      readonly title: string;
      readonly attempt: number;
      readonly summary: string;
      readonly artifacts: readonly string[];
      readonly durationMs: number;
      readonly costUsd: number;
      readonly usage: Usage;
    }
  | {
      readonly type: 'task.blocked';
      readonly taskId: string;
      readonly title: string;
      readonly blocker: string;
      readonly suggestedAction: string;
    }
  | { readonly type: 'task.failed'; readonly taskId: string; readonly title: string; readonly error: string }
  /**
   * `--isolation worktree`: the task's work is now on the integration branch, as `commit` (the
   * branch's new tip). Sent before the task's `task.completed`, which is only recorded after it.
   */
  | { readonly type: 'task.integrated'; readonly taskId: string; readonly commit: string; readonly how: 'fast-forward' | 'merge' | 'up-to-date' }
  /**
   * `--isolation worktree`: the task's work conflicts with the integration branch in `paths` (or
   * still carries conflict markers there). With `willRetry`, the next attempt gets the branch's
   * tip merged into its worktree and is told to resolve the files; else the task is blocked.
   */
  | { readonly type: 'task.conflict'; readonly taskId: string; readonly paths: readonly string[]; readonly willRetry: boolean }
  | { readonly type: 'phase.completed'; readonly phaseId: string; readonly name: string; readonly percent: number }
  | { readonly type: 'phase.failed'; readonly phaseId: string; readonly name: string; readonly reason: string }
  | {
      readonly type: 'run.finished';
      readonly outcome: RunOutcome;
      readonly reason: string;
      readonly completed: number;
      readonly total: number;
      readonly blocked: readonly { taskId: string; blocker: string; suggestedAction: string }[];
      readonly durationMs: number;
      readonly costUsd: number;
      readonly tokens: number;
      /** The sum of the run's `task.resumed` savings, over every run of the plan like `tokens`. */
      readonly tokensSaved: number;
      readonly agentsSpawned: number;
      /** Agents at once when the run ended (lower than run.started's after rate limits). */
      readonly concurrency: number;
    };

/** A subscriber; one that throws is reported once and then left out, never stopping the run. */
export type Listener = (event: OrchestratorEvent) => void;

export class EventBus {
  private readonly listeners: Listener[] = [];
  subscribe(listener: Listener): void {
    this.listeners.push(listener);
  }
  emit(event: OrchestratorEvent): void {
    for (const listener of [...this.listeners]) {
      try {
        listener(event);
      } catch (error) {
        this.listeners.splice(this.listeners.indexOf(listener), 1);
        process.emitWarning(`an event subscriber failed and was detached: ${String(error)}`);
      }
    }
  }
}
