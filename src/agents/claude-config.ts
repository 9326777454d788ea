import { existsSync } from 'node:fs';
import { readdir } from 'node:fs/promises';
import { homedir } from 'node:os';
import path from 'node:path';
import { ClaudeConfigError } from '../errors.js';
import { parseJsonBytes } from '../plan/read-file.js';
import { readRegularFile } from '../regular-file.js';

/**
 * claude's global settings file (`~/.claude.json`: its settings, user MCP servers, per-project state),
 * which every agent of a run shares. claude 2.1.197 writes it under a lock and by rename, so parallel
 * agents leave it whole (docs/claude-config.md); older versions did not. A claude that finds it broken
 * exits 1 before doing anything and writes its defaults over it, keeping the broken copy in its
 * backups folder. So ccasp looks at it before starting agents and once they are done; it never writes
 * it: a writer that does not take claude's lock is the very hazard.
 */
export interface ClaudeConfigLocation {
  readonly file: string;
  /** Where claude keeps `<file name>.backup.<ms>` and `<file name>.corrupted.<ms>`. */
  readonly backups: string;
}

export interface ClaudeConfigState {
  readonly location: ClaudeConfigLocation;
  /** What is wrong with the file; undefined when it is valid JSON or absent (claude creates it). */
  readonly problem?: string;
  /** The broken copies claude has kept so far, by name. */
  readonly corrupted: readonly string[];
}

/** Where claude looks, by its own rule: `$CLAUDE_CONFIG_DIR` or the home folder, an old `.config.json` first. */
export function claudeConfigLocation(env: NodeJS.ProcessEnv): ClaudeConfigLocation {
  const configDir = env['CLAUDE_CONFIG_DIR'] || path.join(env['HOME'] || homedir(), '.claude');
  const legacy = path.join(configDir, '.config.json');
  const file = existsSync(legacy) ? legacy : path.join(env['CLAUDE_CONFIG_DIR'] || env['HOME'] || homedir(), '.claude.json');
  return { file, backups: path.join(configDir, 'backups') };
}

/** The file as it is now. Never throws: what cannot be read is its problem. */
export async function readClaudeConfig(location: ClaudeConfigLocation): Promise<ClaudeConfigState> {
  const corrupted = (await backupNames(location)).filter((name) => name.startsWith(`${path.basename(location.file)}.corrupted.`));
  const problem = await fileProblem(location.file);
  return { location, corrupted, ...(problem !== undefined ? { problem } : {}) };
}

/** Refuses a run whose agents would each fail on the file, and whose first one would replace it with claude's defaults. */
export async function checkClaudeConfigBeforeRun(env: NodeJS.ProcessEnv): Promise<ClaudeConfigState> {
  const state = await readClaudeConfig(claudeConfigLocation(env));
  if (state.problem === undefined) return state;
  const { file } = state.location;
  const backup = await newestGoodBackup(state.location);
  throw new ClaudeConfigError(
    `claude's settings file ${file} ${state.problem}.\n` +
      "Every agent would stop on it, and the first would write claude's defaults over it, so none was started.\n" +
      (backup ? `Restore claude's newest good backup of it: cp "${backup}" "${file}"` : `No backup of it was found in ${state.location.backups}; fix it, or remove it to start from claude's defaults.`),
  );
}

/** What happened to the file between `before` and `after`, as far as it concerns the user. */
export type ClaudeConfigDamage = { readonly kind: 'broken'; readonly problem: string } | { readonly kind: 'replaced'; readonly copy: string };

export function claudeConfigDamage(before: ClaudeConfigState, after: ClaudeConfigState): ClaudeConfigDamage | undefined {
  if (after.problem !== undefined) return { kind: 'broken', problem: after.problem };
  const seen = new Set(before.corrupted);
  const fresh = after.corrupted.filter((name) => !seen.has(name)).sort(byStamp);
  return fresh[0] === undefined ? undefined : { kind: 'replaced', copy: fresh[0] };
}

/** The warning for a run's end when the file was damaged during it, undefined when it was not. */
export async function claudeConfigWarning(before: ClaudeConfigState): Promise<string | undefined> {
  const after = await readClaudeConfig(before.location);
  const damage = claudeConfigDamage(before, after);
  if (!damage) return undefined;
  const { file, backups } = before.location;
  // Once claude has replaced the file, its later backups hold its defaults; the good one is older than the damage.
  const backup = await newestGoodBackup(before.location, damage.kind === 'replaced' ? stampOf(damage.copy) : undefined);
  const restore = backup ? `restore claude's newest good backup of it: cp "${backup}" "${file}"` : `no earlier backup of it was found in ${backups}`;
  return damage.kind === 'broken'
    ? `claude's settings file ${file} became invalid during this run (it ${damage.problem}); the next claude will write its defaults over it: ${restore}`
    : `claude found its settings file ${file} broken during this run and wrote its defaults over it (the broken copy is ${path.join(backups, damage.copy)}); its settings are lost unless you ${restore}`;
}

async function fileProblem(file: string): Promise<string | undefined> {
  const read = await readRegularFile(file, 'a JSON file');
  if (read.kind === 'absent') return undefined;
  if (read.kind !== 'ok') return read.message;
  // claude's own test: the text, without a byte order mark, parses. The reason comes without the file's
  // content, which can hold an API key.
  if (parses(read.bytes)) return undefined;
  const parsed = parseJsonBytes(file, read.bytes);
  return parsed.ok ? 'is not valid JSON' : parsed.problem.message;
}

function parses(bytes: Buffer): boolean {
  const text = bytes.toString('utf8');
  try {
    JSON.parse(text.charCodeAt(0) === 0xfeff ? text.slice(1) : text);
    return true;
  } catch {
    return false;
  }
}

async function backupNames(location: ClaudeConfigLocation): Promise<string[]> {
  try {
    return await readdir(location.backups);
  } catch {
    return [];
  }
}

/** claude's newest backup that parses, taken before `before` (ms) when given. */
async function newestGoodBackup(location: ClaudeConfigLocation, before?: number): Promise<string | undefined> {
  const prefix = `${path.basename(location.file)}.backup.`;
  const names = (await backupNames(location))
    .filter((name) => name.startsWith(prefix) && (before === undefined || stampOf(name) < before))
    .sort(byStamp)
    .reverse();
  for (const name of names) {
    const file = path.join(location.backups, name);
    const read = await readRegularFile(file, 'a JSON file');
    if (read.kind === 'ok' && parses(read.bytes)) return file;
  }
  return undefined;
}

/** claude names its copies by `Date.now()`. */
function stampOf(name: string): number {
  const stamp = Number(name.slice(name.lastIndexOf('.') + 1));
  return Number.isFinite(stamp) ? stamp : 0;
}

function byStamp(a: string, b: string): number {
  return stampOf(a) - stampOf(b);
}
