import { statSync } from 'node:fs';
import path from 'node:path';

/**
 * The git top level that holds `dir`, found by looking for `.git` (a folder, or a file in a worktree)
 * rather than spawning git, so read-only commands stay fast. Falls back to `fallback`.
 */
export function findProjectRoot(dir: string, fallback: string = process.cwd()): string {
  let current = path.resolve(dir);
  for (;;) {
    try {
      statSync(path.join(current, '.git'));
      return current;
    } catch {
      const parent = path.dirname(current);
      if (parent === current) return path.resolve(fallback);
      current = parent;
    }
  }
}
