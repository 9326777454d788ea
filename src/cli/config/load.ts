import { statSync } from 'node:fs';
import path from 'node:path';
import { findProjectRoot } from '../../project-root.js';
import { findConfigFiles, readConfigFile, type ConfigFiles } from './file.js';
import { resolveSettings, type SettingLayers, type SettingSources } from './resolve.js';
import type { RunSettings } from './settings.js';

export interface ResolvedConfig {
  readonly projectRoot: string;
  readonly planDir: string;
  readonly files: ConfigFiles;
  readonly run: RunSettings;
  readonly sources: SettingSources;
}

export interface LoadConfigOptions {
  /** The folder a relative plan folder is resolved against. */
  readonly cwd?: string;
  /** The plan's own settings, when the plan has been read. */
  readonly plan?: SettingLayers['plan'];
}

/**
 * The run settings for a plan: the nearest config file read (and checked), then every layer merged
 * by resolveSettings. `flags` are only those the user typed (see setting-options.ts), so a flag's
 * default never hides a config file.
 */
export async function loadConfig(planDir: string, env: NodeJS.ProcessEnv, flags: Partial<RunSettings>, options: LoadConfigOptions = {}): Promise<ResolvedConfig> {
  const cwd = options.cwd ?? process.cwd();
  const dir = path.resolve(cwd, planDir);
  const projectRoot = findProjectRoot(dir);
  const files = findConfigFiles(dir, projectRoot);
  const file = files.used === undefined ? undefined : { path: files.used, run: (await readConfigFile(files.used)).run };
  const { values, sources } = resolveSettings({ flags, env, ...(file ? { file } : {}), ...(options.plan ? { plan: options.plan } : {}) });
  return { projectRoot, planDir: dir, files, run: values, sources };
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
