import path from 'node:path';
import { readRegularTextSync } from '../regular-file.js';

/** Reads a file as text, or undefined when it cannot; injected so tests need no repository. */
export type ReadText = (file: string) => string | undefined;

export const readTextSync: ReadText = readRegularTextSync;

/**
 * The `origin` remote's URL, read from the repository's config file rather than by spawning git (the
 * same choice as `findProjectRoot`). Handles a `.git` file pointing elsewhere (worktrees, submodules):
 * a worktree's own git dir names the shared one in `commondir`, and that is where `config` lives.
 */
export function readOriginUrl(projectRoot: string, read: ReadText = readTextSync): string | undefined {
  const gitDir = resolveGitDir(projectRoot, read);
  const common = read(path.join(gitDir, 'commondir'))?.trim();
  const configDir = common ? path.resolve(gitDir, common) : gitDir;
  const config = read(path.join(configDir, 'config'));
  return config === undefined ? undefined : originUrlFromConfig(config);
}

function resolveGitDir(projectRoot: string, read: ReadText): string {
  const dotGit = path.join(projectRoot, '.git');
  // A `.git` directory cannot be read as a file, so only a worktree's `.git` file answers here.
  const pointer = /^gitdir:\s*(.+)$/m.exec(read(dotGit) ?? '');
  return pointer ? path.resolve(projectRoot, pointer[1]!.trim()) : dotGit;
}

/** The `url` of `[remote "origin"]` in a git config file's text. */
export function originUrlFromConfig(config: string): string | undefined {
  let inOrigin = false;
  for (const raw of config.split(/\r?\n/)) {
    const line = raw.trim();
    if (line.startsWith('[')) {
      inOrigin = /^\[\s*remote\s+"origin"\s*\]$/.test(line);
      continue;
    }
    if (!inOrigin) continue;
    const m = /^url\s*=\s*(.+?)\s*$/i.exec(line);
    if (m) return m[1]!.replace(/^"(.*)"$/, '$1');
  }
  return undefined;
}
