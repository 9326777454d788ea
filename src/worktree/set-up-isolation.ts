import { realpath } from 'node:fs/promises';
import path from 'node:path';
import { UsageError } from '../errors.js';
import { GitError } from './git.js';
import { chooseIsolation, type Isolation, type IsolationOptions, type Notice, type RecordedIsolation, type WorktreeIsolation } from './isolation.js';
import { listPaths } from './list-paths.js';
import { describeRecovery, recover } from './recover.js';
import { createBranchAtHead, currentBranch, dirtyPaths, ensureExcluded, isValidBranchName, refExists, repositoryTop } from './repo.js';

export interface IsolationInput {
  readonly root: string;
  readonly planFile: string;
  readonly planId: string;
  /** What the run being continued recorded; absent for a new run. */
  readonly recorded?: RecordedIsolation;
  readonly completedTasks: readonly string[];
  readonly concurrency: number;
  readonly options: IsolationOptions;
}

/**
 * Decides how this run isolates agents and, in worktree mode, readies the repository: the
 * integration branch checked out (created from HEAD for a new `--branch`), whatever a killed run
 * left recovered, the working tree clean, ccasp's folder ignored. Refuses (exit 2) with a message
 * saying what to do. Call under the run lock, after orphaned agents are ended.
 */
export async function setUpIsolation(input: IsolationInput): Promise<Isolation> {
  const recorded = input.recorded?.isolation;
  const choice = chooseIsolation(input.options.isolation, recorded, input.concurrency);
  if (choice.mode === 'none') {
    if (recorded === 'worktree') {
      return none({ level: 'warning', message: 'this run started with worktree isolation; tasks now run in the working tree, and kept worktrees stay until `ccasp clean`' });
    }
    return none();
  }
  const top = await repositoryTop(input.root);
  if (!top) {
    if (!choice.explicit) {
      return none({ level: 'info', message: `agents share the working tree: worktree isolation needs ${input.root} to be a git repository with a commit` });
    }
    throw new UsageError(`--isolation worktree needs a git repository with at least one commit at ${input.root}; commit the project first, or pass --isolation none`);
  }
  try {
    return await prepareRepository(input, top, recorded === 'worktree');
  } catch (error) {
    if (error instanceof GitError) throw new UsageError(`worktree isolation: ${error.message}`);
    throw error;
  }
}

function none(...notices: Notice[]): Isolation {
  return { mode: 'none', notices };
}

async function prepareRepository(input: IsolationInput, top: string, resumed: boolean): Promise<WorktreeIsolation> {
  const notices: Notice[] = [];
  const requested = input.options.branch;
  const current = await currentBranch(top);
  const recordedBranch = resumed ? input.recorded?.integrationBranch : undefined;
  const branch = requested ?? recordedBranch ?? current;
  if (!branch) throw new UsageError(`HEAD is detached in ${top}: check out the branch completed tasks should be merged into, or pass --branch <name>`);
  if (!(await isValidBranchName(top, branch))) throw new UsageError(`--branch: "${branch}" is not a valid branch name`);
  const exists = await refExists(top, `refs/heads/${branch}`);
  const checkedOut = current ? `branch ${current}` : 'a detached HEAD';
  if (requested === undefined && recordedBranch && (!exists || current !== branch)) {
    throw new UsageError(
      `this run merges its tasks into ${branch} (recorded in state.json), but ${exists ? `${checkedOut} is checked out` : 'that branch no longer exists'}. ` +
        `${exists ? `Run \`git switch ${branch}\` and then \`ccasp run\` again, or pass` : 'Pass'} --branch <name> to merge into another branch.`,
    );
  }
  if (exists && current !== branch) {
    throw new UsageError(`--branch ${branch} exists, but ${checkedOut} is checked out; ccasp merges into the checked-out branch, so run \`git switch ${branch}\` first`);
  }

  // Before the dirty check: a fast-forward killed half-way leaves files that recover puts back.
  const report = await recover(top, { planId: input.planId, ...(exists ? { integrationBranch: branch } : {}), completed: input.completedTasks });
  if (report.foreignMerge) {
    throw new UsageError(`a merge that ccasp did not start is in progress in ${top}; finish it (git commit) or abort it (git merge --abort), then run again`);
  }
  for (const line of describeRecovery(report)) notices.push({ level: 'warning', message: `recovered: ${line}` });

  const plan = path.relative(top, await realpath(input.planFile));
  const planFiles = plan.startsWith('..') || path.isAbsolute(plan) ? [] : [plan];
  if (!input.options.allowDirty) {
    const dirty = await dirtyPaths(top, planFiles);
    if (dirty.length > 0) {
      throw new UsageError(
        `uncommitted changes in ${top}: ${listPaths(dirty)}. With worktree isolation each task starts from the last commit of ${branch}, ` +
          'so agents would not see these changes, and merging their work could run into them. Commit or stash them, ' +
          'or pass --allow-dirty to go on anyway (or --isolation none to let agents work in this tree).',
      );
    }
  }
  if (!exists) {
    await createBranchAtHead(top, branch);
    notices.push({ level: 'info', message: `created branch ${branch} from ${current ?? 'HEAD'} and checked it out` });
  }
  await ensureExcluded(top);
  notices.push({
    level: 'info',
    message: `worktree isolation: each task works in its own git worktree (.claude/worktrees/ccasp/) and is merged into ${branch} when it completes`,
  });
  return { mode: 'worktree', top, branch, planFiles, notices };
}
