import dagre from '@dagrejs/dagre';
import { duration, shortCount, usd } from '../../numbers.js';
import type { DashboardView, TaskView } from '../view.js';
import { s } from './dom.js';

const NODE_W = 210;
const NODE_H = 70;
const PAD = 16;
/** Room in a lane for its phase's name, and around its tasks. */
const LANE_HEAD = 30;
const LANE_PAD = 14;
const LANE_GAP = 18;
/** A phase of at most this many independent tasks is laid out as one row. */
const ROW_TASKS = 6;

interface Point {
  readonly x: number;
  readonly y: number;
}

interface Layout {
  readonly width: number;
  readonly height: number;
  readonly nodes: ReadonlyMap<string, Point>;
  readonly lanes: readonly { id: string; name: string; x: number; y: number; width: number; height: number }[];
  /** `points` for a dependency inside a phase (dagre's route), `curve` for one on an earlier phase. */
  readonly edges: readonly { from: string; to: string; d: string; cross: boolean }[];
}

/** The graph's shape: laid out again only when tasks, phases or dependencies change, not on every status. */
export function shapeKey(view: DashboardView): string {
  return JSON.stringify([view.phases.map((p) => [p.id, p.name]), view.tasks.map((t) => [t.id, t.phaseId, t.dependencies])]);
}

/**
 * A lane per phase, top to bottom in the plan's order, each laid out by dagre with the dependencies
 * inside the phase (left to right, or as one row when a few tasks wait on nothing in it); a
 * dependency on an earlier phase is drawn as a curve between lanes.
 * Laid out per phase rather than as one compound graph: at 200 tasks one graph spread over ten
 * thousand pixels and took seconds, while phases run one after another anyway. dagre for its small
 * size (elkjs would be ten times the page).
 */
export function layoutGraph(view: DashboardView): Layout {
  const nodes = new Map<string, Point>();
  const edges: { from: string; to: string; d: string; cross: boolean }[] = [];
  const lanes: { id: string; name: string; x: number; y: number; width: number; height: number }[] = [];
  let y = PAD;
  let width = 0;
  for (const phase of view.phases) {
    const tasks = view.tasks.filter((t) => t.phaseId === phase.id);
    const own = new Set(tasks.map((t) => t.id));
    const inner = tasks.flatMap((t) => t.dependencies.filter((d) => own.has(d)).map((d) => [d, t.id] as const));
    const g = new dagre.graphlib.Graph();
    // A few tasks that do not wait on each other make a row; chains run left to right.
    const row = inner.length === 0 && tasks.length <= ROW_TASKS;
    g.setGraph({ rankdir: row ? 'TB' : 'LR', nodesep: 14, ranksep: 50, marginx: 0, marginy: 0 });
    g.setDefaultEdgeLabel(() => ({}));
    for (const t of tasks) g.setNode(t.id, { width: NODE_W, height: NODE_H });
    for (const [from, to] of inner) g.setEdge(from, to);
    dagre.layout(g);
    const x0 = PAD + LANE_PAD;
    const y0 = y + LANE_HEAD;
    for (const t of tasks) {
      const n = g.node(t.id);
      nodes.set(t.id, { x: x0 + n.x - NODE_W / 2, y: y0 + n.y - NODE_H / 2 });
    }
    for (const e of g.edges()) {
      const d = (g.edge(e).points ?? []).map((p, i) => `${i === 0 ? 'M' : 'L'}${(x0 + p.x).toFixed(1)},${(y0 + p.y).toFixed(1)}`).join(' ');
      edges.push({ from: e.v, to: e.w, d, cross: false });
    }
    const size = tasks.length > 0 ? g.graph() : { width: 0, height: 0 };
    const laneWidth = (size.width ?? 0) + 2 * LANE_PAD;
    const laneHeight = LANE_HEAD + (tasks.length > 0 ? (size.height ?? 0) + LANE_PAD : 0);
    lanes.push({ id: phase.id, name: phase.name, x: PAD, y, width: laneWidth, height: laneHeight });
    width = Math.max(width, laneWidth);
    y += laneHeight + LANE_GAP;
  }
  for (const t of view.tasks) {
    const to = nodes.get(t.id);
    for (const dep of t.dependencies) {
      const from = nodes.get(dep);
      if (!to || !from || view.tasks.find((x) => x.id === dep)?.phaseId === t.phaseId) continue;
      const [ax, ay, bx, by] = [from.x + NODE_W / 2, from.y + NODE_H, to.x + NODE_W / 2, to.y];
      const bend = Math.max(30, (by - ay) / 2);
      edges.push({ from: dep, to: t.id, d: `M${ax},${ay} C${ax},${ay + bend} ${bx},${by - bend} ${bx},${by}`, cross: true });
    }
  }
  // Every lane as wide as the widest, so the page reads as rows.
  for (const lane of lanes) lane.width = width;
  return { width: width + 2 * PAD, height: y - LANE_GAP + PAD, nodes, lanes, edges };
}

/** The SVG for a laid-out graph; task boxes carry their id, filled in by `updateTasks`. */
export function drawGraph(layout: Layout, onSelect: (taskId: string) => void): SVGSVGElement {
  const svg = s('svg', { width: layout.width, height: layout.height, viewBox: `0 0 ${layout.width} ${layout.height}`, class: 'graph' });
  svg.append(
    s('defs', {}, s('marker', { id: 'arrow', viewBox: '0 0 10 10', refX: 9, refY: 5, markerWidth: 7, markerHeight: 7, orient: 'auto-start-reverse' }, s('path', { d: 'M0,0 L10,5 L0,10 z', class: 'arrowhead' }))),
  );
  for (const c of layout.lanes) {
    svg.append(
      s('g', { class: 'phase', 'data-phase': c.id }, s('rect', { x: c.x, y: c.y, width: c.width, height: c.height, rx: 10 }), s('text', { x: c.x + 12, y: c.y + 20, class: 'phase-name' }, `${c.id} · ${c.name}`)),
    );
  }
  for (const e of layout.edges) {
    svg.append(s('path', { d: e.d, class: e.cross ? 'edge cross' : 'edge', 'marker-end': 'url(#arrow)', 'data-from': e.from, 'data-to': e.to }));
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

/** Each task box's colour and figures, and each phase's progress and cost, from the latest view. */
export function updateTasks(svg: SVGSVGElement, view: DashboardView, selected: string | undefined, now: number): void {
  for (const p of view.phases) {
    const name = svg.querySelector(`g.phase[data-phase="${CSS.escape(p.id)}"] .phase-name`);
    if (name) name.textContent = `${p.id} · ${p.name} · ${p.done}/${p.total} done · ${shortCount(p.tokens)} tok · ${usd(p.costUsd)}`;
  }
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
