import { Command } from 'commander';
import { InvalidPlanError } from '../../errors.js';
import { resolvePlanArgument } from '../../plan/discover.js';
import { loadPlan } from '../../plan/load.js';
import { chalkFor, writeJson, writeLine, type Io } from '../io.js';
import { globalColor, planReadOptions } from '../global-options.js';
import { displayPath } from '../status-report.js';

export function validateCommand(io: Io): Command {
  return new Command('validate')
    .description('check a plan: schema, ids, dependencies and cycles; every problem is listed')
    .argument('<plan-dir>', 'directory holding PROGRESS.json, or the plan file itself')
    .option('--json', 'print the result as one JSON object on stdout')
    .action(async (planDir: string, opts: { json?: boolean }, cmd: Command) => {
      const c = chalkFor(globalColor(cmd), io);
      try {
        const doc = await loadPlan(resolvePlanArgument(planDir, io.cwd), planReadOptions(cmd));
        const tasks = doc.plan.phases.reduce((n, p) => n + p.tasks.length, 0);
        if (opts.json) {
          writeJson(io, { valid: true, file: doc.file, shape: doc.plan.shape, phases: doc.plan.phases.length, tasks, problems: [] });
        } else {
          writeLine(io.stdout, `${c.green('✔')} ${displayPath(doc.file, io.cwd)}: valid ${doc.plan.shape} plan "${doc.plan.name}", ${doc.plan.phases.length} phases, ${tasks} tasks`);
        }
      } catch (error) {
        if (opts.json && error instanceof InvalidPlanError) {
          writeJson(io, { valid: false, file: error.problems[0]?.file ?? null, problems: error.problems });
        }
        throw error;
      }
    });
}
