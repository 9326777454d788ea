/**
 * Tool permission rules in claude's own syntax (`Read`, `Bash(npm test:*)`, `WebFetch(domain:x.org)`),
 * as a plan, the config file, a flag or a specialist states them. Here because the plan, the lowest
 * layer that holds them, checks them when it is read; claude gets them as they were written.
 */

/** What a run lets its agents do without asking, and what it never lets them do; a deny always wins. */
export interface ToolPermissions {
  readonly allow: readonly string[];
  readonly deny: readonly string[];
}

export const NO_TOOL_PERMISSIONS: ToolPermissions = { allow: [], deny: [] };

// A tool name (built-in or `mcp__server__tool`), optionally followed by a non-empty specifier in
// parentheses that runs to the end of the rule.
const RULE = /^[A-Za-z][A-Za-z0-9_-]*(\(.*\S.*\))?$/s;

export const TOOL_RULE_EXPECTED = 'expected a rule in claude\'s syntax, a tool name with an optional specifier, such as "Read" or "Bash(npm test:*)"';

export function isToolRule(rule: string): boolean {
  return RULE.test(rule);
}

/** Why `rule` is not one, or undefined when it is. */
export function toolRuleProblem(rule: string): string | undefined {
  return isToolRule(rule) ? undefined : `${TOOL_RULE_EXPECTED}, got ${JSON.stringify(rule)}`;
}

/**
 * Rules written on one line (a flag, a variable, a specialist's frontmatter): separated by commas,
 * except those inside a rule's parentheses, so `Bash(echo a,b)` stays one rule.
 */
export function splitToolRules(text: string): string[] {
  const rules: string[] = [];
  let depth = 0;
  let current = '';
  for (const ch of text) {
    if (ch === ',' && depth === 0) {
      rules.push(current.trim());
      current = '';
      continue;
    }
    if (ch === '(') depth++;
    else if (ch === ')' && depth > 0) depth--;
    current += ch;
  }
  rules.push(current.trim());
  return rules.filter((r) => r !== '');
}

/** Every layer's rules together, each rule once, in the order the layers come. */
export function mergeToolPermissions(layers: readonly (ToolPermissions | undefined)[]): ToolPermissions {
  const allow = new Set<string>();
  const deny = new Set<string>();
  for (const layer of layers) {
    for (const rule of layer?.allow ?? []) allow.add(rule);
    for (const rule of layer?.deny ?? []) deny.add(rule);
  }
  return { allow: [...allow], deny: [...deny] };
}
