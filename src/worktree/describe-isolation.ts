import { chooseIsolation, type IsolationOptions } from './isolation.js';
import { currentBranch, repositoryTop } from './repo.js';

/** For `--dry-run`: the mode and branch a run would use, without changing or checking anything else. */
export async function describeIsolation(root: string, concurrency: number, options: IsolationOptions): Promise<string> {
  const choice = chooseIsolation(options.isolation, undefined, concurrency);
  if (choice.mode === 'none') return 'Isolation: none; agents work in the project folder itself.';
  const top = await repositoryTop(root);
  if (!top) {
    return choice.explicit
      ? `Isolation: worktree, but ${root} is not a git repository with a commit; the run would refuse (exit 2).`
      : 'Isolation: none; agents share the working tree (worktree isolation needs a git repository with a commit).';
  }
  const branch = options.branch ?? (await currentBranch(top));
  return branch
    ? `Isolation: worktree; each task in its own git worktree, merged into ${branch} when it completes.`
    : 'Isolation: worktree, but HEAD is detached; the run would refuse (exit 2) without --branch.';
}
