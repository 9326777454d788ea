/** What an attempt comes to. */
export type Outcome =
  | { readonly kind: 'completed'; readonly summary: string; readonly artifacts: readonly string[] }
  | { readonly kind: 'retry'; readonly reason: string; readonly summary?: string; readonly conflictPaths?: readonly string[] }
  | { readonly kind: 'blocked'; readonly blocker: string; readonly suggestedAction: string; readonly conflictPaths?: readonly string[] }
  /** `taskFailed`: the agent said the task cannot be done; else ccasp could not run it at all. Either way the phase stops. */
  | { readonly kind: 'fatal'; readonly reason: string; readonly taskFailed: boolean }
  /**
   * Stopped by a signal or a hard limit before it could finish; or, with `rerun`, lost with the queue
   * worker running it: the job runs again elsewhere and the next attempt collects it, spending no retry.
   */
  | { readonly kind: 'interrupted'; readonly reason?: string; readonly rerun?: true }
  /** The account hit a usage limit: wait until `resetsAt` (epoch ms) rather than spend retries. */
  | { readonly kind: 'wait'; readonly resetsAt: number };
