import { realpath, stat } from 'node:fs/promises';
import path from 'node:path';

export interface PathCheck {
  readonly missing: string[];
  readonly outside: string[];
}

/**
 * Which of `paths` (relative to the project, or absolute) are missing, and which lead outside the
 * project, by `..`, an absolute path or a symlink. An agent's claim never makes ccasp look elsewhere.
 */
export async function checkProjectPaths(root: string, paths: readonly string[]): Promise<PathCheck> {
  const realRoot = await realpath(root);
  const missing: string[] = [];
  const outside: string[] = [];
  for (const p of new Set(paths)) {
    const absolute = path.resolve(root, p);
    if (!isInside(root, absolute) && !isInside(realRoot, absolute)) {
      outside.push(p);
      continue;
    }
    let real: string;
    try {
      real = await realpath(absolute);
      await stat(real);
    } catch {
      missing.push(p);
      continue;
    }
    if (!isInside(realRoot, real)) outside.push(p);
  }
  return { missing, outside };
}

export function isInside(root: string, candidate: string): boolean {
  const relative = path.relative(root, candidate);
  // `..` or `../x` lead out; `..x` is a name inside.
  const up = relative === '..' || relative.startsWith(`..${path.sep}`);
  return relative === '' || (!up && !path.isAbsolute(relative));
}
