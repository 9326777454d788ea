import { execFileSync, spawnSync } from 'node:child_process';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { graphCommand } from '../../src/cli/commands/graph.js';
import { renderDot } from '../../src/cli/render/graph-dot.js';
import { mermaidText, renderMermaid } from '../../src/cli/render/graph-mermaid.js';
import { graphView } from '../../src/cli/render/graph-view.js';
import { loadPlan } from '../../src/plan/load.js';
import { REPO_ROOT, runCli } from '../support/cli.js';
import { runCommand } from '../support/command.js';
import { tempDir, writeFile } from '../support/tmp.js';

const hasGraphviz = spawnSync('dot', ['-V']).status === 0;
const CANONICAL = path.join(REPO_ROOT, 'examples/canonical');

function trickyPlan(): string {
  const dir = tempDir();
  writeFile(dir, 'PROGRESS.json', {
    name: 'Tricky "plan" <b>',
    phases: [
      {
        id: 'P.1',
        name: 'Quotes "and" [brackets] & #35; entities',
        tasks: [
          { id: 'a.b', title: 'Say "hi" <script>`x`</script> #quot;', status: 'completed' },
          { id: 'a_b', title: 'Back\\slash and\nnewline', status: 'failed', dependencies: ['a.b'] },
          { id: 'end', title: 'A reserved word', status: 'blocked', dependencies: ['a.b', 'a.b'] },
          { id: 'o-x', title: 'Skipped one', status: 'skipped' },
        ],
      },
      { id: 'P2', name: 'Later', tasks: [{ id: 'P2.1', title: 'Next', status: 'in_progress', dependencies: ['a_b', 'end'] }] },
    ],
  });
  return dir;
}

describe('graph renderers', () => {
  it('draws the canonical example: phases as subgraphs, dependencies as edges, status classes', async () => {
    const doc = await loadPlan(CANONICAL);
    const out = renderMermaid(graphView(doc.plan));
    expect(out.startsWith('---\ntitle: "Todo service"\n---\nflowchart TB\n')).toBe(true);
    expect(out).toContain('  subgraph p_P1["P1: Foundation"]');
    expect(out).toContain('    t_P1_1["P1.1: Todo model"]');
    expect(out).toContain('  t_P1_1 --> t_P2_1');
    expect(out).toContain('  t_P1_2 --> t_P2_3');
    expect(out).toMatch(/ {2}classDef pending fill:#[0-9a-f]{6},stroke:#[0-9a-f]{6},color:#[0-9a-f]{6}\n {2}class t_P1_1,t_P1_2,t_P2_1,/);
    expect(out.match(/^ {2}subgraph /gm)).toHaveLength(3);
    expect(out.match(/^ {2}end$/gm)).toHaveLength(3);
  });

  it('escapes labels and keeps ids with dots or reserved words apart and safe', async () => {
    const doc = await loadPlan(trickyPlan());
    const view = graphView(doc.plan);
    const keys = view.phases.flatMap((p) => p.nodes.map((n) => n.key));
    expect(keys).toEqual(['t_a_b', 't_a_b_2', 't_end', 't_o_x', 't_P2_1']);
    const out = renderMermaid(view, 'LR');
    expect(out).toContain('flowchart LR');
    for (const line of out.split('\n').filter((l) => /^\s+(t_|subgraph)/.test(l) && l.includes('"'))) {
      // Exactly one quoted label per line: nothing inside can close it early.
      expect(line).toMatch(/^\s+(subgraph )?\w+\[{1,2}"[^"<>`&]*"\]{1,2}$/);
    }
    expect(out).toContain('#34;hi#34; #60;script#62;#96;x#96;#60;/script#62; #35;quot;');
    expect(out).toContain('Back\\slash and newline');
    expect(out).toContain('subgraph p_P_1["✖ P.1: Quotes #34;and#34; [brackets] #38; #35;35; entities"]');
    // Duplicate dependencies give one edge.
    expect(out.match(/t_a_b --> t_end/g)).toHaveLength(1);
    expect(out).toContain('  t_a_b_2 --> t_P2_1');
    for (const status of ['completed', 'failed', 'blocked', 'skipped', 'in_progress']) expect(out).toContain(`classDef ${status} `);
    expect(out).not.toContain('classDef pending');
    expect(out).toContain('class t_o_x skipped');
    expect(out).toContain('stroke-dasharray');
    expect(out).toContain('title: "Tricky \\"plan\\" <b>"');
  });

  it('writes dot with clusters, escaped labels and filled nodes', async () => {
    const doc = await loadPlan(trickyPlan());
    const out = renderDot(graphView(doc.plan), 'LR');
    expect(out.startsWith('digraph plan {\n')).toBe(true);
    expect(out.trimEnd().endsWith('}')).toBe(true);
    expect(out).toContain('rankdir=LR');
    expect(out).toContain('  subgraph cluster_0 {');
    expect(out).toContain('label="✖ P.1: Quotes \\"and\\" [brackets] &amp; #35; entities"');
    expect(out).toContain('t_a_b_2 [label="✖ a_b: Back\\\\slash and newline"');
    expect(out).toContain('t_a_b -> t_end;');
    expect(out).toContain('fillcolor="#ffe3e3"');
    expect(out).toMatch(/t_o_x \[.*style="rounded,filled,dashed"/);
    // Every quote inside a string is escaped: an even number of unescaped quotes per line.
    for (const line of out.split('\n')) expect((line.replace(/\\\\/g, '').replace(/\\"/g, '').match(/"/g) ?? []).length % 2).toBe(0);
  });

  it.runIf(hasGraphviz)('gives Graphviz labels that it reads back exactly', async () => {
    const doc = await loadPlan(trickyPlan());
    const plain = execFileSync('dot', ['-Tplain'], { input: renderDot(graphView(doc.plan)), encoding: 'utf8' });
    const labels = plain.split('\n').filter((l) => l.startsWith('node ')).map((l) => /"((?:[^"\\]|\\.)*)"/.exec(l)?.[1]?.replace(/\\(.)/g, '$1'));
    expect(labels).toContain('✔ a.b: Say "hi" <script>`x`</script> #quot;');
    expect(labels).toContain('✖ a_b: Back\\slash and newline');
  });

  it('draws CCASP system steps with their own shape', async () => {
    const doc = await loadPlan(path.join(REPO_ROOT, 'test/fixtures/plans/ccasp-phase-dev/PROGRESS.json'));
    const out = renderMermaid(graphView(doc.plan));
    expect(out).toMatch(/t_1_99_gate\[\["[^"]*1\.99-gate[^"]*"\]\]/);
  });

  it('mermaidText turns every risky character into an entity', () => {
    expect(mermaidText('a "b" #c & <d> `e`')).toBe('a #34;b#34; #35;c #38; #60;d#62; #96;e#96;');
  });
});

describe('graphCommand', () => {
  it('prints mermaid by default and dot with --format dot', async () => {
    const mermaid = await runCommand(graphCommand, ['graph', CANONICAL], REPO_ROOT);
    expect(mermaid.code).toBe(0);
    expect(mermaid.stdout).toContain('flowchart TB');
    const dot = await runCommand(graphCommand, ['graph', 'examples/canonical', '--format', 'dot', '--direction', 'LR'], REPO_ROOT);
    expect(dot.code).toBe(0);
    expect(dot.stdout).toContain('digraph plan {');
    expect(dot.stdout).toContain('rankdir=LR');
  });

  it('refuses an unknown format and an invalid plan with exit 2', async () => {
    const bad = await runCommand(graphCommand, ['graph', CANONICAL, '--format', 'svg'], REPO_ROOT);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain("Allowed choices are mermaid, dot");
    const dir = tempDir();
    writeFile(dir, 'PROGRESS.json', { name: 'x', phases: [{ id: 'P1', name: 'a', tasks: [{ id: 'T', title: 't', status: 'pending', dependencies: ['nope'] }] }] });
    const invalid = await runCommand(graphCommand, ['graph', dir], REPO_ROOT);
    expect(invalid.code).toBe(2);
    expect(invalid.stderr).toContain('depends on unknown task "nope"');
  });

  it('matches docs/graph-example.md for the canonical example', async () => {
    const { readFileSync } = await import('node:fs');
    const doc = readFileSync(path.join(REPO_ROOT, 'docs/graph-example.md'), 'utf8');
    const r = await runCommand(graphCommand, ['graph', CANONICAL], REPO_ROOT);
    expect(doc).toContain(`\`\`\`mermaid\n${r.stdout}\`\`\``);
  });
});

// Spawns bin/ccasp: passes once main.ts registers graphCommand and dist/ is rebuilt.
describe('ccasp graph (CLI; needs main.ts wiring)', () => {
  it('prints the plan as mermaid through a pipe', async () => {
    const r = await runCli(['graph', 'examples/canonical']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('subgraph p_P3["P3: Quality and release"]');
  });

  it('prints dot with --format dot', async () => {
    const r = await runCli(['graph', 'examples/canonical', '--format', 'dot']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('subgraph cluster_2 {');
  });
});
