import { Command } from 'commander';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { resolvePlanArgument } from '../../plan/discover.js';
import { loadPlan } from '../../plan/load.js';
import { statePath } from '../../state/paths.js';
import { findProjectRoot } from '../../project-root.js';
import { readState } from '../../state/read-state.js';
import { globalColor, planReadOptions } from '../global-options.js';
import { chalkFor, writeJson, writeLine, type Io } from '../io.js';
import { renderStatus } from '../render/status-text.js';
import { statusReport } from '../status-report.js';
import { worktreesDir } from '../../worktree/names.js';
import type { PlanWorktree } from '../../worktree/plan-worktrees.js';

export function statusCommand(io: Io): Command {
  return new Command('status')
    .description("show where a plan stands: completion, phases, ready and blocked tasks, the orchestrator's state")
    .argument('[plan-dir]', 'directory holding PROGRESS.json (default: the one in this project)')
    .option('--json', 'print one JSON object on stdout')
    .action(async (planDir: string | undefined, opts: { json?: boolean }, cmd: Command) => {
      const doc = await loadPlan(resolvePlanArgument(planDir, io.cwd), planReadOptions(cmd));
      const root = findProjectRoot(path.dirname(doc.file));
      const stateFile = statePath(root);
      const state = await readState(stateFile);
      let worktrees: PlanWorktree[] = [];
      // git only when ccasp made worktrees here; loaded on demand so status never pays for execa otherwise.
      if (existsSync(worktreesDir(root))) {
        const { planWorktrees } = await import('../../worktree/plan-worktrees.js');
        const branch = state.kind === 'ok' && state.state.planId === doc.plan.id ? state.state.integrationBranch : undefined;
        worktrees = await planWorktrees(root, doc.plan, branch);
      }
      const report = statusReport(doc, stateFile, state, io.cwd, worktrees);
      if (opts.json) {
        writeJson(io, report);
        return;
      }
      for (const line of renderStatus(report, chalkFor(globalColor(cmd), io))) writeLine(io.stdout, line);
    });
}
