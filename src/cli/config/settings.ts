import { InvalidArgumentError } from 'commander';
import type { ReportFormat } from '../../agents/report.js';
import { parseDuration } from '../duration.js';

/**
 * The settings `ccasp run` takes from a config file, the environment or its flags: one row each,
 * naming the key (the flag's camelCase name, also the key in the file), the flag, the environment
 * variable, how a value is read, and the default `ccasp run` uses when nothing sets it.
 */
export interface RunSettings {
  readonly concurrency: number | undefined;
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
}
export type RunSettingKey = keyof RunSettings;

/** `--isolation`: worktree (a git worktree per task, merged back) or none (agents share the working tree). */
export type IsolationMode = 'worktree' | 'none';
export const ISOLATION_MODES: readonly IsolationMode[] = ['worktree', 'none'];

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
}

export interface SettingSpec<K extends RunSettingKey> {
  readonly key: K;
  /** The flag as `ccasp run` declares it. */
  readonly option: string;
  readonly flag: string;
  readonly env: string;
  readonly kind: ValueKind<NonNullable<RunSettings[K]>>;
  readonly default: RunSettings[K];
  /** What applies when no layer sets an optional setting. */
  readonly unset?: string;
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

const isolationMode: ValueKind<IsolationMode> = {
  fromFile: (value) => (isolationMode.is(value) ? { ok: true, value } : { ok: false, message: `expected "worktree" or "none", got ${got(value)}` }),
  parse(value) {
    const v = value.trim();
    return v === 'worktree' || v === 'none' ? { ok: true, value: v } : { ok: false, message: `expected "worktree" or "none", got "${value}"` };
  },
  is: (value): value is IsolationMode => value === 'worktree' || value === 'none',
  show: (value) => value,
};

/** Spelled out here rather than in agents/, so that every command can load settings without the report parsers. */
export const REPORT_FORMATS = ['text', 'json-schema'] as const satisfies readonly ReportFormat[];
const REPORT_FORMAT_EXPECTED = 'expected "text" or "json-schema"';

const reportFormat: ValueKind<ReportFormat> = {
  fromFile: (value) => (reportFormat.is(value) ? { ok: true, value } : { ok: false, message: `${REPORT_FORMAT_EXPECTED}, got ${got(value)}` }),
  parse(value) {
    const v = value.trim();
    return reportFormat.is(v) ? { ok: true, value: v } : { ok: false, message: `${REPORT_FORMAT_EXPECTED}, got "${value}"` };
  },
  is: (value): value is ReportFormat => REPORT_FORMATS.some((f) => f === value),
  show: (value) => value,
};

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

export const RUN_SETTINGS: { readonly [K in RunSettingKey]: SettingSpec<K> } = {
  concurrency: {
    key: 'concurrency',
    option: '-c, --concurrency <n>',
    flag: '--concurrency',
    env: 'CCASP_CONCURRENCY',
    kind: positiveInt,
    default: undefined,
    unset: "the plan's max_parallel_agents, else 1",
    description: 'agents at once',
  },
  model: { key: 'model', option: '--model <name>', flag: '--model', env: 'CCASP_MODEL', kind: text, default: 'sonnet', description: 'model for tasks that name none' },
  simpleModel: {
    key: 'simpleModel',
    option: '--simple-model <name>',
    flag: '--simple-model',
    env: 'CCASP_SIMPLE_MODEL',
    kind: text,
    default: 'haiku',
    description: 'model for tasks the plan marks simple',
  },
  permissionMode: {
    key: 'permissionMode',
    option: '--permission-mode <mode>',
    flag: '--permission-mode',
    env: 'CCASP_PERMISSION_MODE',
    kind: text,
    default: 'acceptEdits',
    description: "claude's permission mode for agents",
  },
  maxRetries: {
    key: 'maxRetries',
    option: '--max-retries <n>',
    flag: '--max-retries',
    env: 'CCASP_MAX_RETRIES',
    kind: wholeNumber,
    default: 3,
    description: 'retries per task after the first attempt',
  },
  taskTimeout: {
    key: 'taskTimeout',
    option: '--task-timeout <duration>',
    flag: '--task-timeout',
    env: 'CCASP_TASK_TIMEOUT',
    kind: duration,
    default: 30 * 60_000,
    description: 'stop an agent that runs longer than this',
  },
  stallTimeout: {
    key: 'stallTimeout',
    option: '--stall-timeout <duration>',
    flag: '--stall-timeout',
    env: 'CCASP_STALL_TIMEOUT',
    kind: duration,
    default: 5 * 60_000,
    description: 'stop an agent that prints nothing for this long',
  },
  tokenLimit: {
    key: 'tokenLimit',
    option: '--token-limit <n>',
    flag: '--token-limit',
    env: 'CCASP_TOKEN_LIMIT',
    kind: positiveInt,
    default: undefined,
    unset: "the plan's token_limit, else no limit",
    description: 'stop spawning once this many tokens are used',
  },
  maxCostUsd: {
    key: 'maxCostUsd',
    option: '--max-cost-usd <n>',
    flag: '--max-cost-usd',
    env: 'CCASP_MAX_COST_USD',
    kind: positiveNumber,
    default: undefined,
    unset: 'no limit',
    description: 'stop spawning once this much is spent (USD)',
  },
  claudeBin: {
    key: 'claudeBin',
    option: '--claude-bin <path>',
    flag: '--claude-bin',
    env: 'CCASP_CLAUDE_BIN',
    kind: text,
    default: undefined,
    unset: 'claude on PATH',
    description: 'the claude executable',
  },
  isolation: {
    key: 'isolation',
    option: '--isolation <mode>',
    flag: '--isolation',
    env: 'CCASP_ISOLATION',
    kind: isolationMode,
    default: undefined,
    unset: 'worktree above concurrency 1, else none',
    description: 'worktree: each task in its own git worktree, merged back when it completes; none: agents share the working tree',
  },
  reportFormat: {
    key: 'reportFormat',
    option: '--report-format <format>',
    flag: '--report-format',
    env: 'CCASP_REPORT_FORMAT',
    kind: reportFormat,
    default: 'text',
    description: "how agents hand in their report: text (the TASK_COMPLETE block) or json-schema (claude's structured output)",
  },
};

export const RUN_SETTING_KEYS = Object.keys(RUN_SETTINGS) as RunSettingKey[];

/** `ccasp.config.json`, as file-schema.ts reads it: settings grouped by command. */
export interface ConfigFile {
  readonly $schema?: string;
  readonly run?: { readonly [K in RunSettingKey]?: NonNullable<RunSettings[K]> };
}
