import type { Command } from 'commander';
import type { RunFlags } from '../commands/run.js';
import type { Io } from '../io.js';
import { loadConfig, planDirOf } from './load.js';
import { RUN_SETTING_KEYS, type RunSettingKey, type RunSettings } from './settings.js';

/**
 * `ccasp run`'s flags with the config file and `CCASP_*` variables applied underneath them: a value
 * the user typed on the command line stays; one commander filled in as a default gives way to the
 * file or the environment. Settings nothing sets keep the flag's value (the same default), and the
 * plan's own `max_parallel_agents` and `token_limit` still apply after this, as before.
 */
export async function mergeRunFlags(planArg: string, flags: RunFlags, cmd: Command, io: Io): Promise<RunFlags> {
  const config = await loadConfig(planDirOf(planArg, io.cwd), io.env, { ...flags }, cmd, { cwd: io.cwd });
  const overrides: { -readonly [K in RunSettingKey]?: RunSettings[K] } = {};
  const take = <K extends RunSettingKey>(key: K): void => {
    const kind = config.sources[key].kind;
    if (kind === 'file' || kind === 'env') overrides[key] = config.run[key];
  };
  for (const key of RUN_SETTING_KEYS) take(key);
  return { ...flags, ...overrides };
}
