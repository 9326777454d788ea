import { realpath } from 'node:fs/promises';
import path from 'node:path';
import { UsageError } from '../errors.js';
import type { OrchestratorState } from '../state/schema.js';
import * as wt from '../worktree/index.js';
import type { IsolationMode } from './config/settings.js';

export interface Notice {
  readonly level: 'info' | 'warning';
  readonly message: string;
}

export type Isolation =
  | { readonly mode: 'none'; readonly notices: readonly Notice[] }
  | WorktreeIsolation;

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
 * The flag wins; else a run that started in worktree mode stays in it (its tasks have worktrees and
 * a recorded branch to go on with); else worktrees above concurrency 1 only. One agent at a time
 * cannot trample another, so there isolation would cost a checkout per task and a clean working tree
 * at start while buying nothing, and agents keep working in the user's tree as they always did.
 */
export function chooseIsolation(flag: IsolationMode | undefined, recorded: IsolationMode | undefined, concurrency: number): { mode: IsolationMode; explicit: boolean } {
  if (flag) return { mode: flag, explicit: true };
  if (recorded === 'worktree') return { mode: 'worktree', explicit: true };
  return { mode: concurrency > 1 ? 'worktree' : 'none', explicit: false };
}

/** The repository's top level when `root` is one with at least one commit; undefined otherwise. */
export async function repositoryTop(root: string): Promise<string | undefined> {
  try {
    const top = await wt.topLevel(root);
    if (top !== (await realpath(root))) return undefined;
    await wt.headCommit(top);
    return top;
  } catch (error) {
    if (error instanceof wt.GitError) return undefined;
    throw error;
  }
}

export interface IsolationInput {
  readonly root: string;
  readonly planFile: string;
  readonly planId: string;
  /** The run's state; `isolation` and `integrationBranch` are set here for the run to record. */
  readonly state: OrchestratorState;
  /** Whether `state` comes from an earlier run (not created for this one). */
  readonly resumed: boolean;
  readonly completedTasks: readonly string[];
  readonly concurrency: number;
  readonly flags: { readonly isolation?: IsolationMode; readonly branch?: string; readonly allowDirty?: boolean };
}

/**
 * Decides how this run isolates agents and, in worktree mode, readies the repository: the
 * integration branch checked out (created from HEAD for a new `--branch`), whatever a killed run
 * left recovered, the working tree clean, ccasp's folder ignored. Refuses (exit 2) with a message
 * saying what to do. Call under the run lock, after orphaned agents are ended.
 */
export async function setUpIsolation(input: IsolationInput): Promise<Isolation> {
  const recorded = input.resumed ? input.state.isolation : undefined;
  const choice = chooseIsolation(input.flags.isolation, recorded, input.concurrency);
  const none = (notices: Notice[]): Isolation => {
    input.state.isolation = 'none';
    delete input.state.integrationBranch;
    return { mode: 'none', notices };
  };
  if (choice.mode === 'none') {
    if (recorded === 'worktree') {
      return none([{ level: 'warning', message: 'this run started with worktree isolation; tasks now run in the working tree, and kept worktrees stay until `ccasp clean`' }]);
    }
    return none([]);
  }
  const top = await repositoryTop(input.root);
  if (!top) {
    if (!choice.explicit) {
      return none([{ level: 'info', message: `agents share the working tree: worktree isolation needs ${input.root} to be a git repository with a commit` }]);
    }
    throw new UsageError(`--isolation worktree needs a git repository with at least one commit at ${input.root}; commit the project first, or pass --isolation none`);
  }
  try {
    return await prepareRepository(input, top, recorded === 'worktree');
  } catch (error) {
    if (error instanceof wt.GitError) throw new UsageError(`worktree isolation: ${error.message}`);
    throw error;
  }
}

async function prepareRepository(input: IsolationInput, top: string, resumed: boolean): Promise<WorktreeIsolation> {
  const notices: Notice[] = [];
  const current = await wt.currentBranch(top);
  const recordedBranch = resumed ? input.state.integrationBranch : undefined;
  const branch = input.flags.branch ?? recordedBranch ?? current;
  if (!branch) throw new UsageError(`HEAD is detached in ${top}: check out the branch completed tasks should be merged into, or pass --branch <name>`);
  if (!(await wt.isValidBranchName(top, branch))) throw new UsageError(`--branch: "${branch}" is not a valid branch name`);
  const exists = await wt.refExists(top, `refs/heads/${branch}`);
  const checkedOut = current ? `branch ${current}` : 'a detached HEAD';
  if (input.flags.branch === undefined && recordedBranch && (!exists || current !== branch)) {
    throw new UsageError(
      `this run merges its tasks into ${branch} (recorded in state.json), but ${exists ? `${checkedOut} is checked out` : 'that branch no longer exists'}. ` +
        `${exists ? `Run \`git switch ${branch}\` and then \`ccasp run\` again, or pass` : 'Pass'} --branch <name> to merge into another branch.`,
    );
  }
  if (exists && current !== branch) {
    throw new UsageError(`--branch ${branch} exists, but ${checkedOut} is checked out; ccasp merges into the checked-out branch, so run \`git switch ${branch}\` first`);
  }

  // Before the dirty check: a fast-forward killed half-way leaves files that recover puts back.
  const report = await wt.recover(top, { planId: input.planId, ...(exists ? { integrationBranch: branch } : {}), completed: input.completedTasks });
  if (report.foreignMerge) {
    throw new UsageError(`a merge that ccasp did not start is in progress in ${top}; finish it (git commit) or abort it (git merge --abort), then run again`);
  }
  for (const line of wt.describeRecovery(report)) notices.push({ level: 'warning', message: `recovered: ${line}` });

  const plan = path.relative(top, await realpath(input.planFile));
  const planFiles = plan.startsWith('..') || path.isAbsolute(plan) ? [] : [plan];
  if (!input.flags.allowDirty) {
    const dirty = await wt.dirtyPaths(top, planFiles);
    if (dirty.length > 0) {
      throw new UsageError(
        `uncommitted changes in ${top}: ${listPaths(dirty)}. With worktree isolation each task starts from the last commit of ${branch}, ` +
          'so agents would not see these changes, and merging their work could run into them. Commit or stash them, ' +
          'or pass --allow-dirty to go on anyway (or --isolation none to let agents work in this tree).',
      );
    }
  }
  if (!exists) {
    await wt.createBranchAtHead(top, branch);
    notices.push({ level: 'info', message: `created branch ${branch} from ${current ?? 'HEAD'} and checked it out` });
  }
  await wt.ensureExcluded(top);
  input.state.isolation = 'worktree';
  input.state.integrationBranch = branch;
  notices.push({
    level: 'info',
    message: `worktree isolation: each task works in its own git worktree (.claude/worktrees/ccasp/) and is merged into ${branch} when it completes`,
  });
  return { mode: 'worktree', top, branch, planFiles, notices };
}

/** At most 20 paths, then how many more. */
export function listPaths(paths: readonly string[]): string {
  const shown = paths.slice(0, 20).join(', ');
  return paths.length > 20 ? `${shown} and ${paths.length - 20} more` : shown;
}

/** For `--dry-run`: the mode and branch a run would use, without changing or checking anything else. */
export async function describeIsolation(root: string, concurrency: number, flags: IsolationInput['flags']): Promise<string> {
  const choice = chooseIsolation(flags.isolation, undefined, concurrency);
  if (choice.mode === 'none') return 'Isolation: none; agents work in the project folder itself.';
  const top = await repositoryTop(root);
  if (!top) {
    return choice.explicit
      ? `Isolation: worktree, but ${root} is not a git repository with a commit; the run would refuse (exit 2).`
      : 'Isolation: none; agents share the working tree (worktree isolation needs a git repository with a commit).';
  }
  const branch = flags.branch ?? (await wt.currentBranch(top));
  return branch
    ? `Isolation: worktree; each task in its own git worktree, merged into ${branch} when it completes.`
    : 'Isolation: worktree, but HEAD is detached; the run would refuse (exit 2) without --branch.';
}
