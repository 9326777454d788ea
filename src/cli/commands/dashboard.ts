import { Command, InvalidArgumentError } from 'commander';
import path from 'node:path';
import { resolvePlanArgument } from '../../plan/discover.js';
import { loadPlan } from '../../plan/load.js';
import { findProjectRoot } from '../../project-root.js';
import { planReadOptions } from '../global-options.js';
import { writeLine, type Io } from '../io.js';
import { onStopSignal } from '../stop-signals.js';

/** A TCP port for the dashboard; 0 asks for any free one. */
export function parsePort(flag: string): (value: string) => number {
  return (value) => {
    const n = Number(value);
    if (value.trim() === '' || !Number.isInteger(n) || n < 0 || n > 65535) throw new InvalidArgumentError(`${flag}: expected a port number from 0 to 65535 (0: any free port), got "${value}"`);
    return n;
  };
}

export function dashboardCommand(io: Io): Command {
  return new Command('dashboard')
    .description('serve a live page of the plan on 127.0.0.1: the task graph, every agent, tokens and cost; works for a run going on elsewhere and for one that ended')
    .argument('[plan-dir]', 'directory holding PROGRESS.json (default: the one in this project)')
    .option('--port <n>', 'the port to listen on (default: any free one)', parsePort('--port'), 0)
    .action(async (planDir: string | undefined, opts: { port: number }, cmd: Command) => {
      const doc = await loadPlan(resolvePlanArgument(planDir, io.cwd), planReadOptions(cmd));
      const root = findProjectRoot(path.dirname(doc.file));
      // Loaded on demand: no other command pays for the server.
      const { openDashboard } = await import('../../dashboard/open.js');
      const dashboard = await openDashboard(doc, root, path.relative(root, doc.file) || doc.file, { port: opts.port, flag: '--port' });
      writeLine(io.stdout, `Dashboard: ${dashboard.url}`);
      writeLine(io.stderr, 'Read-only, on this machine only; the address carries its key. Ctrl-C stops.');
      await new Promise<void>((resolve) => {
        const stopListening = onStopSignal(() => {
          stopListening();
          resolve();
        });
      });
      await dashboard.close();
    });
}
