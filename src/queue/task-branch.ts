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
 * The commit an attempt starts from: the task's branch on the remote, if an earlier attempt left one
 * (a retry continues that work, as it would in a local worktree, and after a conflict merges the new
 * tip into it); else the integration branch's tip, pushed to the remote as the task's branch so that
 * workers can fetch it.
 */
export async function attemptBase(top: string, options: { remote: string; branch: string; integrationBranch: string }): Promise<string> {
  return serial(top, async () => {
    const fetched = await git(top, ['fetch', '--quiet', '--no-tags', options.remote, `+refs/heads/${options.branch}:${fetchedRef(options.branch)}`]);
    if (fetched.exitCode === 0) return headCommit(top, fetchedRef(options.branch));
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

/** Once merged: the task's branch goes, here and on the remote, and the tip pushed for it after a conflict (`tip`), if any. */
export async function dropTaskBranch(top: string, remote: string, branch: string, tip?: string): Promise<void> {
  await serial(top, async () => {
    await git(top, ['push', '--quiet', remote, '--delete', branch]);
    // Apart: a push deleting two refs deletes neither when one is already gone.
    if (tip !== undefined) await git(top, ['push', '--quiet', remote, '--delete', tip]);
    await git(top, ['update-ref', '-d', fetchedRef(branch)]);
    await git(top, ['branch', '--quiet', '-D', branch]);
  });
}

/** `--push`: the integration branch goes to the remote, for people watching the run from elsewhere. */
export async function pushIntegration(top: string, remote: string, branch: string): Promise<void> {
  await serial(top, () => gitOk(top, ['push', '--quiet', remote, `refs/heads/${branch}:refs/heads/${branch}`]));
}
