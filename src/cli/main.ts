import { Command } from 'commander';
import pkg from '../../package.json' with { type: 'json' };
import { cleanCommand } from './commands/clean.js';
import { completionCommand } from './commands/completion.js';
import { configCommand } from './commands/config.js';
import { dashboardCommand } from './commands/dashboard.js';
import { graphCommand } from './commands/graph.js';
import { initCommand } from './commands/init.js';
import { logsCommand } from './commands/logs.js';
import { planCommand } from './commands/plan.js';
import { resetCommand, unblockCommand } from './commands/reopen.js';
import { runCommand } from './commands/run.js';
import { statusCommand } from './commands/status.js';
import { syncCommand } from './commands/sync.js';
import { validateCommand } from './commands/validate.js';
import { workerCommand } from './commands/worker.js';
import { workersCommand } from './commands/workers.js';
import { exitCodeFor } from './exit.js';
import type { Io } from './io.js';

/** `setExit` lets a command that finished normally still end with a non-zero code (blocked, paused). */
export function buildProgram(io: Io, setExit: (code: number) => void): Command {
  const program = new Command('ccasp')
    .description('Run a phased development plan (PROGRESS.json) to completion with Claude Code agents')
    .version(pkg.version)
    .option('--no-color', 'no colour in output (also NO_COLOR)')
    .option('--tag <name>', "the Task Master tag to work on (default: Task Master's current tag)");
  const commands = [
    runCommand(io, setExit),
    statusCommand(io),
    validateCommand(io),
    planCommand(io),
    graphCommand(io),
    logsCommand(io),
    dashboardCommand(io),
    unblockCommand(io),
    resetCommand(io),
    syncCommand(io),
    cleanCommand(io),
    initCommand(io),
    configCommand(io),
    workerCommand(io),
    workersCommand(io),
  ];
  for (const command of commands) program.addCommand(command);
  // Last: the completion script is built from the commands above.
  program.addCommand(completionCommand(io, program));
  // addCommand() copies no settings, so output and exit handling are set on every command here.
  for (const command of [program, ...program.commands]) {
    command
      .configureOutput({ writeOut: (s) => io.stdout.write(s), writeErr: (s) => io.stderr.write(s) })
      .showHelpAfterError(`(run ccasp ${command === program ? '' : `${command.name()} `}--help for usage)`)
      .exitOverride();
  }
  return program;
}

export async function main(argv: readonly string[], io: Io): Promise<number> {
  let code = 0;
  try {
    await buildProgram(io, (c) => (code = c)).parseAsync([...argv], { from: 'user' });
    return code;
  } catch (error) {
    return exitCodeFor(error, io);
  }
}
