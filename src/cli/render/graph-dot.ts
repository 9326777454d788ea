import { oneLine, STATUS_STYLES, type Direction, type GraphView } from './graph-view.js';

/**
 * A double-quoted dot string used as a label. Inside quotes dot only unescapes `\"`, but labels also
 * read `\n`, `\l`, `\N` and the like, and HTML entities such as `&lt;`; so a backslash is doubled,
 * `&` becomes `&amp;`, then quotes are escaped.
 */
export function dotString(text: string): string {
  return `"${oneLine(text).replace(/\\/g, '\\\\').replace(/&/g, '&amp;').replace(/"/g, '\\"')}"`;
}

/** The plan as a Graphviz digraph: a cluster per phase, an edge per dependency, tasks filled by status. */
export function renderDot(view: GraphView, direction: Direction = 'TB'): string {
  const lines: string[] = [
    'digraph plan {',
    `  graph [label=${dotString(view.title)}, labelloc=t, fontname="Helvetica", rankdir=${direction}];`,
    '  node [shape=box, style="rounded,filled", fontname="Helvetica"];',
    '  edge [color="#495057"];',
  ];
  view.phases.forEach((phase, i) => {
    lines.push(`  subgraph cluster_${i} {`);
    lines.push(`    label=${dotString(phase.label)}; style="rounded"; color="#adb5bd";`);
    for (const node of phase.nodes) {
      const s = STATUS_STYLES[node.status];
      const style = ['rounded', 'filled', ...(s.dashed ? ['dashed'] : []), ...(node.system ? ['bold'] : [])].join(',');
      lines.push(
        `    ${node.key} [label=${dotString(node.label)}, style="${style}", fillcolor="${s.fill}", color="${s.stroke}", fontcolor="${s.text}"];`,
      );
    }
    lines.push('  }');
  });
  for (const edge of view.edges) lines.push(`  ${edge.from} -> ${edge.to};`);
  lines.push('}');
  return `${lines.join('\n')}\n`;
}
