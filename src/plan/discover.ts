import { readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { UsageError } from '../errors.js';
import { findProjectRoot } from '../state/project-root.js';
import { PLAN_FILE_NAME } from './read-file.js';

const SKIP = new Set(['node_modules', '.git', 'orchestrator']);
const MAX_DEPTH = 6;

/**
 * With no plan argument: a PROGRESS.json in the current directory, else the only one under the
 * project's `.claude/` folder. Several candidates are listed rather than guessed between.
 */
export function discoverPlan(cwd: string): string {
  const here = path.join(cwd, PLAN_FILE_NAME);
  if (isFile(here)) return here;
  const root = findProjectRoot(cwd, cwd);
  const found: string[] = [];
  collect(path.join(root, '.claude'), 0, found);
  if (found.length === 1) return found[0]!;
  if (found.length === 0) {
    throw new UsageError(`No ${PLAN_FILE_NAME} found in ${cwd} or under ${path.join(root, '.claude')}; pass the plan directory.`);
  }
  const list = found.map((f) => `  ${path.relative(cwd, f) || f}`).join('\n');
  throw new UsageError(`Several plans found; pass one of their directories:\n${list}`);
}

function collect(dir: string, depth: number, found: string[]): void {
  if (depth > MAX_DEPTH) return;
  let entries;
  try {
    entries = readdirSync(dir, { withFileTypes: true });
  } catch {
    return;
  }
  for (const entry of entries) {
    if (entry.isDirectory() && !SKIP.has(entry.name)) collect(path.join(dir, entry.name), depth + 1, found);
    else if (entry.isFile() && entry.name === PLAN_FILE_NAME) found.push(path.join(dir, entry.name));
  }
}

function isFile(p: string): boolean {
  try {
    return statSync(p).isFile();
  } catch {
    return false;
  }
}
