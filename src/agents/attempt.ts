import type { Usage } from '../state/schema.js';
import type { PermissionDenial } from './permissions.js';
import type { ReportFormat } from './report.js';

/** How the agent process ended; one reason rather than a row of booleans. */
export type ProcessEnd =
  | { readonly kind: 'exited'; readonly code: number }
  | { readonly kind: 'signal'; readonly signal: string }
  | { readonly kind: 'timed-out'; readonly afterMs: number }
  | { readonly kind: 'stalled'; readonly afterMs: number }
  /** Stopped by ccasp at claude's first refused-credentials retry; claude would retry for minutes. */
  | { readonly kind: 'auth-refused'; readonly status: number }
  /** Stopped by ccasp because the account hit a usage limit; `resetsAt` is epoch milliseconds. */
  | { readonly kind: 'rate-limited'; readonly resetsAt: number }
  | { readonly kind: 'cancelled' }
  | { readonly kind: 'not-started'; readonly message: string }
  /** A queue worker (host:pid, when known) went silent past its lease; BullMQ runs its job again on another worker. */
  | { readonly kind: 'worker-lost'; readonly worker: string | undefined };

/** What claude's final `result` line said. */
export interface AgentResult {
  readonly isError: boolean;
  readonly subtype: string;
  readonly text: string;
  readonly errors: readonly string[];
  readonly apiErrorStatus?: number;
  readonly sessionId?: string;
  readonly numTurns: number;
  readonly durationMs: number;
  readonly costUsd: number;
  readonly usage: Usage;
  /** The result line's `structured_output`, as claude gave it: only there with `claude --json-schema`. */
  readonly structuredOutput?: unknown;
  /** Tool calls claude refused for want of a rule that allows them (`permission_denials`). */
  readonly denials: readonly PermissionDenial[];
}

/** One agent attempt at one task, as the delegate saw it. */
export interface AttemptResult {
  readonly end: ProcessEnd;
  readonly result?: AgentResult;
  /** Without a result line (the agent was cut off): the usage its stream showed, an estimate that undercounts output. */
  readonly streamedUsage?: Usage;
  /** `api_retry` events: claude retrying the API, with the HTTP status when there was one. */
  readonly apiRetries: readonly { readonly status?: number; readonly message: string }[];
  readonly sessionId: string;
  readonly logFile: string;
  readonly stderrTail: string;
  readonly startedAt: string;
  readonly finishedAt: string;
  readonly durationMs: number;
  /** Where the agent was asked to put its report; `text` when absent. */
  readonly reportFormat?: ReportFormat;
  /**
   * The earlier session the agent continued (forked): the request's `resume`, or absent when it
   * started a session from zero. The id, not a yes: a queue job adopted from an earlier attempt
   * may have asked to continue another session than the run now would.
   */
  readonly resumed?: string;
}
