import { Option, type Command } from 'commander';
import { describeDefault, flagParser, RUN_SETTING_KEYS, RUN_SETTINGS, type RunSettingKey, type RunSettings, type SettingFlag, type SettingSpec } from './settings.js';

/**
 * commander's options for the run settings that have a flag, built from the table: `ccasp run` and
 * `ccasp config` declare them with this, under `heading` in their help; `ccasp plan` the few it uses.
 */
export function settingOptions(heading: string, keys: readonly RunSettingKey[] = RUN_SETTING_KEYS): Option[] {
  return keys.flatMap((key) => {
    const option = settingOption(RUN_SETTINGS[key]);
    return option ? [option.helpGroup(heading)] : [];
  });
}

function settingOption<K extends RunSettingKey>(spec: SettingSpec<K>): Option | undefined {
  const { flag, kind } = spec;
  if (!flag) return undefined;
  // A plain default is commander's to show, as it shows choices; one that depends on the plan, or is none, is spelled out.
  const plainDefault = spec.plan ? undefined : spec.default;
  const description = plainDefault === undefined ? `${spec.description} (default: ${describeDefault(spec)})` : spec.description;
  const option = new Option(optionFlags(flag), description);
  if (kind.choices) option.choices(kind.choices);
  else if (flag.value !== undefined) option.argParser(flagParser(flag.name, kind));
  // A switch's default (off) goes without saying.
  if (plainDefault !== undefined && flag.value !== undefined) option.default(plainDefault, typeof plainDefault === 'number' ? kind.show(plainDefault) : undefined);
  return option;
}

function optionFlags(flag: SettingFlag): string {
  return `${flag.short ? `${flag.short}, ` : ''}${flag.name}${flag.value === undefined ? '' : ` <${flag.value}>`}`;
}

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

/** The settings the user typed on `cmd`'s command line: not the defaults commander filled in. */
export function givenSettings(cmd: Command): Partial<RunSettings> {
  const values = cmd.opts();
  const given: Partial<Mutable<RunSettings>> = {};
  const take = <K extends RunSettingKey>(spec: SettingSpec<K>): void => {
    const source = cmd.getOptionValueSource(spec.key);
    const value: unknown = values[spec.key];
    if (spec.flag && source !== undefined && source !== 'default' && spec.kind.is(value)) given[spec.key] = value;
  };
  for (const key of RUN_SETTING_KEYS) take(RUN_SETTINGS[key]);
  return given;
}
