import type { Command } from 'commander';
import { statSync } from 'node:fs';
import path from 'node:path';
import type { Problem } from '../../errors.js';
import { findProjectRoot } from '../../state/project-root.js';
import { findConfigFiles, InvalidConfigError, readConfigFile, type ConfigFiles } from './file.js';
import { RUN_SETTING_KEYS, RUN_SETTINGS, type RunSettingKey, type RunSettings } from './settings.js';

/** Where a value came from, lowest precedence first: default < plan < file < env < flag. */
export type SettingSource =
  | { readonly kind: 'default' }
  | { readonly kind: 'plan'; readonly file: string }
  | { readonly kind: 'file'; readonly file: string }
  | { readonly kind: 'env'; readonly name: string }
  | { readonly kind: 'flag'; readonly name: string };

export interface ResolvedConfig {
  readonly projectRoot: string;
  readonly planDir: string;
  readonly files: ConfigFiles;
  readonly run: RunSettings;
  readonly sources: { readonly [K in RunSettingKey]: SettingSource };
}

export interface LoadConfigOptions {
  /** Where the project root is looked for from when the plan is in no git repository. */
  readonly cwd?: string;
}

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

/**
 * The run settings for a plan: built-in defaults, overridden by the nearest config file, then by
 * `CCASP_*` environment variables, then by flags given on the command line. A flag counts only when
 * commander says the user gave it (`cmd.getOptionValueSource`), so a flag's default never hides a
 * config file; without `cmd`, every defined flag value counts. Bad values in the file or the
 * environment are all reported at once (exit 2).
 */
export async function loadConfig(
  planDir: string,
  env: NodeJS.ProcessEnv,
  flags: Readonly<Record<string, unknown>>,
  cmd?: Command,
  options: LoadConfigOptions = {},
): Promise<ResolvedConfig> {
  const dir = path.resolve(options.cwd ?? process.cwd(), planDir);
  const projectRoot = findProjectRoot(dir, options.cwd ?? process.cwd());
  const files = findConfigFiles(dir, projectRoot);
  const file = files.used === undefined ? undefined : await readConfigFile(files.used);
  const fileRun: Partial<RunSettings> = file?.run ?? {};

  const values: Mutable<RunSettings> = defaults();
  const sources: Mutable<ResolvedConfig['sources']> = defaultSources();
  const problems: Problem[] = [];

  function apply<K extends RunSettingKey>(key: K): void {
    const spec = RUN_SETTINGS[key];
    const fromFile = fileRun[key];
    if (fromFile !== undefined && files.used !== undefined) set(key, fromFile, { kind: 'file', file: files.used });
    const text = env[spec.env];
    if (text !== undefined && text.trim() !== '') {
      const parsed = spec.kind.parse(text);
      if (parsed.ok) set(key, parsed.value, { kind: 'env', name: spec.env });
      else problems.push({ file: 'environment', path: spec.env, message: parsed.message });
    }
    const flag = flags[key];
    const given = cmd ? isGiven(cmd.getOptionValueSource(key)) : flag !== undefined;
    if (given && spec.kind.is(flag)) set(key, flag, { kind: 'flag', name: spec.flag });
  }
  function set<K extends RunSettingKey>(key: K, value: RunSettings[K], source: SettingSource): void {
    values[key] = value;
    sources[key] = source;
  }

  for (const key of RUN_SETTING_KEYS) apply(key);
  if (problems.length > 0) throw new InvalidConfigError(problems);
  return { projectRoot, planDir: dir, files, run: values, sources };
}

/**
 * The plan's own settings (`max_parallel_agents`, `token_limit`) sit between the defaults and the
 * config file: `ccasp run` uses them only when nothing else sets the value. For display.
 */
export function withPlanSettings(
  config: ResolvedConfig,
  plan: { readonly maxParallel?: number; readonly tokenLimit?: number },
  planFile: string,
): ResolvedConfig {
  const run: Mutable<RunSettings> = { ...config.run };
  const sources: Mutable<ResolvedConfig['sources']> = { ...config.sources };
  if (sources.concurrency.kind === 'default' && plan.maxParallel !== undefined) {
    run.concurrency = plan.maxParallel;
    sources.concurrency = { kind: 'plan', file: planFile };
  }
  if (sources.tokenLimit.kind === 'default' && plan.tokenLimit !== undefined) {
    run.tokenLimit = plan.tokenLimit;
    sources.tokenLimit = { kind: 'plan', file: planFile };
  }
  return { ...config, run, sources };
}

/** The folder a plan argument stands for: the argument itself when it is a folder, else the file's folder. */
export function planDirOf(planArg: string, cwd: string): string {
  const absolute = path.resolve(cwd, planArg);
  try {
    if (statSync(absolute).isDirectory()) return absolute;
  } catch {
    // A plan that does not exist is reported when it is loaded.
  }
  return path.dirname(absolute);
}

function isGiven(source: string | undefined): boolean {
  return source !== undefined && source !== 'default';
}

function defaults(): Mutable<RunSettings> {
  return {
    concurrency: RUN_SETTINGS.concurrency.default,
    model: RUN_SETTINGS.model.default,
    simpleModel: RUN_SETTINGS.simpleModel.default,
    permissionMode: RUN_SETTINGS.permissionMode.default,
    maxRetries: RUN_SETTINGS.maxRetries.default,
    taskTimeout: RUN_SETTINGS.taskTimeout.default,
    stallTimeout: RUN_SETTINGS.stallTimeout.default,
    tokenLimit: RUN_SETTINGS.tokenLimit.default,
    maxCostUsd: RUN_SETTINGS.maxCostUsd.default,
    claudeBin: RUN_SETTINGS.claudeBin.default,
    isolation: RUN_SETTINGS.isolation.default,
    reportFormat: RUN_SETTINGS.reportFormat.default,
  };
}

function defaultSources(): Mutable<ResolvedConfig['sources']> {
  const d = { kind: 'default' } as const;
  return {
    concurrency: d,
    model: d,
    simpleModel: d,
    permissionMode: d,
    maxRetries: d,
    taskTimeout: d,
    stallTimeout: d,
    tokenLimit: d,
    maxCostUsd: d,
    claudeBin: d,
    isolation: d,
    reportFormat: d,
  };
}
