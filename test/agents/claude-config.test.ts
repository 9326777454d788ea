import { readdirSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  checkClaudeConfigBeforeRun,
  claudeConfigDamage,
  claudeConfigLocation,
  claudeConfigWarning,
  readClaudeConfig,
  type ClaudeConfigState,
} from '../../src/agents/claude-config.js';
import { ClaudeConfigError, ExitCode } from '../../src/errors.js';
import { mkfifo, tempDir, writeFile } from '../support/tmp.js';

/** A folder as CLAUDE_CONFIG_DIR, with claude's file and backups written as given. */
function configDir(file?: string, backups: Record<string, string> = {}): { env: NodeJS.ProcessEnv; dir: string } {
  const dir = tempDir('ccasp-claude-config-');
  if (file !== undefined) writeFile(dir, '.claude.json', file);
  for (const [name, text] of Object.entries(backups)) writeFile(dir, path.join('backups', name), text);
  return { env: { CLAUDE_CONFIG_DIR: dir, HOME: '/nonexistent' }, dir };
}

const GOOD = '{\n  "numStartups": 3,\n  "mcpServers": {}\n}\n';
// Cut off mid-write, as parallel writers without a lock leave it; the key is in it, not in messages.
const TRUNCATED = '{\n  "primaryApiKey": "sk-ant-secret-value",\n  "numSt';

async function refusal(env: NodeJS.ProcessEnv): Promise<ClaudeConfigError> {
  const error: unknown = await checkClaudeConfigBeforeRun(env).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(ClaudeConfigError);
  return error as ClaudeConfigError;
}

describe("claude's settings file", () => {
  it('is found where claude looks: CLAUDE_CONFIG_DIR, else the home folder, an old .config.json first', () => {
    expect(claudeConfigLocation({ CLAUDE_CONFIG_DIR: '/cfg', HOME: '/home/u' })).toEqual({ file: '/cfg/.claude.json', backups: '/cfg/backups' });
    expect(claudeConfigLocation({ HOME: '/home/u' })).toEqual({ file: '/home/u/.claude.json', backups: '/home/u/.claude/backups' });
    const { env, dir } = configDir(GOOD);
    writeFile(dir, '.config.json', GOOD);
    expect(claudeConfigLocation(env).file).toBe(path.join(dir, '.config.json'));
  });

  it('is fine valid (with or without a byte order mark) or absent: claude creates it', async () => {
    for (const text of [GOOD, `\ufeff${GOOD}`, undefined]) {
      const { env } = configDir(text);
      expect((await checkClaudeConfigBeforeRun(env)).problem).toBeUndefined();
    }
  });

  it('broken before a run: refused with where it broke, no content, and the newest backup that parses', async () => {
    const { env, dir } = configDir(TRUNCATED, {
      '.claude.json.backup.1796000000000': GOOD,
      '.claude.json.backup.1796000060000': '{"half',
      '.claude.json.corrupted.1796000090000': '',
    });
    const error = await refusal(env);
    expect(error.exitCode).toBe(ExitCode.invalidInput);
    expect(error.message).toContain(`claude's settings file ${path.join(dir, '.claude.json')} is not valid JSON`);
    expect(error.message).toContain('(line 3, column');
    expect(error.message).not.toContain('sk-ant');
    expect(error.message).toContain('so none was started');
    expect(error.message).toContain(`cp "${path.join(dir, 'backups', '.claude.json.backup.1796000000000')}" "${path.join(dir, '.claude.json')}"`);
  });

  it('broken with no backup, empty, or a pipe: refused all the same, and said so', async () => {
    const none = await refusal(configDir('').env);
    expect(none.message).toContain('is empty');
    expect(none.message).toContain('No backup of it was found');
    const { env, dir } = configDir();
    mkfifo(path.join(dir, '.claude.json'));
    expect((await refusal(env)).message).toContain('is not a regular file');
  });

  it('damage is a file that no longer parses, or a broken copy claude kept and replaced', () => {
    const location = { file: '/h/.claude.json', backups: '/h/.claude/backups' };
    const before: ClaudeConfigState = { location, corrupted: ['.claude.json.corrupted.1'] };
    expect(claudeConfigDamage(before, before)).toBeUndefined();
    expect(claudeConfigDamage(before, { location, corrupted: before.corrupted, problem: 'is empty' })).toEqual({ kind: 'broken', problem: 'is empty' });
    const after = { location, corrupted: ['.claude.json.corrupted.1', '.claude.json.corrupted.30', '.claude.json.corrupted.20'] };
    expect(claudeConfigDamage(before, after)).toEqual({ kind: 'replaced', copy: '.claude.json.corrupted.20' });
  });

  it('replaced during a run: the warning names the broken copy and a backup from before the damage', async () => {
    const { env, dir } = configDir(GOOD, { '.claude.json.backup.1796000000000': GOOD });
    const before = await readClaudeConfig(claudeConfigLocation(env));
    expect(await claudeConfigWarning(before)).toBeUndefined();
    // What claude 2.1.197 does on a broken file: a copy of it, its defaults in place, then a backup of those.
    writeFile(dir, 'backups/.claude.json.corrupted.1796000090000', TRUNCATED);
    writeFile(dir, 'backups/.claude.json.backup.1796000090050', '{"installMethod":"unknown"}');
    const warning = await claudeConfigWarning(before);
    expect(warning).toContain('wrote its defaults over it');
    expect(warning).toContain(path.join(dir, 'backups', '.claude.json.corrupted.1796000090000'));
    expect(warning).toContain(`cp "${path.join(dir, 'backups', '.claude.json.backup.1796000000000')}"`);
  });

  it('broken during a run: the warning says so; ccasp writes nothing of claude', async () => {
    const { env, dir } = configDir(GOOD, { '.claude.json.backup.1796000000000': GOOD });
    const before = await readClaudeConfig(claudeConfigLocation(env));
    writeFile(dir, '.claude.json', TRUNCATED);
    const warning = await claudeConfigWarning(before);
    expect(warning).toContain('became invalid during this run');
    expect(warning).toContain(`cp "${path.join(dir, 'backups', '.claude.json.backup.1796000000000')}" "${path.join(dir, '.claude.json')}"`);
    expect(readdirSync(path.join(dir, 'backups'))).toEqual(['.claude.json.backup.1796000000000']);
  });
});
