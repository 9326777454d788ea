import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { Command } from 'commander';
import { describe, expect, it } from 'vitest';
import { configCommand } from '../../src/cli/commands/config.js';
import { runCommand as makeRunCommand } from '../../src/cli/commands/run.js';
import { InvalidConfigError } from '../../src/cli/config/file.js';
import { loadConfig } from '../../src/cli/config/load.js';
import { loadRunOptions, type RunInvocation, type RunSwitches } from '../../src/cli/config/run-options.js';
import { givenSettings } from '../../src/cli/config/setting-options.js';
import { formatDuration } from '../../src/cli/config/settings.js';
import type { Io } from '../../src/cli/io.js';
import { REPO_ROOT, runCli } from '../support/cli.js';
import { memoryIo, runCommand } from '../support/command.js';
import { makeProject } from '../support/files.js';
import { tempDir, writeFile } from '../support/tmp.js';

/** `ccasp run`'s real option definitions, parsed without running anything. */
function parseRun(args: readonly string[], io: Io): RunInvocation {
  const cmd: Command = makeRunCommand(io, () => undefined).exitOverride().action(() => undefined);
  cmd.parse(['plan', ...args], { from: 'user' });
  return { switches: cmd.opts<RunSwitches>(), flags: givenSettings(cmd) };
}

/** A git project with a plan in plan/ and, optionally, config files. */
function project(files: Record<string, unknown> = {}): string {
  const dir = makeProject({ name: 'Config fixture', max_parallel_agents: 4, phases: [] });
  for (const [rel, content] of Object.entries(files)) writeFile(dir, rel, content);
  return dir;
}

describe('loadConfig', () => {
  it('gives the defaults of ccasp run when nothing is set', async () => {
    const dir = project();
    const config = await loadConfig(path.join(dir, 'plan'), {}, {}, { cwd: dir });
    expect(config.projectRoot).toBe(dir);
    expect(config.files).toEqual({ used: undefined, shadowed: [], searched: [path.join(dir, 'plan'), dir] });
    expect(config.run).toEqual({
      concurrency: 1,
      model: 'sonnet',
      simpleModel: 'haiku',
      permissionMode: 'acceptEdits',
      maxRetries: 3,
      taskTimeout: 30 * 60_000,
      stallTimeout: 5 * 60_000,
      tokenLimit: undefined,
      maxCostUsd: undefined,
      claudeBin: undefined,
      isolation: undefined,
      reportFormat: 'text',
      output: undefined,
      remote: 'origin',
      push: false,
    });
    expect(Object.values(config.sources).every((s) => s.kind === 'default')).toBe(true);
  });

  it('layers file < environment < flags given on the command line', async () => {
    const dir = project({ 'ccasp.config.json': { run: { model: 'opus', maxRetries: 5, taskTimeout: '1h', concurrency: 2, claudeBin: '/opt/claude' } } });
    const file = path.join(dir, 'ccasp.config.json');
    const m = memoryIo(dir, { CCASP_MAX_RETRIES: '7', CCASP_STALL_TIMEOUT: '90s', CCASP_MODEL: '', CCASP_PUSH: 'yes' });
    const { flags } = parseRun(['--concurrency', '3'], m.io);
    const config = await loadConfig(path.join(dir, 'plan'), m.io.env, flags, { cwd: dir });
    expect(config.files.used).toBe(file);
    expect(config.run.model).toBe('opus');
    expect(config.sources.model).toEqual({ kind: 'file', file });
    expect(config.run.taskTimeout).toBe(3_600_000);
    expect(config.run.maxRetries).toBe(7);
    expect(config.sources.maxRetries).toEqual({ kind: 'env', name: 'CCASP_MAX_RETRIES' });
    expect(config.run.stallTimeout).toBe(90_000);
    expect(config.run.push).toBe(true);
    expect(config.run.concurrency).toBe(3);
    expect(config.sources.concurrency).toEqual({ kind: 'flag', name: '--concurrency' });
    // Commander filled --simple-model with its default: that is not the user's choice.
    expect(config.sources.simpleModel).toEqual({ kind: 'default' });
    expect(config.run.claudeBin).toBe('/opt/claude');
  });

  it('uses the nearest file, preferring ccasp.config.json to .claude/ccasp.json, and names the others', async () => {
    const dir = project({
      '.claude/ccasp.json': { run: { model: 'root-claude' } },
      'ccasp.config.json': { run: { model: 'root' } },
      'plan/.claude/ccasp.json': { run: { model: 'plan-claude' } },
    });
    const config = await loadConfig('plan', {}, {}, { cwd: dir });
    expect(config.run.model).toBe('plan-claude');
    expect(config.files.shadowed).toEqual([path.join(dir, 'ccasp.config.json'), path.join(dir, '.claude/ccasp.json')]);
    const fromRoot = await loadConfig(dir, {}, {}, { cwd: dir });
    expect(fromRoot.run.model).toBe('root');
  });

  it('does not look above the git top level', async () => {
    const outer = tempDir();
    writeFile(outer, 'ccasp.config.json', { run: { model: 'outer' } });
    const dir = path.join(outer, 'repo');
    mkdirSync(path.join(dir, '.git'), { recursive: true });
    const config = await loadConfig(dir, {}, {}, { cwd: dir });
    expect(config.files.used).toBeUndefined();
    expect(config.run.model).toBe('sonnet');
  });

  it('reports every bad value in the file with its field, and bad variables by name', async () => {
    const dir = project({
      'ccasp.config.json': { run: { concurrency: 0, model: '', taskTimeout: 30, stallTimeout: 'soon', push: 'yes', modle: 'x' }, extra: true },
    });
    const error = await loadConfig(dir, {}, {}, { cwd: dir }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InvalidConfigError);
    const problems = (error as InvalidConfigError).problems.map((p) => `${path.basename(p.file)}: ${p.path}: ${p.message}`);
    expect(problems).toEqual(
      expect.arrayContaining([
        'ccasp.config.json: run.concurrency: expected a whole number of 1 or more, got 0',
        'ccasp.config.json: run.model: expected a non-empty string',
        'ccasp.config.json: run.taskTimeout: expected a duration such as "30m", "90s" or "1h", got 30',
        'ccasp.config.json: run.stallTimeout: expected a duration such as "30m", "90s" or "1h", got "soon"',
        'ccasp.config.json: run.push: expected true or false, got "yes"',
        expect.stringMatching(/^ccasp\.config\.json: run\.modle: unknown setting \(known: concurrency, model, /),
        'ccasp.config.json: extra: unknown setting (known: $schema, run)',
      ]),
    );
    expect(problems).toHaveLength(7);
    const env = await loadConfig(project(), { CCASP_CONCURRENCY: 'many', CCASP_MAX_COST_USD: '-1', CCASP_PUSH: 'sometimes' }, {}).catch((e: unknown) => e);
    expect((env as InvalidConfigError).message).toContain('environment: CCASP_PUSH: expected true or false, got "sometimes"');
    expect((env as InvalidConfigError).message).toContain('environment: CCASP_CONCURRENCY: expected a whole number of 1 or more, got "many"');
    expect((env as InvalidConfigError).message).toContain('environment: CCASP_MAX_COST_USD: expected a number above 0, got "-1"');
  });

  it('reports broken JSON with its line and column', async () => {
    const dir = project({ 'ccasp.config.json': '{ "run": { "model": "x", } }' });
    const error = await loadConfig(dir, {}, {}, { cwd: dir }).catch((e: unknown) => e);
    expect((error as InvalidConfigError).message).toMatch(/ccasp\.config\.json: is not valid JSON: .*line 1, column/);
  });

  it('formats durations the way they are written', () => {
    expect([formatDuration(1_800_000), formatDuration(90_000), formatDuration(3_600_000), formatDuration(1500)]).toEqual(['30m', '90s', '1h', '1500ms']);
  });
});

describe('loadRunOptions', () => {
  const planOf = (dir: string, settings: { maxParallel?: number; tokenLimit?: number } = {}) => ({ file: path.join(dir, 'plan', 'PROGRESS.json'), plan: settings });

  it('lets the file and environment replace defaults, never a flag the user typed, and keeps the switches', async () => {
    const dir = project({ '.claude/ccasp.json': { run: { model: 'opus', simpleModel: 'sonnet', taskTimeout: '10m', maxCostUsd: 2.5 } } });
    const m = memoryIo(dir, { CCASP_PERMISSION_MODE: 'bypassPermissions' });
    const options = await loadRunOptions(parseRun(['--model', 'haiku', '--dry-run'], m.io), planOf(dir), m.io);
    expect(options.model).toBe('haiku');
    expect(options.simpleModel).toBe('sonnet');
    expect(options.taskTimeout).toBe(600_000);
    expect(options.stallTimeout).toBe(300_000);
    expect(options.maxCostUsd).toBe(2.5);
    expect(options.permissionMode).toBe('bypassPermissions');
    expect(options.dryRun).toBe(true);
    expect(options.wait).toBe(true);
    expect(options.concurrency).toBe(1);
  });

  it("puts the plan's own settings below the file and above the defaults", async () => {
    const dir = project({ 'plan/ccasp.config.json': { run: { tokenLimit: 9000 } } });
    const m = memoryIo(dir);
    const options = await loadRunOptions(parseRun([], m.io), planOf(dir, { maxParallel: 4, tokenLimit: 5000 }), m.io);
    expect(options.concurrency).toBe(4);
    expect(options.tokenLimit).toBe(9000);
    const flagged = await loadRunOptions(parseRun(['-c', '2'], m.io), planOf(dir, { maxParallel: 4 }), m.io);
    expect(flagged.concurrency).toBe(2);
  });

  it('reads the config file of the folder the plan file is in', async () => {
    const dir = project({ 'plan/ccasp.config.json': { run: { maxRetries: 0, output: 'silent' } } });
    const m = memoryIo(dir);
    const options = await loadRunOptions(parseRun([], m.io), planOf(dir), m.io);
    expect(options.maxRetries).toBe(0);
    expect(options.output).toBe('silent');
  });
});

describe('configCommand', () => {
  it('prints each setting with its value and where it came from', async () => {
    const dir = project({ 'ccasp.config.json': { run: { model: 'opus', taskTimeout: '45m' } } });
    const r = await runCommand(configCommand, ['config', 'plan', '--stall-timeout', '2m'], dir, { CCASP_TOKEN_LIMIT: '500000' });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(`Plan    ${path.join('plan', 'PROGRESS.json')}`);
    expect(r.stdout).toContain('Config  ccasp.config.json');
    expect(r.stdout).toMatch(/run\.concurrency +4 +plan \(plan\/PROGRESS\.json\)/);
    expect(r.stdout).toMatch(/run\.model +opus +config file \(ccasp\.config\.json\)/);
    expect(r.stdout).toMatch(/run\.simpleModel +haiku +default/);
    expect(r.stdout).toMatch(/run\.taskTimeout +45m +config file/);
    expect(r.stdout).toMatch(/run\.stallTimeout +2m +flag \(--stall-timeout\)/);
    expect(r.stdout).toMatch(/run\.tokenLimit +500000 +environment \(CCASP_TOKEN_LIMIT\)/);
    expect(r.stdout).toMatch(/run\.claudeBin +\(claude on PATH\) +default/);
  });

  it("says what applies when neither the plan nor anything else sets a value", async () => {
    const dir = project({ 'plan/PROGRESS.json': { name: 'No settings', phases: [] }, 'ccasp.config.json': { run: { output: 'plain' } } });
    const r = await runCommand(configCommand, ['config', 'plan'], dir);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/run\.concurrency +\(1: the plan sets none\) +default/);
    expect(r.stdout).toMatch(/run\.tokenLimit +\(no limit: the plan sets none\) +default/);
    expect(r.stdout).toMatch(/run\.isolation +\(worktree above concurrency 1, else none\) +default/);
    expect(r.stdout).toMatch(/run\.output +plain +config file \(ccasp\.config\.json\)/);
    const none = await runCommand(configCommand, ['config', 'nowhere'], dir);
    expect(none.stdout).toMatch(/run\.concurrency +\(the plan's max_parallel_agents, else 1\) +default/);
    const bare = await runCommand(configCommand, ['config'], tempDir());
    expect(bare.stdout).toMatch(/run\.output +\(tty on a terminal, else plain\) +default/);
  });

  it('prints JSON with --json, and works without any plan', async () => {
    const dir = tempDir();
    const r = await runCommand(configCommand, ['config', '--json'], dir, { CCASP_MODEL: 'opus' });
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout) as {
      planFile: string | null;
      files: { used: string | null };
      run: Record<string, { value: unknown; source: string; from?: string }>;
    };
    expect(out.planFile).toBeNull();
    expect(out.files.used).toBeNull();
    expect(out.run.model).toEqual({ value: 'opus', source: 'env', from: 'CCASP_MODEL' });
    expect(out.run.taskTimeout).toEqual({ value: 1_800_000, source: 'default' });
    expect(out.run.concurrency).toEqual({ value: 1, source: 'default' });
    expect(out.run.output).toEqual({ value: null, source: 'default' });
  });

  it('exits 2 for an invalid config file, naming the file and field', async () => {
    const dir = project({ 'ccasp.config.json': { run: { maxRetries: -1, model: 3 } } });
    const r = await runCommand(configCommand, ['config', 'plan'], dir);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`${path.join(dir, 'ccasp.config.json')}: run.maxRetries: expected a whole number of 0 or more, got -1`);
    expect(r.stderr).toContain('run.model: expected a string, got 3');
  });

  it('checks flag values as ccasp run does', async () => {
    const r = await runCommand(configCommand, ['config', '--task-timeout', 'forever'], REPO_ROOT);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('--task-timeout: expected a duration');
  });
});

// Spawns bin/ccasp: passes once main.ts registers configCommand and dist/ is rebuilt.
describe('ccasp config (CLI; needs main.ts wiring)', () => {
  it('shows the sources as JSON', async () => {
    const dir = project({ 'ccasp.config.json': { run: { model: 'opus' } } });
    const r = await runCli(['config', 'plan', '--json'], { cwd: dir });
    expect(r.code).toBe(0);
    expect((JSON.parse(r.stdout) as { run: { model: unknown } }).run.model).toEqual({ value: 'opus', source: 'file', from: 'ccasp.config.json' });
  });
});
