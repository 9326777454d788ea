import type { Problem } from '../../errors.js';
import { InvalidConfigError } from './file.js';
import { RUN_SETTING_KEYS, RUN_SETTINGS, type ConfigFile, type PlanSettings, type RunSettingKey, type RunSettings, type SettingSpec } from './settings.js';

/** Where a value came from, lowest precedence first: default < plan < file < env < flag. */
export type SettingSource =
  | { readonly kind: 'default' }
  | { readonly kind: 'plan'; readonly file: string }
  | { readonly kind: 'file'; readonly file: string }
  | { readonly kind: 'env'; readonly name: string }
  | { readonly kind: 'flag'; readonly name: string };

export type SettingSources = { readonly [K in RunSettingKey]: SettingSource };

/** Everything that may set a run setting, each layer as read, none of them merged yet. */
export interface SettingLayers {
  /** Settings typed on the command line, parsed; not the values commander fills in as defaults. */
  readonly flags: Partial<RunSettings>;
  readonly env: NodeJS.ProcessEnv;
  /** The config file in use and what it sets. */
  readonly file?: { readonly path: string; readonly run: ConfigFile['run'] };
  /** The plan's file and its own settings; absent when no plan could be read. */
  readonly plan?: { readonly file: string; readonly settings: PlanSettings };
}

export interface ResolvedSettings {
  readonly values: RunSettings;
  readonly sources: SettingSources;
}

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

/**
 * The one place precedence is decided, per setting: flag > `CCASP_*` variable > config file > the
 * plan's own setting > the default. Every bad variable is reported at once, whichever layer wins
 * (exit 2); the file was checked when it was read.
 */
export function resolveSettings(layers: SettingLayers): ResolvedSettings {
  const values = {} as Mutable<RunSettings>;
  const sources = {} as Mutable<SettingSources>;
  const problems: Problem[] = [];
  const resolve = <K extends RunSettingKey>(spec: SettingSpec<K>): void => {
    const { value, source } = resolveSetting(spec, layers, problems);
    values[spec.key] = value;
    sources[spec.key] = source;
  };
  for (const key of RUN_SETTING_KEYS) resolve(RUN_SETTINGS[key]);
  if (problems.length > 0) throw new InvalidConfigError(problems);
  return { values, sources };
}

function resolveSetting<K extends RunSettingKey>(
  spec: SettingSpec<K>,
  layers: SettingLayers,
  problems: Problem[],
): { value: RunSettings[K]; source: SettingSource } {
  const fromEnv = envValue(spec, layers.env, problems);
  const fromFlag = layers.flags[spec.key];
  if (fromFlag !== undefined && spec.flag) return { value: fromFlag, source: { kind: 'flag', name: spec.flag.name } };
  if (fromEnv !== undefined) return { value: fromEnv, source: { kind: 'env', name: spec.env } };
  const fromFile = layers.file?.run?.[spec.key];
  if (fromFile !== undefined && layers.file) return { value: fromFile, source: { kind: 'file', file: layers.file.path } };
  const fromPlan = spec.plan && layers.plan?.settings[spec.plan.key];
  if (layers.plan && spec.kind.is(fromPlan)) return { value: fromPlan, source: { kind: 'plan', file: layers.plan.file } };
  return { value: spec.default, source: { kind: 'default' } };
}

function envValue<K extends RunSettingKey>(spec: SettingSpec<K>, env: NodeJS.ProcessEnv, problems: Problem[]): NonNullable<RunSettings[K]> | undefined {
  const text = env[spec.env];
  if (text === undefined || text.trim() === '') return undefined;
  const parsed = spec.kind.parse(text);
  if (parsed.ok) return parsed.value;
  if (!spec.lenientEnv) problems.push({ file: 'environment', path: spec.env, message: parsed.message });
  return undefined;
}
