import dagre from '@dagrejs/dagre';
import { duration, shortCount, usd } from '../../numbers.js';
import type { DashboardView, TaskView } from '../view.js';
import { s } from './dom.js';

const NODE_W = 210;
const NODE_H = 70;
const PAD = 24;

interface Layout {
  readonly width: number;
  readonly height: number;
  readonly nodes: ReadonlyMap<string, { x: number; y: number }>;
  readonly clusters: readonly { id: string; name: string; x: number; y: number; width: number; height: number }[];
  readonly edges: readonly { from: string; to: string; points: readonly { x: number; y: number }[] }[];
}

/** The graph's shape: laid out again only when tasks, phases or dependencies change, not on every status. */
export function shapeKey(view: DashboardView): string {
  return JSON.stringify([view.phases.map((p) => [p.id, p.name]), view.tasks.map((t) => [t.id, t.phaseId, t.dependencies])]);
}

/**
 * A cluster per phase, a box per task, an arrow per dependency, laid out by dagre (compound graph,
 * left to right): dagre for its small size and its clusters, where elkjs would be ten times the page.
 */
export function layoutGraph(view: DashboardView): Layout {
  const g = new dagre.graphlib.Graph({ compound: true, multigraph: false });
  g.setGraph({ rankdir: 'LR', nodesep: 18, ranksep: 60, marginx: PAD, marginy: PAD });
  g.setDefaultEdgeLabel(() => ({}));
  const ids = new Set(view.tasks.map((t) => t.id));
  for (const p of view.phases) g.setNode(cluster(p.id), { label: p.name, paddingTop: 28 });
  for (const t of view.tasks) {
    g.setNode(t.id, { width: NODE_W, height: NODE_H });
    g.setParent(t.id, cluster(t.phaseId));
  }
  for (const t of view.tasks) for (const d of t.dependencies) if (ids.has(d)) g.setEdge(d, t.id);
  dagre.layout(g);
  const nodes = new Map(view.tasks.map((t) => {
    const n = g.node(t.id);
    return [t.id, { x: n.x - NODE_W / 2, y: n.y - NODE_H / 2 }] as const;
  }));
  const clusters = view.phases.flatMap((p) => {
    const n = g.node(cluster(p.id));
    if (!n || n.width === undefined || p.total === 0) return [];
    return [{ id: p.id, name: p.name, x: n.x - n.width / 2, y: n.y - n.height / 2 - 20, width: n.width, height: n.height + 20 }];
  });
  const edges = g.edges().map((e) => ({ from: e.v, to: e.w, points: g.edge(e).points ?? [] }));
  const graph = g.graph();
  return { width: (graph.width ?? 0) + PAD, height: (graph.height ?? 0) + PAD, nodes, clusters, edges };
}

const cluster = (phaseId: string) => `phase:${phaseId}`;

/** The SVG for a laid-out graph; task boxes carry their id, filled in by `updateTasks`. */
export function drawGraph(layout: Layout, onSelect: (taskId: string) => void): SVGSVGElement {
  const svg = s('svg', { width: layout.width, height: layout.height, viewBox: `0 0 ${layout.width} ${layout.height}`, class: 'graph' });
  svg.append(
    s('defs', {}, s('marker', { id: 'arrow', viewBox: '0 0 10 10', refX: 9, refY: 5, markerWidth: 7, markerHeight: 7, orient: 'auto-start-reverse' }, s('path', { d: 'M0,0 L10,5 L0,10 z', class: 'arrowhead' }))),
  );
  for (const c of layout.clusters) {
    svg.append(
      s('g', { class: 'phase', 'data-phase': c.id }, s('rect', { x: c.x, y: c.y, width: c.width, height: c.height, rx: 10 }), s('text', { x: c.x + 12, y: c.y + 20, class: 'phase-name' }, `${c.id} · ${c.name}`)),
    );
  }
  for (const e of layout.edges) {
    const d = e.points.map((p, i) => `${i === 0 ? 'M' : 'L'}${p.x.toFixed(1)},${p.y.toFixed(1)}`).join(' ');
    svg.append(s('path', { d, class: 'edge', 'marker-end': 'url(#arrow)', 'data-from': e.from, 'data-to': e.to }));
  }
  for (const [id, at] of layout.nodes) {
    const g = s('g', { class: 'task', 'data-task': id, transform: `translate(${at.x},${at.y})`, tabindex: 0, role: 'button' });
    g.append(s('rect', { width: NODE_W, height: NODE_H, rx: 8 }), s('text', { x: 10, y: 20, class: 'line1' }), s('text', { x: 10, y: 40, class: 'line2' }), s('text', { x: 10, y: 58, class: 'line3' }));
    g.addEventListener('click', () => onSelect(id));
    g.addEventListener('keydown', (ev) => {
      if (ev.key === 'Enter' || ev.key === ' ') onSelect(id);
    });
    svg.append(g);
  }
  return svg;
}

/** Each task box's colour and figures, from the latest view. */
export function updateTasks(svg: SVGSVGElement, view: DashboardView, selected: string | undefined, now: number): void {
  for (const t of view.tasks) {
    const g = svg.querySelector<SVGGElement>(`g.task[data-task="${CSS.escape(t.id)}"]`);
    if (!g) continue;
    g.setAttribute('class', `task status-${t.status}${t.id === selected ? ' selected' : ''}`);
    g.setAttribute('data-status', t.status);
    const [l1, l2, l3] = [...g.querySelectorAll('text')];
    if (l1) l1.textContent = clip(`${t.id} ${t.title}`, 30);
    if (l2) l2.textContent = clip([t.specialist ?? 'not run yet', t.model].filter(Boolean).join(' · '), 32);
    if (l3) l3.textContent = figures(t, now);
    let title = g.querySelector('title');
    if (!title) g.prepend((title = s('title')));
    title.textContent = `${t.id} ${t.title} (${t.status})${t.blocker ? `\n${t.blocker}` : ''}`;
  }
}

/** Attempts, time, tokens and cost, the running attempt included. */
export function figures(t: TaskView, now: number): string {
  const running = t.running;
  const ms = t.durationMs + (running ? Math.max(0, now - Date.parse(running.since)) : 0);
  const tokens = t.tokens + (running?.tokens ?? 0);
  const attempts = t.attempts + (running ? 1 : 0);
  if (attempts === 0) return t.status;
  return `×${attempts} · ${duration(ms)} · ${shortCount(tokens)} tok · ${usd(t.costUsd)}`;
}

function clip(text: string, n: number): string {
  return text.length > n ? `${text.slice(0, n - 1)}…` : text;
}
