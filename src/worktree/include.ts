import { constants, existsSync } from 'node:fs';
import { cp, lstat } from 'node:fs/promises';
import path from 'node:path';
import { regularFileProblem } from '../regular-file.js';
import { git, GitError, gitOk, splitZ } from './git.js';
import { OWN_FOLDERS } from './names.js';

/** Claude Code's list of ignored files a new worktree should have too (gitignore syntax), at the repository's top. */
export const INCLUDE_FILE = '.worktreeinclude';

/**
 * The ignored files and folders of `top` that `.worktreeinclude` names (none without one), relative
 * to `top`: what a checkout of tracked files lacks to build (`.env`, `node_modules/`). As Claude Code
 * does, a path is taken only if it matches a pattern and git ignores it, so nothing tracked or merely
 * untracked is ever copied. Git matches the patterns itself (`ls-files --exclude-from`, then
 * `check-ignore`): its gitignore rules have corners (negation, anchoring, `**`, a folder's contents)
 * that a glob library would only approximate. A wholly ignored folder is one entry, copied whole.
 */
export async function includedPaths(top: string): Promise<string[]> {
  const file = path.join(top, INCLUDE_FILE);
  if (!existsSync(file)) return [];
  // git would block reading a pipe there; a folder or a device is no list either.
  const problem = await regularFileProblem(file, 'a list of patterns (gitignore syntax)');
  if (problem) throw new Error(`${file} ${problem}`);
  const listed = await gitOk(top, ['ls-files', '-z', '--others', '--ignored', '--directory', `--exclude-from=${file}`]);
  const candidates = splitZ(listed).filter((p) => !OWN_FOLDERS.some((own) => p === `${own}/` || p.startsWith(`${own}/`) || `${own}/`.startsWith(p)));
  if (candidates.length === 0) return [];
  const checked = await git(top, ['check-ignore', '-z', '--stdin'], { input: `${candidates.join('\0')}\0` });
  // 1: none of them is ignored.
  if (checked.exitCode === 1) return [];
  if (checked.exitCode !== 0) throw new GitError(['check-ignore', '-z', '--stdin'], checked.exitCode, checked.stderr);
  return splitZ(checked.stdout);
}

/**
 * Copies `paths` (from `includedPaths`) from `top` into the worktree at `worktree`, leaving alone a
 * path that is already there. Copies, not symlinks: an agent that writes into `node_modules/` or
 * `.env` must not change the person's checkout or another task's worktree. A copy-on-write clone
 * where the file system can (btrfs, XFS, APFS) keeps a large `node_modules/` cheap; links inside are
 * copied as links.
 */
export async function copyIncluded(top: string, worktree: string, paths: readonly string[]): Promise<void> {
  for (const p of paths) {
    const target = path.join(worktree, p);
    // Copied by an attempt before (whose setup failed), or made there since: left as it is.
    if (await lstat(target).then(() => true, () => false)) continue;
    await cp(path.join(top, p), target, { recursive: true, mode: constants.COPYFILE_FICLONE, verbatimSymlinks: true });
  }
}
