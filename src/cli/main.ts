import { Command } from 'commander';
import pkg from '../../package.json' with { type: 'json' };
import { statusCommand } from './commands/status.js';
import { validateCommand } from './commands/validate.js';
import { exitCodeFor } from './exit.js';
import type { Io } from './io.js';

export function buildProgram(io: Io): Command {
  const program = new Command('ccasp')
    .description('Run a phased development plan (PROGRESS.json) to completion with Claude Code agents')
    .version(pkg.version)
    .option('--no-color', 'no colour in output (also NO_COLOR)')
  for (const command of [validateCommand(io), statusCommand(io)]) program.addCommand(command);
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
  try {
    await buildProgram(io).parseAsync([...argv], { from: 'user' });
    return 0;
  } catch (error) {
    return exitCodeFor(error, io);
  }
}
