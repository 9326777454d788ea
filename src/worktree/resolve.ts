import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { gitOk } from './git.js';
import { unmergedPaths } from './repo.js';

// git's own markers, as mergeTipIntoTask leaves them; `=======` alone is too common (Markdown) to count.
const MARKER = /^(<{7}|>{7})( |$)/m;

/**
 * Marks the conflicted files an agent has resolved as resolved in git's index, so that agents need
 * not know git: rewriting the file without git's `<<<<<<<`/`>>>>>>>` lines resolves it, and deleting
 * it resolves it as deleted. Files that still carry markers stay unmerged, and `commitTaskWork` then
 * reports them. Returns the paths still unresolved.
 */
export async function stageResolvedConflicts(worktree: string): Promise<string[]> {
  const left: string[] = [];
  for (const file of await unmergedPaths(worktree)) {
    const full = path.join(worktree, file);
    if (!existsSync(full)) {
      await gitOk(worktree, ['rm', '--quiet', '--cached', '--ignore-unmatch', '--', file]);
      continue;
    }
    const text = await readFile(full, 'utf8').catch(() => undefined);
    if (text === undefined || MARKER.test(text)) left.push(file);
    else await gitOk(worktree, ['add', '--', file]);
  }
  return left;
}
