import { Command } from 'commander';
import type { Io } from '../io.js';
import { addGithubOptions } from '../../github/options.js';
import type { RunSwitches } from '../config/run-options.js';
import { givenSettings, settingOptions } from '../config/setting-options.js';
import { flagParser, positiveInt } from '../config/settings.js';
import { parsePort } from './dashboard.js';

export function runCommand(io: Io, setExit: (code: number) => void): Command {
  const command = new Command('run')
    .description('run the plan: delegate each ready task to a claude agent, check its work, keep PROGRESS.json true')
    .argument('<plan-dir>', 'directory holding PROGRESS.json, or the plan file itself');
  for (const option of settingOptions('Settings (also from CCASP_* variables and ccasp.config.json):')) command.addOption(option);
  command
    .option('--no-wait', 'on a usage limit, stop (exit 7) instead of waiting for the reset')
    .option('--max-turns <n>', "cap each agent's turns (claude --max-turns)", flagParser('--max-turns', positiveInt))
    .option('--hard-limit', 'at a budget limit, stop running agents too instead of letting them finish')
    .option('--dry-run', 'print the schedule, routes and first prompt; spawn nothing')
    .option('--retry-blocked', 'put blocked and failed tasks back to pending first')
    .option('--fresh', 'start a new orchestrator state even if one exists for another plan')
    .option('--branch <name>', 'worktree mode: the branch to merge completed tasks into (default: the current branch; created from HEAD if missing)')
    .option('--allow-dirty', 'worktree mode: start even though the working tree has uncommitted changes')
    .option('--json', 'newline-delimited JSON events on stdout; human lines go to stderr')
    .option('--dashboard', 'serve the live dashboard beside the run (its address is printed on stderr)')
    .option('--dashboard-port <n>', "the dashboard's port (implies --dashboard; default: any free port)", parsePort('--dashboard-port'));
  return addGithubOptions(command).action(async (planDir: string, switches: RunSwitches, cmd: Command) => {
    // Loaded on demand so that status and validate never pay for execa and the run loop.
    const { runSession } = await import('../run-session.js');
    setExit(await runSession(planDir, { switches, flags: givenSettings(cmd) }, cmd, io));
  });
}
