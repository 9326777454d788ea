import { git, gitOk, serial } from '../worktree/git.js';
import { slug } from '../worktree/names.js';
import { headCommit } from '../worktree/repo.js';
import { withoutCredentials } from './url.js';

/** Where the coordinator keeps what it fetched of a task's branch: apart from the branches a person works on. */
function fetchedRef(branch: string): string {
  return `refs/ccasp-queue/${branch}`;
}

/** The remote's URL as a job carries it: workers bring their own credentials. */
export async function remoteUrl(top: string, remote: string): Promise<string> {
  return withoutCredentials(await gitOk(top, ['remote', 'get-url', remote]));
}

/**
 * The commit an attempt starts from. With `continues` (a retry), the task's branch on the remote as
 * the last attempt left it (a retry continues that work, as it would in a local worktree), if there
 * is one; else (a first attempt, which has no branch to fetch, or after a conflict, when the work
 * starts again on the new tip) the integration branch's tip, pushed to the remote as the task's
 * branch so that workers can fetch it.
 */
export async function attemptBase(top: string, options: { remote: string; branch: string; integrationBranch: string; continues: boolean }): Promise<string> {
  return serial(top, async () => {
    if (options.continues) {
      const fetched = await git(top, ['fetch', '--quiet', '--no-tags', options.remote, `+refs/heads/${options.branch}:${fetchedRef(options.branch)}`]);
      if (fetched.exitCode === 0) return headCommit(top, fetchedRef(options.branch));
    }
    const tip = await headCommit(top, options.integrationBranch);
    await gitOk(top, ['push', '--quiet', '--force', options.remote, `${tip}:refs/heads/${options.branch}`]);
    return tip;
  });
}

/**
 * Where the coordinator puts the integration branch's tip for a worker to merge into a task after a
 * conflict: a branch of ccasp's own, off the user's branches, in a namespace apart from the task's
 * (a ref cannot be both `ccasp/p/T1` and a folder `ccasp/p/T1/...`).
 */
export function tipBranch(planId: string, taskId: string): string {
  return `ccasp-tip/${slug(planId)}/${slug(taskId)}`;
}

/** The integration branch's tip, pushed to the remote as `ref`; returns the commit. */
export async function pushTip(top: string, options: { remote: string; ref: string; integrationBranch: string }): Promise<string> {
  return serial(top, async () => {
    const tip = await headCommit(top, options.integrationBranch);
    await gitOk(top, ['push', '--quiet', '--force', options.remote, `${tip}:refs/heads/${options.ref}`]);
    return tip;
  });
}

/** The task's branch as the worker pushed it, fetched into the local branch of that name for the merge. */
export async function fetchTaskBranch(top: string, remote: string, branch: string): Promise<void> {
  await serial(top, () => gitOk(top, ['fetch', '--quiet', '--no-tags', remote, `+refs/heads/${branch}:refs/heads/${branch}`]));
}

/** Once merged: the coordinator's copies of the task's branch go; the remote's goes with `dropRemoteBranches`. */
export async function dropTaskBranch(top: string, branch: string): Promise<void> {
  await serial(top, () => gitOk(top, ['update-ref', '--stdin'], { input: `delete ${fetchedRef(branch)}\ndelete refs/heads/${branch}\n` }));
}

/**
 * The merged tasks' branches, deleted on the remote in one push at the end of a run rather than one
 * push per merge: each push is a round trip on the coordinator's serial path, and until the run ends
 * (without `--push`) the task's branch is the remote's only copy of its work. Only branches the
 * remote still has are named, since git fails a push that deletes a missing one.
 */
export async function dropRemoteBranches(top: string, remote: string, branches: readonly string[]): Promise<void> {
  if (branches.length === 0) return;
  await serial(top, async () => {
    const listed = await gitOk(top, ['ls-remote', '--heads', remote, ...branches.map((b) => `refs/heads/${b}`)]);
    const present = new Set(listed.split('\n').flatMap((line) => line.split('\t')[1] ?? []));
    const gone = branches.filter((b) => present.has(`refs/heads/${b}`));
    if (gone.length > 0) await gitOk(top, ['push', '--quiet', remote, ...gone.map((b) => `:refs/heads/${b}`)]);
  });
}

/** `--push`: the integration branch goes to the remote, for people watching the run from elsewhere. */
export async function pushIntegration(top: string, remote: string, branch: string): Promise<void> {
  await serial(top, () => gitOk(top, ['push', '--quiet', remote, `refs/heads/${branch}:refs/heads/${branch}`]));
}
