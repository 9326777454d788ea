/** `--isolation`: worktree (a git worktree per task, merged back) or none (agents share the working tree). */
export type IsolationMode = 'worktree' | 'none';

/** What the person running ccasp asked for; each field unset when not given. */
export interface IsolationOptions {
  readonly isolation?: IsolationMode;
  /** The branch completed tasks are merged into (default: the checked-out one). */
  readonly branch?: string;
  /** Go on with uncommitted changes in the working tree. */
  readonly allowDirty?: boolean;
}

/** What an earlier run of the plan recorded in state.json, for a run that goes on with it. */
export interface RecordedIsolation {
  readonly isolation?: IsolationMode;
  readonly integrationBranch?: string;
}

export interface Notice {
  readonly level: 'info' | 'warning';
  readonly message: string;
}

/** How a run isolates its agents; the run records `mode` and, in worktree mode, `branch`. */
export type Isolation = { readonly mode: 'none'; readonly notices: readonly Notice[] } | WorktreeIsolation;

export interface WorktreeIsolation {
  readonly mode: 'worktree';
  /** The repository's top level, as git reports it (symlinks resolved). */
  readonly top: string;
  /** The branch completed tasks are merged into; checked out in `top`. */
  readonly branch: string;
  /** The plan file relative to `top` (none when it lies outside): kept out of every task's commit. */
  readonly planFiles: readonly string[];
  readonly notices: readonly Notice[];
}

/**
 * The option wins; else a run that started in worktree mode stays in it (its tasks have worktrees and
 * a recorded branch to go on with); else worktrees above concurrency 1 only. One agent at a time
 * cannot trample another, so there isolation would cost a checkout per task and a clean working tree
 * at start while buying nothing, and agents keep working in the user's tree as they always did.
 */
export function chooseIsolation(
  option: IsolationMode | undefined,
  recorded: IsolationMode | undefined,
  concurrency: number,
): { mode: IsolationMode; explicit: boolean } {
  if (option) return { mode: option, explicit: true };
  if (recorded === 'worktree') return { mode: 'worktree', explicit: true };
  return { mode: concurrency > 1 ? 'worktree' : 'none', explicit: false };
}
