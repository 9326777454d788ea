import type { ChalkInstance } from 'chalk';
import { Command } from 'commander';
import path from 'node:path';
import { CcaspError } from '../../errors.js';
import { resolvePlanArgument } from '../../plan/discover.js';
import { loadPlan } from '../../plan/load.js';
import type { PlanReadOptions } from '../../plan/shapes/shape.js';
import { CONFIG_FILE_NAMES } from '../config/file.js';
import { loadConfig, planDirOf, type ResolvedConfig } from '../config/load.js';
import type { SettingSource } from '../config/resolve.js';
import { givenSettings, settingOptions } from '../config/setting-options.js';
import { describeDefault, describeFallback, RUN_SETTING_KEYS, RUN_SETTINGS, type PlanSettings, type RunSettingKey } from '../config/settings.js';
import { globalColor, planReadOptions } from '../global-options.js';
import { chalkFor, writeJson, writeLine, type Io } from '../io.js';
import { displayPath } from '../status-report.js';

interface ConfigOptions {
  readonly json?: boolean;
}

export function configCommand(io: Io): Command {
  const command = new Command('config')
    .description("show the settings `ccasp run` would use for a plan, and where each one comes from (default, plan, config file, CCASP_* variable, flag)")
    .argument('[plan-dir]', 'directory holding PROGRESS.json, or the plan file (default: the one in this project, else the current directory)')
    .option('--json', 'print {projectRoot, planDir, planFile, files, run} on stdout; durations in milliseconds');
  // The run settings as flags too, so `ccasp config --model opus` shows what a run with it would use.
  for (const option of settingOptions('Settings, as `ccasp run` takes them:')) command.addOption(option);
  return command.action(async (planDir: string | undefined, opts: ConfigOptions, cmd: Command) => {
    const plan = await findPlan(planDir, io, planReadOptions(cmd));
    const dir = plan.file ? path.dirname(plan.file) : planDirOf(planDir ?? '.', io.cwd);
    const config = await loadConfig(dir, io.env, givenSettings(cmd), { cwd: io.cwd, ...(plan.file && plan.settings ? { plan: { file: plan.file, settings: plan.settings } } : {}) });
    const show = (f: string) => displayPath(f, io.cwd);
    if (opts.json) {
      writeJson(io, {
        projectRoot: config.projectRoot,
        planDir: show(config.planDir),
        planFile: plan.file ? show(plan.file) : null,
        files: { used: config.files.used ? show(config.files.used) : null, shadowed: config.files.shadowed.map(show), searched: config.files.searched.map(show) },
        run: Object.fromEntries(RUN_SETTING_KEYS.map((key) => [key, { value: config.run[key] ?? null, ...sourceJson(config.sources[key], show) }])),
      });
      return;
    }
    for (const line of renderConfig(config, plan, show, chalkFor(globalColor(cmd), io))) writeLine(io.stdout, line);
  });
}

interface FoundPlan {
  readonly file?: string;
  readonly settings?: PlanSettings;
  /** Why the plan's own settings are not shown. */
  readonly note?: string;
}

/** The plan, for its own settings; configuration is still shown when there is none or it is invalid. */
async function findPlan(planDir: string | undefined, io: Io, options: PlanReadOptions): Promise<FoundPlan> {
  let file: string;
  try {
    file = path.resolve(io.cwd, resolvePlanArgument(planDir, io.cwd));
  } catch (error) {
    if (error instanceof CcaspError) return { note: 'no plan found' };
    throw error;
  }
  try {
    const doc = await loadPlan(file, options);
    return { file: doc.file, settings: doc.plan };
  } catch (error) {
    if (error instanceof CcaspError) return { note: `plan not read: ${error.message.split('\n')[0] ?? ''}` };
    throw error;
  }
}

function sourceJson(source: SettingSource, show: (f: string) => string): { source: SettingSource['kind']; from?: string } {
  switch (source.kind) {
    case 'default':
      return { source: 'default' };
    case 'plan':
    case 'file':
      return { source: source.kind, from: show(source.file) };
    case 'env':
    case 'flag':
      return { source: source.kind, from: source.name };
  }
}

function renderConfig(config: ResolvedConfig, plan: FoundPlan, show: (f: string) => string, c: ChalkInstance): string[] {
  const lines: string[] = [];
  lines.push(`${c.bold('Plan')}    ${plan.file ? show(plan.file) : c.dim(plan.note ?? 'none')}`);
  if (config.files.used) {
    lines.push(`${c.bold('Config')}  ${show(config.files.used)}`);
    for (const f of config.files.shadowed) lines.push(c.dim(`        also found, not used (the nearest file wins): ${show(f)}`));
  } else {
    const from = show(config.files.searched[0] ?? config.planDir) || '.';
    const to = show(config.files.searched.at(-1) ?? config.planDir) || '.';
    lines.push(`${c.bold('Config')}  ${c.dim(`none (looked for ${CONFIG_FILE_NAMES.join(' or ')} from ${from} up to ${to})`)}`);
  }
  lines.push('');
  const rows = RUN_SETTING_KEYS.map((key) => {
    const value = config.run[key];
    const unset = unsetText(key, value, config.sources[key], plan.file !== undefined);
    return { name: `run.${key}`, value: unset === undefined ? showValue(key, value) : `(${unset})`, source: describeSource(config.sources[key], show), unset: unset !== undefined };
  });
  const nameWidth = Math.max(...rows.map((r) => r.name.length));
  const valueWidth = Math.max(...rows.map((r) => r.value.length));
  for (const r of rows) {
    const value = r.unset ? c.dim(r.value.padEnd(valueWidth)) : r.value.padEnd(valueWidth);
    lines.push(`${r.name.padEnd(nameWidth)}  ${value}  ${c.dim(r.source)}`);
  }
  return lines;
}

/**
 * How a value no layer set is shown, or undefined for one that was set: a setting the plan may set
 * says so, since a plan that could not be read might have.
 */
function unsetText(key: RunSettingKey, value: unknown, source: SettingSource, planRead: boolean): string | undefined {
  const spec = RUN_SETTINGS[key];
  if (source.kind !== 'default' || (value !== undefined && !spec.plan)) return undefined;
  if (!spec.plan) return describeFallback(spec);
  return planRead ? `${describeFallback(spec)}: the plan sets none` : describeDefault(spec);
}

function showValue<K extends RunSettingKey>(key: K, value: unknown): string {
  const kind = RUN_SETTINGS[key].kind;
  return kind.is(value) ? kind.show(value) : String(value);
}

function describeSource(source: SettingSource, show: (f: string) => string): string {
  switch (source.kind) {
    case 'default':
      return 'default';
    case 'plan':
      return `plan (${show(source.file)})`;
    case 'file':
      return `config file (${show(source.file)})`;
    case 'env':
      return `environment (${source.name})`;
    case 'flag':
      return `flag (${source.name})`;
  }
}
