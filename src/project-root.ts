import { statSync } from 'node:fs';
import path from 'node:path';

const PLAN_FOLDERS = new Set(['.claude', '.taskmaster']);

/**
 * The project that `dir` (a plan's folder) belongs to: the git top level that holds it, found by
 * looking for `.git` (a folder, or a file in a worktree) rather than spawning git, so read-only
 * commands stay fast. Outside git: the folder above the nearest `.claude` or `.taskmaster` folder
 * holding `dir` (CCASP keeps plans under `<project>/.claude/`, Task Master under
 * `<project>/.taskmaster/`), else `dir` itself. Never the caller's folder: the lock and
 * the state follow the plan, so every way of naming one plan gives one root, and one run at a time.
 */
export function findProjectRoot(dir: string): string {
  const start = path.resolve(dir);
  for (let current = start; ; current = path.dirname(current)) {
    if (exists(path.join(current, '.git'))) return current;
    if (path.dirname(current) === current) break;
  }
  for (let current = start; path.dirname(current) !== current; current = path.dirname(current)) {
    if (PLAN_FOLDERS.has(path.basename(current))) return path.dirname(current);
  }
  return start;
}

function exists(p: string): boolean {
  try {
    statSync(p);
    return true;
  } catch {
    return false;
  }
}
