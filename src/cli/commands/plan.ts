import { Command } from 'commander';
import type { Io } from '../io.js';
import type { PlanSwitches } from '../plan-from-brief.js';
import { givenSettings, settingOptions } from '../config/setting-options.js';
import { flagParser, positiveInt, type RunSettingKey } from '../config/settings.js';

/** The run settings `ccasp plan` uses, so the config file and `CCASP_*` variables apply to it as to a run. */
const PLAN_SETTINGS: readonly RunSettingKey[] = ['model', 'claudeBin', 'agentEnv', 'taskTimeout', 'stallTimeout'];

export function planCommand(io: Io): Command {
  const command = new Command('plan')
    .description("write a plan from a product description (PRD): claude reads the project and drafts PROGRESS.json, ccasp validates it and has claude correct it")
    .argument('<file-or-text>', 'the product description: a file, or the text itself')
    .argument('[dir]', 'where PROGRESS.json goes (default: the current directory)');
  for (const option of settingOptions('Settings (also from CCASP_* variables and ccasp.config.json):', PLAN_SETTINGS)) command.addOption(option);
  return command
    .option('--max-turns <n>', "cap claude's turns for each draft (claude --max-turns)", flagParser('--max-turns', positiveInt))
    .option('--force', 'replace an existing PROGRESS.json')
    .option('--dry-run', 'print the plan instead of writing it')
    .action(async (brief: string, dir: string | undefined, switches: PlanSwitches, cmd: Command) => {
      // Loaded on demand, like run: execa and zod are no cost to the other commands.
      const { planFromBrief } = await import('../plan-from-brief.js');
      await planFromBrief(brief, dir, { switches, flags: givenSettings(cmd) }, cmd, io);
    });
}
