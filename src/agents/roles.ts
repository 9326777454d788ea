import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { readRegularTextSync } from '../regular-file.js';

/** The folder of agent definitions that ccasp ships, found from wherever this module was bundled. */
export function shippedAgentsDir(): string {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const candidate = path.join(dir, '.claude', 'agents');
    if (existsSync(path.join(candidate, 'l2-general-specialist.md'))) return candidate;
    const parent = path.dirname(dir);
    if (parent === dir) throw new Error('ccasp installation is incomplete: .claude/agents/ not found');
    dir = parent;
  }
}

/**
 * The specialist's role text: the project's own `.claude/agents/<name>.md` when it has one (users
 * tune their specialists), else the one ccasp ships. Frontmatter is dropped; claude gets the body.
 */
export function loadRole(projectRoot: string, specialist: string): string {
  const own = readRegularTextSync(path.join(projectRoot, '.claude', 'agents', `${specialist}.md`));
  const shipped = path.join(shippedAgentsDir(), `${specialist}.md`);
  const text = own ?? readRegularTextSync(shipped);
  if (text === undefined) throw new Error(`ccasp installation is incomplete: ${shipped} cannot be read`);
  return stripFrontmatter(text).trim();
}

export function stripFrontmatter(markdown: string): string {
  const match = /^---\r?\n[\s\S]*?\r?\n---\r?\n?/.exec(markdown);
  return match ? markdown.slice(match[0].length) : markdown;
}
