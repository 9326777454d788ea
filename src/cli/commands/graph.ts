import { Command, Option } from 'commander';
import { resolvePlanArgument } from '../../plan/discover.js';
import { loadPlan } from '../../plan/load.js';
import { planReadOptions } from '../global-options.js';
import type { Io } from '../io.js';
import { renderDot } from '../render/graph-dot.js';
import { renderMermaid } from '../render/graph-mermaid.js';
import { DIRECTIONS, graphView, type Direction } from '../render/graph-view.js';

export const GRAPH_FORMATS = ['mermaid', 'dot'] as const;
export type GraphFormat = (typeof GRAPH_FORMATS)[number];

export function graphCommand(io: Io): Command {
  return new Command('graph')
    .description('print the plan as a Mermaid flowchart (or Graphviz dot): phases as subgraphs, dependencies as edges, tasks coloured by status')
    .argument('[plan-dir]', 'directory holding PROGRESS.json, or the plan file (default: the one in this project)')
    .addOption(new Option('--format <format>', 'mermaid, or dot for Graphviz').choices(GRAPH_FORMATS).default('mermaid'))
    .addOption(new Option('--direction <dir>', 'layout direction').choices(DIRECTIONS).default('TB'))
    .action(async (planDir: string | undefined, opts: { format: GraphFormat; direction: Direction }, cmd: Command) => {
      const doc = await loadPlan(resolvePlanArgument(planDir, io.cwd), planReadOptions(cmd));
      const view = graphView(doc.plan);
      io.stdout.write(opts.format === 'dot' ? renderDot(view, opts.direction) : renderMermaid(view, opts.direction));
    });
}
