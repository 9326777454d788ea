import { TASK_STATUSES } from '../../plan/model.js';
import { oneLine, STATUS_STYLES, type Direction, type GraphView } from './graph-view.js';

/**
 * Text inside a quoted Mermaid label. Mermaid decodes `#<code>;` entities in labels, so every
 * character that could end the quote, start an entity, open HTML or turn on markdown is written as
 * one: `"`, `#`, `&`, `<`, `>` and the backtick.
 */
export function mermaidText(text: string): string {
  return oneLine(text).replace(/[#"&<>`]/g, (ch) => `#${ch.codePointAt(0)};`);
}

/** The plan as a Mermaid flowchart: phases as subgraphs, dependencies as edges, tasks styled by status. */
export function renderMermaid(view: GraphView, direction: Direction = 'TB'): string {
  const lines: string[] = ['---', `title: ${JSON.stringify(oneLine(view.title))}`, '---', `flowchart ${direction}`];
  for (const phase of view.phases) {
    lines.push(`  subgraph ${phase.key}["${mermaidText(phase.label)}"]`);
    for (const node of phase.nodes) {
      const [open, close] = node.system ? ['[[', ']]'] : ['[', ']'];
      lines.push(`    ${node.key}${open}"${mermaidText(node.label)}"${close}`);
    }
    lines.push('  end');
  }
  for (const edge of view.edges) lines.push(`  ${edge.from} --> ${edge.to}`);
  const used = new Set(view.phases.flatMap((p) => p.nodes.map((n) => n.status)));
  for (const status of TASK_STATUSES) {
    if (!used.has(status)) continue;
    const s = STATUS_STYLES[status];
    lines.push(`  classDef ${status} fill:${s.fill},stroke:${s.stroke},color:${s.text}${s.dashed ? ',stroke-dasharray:4 3' : ''}`);
    const keys = view.phases.flatMap((p) => p.nodes.filter((n) => n.status === status).map((n) => n.key));
    lines.push(`  class ${keys.join(',')} ${status}`);
  }
  return `${lines.join('\n')}\n`;
}
