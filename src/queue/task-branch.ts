import { git, gitOk, serial } from '../worktree/git.js';
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
 * The commit an attempt starts from. The task's branch on the remote, if an earlier attempt left one
 * (a retry continues that work, as it would in a local worktree); else, or with `fresh` (after a
 * conflict, the work starts again on the new tip), the integration branch's tip, pushed to the
 * remote as the task's branch so that workers can fetch it.
 */
export async function attemptBase(top: string, options: { remote: string; branch: string; integrationBranch: string; fresh: boolean }): Promise<string> {
  return serial(top, async () => {
    if (!options.fresh) {
      const fetched = await git(top, ['fetch', '--quiet', '--no-tags', options.remote, `+refs/heads/${options.branch}:${fetchedRef(options.branch)}`]);
      if (fetched.exitCode === 0) return headCommit(top, fetchedRef(options.branch));
    }
    const tip = await headCommit(top, options.integrationBranch);
    await gitOk(top, ['push', '--quiet', '--force', options.remote, `${tip}:refs/heads/${options.branch}`]);
    return tip;
  });
}

/** The task's branch as the worker pushed it, fetched into the local branch of that name for the merge. */
export async function fetchTaskBranch(top: string, remote: string, branch: string): Promise<void> {
  await serial(top, () => gitOk(top, ['fetch', '--quiet', '--no-tags', remote, `+refs/heads/${branch}:refs/heads/${branch}`]));
}

/** Once merged: the task's branch goes, here and on the remote. */
export async function dropTaskBranch(top: string, remote: string, branch: string): Promise<void> {
  await serial(top, async () => {
    await git(top, ['push', '--quiet', remote, '--delete', branch]);
    await git(top, ['update-ref', '-d', fetchedRef(branch)]);
    await git(top, ['branch', '--quiet', '-D', branch]);
  });
}

/** `--push`: the integration branch goes to the remote, for people watching the run from elsewhere. */
export async function pushIntegration(top: string, remote: string, branch: string): Promise<void> {
  await serial(top, () => gitOk(top, ['push', '--quiet', remote, `refs/heads/${branch}:refs/heads/${branch}`]));
}
