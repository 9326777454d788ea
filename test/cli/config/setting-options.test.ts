import { Command, type Option } from 'commander';
import { describe, expect, it } from 'vitest';
import { configCommand } from '../../../src/cli/commands/config.js';
import { runCommand } from '../../../src/cli/commands/run.js';
import { givenSettings, settingOptions } from '../../../src/cli/config/setting-options.js';
import { describeDefault, RUN_SETTING_KEYS, RUN_SETTINGS } from '../../../src/cli/config/settings.js';
import { memoryIo } from '../../support/command.js';

const io = memoryIo(process.cwd()).io;
const commands = { run: runCommand(io, () => undefined), config: configCommand(io) };

function optionFor(cmd: Command, long: string): Option | undefined {
  return cmd.options.find((o) => o.long === long);
}

describe('settingOptions', () => {
  for (const [name, cmd] of Object.entries(commands)) {
    it(`declares each setting's flag on ccasp ${name} as the table says`, () => {
      for (const key of RUN_SETTING_KEYS) {
        const spec = RUN_SETTINGS[key];
        if (!spec.flag) continue;
        const option = optionFor(cmd, spec.flag.name);
        expect(option, spec.flag.name).toBeDefined();
        // commander stores the value under the setting's key, which givenSettings reads.
        expect(option!.attributeName()).toBe(key);
        expect(option!.short).toBe(spec.flag.short);
        expect(option!.description.startsWith(spec.description)).toBe(true);
        expect(option!.argChoices).toEqual(spec.kind.choices);
        if (spec.flag.value === undefined) {
          // A switch: the flag alone turns it on, and off goes without saying.
          expect(option!.flags).toBe(spec.flag.name);
          expect(option!.defaultValue).toBeUndefined();
          continue;
        }
        expect(option!.flags).toContain(`<${spec.flag.value}>`);
        if (spec.plan || spec.default === undefined) {
          expect(option!.defaultValue).toBeUndefined();
          expect(option!.description).toContain(`(default: ${describeDefault(spec)})`);
        } else {
          expect(option!.defaultValue).toBe(spec.default);
        }
      }
    });
  }

  it('gives no flag to a setting the table declares without one', () => {
    expect(RUN_SETTINGS.output.flag).toBeUndefined();
    expect(commands.run.options.some((o) => o.attributeName() === 'output')).toBe(false);
    expect(settingOptions('Settings:')).toHaveLength(RUN_SETTING_KEYS.filter((k) => RUN_SETTINGS[k].flag).length);
  });

  it('shows defaults in help as ccasp run always has', () => {
    const help = commands.run.helpInformation({ error: false });
    expect(help).toMatch(/^Settings \(also from CCASP_\* variables and ccasp\.config\.json\):\n {2}-c, --concurrency <n> /m);
    const flat = help.replace(/\s+/g, ' ');
    expect(flat).toContain(`agents at once (default: the plan's max_parallel_agents, else 1)`);
    expect(flat).toContain('--model <name> model for tasks that name none (default: "sonnet")');
    expect(flat).toContain('--max-retries <n> retries per task after the first attempt (default: 3)');
    expect(flat).toContain('(30m, 90s, 1h) (default: 30m)');
    expect(flat).toContain('(default: the plan\'s token_limit, else no limit)');
    expect(flat).toContain('(choices: "text", "json-schema", default: "text")');
  });
});

describe('givenSettings', () => {
  function parse(args: readonly string[]): Command {
    const cmd = runCommand(io, () => undefined).exitOverride().configureOutput({ writeErr: () => undefined }).action(() => undefined);
    return cmd.parse(['plan', ...args], { from: 'user' });
  }

  it('keeps what was typed, parsed, and leaves out the defaults commander fills in', () => {
    const cmd = parse(['-c', '2', '--task-timeout', '90s', '--isolation', 'none', '--push', '--dry-run']);
    expect(cmd.opts().model).toBe('sonnet');
    expect(givenSettings(cmd)).toEqual({ concurrency: 2, taskTimeout: 90_000, isolation: 'none', push: true });
    expect(givenSettings(parse([]))).toEqual({});
  });

  it('rejects a bad value naming the flag', () => {
    expect(() => parse(['--max-retries', '-1'])).toThrow('--max-retries: expected a whole number of 0 or more, got "-1"');
    expect(() => parse(['--model', ' '])).toThrow('--model: expected a non-empty string');
    expect(() => parse(['--isolation', 'sometimes'])).toThrow(/Allowed choices are worktree, none/);
  });
});
