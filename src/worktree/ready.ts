import { existsSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { copyIncluded, includedPaths } from './include.js';
import { gitPath } from './repo.js';

/** The setup command's verdict; `detail` says why it failed, with its output's end (already redacted). */
export interface SetupResult {
  readonly ok: boolean;
  readonly detail: string;
}

/** How long the setup command may run: an install from scratch on a slow network, not a hung one. */
export const SETUP_TIMEOUT_MS = 20 * 60_000;

/** Runs the project's setup command (`--worktree-setup`) in a new worktree, for the attempt about to start there. */
export type SetupCommand = (cwd: string, attempt: { readonly taskId: string; readonly attempt: number }) => Promise<SetupResult>;

/** The setup command failed: a transient failure of the attempt, which goes again in the same worktree. */
export class WorktreeSetupError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'WorktreeSetupError';
  }
}

/** Kept in the worktree's own git folder: not a file of its tree, and gone with the worktree. */
const READY_MARK = 'ccasp-ready';

/**
 * Gives the worktree at `cwd` what a checkout of tracked files lacks: the ignored files
 * `.worktreeinclude` names, copied from `top`, then the setup command run in it. Once per worktree:
 * a retry that continues in it does not pay again, while one whose setup failed or was cut short by
 * a kill is set up again (copies leave alone what is already there).
 */
export async function readyWorktree(top: string, cwd: string, setUp: ((cwd: string) => Promise<SetupResult>) | undefined): Promise<void> {
  const mark = await gitPath(cwd, READY_MARK);
  if (existsSync(mark)) return;
  await copyIncluded(top, cwd, await includedPaths(top));
  if (setUp) {
    const result = await setUp(cwd);
    if (!result.ok) throw new WorktreeSetupError(result.detail);
  }
  await writeFile(mark, '');
}
