/** The integration branch's tip, merged into a task's worktree after a conflict, and the files left to resolve. */
export interface MergedTip {
  readonly branch: string;
  readonly paths: readonly string[];
}

/** A task's own working tree for one attempt (`--isolation worktree`). */
export interface Workspace {
  /** Where the agent runs and where its work is checked. */
  readonly cwd: string;
  /** The task's branch, checked out in `cwd`. */
  readonly branch: string;
  /** Set when the integration branch's tip was merged in after a conflict (or such a merge is still open). */
  readonly conflict?: MergedTip;
  /**
   * integrated: the work is on the integration branch; the worktree and branch go. keep: the next
   * attempt continues here, or a person looks at it (a blocked or failed task).
   */
  release(outcome: 'integrated' | 'keep'): Promise<void>;
}

/** What became of a completed task's work when ccasp tried to put it on the integration branch. */
export type Integration =
  | { readonly kind: 'integrated'; readonly commit: string; readonly how: 'fast-forward' | 'merge' | 'up-to-date' }
  /** The integration branch changed the same files; nothing was merged. `branch` is the integration branch. */
  | { readonly kind: 'conflict'; readonly branch: string; readonly paths: readonly string[] }
  /** The merge of the tip into the worktree still has conflict markers in `paths`. */
  | { readonly kind: 'unresolved'; readonly branch: string; readonly paths: readonly string[] }
  /** ccasp would not or could not merge (local changes in the way, a git error): a person must look. */
  | { readonly kind: 'refused'; readonly reason: string; readonly suggestedAction: string };
