import { createRequire } from 'node:module';
import path from 'node:path';
import { orchestratorDir } from '../state/paths.js';

// node:crypto costs every command ~5 ms to load (status reaches this file), and only odd ids need it.
const requireBuiltin = createRequire(import.meta.url);

/**
 * A plan or task id as one path segment and one ref component. Ids like `P1.1` pass unchanged;
 * anything else gets a short hash of the original so that two ids never share a worktree or branch.
 */
export function slug(id: string): string {
  const safe = id
    .replace(/[^A-Za-z0-9._-]+/g, '_')
    .replace(/\.{2,}/g, '_')
    .replace(/^[.-]/, '_')
    .replace(/(\.lock|\.)$/i, '_');
  if (safe === id) return id;
  const { createHash } = requireBuiltin('node:crypto') as typeof import('node:crypto');
  return `${safe || '_'}-${createHash('sha1').update(id).digest('hex').slice(0, 8)}`;
}

/**
 * Where task worktrees live, relative to the top level. Not under `.claude/orchestrator/`: Claude
 * Code refuses, as "a sensitive file", every edit under a `.claude` folder except its own worktree
 * folder `.claude/worktrees/`, so an agent could not write a single file in its task's worktree
 * anywhere else inside the project. ccasp keeps to a `ccasp` folder of its own there, since recover
 * and clean treat everything in it as theirs.
 */
export const WORKTREES_FOLDER = '.claude/worktrees/ccasp';

export function worktreesDir(root: string): string {
  return path.join(root, ...WORKTREES_FOLDER.split('/'));
}

export function worktreePath(root: string, taskId: string): string {
  return path.join(worktreesDir(root), slug(taskId));
}

export function planBranchPrefix(planId: string): string {
  return `ccasp/${slug(planId)}/`;
}

export function taskBranch(planId: string, taskId: string): string {
  return `${planBranchPrefix(planId)}${slug(taskId)}`;
}

/**
 * Where work is kept when a task's worktree has to start over. A separate namespace: a ref cannot
 * be both `ccasp/p/T1` and a folder `ccasp/p/T1/...`.
 */
export function savedBranchPrefix(planId: string, taskId?: string): string {
  return `ccasp-saved/${slug(planId)}/${taskId === undefined ? '' : `${slug(taskId)}/`}`;
}

/** Written before ccasp merges into the user's tree, removed after: a merge found with it is ccasp's. */
export function integrationMarkerPath(root: string): string {
  return path.join(orchestratorDir(root), 'integration.json');
}

/** The pathspecs that keep ccasp's own folders (state and logs, task worktrees) out of every status and task commit. */
export const OWN_FOLDERS = ['.claude/orchestrator', WORKTREES_FOLDER] as const;
export const OWN_PATHSPECS = OWN_FOLDERS.map((folder) => `:(top,exclude)${folder}`);

export function excludePathspec(relativePath: string): string {
  return `:(top,exclude,literal)${relativePath.split(path.sep).join('/')}`;
}
