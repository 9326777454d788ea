import { InvalidArgumentError } from 'commander';
import type { ReportFormat } from '../../agents/report.js';
import { parseDuration } from '../duration.js';
import { splitToolRules, toolRuleProblem } from '../../plan/tool-rules.js';
import { DISPLAY_PREFERENCES, type DisplayPreference } from '../render/choose.js';
import type { IsolationMode } from '../../worktree/isolation.js';
import { withoutCredentials } from '../../queue/url.js';

/**
 * The settings `ccasp run` takes from its flags, `CCASP_*` variables, a config file and the plan:
 * one row each in RUN_SETTINGS, which commander's options, `ccasp config`, the config file's schema
 * and the one merge (resolve.ts) are all built from. Here each value as a run uses it.
 */
export interface RunSettings {
  readonly concurrency: number;
  readonly model: string;
  readonly simpleModel: string;
  readonly permissionMode: string;
  readonly maxRetries: number;
  /** Milliseconds. */
  readonly taskTimeout: number;
  /** Milliseconds. */
  readonly stallTimeout: number;
  readonly tokenLimit: number | undefined;
  readonly maxCostUsd: number | undefined;
  readonly claudeBin: string | undefined;
  readonly isolation: IsolationMode | undefined;
  readonly reportFormat: ReportFormat;
  /** How the run is shown; render/choose.ts weighs it against `--json`, `CI` and the terminal. */
  readonly output: DisplayPreference | undefined;
  /** Variables agents and checks get although ccasp withholds them (secrets/agent-env.ts). */
  readonly agentEnv: readonly string[] | undefined;
  /** Tool rules (claude's syntax) agents may use without asking, besides the plan's, the task's and the specialist's. */
  readonly allowedTools: readonly string[] | undefined;
  /** Tool rules agents may never use; a deny wins over any allow. */
  readonly disallowedTools: readonly string[] | undefined;
  /** Worktree mode: run in each new task worktree before its agent. */
  readonly worktreeSetup: string | undefined;
  /** A Redis URL: attempts go to `ccasp worker`s through its queue instead of running here. */
  readonly queue: string | undefined;
  /** With a queue: the git remote workers fetch from and push task branches to. */
  readonly remote: string;
  /** With a queue: push the integration branch to the remote after each merge. */
  readonly push: boolean;
}
export type RunSettingKey = keyof RunSettings;

const ISOLATION_MODES: readonly IsolationMode[] = ['worktree', 'none'];

export type ValueRead<T> = { ok: true; value: T } | { ok: false; message: string };

/**
 * How one kind of value is read from the config file (a JSON value), from text (environment,
 * flags), checked and shown. Plain functions, not zod: every command loads this module, few read a
 * config file, and the file's schema (file-schema.ts) is built from these on demand.
 */
export interface ValueKind<T> {
  fromFile(value: unknown): ValueRead<T>;
  /** Returns the value, or a message saying what was expected. */
  parse(text: string): ValueRead<T>;
  is(value: unknown): value is T;
  show(value: T): string;
  /** The only values there are, for commander to check a flag against and completion to offer. */
  readonly choices?: readonly string[];
}

/** The plan's own settings: they apply when no flag, variable or config file sets the value. */
export interface PlanSettings {
  readonly maxParallel?: number;
  readonly tokenLimit?: number;
  readonly worktreeSetup?: string;
}

export interface SettingFlag {
  /** `--concurrency`: commander names the option's value after it, which must be the setting's key. */
  readonly name: string;
  readonly short?: string;
  /** The value's name in help (`n`, `path`, `duration`); completion offers files for a path. None for a switch (a yes/no setting the flag turns on). */
  readonly value?: string;
}

export interface SettingSpec<K extends RunSettingKey> {
  /** Also the setting's key under `run` in the config file. */
  readonly key: K;
  /** None for a setting the command line does not take. */
  readonly flag?: SettingFlag;
  readonly env: string;
  readonly kind: ValueKind<NonNullable<RunSettings[K]>>;
  /** The plan's own field for this setting, and its name in the plan file. */
  readonly plan?: { readonly key: keyof PlanSettings; readonly name: string };
  /** The value when no layer sets it. */
  readonly default: RunSettings[K];
  /** What applies when the value is left undefined. */
  readonly unset?: string;
  /** A value of the variable that cannot be used is ignored, not refused: the run warns about it instead. */
  readonly lenientEnv?: true;
  readonly description: string;
}

/** The value a file gave, as a message shows it: `"3"` for a string, `-1` for a number. */
function got(input: unknown): string {
  if (typeof input === 'string' || typeof input === 'number' || typeof input === 'boolean' || input === null) return JSON.stringify(input);
  return Array.isArray(input) ? 'a list' : input === undefined ? 'nothing' : 'an object';
}

function numberKind(expected: string, accept: (n: number) => boolean): ValueKind<number> {
  const message = `expected ${expected}`;
  return {
    fromFile: (value) => (typeof value === 'number' && accept(value) ? { ok: true, value } : { ok: false, message: `${message}, got ${got(value)}` }),
    parse(text) {
      const n = Number(text.trim());
      return text.trim() !== '' && accept(n) ? { ok: true, value: n } : { ok: false, message: `${message}, got "${text}"` };
    },
    is: (value): value is number => typeof value === 'number' && accept(value),
    show: (value) => String(value),
  };
}

/** A commander argument parser for a flag whose value is of `kind`: one message style for every flag. */
export function flagParser<T>(flag: string, kind: ValueKind<T>): (value: string) => T {
  return (value) => {
    const parsed = kind.parse(value);
    if (!parsed.ok) throw new InvalidArgumentError(`${flag}: ${parsed.message}`);
    return parsed.value;
  };
}

export const positiveInt = numberKind('a whole number of 1 or more', (n) => Number.isInteger(n) && n >= 1);
export const wholeNumber = numberKind('a whole number of 0 or more', (n) => Number.isInteger(n) && n >= 0);
export const positiveNumber = numberKind('a number above 0', (n) => Number.isFinite(n) && n > 0);

const text: ValueKind<string> = {
  fromFile: (value) => (typeof value === 'string' ? text.parse(value) : { ok: false, message: `expected a string, got ${got(value)}` }),
  parse: (value) => (value.trim() === '' ? { ok: false, message: 'expected a non-empty string' } : { ok: true, value: value.trim() }),
  is: (value): value is string => typeof value === 'string' && value !== '',
  show: (value) => value,
};

/** Yes or no: true/false in the file, true/false/1/0/yes/no in a variable; a flag turns it on. */
const yesNo: ValueKind<boolean> = {
  fromFile: (value) => (typeof value === 'boolean' ? { ok: true, value } : { ok: false, message: `expected true or false, got ${got(value)}` }),
  parse(value) {
    const v = value.trim().toLowerCase();
    if (['true', '1', 'yes'].includes(v)) return { ok: true, value: true };
    if (['false', '0', 'no'].includes(v)) return { ok: true, value: false };
    return { ok: false, message: `expected true or false, got "${value}"` };
  },
  is: (value): value is boolean => typeof value === 'boolean',
  show: (value) => String(value),
};

/** A Redis URL; shown without its user name and password, which are never printed. */
const redisUrl: ValueKind<string> = {
  fromFile: (value) => (typeof value === 'string' ? redisUrl.parse(value) : { ok: false, message: `expected a redis:// or rediss:// URL, got ${got(value)}` }),
  parse(value) {
    const trimmed = value.trim();
    return /^rediss?:\/\/./.test(trimmed) ? { ok: true, value: trimmed } : { ok: false, message: 'expected a redis:// or rediss:// URL' };
  },
  is: (value): value is string => typeof value === 'string' && /^rediss?:\/\//.test(value),
  show: withoutCredentials,
};

/** One of a few words; `ignoreCase` for a variable that has always been read regardless of case. */
function choiceKind<T extends string>(choices: readonly T[], options: { ignoreCase?: boolean } = {}): ValueKind<T> {
  const quoted = choices.map((c) => JSON.stringify(c));
  const expected = `expected ${quoted.length > 1 ? `${quoted.slice(0, -1).join(', ')} or ${quoted.at(-1) ?? ''}` : quoted.join('')}`;
  const is = (value: unknown): value is T => choices.some((c) => c === value);
  return {
    fromFile: (value) => (is(value) ? { ok: true, value } : { ok: false, message: `${expected}, got ${got(value)}` }),
    parse(value) {
      const v = options.ignoreCase ? value.trim().toLowerCase() : value.trim();
      return is(v) ? { ok: true, value: v } : { ok: false, message: `${expected}, got "${value}"` };
    },
    is,
    show: (value) => value,
    choices,
  };
}

const VARIABLE_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** Variable names: a comma-separated list in a flag or variable, a list of strings in the file. */
const variableNames: ValueKind<readonly string[]> = {
  fromFile: (value) =>
    variableNames.is(value)
      ? { ok: true, value }
      : { ok: false, message: `expected a list of variable names such as ["GH_TOKEN", "NPM_TOKEN"], got ${Array.isArray(value) ? JSON.stringify(value) : got(value)}` },
  parse(value) {
    const names = value.split(',').map((n) => n.trim());
    return variableNames.is(names) ? { ok: true, value: names } : { ok: false, message: `expected variable names such as "GH_TOKEN" or "GH_TOKEN,NPM_TOKEN", got "${value}"` };
  },
  is: (value): value is readonly string[] => Array.isArray(value) && value.length > 0 && value.every((n) => typeof n === 'string' && VARIABLE_NAME.test(n)),
  show: (value) => value.join(','),
};

/** Tool rules in claude's syntax: comma-separated in a flag or variable (a comma inside a rule's parentheses stays), a list in the file. */
const toolRules: ValueKind<readonly string[]> = {
  fromFile(value) {
    if (!Array.isArray(value) || value.length === 0) return { ok: false, message: `expected a list of rules such as ["Bash(npm test:*)", "Read"], got ${got(value)}` };
    return checkRules(value.map((rule) => (typeof rule === 'string' ? rule.trim() : rule)));
  },
  parse(value) {
    const rules = splitToolRules(value);
    return rules.length === 0 ? { ok: false, message: 'expected rules such as "Bash(npm test:*),Read"' } : checkRules(rules);
  },
  is: (value): value is readonly string[] => Array.isArray(value) && value.length > 0 && value.every((rule) => typeof rule === 'string' && toolRuleProblem(rule) === undefined),
  show: (value) => value.join(','),
};

function checkRules(rules: readonly unknown[]): ValueRead<readonly string[]> {
  for (const rule of rules) {
    const problem = typeof rule === 'string' ? toolRuleProblem(rule) : `expected a rule as a string, got ${got(rule)}`;
    if (problem) return { ok: false, message: problem };
  }
  return { ok: true, value: rules as string[] };
}

/** Spelled out here rather than in agents/, so that every command can load settings without the report parsers. */
export const REPORT_FORMATS = ['text', 'json-schema'] as const satisfies readonly ReportFormat[];

const DURATION_EXPECTED = 'expected a duration such as "30m", "90s" or "1h"';

function readDuration(value: string): number | undefined {
  try {
    return parseDuration('duration')(value);
  } catch {
    return undefined;
  }
}

/** Durations are text everywhere (`"30m"`), so a bare number in the file is not guessed at. */
const duration: ValueKind<number> = {
  fromFile: (value) => (typeof value === 'string' ? duration.parse(value) : { ok: false, message: `${DURATION_EXPECTED}, got ${got(value)}` }),
  parse(value) {
    const ms = readDuration(value);
    return ms === undefined ? { ok: false, message: `${DURATION_EXPECTED}, got "${value}"` } : { ok: true, value: ms };
  },
  is: (value): value is number => typeof value === 'number' && Number.isFinite(value) && value > 0,
  show: formatDuration,
};

export function formatDuration(ms: number): string {
  if (ms % 3_600_000 === 0) return `${ms / 3_600_000}h`;
  if (ms % 60_000 === 0) return `${ms / 60_000}m`;
  if (ms % 1000 === 0) return `${ms / 1000}s`;
  return `${ms}ms`;
}

/** The rows, in the order help, `ccasp config` and messages list them. */
export const RUN_SETTINGS: { readonly [K in RunSettingKey]: SettingSpec<K> } = {
  concurrency: {
    key: 'concurrency',
    flag: { name: '--concurrency', short: '-c', value: 'n' },
    env: 'CCASP_CONCURRENCY',
    kind: positiveInt,
    plan: { key: 'maxParallel', name: 'max_parallel_agents' },
    default: 1,
    description: 'agents at once',
  },
  model: {
    key: 'model',
    flag: { name: '--model', value: 'name' },
    env: 'CCASP_MODEL',
    kind: text,
    default: 'sonnet',
    description: 'model for tasks that name none',
  },
  simpleModel: {
    key: 'simpleModel',
    flag: { name: '--simple-model', value: 'name' },
    env: 'CCASP_SIMPLE_MODEL',
    kind: text,
    default: 'haiku',
    description: 'model for tasks the plan marks simple',
  },
  permissionMode: {
    key: 'permissionMode',
    flag: { name: '--permission-mode', value: 'mode' },
    env: 'CCASP_PERMISSION_MODE',
    kind: text,
    default: 'acceptEdits',
    description: "claude's permission mode for agents",
  },
  maxRetries: {
    key: 'maxRetries',
    flag: { name: '--max-retries', value: 'n' },
    env: 'CCASP_MAX_RETRIES',
    kind: wholeNumber,
    default: 3,
    description: 'retries per task after the first attempt',
  },
  taskTimeout: {
    key: 'taskTimeout',
    flag: { name: '--task-timeout', value: 'duration' },
    env: 'CCASP_TASK_TIMEOUT',
    kind: duration,
    default: 30 * 60_000,
    description: 'stop an agent that runs longer than this (30m, 90s, 1h)',
  },
  stallTimeout: {
    key: 'stallTimeout',
    flag: { name: '--stall-timeout', value: 'duration' },
    env: 'CCASP_STALL_TIMEOUT',
    kind: duration,
    default: 5 * 60_000,
    description: 'stop an agent that prints nothing for this long',
  },
  tokenLimit: {
    key: 'tokenLimit',
    flag: { name: '--token-limit', value: 'n' },
    env: 'CCASP_TOKEN_LIMIT',
    kind: positiveInt,
    plan: { key: 'tokenLimit', name: 'token_limit' },
    default: undefined,
    unset: 'no limit',
    description: 'stop spawning once this many tokens are used',
  },
  maxCostUsd: {
    key: 'maxCostUsd',
    flag: { name: '--max-cost-usd', value: 'n' },
    env: 'CCASP_MAX_COST_USD',
    kind: positiveNumber,
    default: undefined,
    unset: 'no limit',
    description: 'stop spawning once this much is spent (USD); each agent also gets a per-task cap',
  },
  claudeBin: {
    key: 'claudeBin',
    flag: { name: '--claude-bin', value: 'path' },
    env: 'CCASP_CLAUDE_BIN',
    kind: text,
    default: undefined,
    unset: 'claude on PATH',
    description: 'the claude executable',
  },
  isolation: {
    key: 'isolation',
    flag: { name: '--isolation', value: 'mode' },
    env: 'CCASP_ISOLATION',
    kind: choiceKind(ISOLATION_MODES),
    default: undefined,
    unset: 'worktree above concurrency 1, else none',
    description: 'worktree: each task in its own git worktree, merged back when it completes; none: agents share the working tree',
  },
  reportFormat: {
    key: 'reportFormat',
    flag: { name: '--report-format', value: 'format' },
    env: 'CCASP_REPORT_FORMAT',
    kind: choiceKind(REPORT_FORMATS),
    default: 'text',
    description: "how agents hand in their report: text (the TASK_COMPLETE block) or json-schema (claude's structured output)",
  },
  // No flag: --json is the command line's say in how a run is shown.
  output: {
    key: 'output',
    env: 'CCASP_OUTPUT',
    kind: choiceKind(DISPLAY_PREFERENCES, { ignoreCase: true }),
    default: undefined,
    unset: 'tty on a terminal, else plain',
    lenientEnv: true,
    description: 'how a run is shown: tty (spinners), plain (lines) or silent; CI and --json come first',
  },
  agentEnv: {
    key: 'agentEnv',
    flag: { name: '--agent-env', value: 'names' },
    env: 'CCASP_AGENT_ENV',
    kind: variableNames,
    default: undefined,
    unset: 'none',
    description: 'variables to pass to agents and checks although ccasp withholds them (GitHub tokens), comma-separated',
  },
  allowedTools: {
    key: 'allowedTools',
    flag: { name: '--allowed-tools', value: 'rules' },
    env: 'CCASP_ALLOWED_TOOLS',
    kind: toolRules,
    default: undefined,
    unset: "none beyond the defaults: the task's verify command, the plan's test command, read-only git",
    description: 'tools agents may use without asking, in claude\'s rule syntax, comma-separated ("Bash(npm test:*),WebFetch"); added to the plan\'s, the task\'s and the specialist\'s',
  },
  disallowedTools: {
    key: 'disallowedTools',
    flag: { name: '--disallowed-tools', value: 'rules' },
    env: 'CCASP_DISALLOWED_TOOLS',
    kind: toolRules,
    default: undefined,
    unset: 'none',
    description: 'tools agents may never use, in claude\'s rule syntax, comma-separated; a deny wins over any allow',
  },
  worktreeSetup: {
    key: 'worktreeSetup',
    flag: { name: '--worktree-setup', value: 'command' },
    env: 'CCASP_WORKTREE_SETUP',
    kind: text,
    plan: { key: 'worktreeSetup', name: 'worktree_setup' },
    default: undefined,
    unset: 'none',
    description: 'worktree mode: a command run in each new task worktree before its agent (e.g. "npm ci"); if it fails, the attempt is retried',
  },
  queue: {
    key: 'queue',
    flag: { name: '--queue', value: 'redis-url' },
    env: 'CCASP_QUEUE',
    kind: redisUrl,
    default: undefined,
    unset: 'none: agents run on this machine',
    description: 'send attempts to `ccasp worker`s through this Redis (redis:// or rediss://) instead of running them here; implies worktree isolation',
  },
  remote: {
    key: 'remote',
    flag: { name: '--remote', value: 'name' },
    env: 'CCASP_REMOTE',
    kind: text,
    default: 'origin',
    description: 'with --queue: the git remote workers fetch from and push task branches to',
  },
  push: {
    key: 'push',
    flag: { name: '--push' },
    env: 'CCASP_PUSH',
    kind: yesNo,
    default: false,
    description: 'with --queue: push the integration branch to the remote after each merge',
  },
};

/** What applies when no layer sets the setting: its default, or what an undefined value means. */
export function describeFallback<K extends RunSettingKey>(spec: SettingSpec<K>): string {
  return spec.kind.is(spec.default) ? spec.kind.show(spec.default) : (spec.unset ?? 'none');
}

/** What applies when no flag, variable or file sets the setting, as help and `ccasp config` say it. */
export function describeDefault<K extends RunSettingKey>(spec: SettingSpec<K>): string {
  return spec.plan ? `the plan's ${spec.plan.name}, else ${describeFallback(spec)}` : describeFallback(spec);
}

export const RUN_SETTING_KEYS = Object.keys(RUN_SETTINGS) as RunSettingKey[];

/** `ccasp.config.json`, as file-schema.ts reads it: settings grouped by command. */
export interface ConfigFile {
  readonly $schema?: string;
  readonly run?: { readonly [K in RunSettingKey]?: NonNullable<RunSettings[K]> };
}
