import { Command } from 'commander';
import { resolvePlanArgument } from '../../plan/discover.js';
import type { TaskStatus } from '../../plan/model.js';
import { globalColor, planReadOptions } from '../global-options.js';
import { chalkFor, writeLine, type Io } from '../io.js';

function reopenCommand(io: Io, name: string, description: string, allowed: readonly TaskStatus[], hint: string): Command {
  return new Command(name)
    .description(description)
    .argument('<task-id>', 'the task to put back to pending')
    .argument('[plan-dir]', 'directory holding PROGRESS.json (default: the one in this project)')
    .action(async (taskId: string, planDir: string | undefined, _opts: unknown, cmd: Command) => {
      // Loaded on demand: writing state pulls in modules that status and validate never need.
      const { reopenTask } = await import('../reopen-task.js');
      const was = await reopenTask(resolvePlanArgument(planDir, io.cwd), taskId, allowed, planReadOptions(cmd));
      const c = chalkFor(globalColor(cmd), io);
      writeLine(io.stdout, `${c.green('✔')} ${taskId}: ${was} → pending. ${hint}`);
    });
}

export function unblockCommand(io: Io): Command {
  return reopenCommand(io, 'unblock', 'put a blocked or failed task back to pending once its blocker is fixed', ['blocked', 'failed'], 'Run `ccasp run` to go on.');
}

export function resetCommand(io: Io): Command {
  return reopenCommand(
    io,
    'reset',
    'put any task back to pending (also a completed one, to have it done again)',
    ['pending', 'in_progress', 'completed', 'blocked', 'failed', 'skipped'],
    'It runs again at the next `ccasp run`.',
  );
}
