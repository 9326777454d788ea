import type { Plan, Task } from '../plan/model.js';
import { mergeToolPermissions, type ToolPermissions } from '../plan/tool-rules.js';

/**
 * What an agent may run without asking (claude's `--allowedTools`) and never (`--disallowedTools`),
 * and what claude refused it. With `--permission-mode acceptEdits`, claude refuses every command no
 * rule allows; headless, nobody can approve it, so the agent goes on without it.
 */

/** Read-only git, so an agent can see what it and earlier tasks changed. */
const READ_ONLY_GIT = ['status', 'diff', 'log', 'show', 'ls-files', 'blame', 'rev-parse', 'grep'].map((sub) => `Bash(git ${sub}:*)`);

/** What every agent may run: its task's own check, the plan's test command and read-only git. */
export function defaultToolPermissions(plan: Pick<Plan, 'testCommand'>, task: Pick<Task, 'verify'>): ToolPermissions {
  const commands = [task.verify, plan.testCommand].filter((c): c is string => c !== undefined);
  return { allow: [...commands.map((c) => `Bash(${c})`), ...READ_ONLY_GIT], deny: [] };
}

/** The rules one agent gets: the defaults, the run's settings, the plan's, the task's and its specialist's. */
export function agentToolPermissions(
  plan: Pick<Plan, 'testCommand' | 'permissions'>,
  task: Pick<Task, 'verify' | 'permissions'>,
  settings: ToolPermissions,
  specialist: ToolPermissions,
): ToolPermissions {
  return mergeToolPermissions([defaultToolPermissions(plan, task), settings, plan.permissions, task.permissions, specialist]);
}

/** A tool call claude refused, and the rule that would have let it through. */
export interface PermissionDenial {
  readonly tool: string;
  /** The command, file or address the call was for; the call's input as JSON for other tools. */
  readonly input: string;
  /** A rule that allows it, ready for `--allowed-tools` (several, comma-separated, for a compound command). */
  readonly rule: string;
}

const INPUT_CHARS = 500;

/** One entry of the result line's `permission_denials` as ccasp keeps it. */
export function permissionDenial(tool: string, input: unknown): PermissionDenial {
  const fields = typeof input === 'object' && input !== null ? (input as Record<string, unknown>) : {};
  const text = (key: string): string | undefined => (typeof fields[key] === 'string' ? fields[key] : undefined);
  const command = tool === 'Bash' ? text('command') : undefined;
  const url = tool === 'WebFetch' ? text('url') : undefined;
  const target = command ?? url ?? text('file_path') ?? text('notebook_path') ?? text('path') ?? JSON.stringify(input ?? {});
  return { tool, input: target.slice(0, INPUT_CHARS), rule: command !== undefined ? bashRules(command) : url !== undefined ? webFetchRule(url) : tool };
}

/** Programs whose second word is a subcommand, so that a rule for `npm install` does not allow `npm publish`. */
const WITH_SUBCOMMANDS = new Set(['git', 'npm', 'npx', 'pnpm', 'yarn', 'bun', 'deno', 'cargo', 'go', 'docker', 'kubectl', 'gh', 'pip', 'uv', 'poetry', 'dotnet']);

/**
 * `Bash(<program>:*)` for each part of the command, with the subcommand for a program that has them
 * (`npm install foo` → `Bash(npm install:*)`, `ls -la` → `Bash(ls:*)`).
 */
export function bashRules(command: string): string {
  const parts = command
    .split(/&&|\|\||[;|\n]/)
    .map((part) => part.trim())
    .filter((part) => part !== '');
  const rules = parts.map((part) => {
    const [program = part, second] = part.split(/\s+/);
    return WITH_SUBCOMMANDS.has(program) && second !== undefined && /^[a-z][a-z0-9:_-]*$/.test(second) ? `Bash(${program} ${second}:*)` : `Bash(${program}:*)`;
  });
  return [...new Set(rules)].join(',');
}

function webFetchRule(url: string): string {
  try {
    return `WebFetch(domain:${new URL(url).hostname})`;
  } catch {
    return 'WebFetch';
  }
}
