import { statSync } from 'node:fs';
import path from 'node:path';
import type * as z from 'zod';
import { FileProblemsError, type Problem } from '../../errors.js';
import { formatJsonPath } from '../../plan/json-path.js';
import { readJsonFile } from '../../plan/read-file.js';
import { RUN_SETTING_KEYS, type ConfigFile } from './settings.js';

/** The names a config file may have in each folder, the first preferred when both exist. */
export const CONFIG_FILE_NAMES = ['ccasp.config.json', path.join('.claude', 'ccasp.json')] as const;

/** A config file, or an environment variable, with values ccasp cannot use; exit 2. */
export class InvalidConfigError extends FileProblemsError {
  constructor(problems: readonly Problem[]) {
    super('Invalid configuration', problems);
  }
}

export interface ConfigFiles {
  /** The nearest config file, whose values apply; undefined when there is none. */
  readonly used: string | undefined;
  /** Other config files found on the way up, which do not apply. */
  readonly shadowed: readonly string[];
  /** The folders looked in, nearest first. */
  readonly searched: readonly string[];
}

/**
 * Looks for a config file in the plan's folder and each folder above it up to the project root (see
 * findProjectRoot), nearest first. The nearest file is the one used, whole: files are not merged, so
 * one file always tells the full story, and `ccasp config` names the others it found.
 */
export function findConfigFiles(planDir: string, projectRoot: string): ConfigFiles {
  const start = path.resolve(planDir);
  const root = path.resolve(projectRoot);
  const searched = [start];
  const rel = path.relative(root, start);
  if (rel !== '' && !rel.startsWith('..') && !path.isAbsolute(rel)) {
    for (let dir = path.dirname(start); ; dir = path.dirname(dir)) {
      searched.push(dir);
      if (dir === root || path.dirname(dir) === dir) break;
    }
  }
  const found = searched.flatMap((dir) => CONFIG_FILE_NAMES.map((name) => path.join(dir, name))).filter(isFile);
  return { used: found[0], shadowed: found.slice(1), searched };
}

/** Reads and checks one config file; every problem names the file and the field. */
export async function readConfigFile(file: string): Promise<ConfigFile> {
  const read = await readJsonFile(file);
  if (!read.ok) throw new InvalidConfigError([read.problem]);
  if (typeof read.raw !== 'object' || read.raw === null || Array.isArray(read.raw)) {
    throw new InvalidConfigError([{ file, path: '', message: 'expected a JSON object such as {"run": {"concurrency": 2}}' }]);
  }
  const { parseConfigFile } = await import('./file-schema.js');
  const parsed = parseConfigFile(read.raw);
  if (!parsed.success) throw new InvalidConfigError(configProblems(file, parsed.error));
  return parsed.data;
}

function configProblems(file: string, error: z.ZodError): Problem[] {
  return error.issues.flatMap((issue): Problem[] => {
    if (issue.code === 'unrecognized_keys') {
      const known = issue.path.length === 0 ? '$schema, run' : RUN_SETTING_KEYS.join(', ');
      return issue.keys.map((key) => ({ file, path: formatJsonPath([...issue.path, key]), message: `unknown setting (known: ${known})` }));
    }
    return [{ file, path: formatJsonPath(issue.path), message: issue.message }];
  });
}

function isFile(p: string): boolean {
  try {
    return statSync(p).isFile();
  } catch {
    return false;
  }
}
