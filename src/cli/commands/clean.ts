import { Command } from 'commander';
import { resolvePlanArgument } from '../../plan/discover.js';
import { globalColor, planReadOptions } from '../global-options.js';
import { chalkFor, writeJson, writeLine, type Io } from '../io.js';

interface CleanFlags {
  readonly all?: boolean;
  readonly json?: boolean;
}

/** `ccasp clean [plan-dir]`: remove the task worktrees and branches a worktree run left behind. */
export function cleanCommand(io: Io): Command {
  return new Command('clean')
    .description("remove the git worktrees and task branches ccasp keeps for a plan's unfinished tasks (blocked and failed tasks' only with --all)")
    .argument('[plan-dir]', 'directory holding PROGRESS.json (default: the one in this project)')
    .option('--all', 'also remove the worktrees of blocked and failed tasks, with the work in them')
    .option('--json', 'print {removed, kept, recovered} on stdout')
    .action(async (planDir: string | undefined, flags: CleanFlags, cmd: Command) => {
      // Loaded on demand: git (through execa) is for run and clean, never for status or validate.
      const { cleanProject } = await import('../../worktree/clean-project.js');
      const report = await cleanProject(resolvePlanArgument(planDir, io.cwd), flags.all ?? false, planReadOptions(cmd));
      if (flags.json) {
        writeJson(io, report);
        return;
      }
      const c = chalkFor(globalColor(cmd), io);
      if (report.note) writeLine(io.stdout, report.note);
      for (const line of report.recovered) writeLine(io.stderr, c.yellow(`recovered: ${line}`));
      writeLine(io.stdout, report.removed.length > 0 ? `${c.green('✔')} removed the worktrees and branches of ${report.removed.join(', ')}` : 'nothing to remove');
      if (report.kept.length > 0) writeLine(io.stdout, `kept (blocked or failed; --all removes them too): ${report.kept.join(', ')}`);
    });
}
