import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { InvalidSpecialistError } from '../errors.js';
import { readRegularTextSync } from '../regular-file.js';
import { splitToolRules, toolRuleProblem, type ToolPermissions } from '../plan/tool-rules.js';

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

/** A specialist as an agent gets it: the role text, and the tool rules its definition states. */
export interface Role {
  readonly text: string;
  readonly permissions: ToolPermissions;
}

/**
 * The specialist's definition: the project's own `.claude/agents/<name>.md` when it has one (users
 * tune their specialists), else the one ccasp ships. claude gets the body as the role; of the
 * frontmatter, ccasp reads `allowedTools` and `disallowedTools`. Throws InvalidSpecialistError,
 * naming the file and field, for a rule that is not one.
 */
export function loadRole(projectRoot: string, specialist: string): Role {
  const ownFile = path.join(projectRoot, '.claude', 'agents', `${specialist}.md`);
  const own = readRegularTextSync(ownFile);
  const shipped = path.join(shippedAgentsDir(), `${specialist}.md`);
  const text = own ?? readRegularTextSync(shipped);
  if (text === undefined) throw new Error(`ccasp installation is incomplete: ${shipped} cannot be read`);
  const { frontmatter, body } = splitFrontmatter(text);
  const file = own !== undefined ? ownFile : shipped;
  return { text: body.trim(), permissions: { allow: rulesIn(frontmatter, 'allowedTools', file), deny: rulesIn(frontmatter, 'disallowedTools', file) } };
}

function splitFrontmatter(markdown: string): { frontmatter: string; body: string } {
  const match = /^---\r?\n([\s\S]*?)\r?\n---\r?\n?/.exec(markdown);
  return match ? { frontmatter: match[1] ?? '', body: markdown.slice(match[0].length) } : { frontmatter: '', body: markdown };
}

/**
 * A frontmatter field's rules, on one line and comma-separated like Claude Code's own `tools:`;
 * a value on the lines below (a YAML list) is refused rather than read as no rules.
 */
function rulesIn(frontmatter: string, field: string, file: string): string[] {
  const line = new RegExp(`^${field}:(.*)$`, 'm').exec(frontmatter);
  if (!line) return [];
  const value = (line[1] ?? '').trim().replace(/^(["'])(.*)\1$/, '$2');
  const problem = (message: string) => new InvalidSpecialistError([{ file, path: field, message }]);
  if (value === '') throw problem(`write the rules on the field's own line, comma-separated, such as "${field}: Bash(npm test:*), Read"`);
  const rules = splitToolRules(value);
  for (const rule of rules) {
    const why = toolRuleProblem(rule);
    if (why) throw problem(why);
  }
  return rules;
}
