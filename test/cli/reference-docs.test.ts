import { readFileSync } from 'node:fs';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { RUN_SETTINGS, RUN_SETTING_KEYS } from '../../src/cli/config/settings.js';
import { buildProgram } from '../../src/cli/main.js';
import { ExitCode } from '../../src/errors.js';
import { orchestratorEventSchema } from '../../src/orchestrator/event-schema.js';
import { REPO_ROOT } from '../support/cli.js';

/** The reference in docs/ names everything a user can type or read back; these lists come from the code. */
const doc = (name: string) => readFileSync(path.join(REPO_ROOT, 'docs', name), 'utf8');

const program = buildProgram({ stdout: new PassThrough(), stderr: new PassThrough(), env: {}, cwd: REPO_ROOT }, () => undefined);

describe('docs/ reference', () => {
  it('commands.md has every command and every flag', () => {
    const commands = doc('commands.md');
    const headings = commands.split('\n').filter((line) => line.startsWith('#'));
    const code = commands.match(/`[^`\n]+`/g) ?? [];
    const missing: string[] = [];
    for (const command of [program, ...program.commands]) {
      if (command !== program && !headings.some((h) => h.includes(`\`ccasp ${command.name()}`))) missing.push(`ccasp ${command.name()}`);
      for (const option of command.options) {
        const named = new RegExp(`(^\`|[\\s,])${option.long}\\b`);
        if (option.long && !code.some((span) => named.test(span))) missing.push(`${command.name()} ${option.long}`);
      }
    }
    expect(missing).toEqual([]);
  });

  it('configuration.md has every run setting with its key, flag and variable', () => {
    const configuration = doc('configuration.md');
    for (const key of RUN_SETTING_KEYS) {
      const { flag, env } = RUN_SETTINGS[key];
      expect(configuration).toContain(`| \`${key}\` |`);
      if (flag) expect(configuration).toContain(`\`${flag.short ? `${flag.short}, ` : ''}${flag.name}\``);
      expect(configuration).toContain(`\`${env}\``);
    }
  });

  it('exit-codes.md has every exit code', () => {
    const rows = doc('exit-codes.md').split('\n').filter((line) => /^\| \d/.test(line)).join('\n');
    for (const code of Object.values(ExitCode)) expect(rows).toMatch(new RegExp(`\\b${code}\\b`));
  });

  it('events.md has every event type with every field', () => {
    const events = doc('events.md');
    for (const option of orchestratorEventSchema.options) {
      const { type, ...fields } = option.shape;
      const row = events.split('\n').find((line) => line.startsWith(`| \`${type.value}\` |`));
      expect(row, type.value).toBeDefined();
      for (const field of Object.keys(fields)) expect(row, `${type.value}.${field}`).toContain(`\`${field}\``);
    }
  });
});
