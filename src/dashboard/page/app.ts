import { clock, duration, thousands, usd } from '../../numbers.js';
import type { DashboardView, TaskView, TranscriptView } from '../view.js';
import { h, setChildren } from './dom.js';
import { drawGraph, figures, layoutGraph, shapeKey, updateTasks } from './graph.js';

/**
 * The dashboard page: everything comes from the server's `view` messages (server-sent events), so a
 * page opened late or reloaded shows what the files on disk say. The token in the page's address is
 * sent with every request.
 */
const token = new URLSearchParams(location.search).get('token') ?? '';
const api = (p: string, params: Record<string, string> = {}) => `${p}?${new URLSearchParams({ ...params, token }).toString()}`;

let view: DashboardView | undefined;
let connected = false;
/** Server clock minus ours, so elapsed times do not depend on this machine's clock. */
let skew = 0;
let selected: string | undefined;
let graphKey = '';
let svg: SVGSVGElement | undefined;
let transcript: TranscriptView | undefined;
let transcriptTimer: number | undefined;
/** The selected task's status when its transcript was last asked for: a change asks again. */
let transcriptFor: string | undefined;

const root = document.getElementById('app')!;
root.textContent = '';
const header = h('header', { id: 'header' });
const graphBox = h('main', { id: 'graph' });
const canvas = h('div', { class: 'canvas' });
/** The graph's scale: 1 is full size; `fit` shows it whole. */
let zoom = 1;
const zoomBy = (factor: number | 'fit') => () => {
  if (!svg) return;
  const width = Number(svg.getAttribute('viewBox')?.split(' ')[2] ?? 1);
  zoom = factor === 'fit' ? Math.min(1, (graphBox.clientWidth - 8) / width) : Math.min(2, Math.max(0.1, zoom * factor));
  scaleGraph();
};
graphBox.append(
  h('div', { class: 'zoom' }, button('−', 'zoom out', zoomBy(1 / 1.25)), button('fit', 'show the whole graph', zoomBy('fit')), button('+', 'zoom in', zoomBy(1.25))),
  canvas,
);

function button(label: string, title: string, onClick: () => void): HTMLButtonElement {
  const b = h('button', { type: 'button', title }, label);
  b.addEventListener('click', onClick);
  return b;
}

function scaleGraph(): void {
  if (!svg) return;
  const [, , w, hgt] = (svg.getAttribute('viewBox') ?? '0 0 0 0').split(' ').map(Number);
  svg.setAttribute('width', String(Math.round((w ?? 0) * zoom)));
  svg.setAttribute('height', String(Math.round((hgt ?? 0) * zoom)));
}
const panel = h('aside', { id: 'panel' });
root.append(header, h('div', { id: 'body' }, graphBox, panel));

const now = () => Date.now() + skew;

function connect(): void {
  const source = new EventSource(api('/events'));
  source.addEventListener('open', () => {
    connected = true;
    render();
  });
  source.addEventListener('error', () => {
    connected = false;
    render();
  });
  source.addEventListener('view', (e) => {
    view = JSON.parse((e as MessageEvent<string>).data) as DashboardView;
    skew = Date.parse(view.run.now) - Date.now();
    render();
  });
  source.addEventListener('reset', () => {
    transcript = undefined;
  });
}

function render(): void {
  renderHeader();
  if (!view) return;
  const key = shapeKey(view);
  if (key !== graphKey || !svg) {
    graphKey = key;
    svg = drawGraph(layoutGraph(view), select);
    setChildren(canvas, svg);
    scaleGraph();
  }
  updateTasks(svg, view, selected, now());
  const status = view.tasks.find((t) => t.id === selected)?.status;
  if (selected && status !== transcriptFor) void loadTranscript();
  renderPanel();
}

function select(taskId: string): void {
  selected = taskId;
  transcript = undefined;
  transcriptFor = undefined;
  render();
}

async function loadTranscript(): Promise<void> {
  clearTimeout(transcriptTimer);
  const id = selected;
  if (!id) return;
  transcriptFor = view?.tasks.find((t) => t.id === id)?.status;
  const res = await fetch(api('/transcript', { task: id })).catch(() => undefined);
  if (res?.ok && id === selected) {
    transcript = (await res.json()) as TranscriptView;
    renderPanel();
  }
  // The transcript of a running agent streams: read it again while it runs.
  const task = view?.tasks.find((t) => t.id === id);
  if (id === selected && task?.status === 'running') transcriptTimer = window.setTimeout(() => void loadTranscript(), 1000);
}

function renderHeader(): void {
  if (!view) {
    setChildren(header, h('div', { class: 'banner state-not-started', id: 'run-state' }, connected ? 'Loading…' : 'Not connected to the dashboard server'));
    return;
  }
  const v = view;
  const elapsed = v.run.startedAt ? (v.run.finishedAt ? Date.parse(v.run.finishedAt) : v.run.state === 'running' ? now() : Date.parse(v.run.now)) - Date.parse(v.run.startedAt) : null;
  const state = connected ? v.run.message : `${v.run.message} · the dashboard server is not reachable (stopped with its run?)`;
  setChildren(header, 
    h('div', { class: 'title' }, h('h1', { id: 'plan-name' }, v.plan.name), h('span', { class: 'file' }, v.plan.file)),
    h('div', { class: `banner state-${v.run.state}`, id: 'run-state', 'data-state': v.run.state }, state),
    h(
      'div',
      { class: 'stats' },
      gauge('Tasks', 'tasks-done', v.progress.tasksDone, v.progress.tasksTotal, `${v.progress.tasksDone} / ${v.progress.tasksTotal}`),
      gauge('Phases', 'phases-done', v.progress.phasesDone, v.progress.phasesTotal, `${v.progress.phasesDone} / ${v.progress.phasesTotal}`),
      gauge('Tokens', 'tokens', v.budget.tokens, v.budget.tokenLimit, `${thousands(v.budget.tokens)}${v.budget.tokenLimit ? ` / ${thousands(v.budget.tokenLimit)}` : ' (no limit)'}`),
      gauge('Cost', 'cost', v.budget.costUsd, v.budget.costLimitUsd, `${usd(v.budget.costUsd)}${v.budget.costLimitUsd ? ` / ${usd(v.budget.costLimitUsd)}` : ' (no limit)'}`),
      stat('Elapsed', 'elapsed', elapsed === null ? '—' : clock(elapsed)),
      stat('Agents', 'active-agents', String(v.activeAgents), v.activeAgents),
      stat('GitHub', 'github', v.github ? `${v.github.target} · ${v.github.enabled ? (v.github.pending > 0 ? `${v.github.pending} pending` : 'synced') : 'off'}${v.github.lastResult ? ` · ${v.github.lastResult}` : ''}` : 'not linked'),
    ),
    v.blocked.length > 0
      ? h('ul', { class: 'blocked', id: 'blocked' }, ...v.blocked.map((b) => h('li', {}, h('b', {}, b.taskId), ` ${b.blocker}`, b.suggestedAction ? h('span', { class: 'dim' }, ` → ${b.suggestedAction}`) : null)))
      : null,
    v.problems.length > 0 ? h('ul', { class: 'problems' }, ...v.problems.map((p) => h('li', {}, p))) : null,
  );
}

function gauge(label: string, id: string, value: number, limit: number | null, text: string): HTMLElement {
  const share = limit ? Math.min(1, value / limit) : null;
  return h(
    'div',
    { class: 'stat' },
    h('div', { class: 'label' }, label),
    h('div', { class: 'value', id, 'data-value': value }, text),
    share === null ? null : h('div', { class: `gauge${share >= 0.8 ? ' high' : ''}` }, fill(share)),
  );
}

/** Set through the DOM, not a style attribute: the page's CSP allows no inline styles. */
function fill(share: number): HTMLElement {
  const el = h('div', { class: 'fill' });
  el.style.width = `${(share * 100).toFixed(1)}%`;
  return el;
}

function stat(label: string, id: string, text: string, value?: number): HTMLElement {
  return h('div', { class: 'stat' }, h('div', { class: 'label' }, label), h('div', { class: 'value', id, 'data-value': value }, text));
}

function renderPanel(): void {
  const task = view?.tasks.find((t) => t.id === selected);
  if (!view || !task) {
    setChildren(panel, h('p', { class: 'dim' }, 'Select a task to see its attempts and its agent’s transcript.'), notices());
    return;
  }
  setChildren(panel, 
    h('h2', {}, `${task.id} ${task.title}`),
    h('div', { class: `pill status-${task.status}`, id: 'task-status' }, task.status),
    details(task),
    task.details ? h('p', { class: 'details' }, task.details) : null,
    h('h3', {}, 'Attempts'),
    task.history.length === 0 && !task.running
      ? h('p', { class: 'dim' }, 'None yet.')
      : h(
          'table',
          { class: 'attempts' },
          h('tr', {}, h('th', {}, '#'), h('th', {}, 'verdict'), h('th', {}, 'time'), h('th', {}, 'tokens'), h('th', {}, 'cost')),
          ...task.history.map((a) =>
            h('tr', {}, h('td', {}, a.attempt), h('td', { class: `verdict-${a.outcome}` }, a.outcome, a.reason ? h('div', { class: 'dim' }, a.reason) : null), h('td', {}, duration(a.durationMs)), h('td', {}, thousands(a.tokens)), h('td', {}, usd(a.costUsd))),
          ),
          task.running
            ? h('tr', {}, h('td', {}, task.running.attempt), h('td', { class: 'verdict-running' }, 'running', task.running.worker ? h('div', { class: 'dim' }, `on worker ${task.running.worker}`) : null), h('td', {}, duration(now() - Date.parse(task.running.since))), h('td', {}, thousands(task.running.tokens)), h('td', {}, '…'))
            : null,
        ),
    h('h3', {}, 'Transcript'),
    transcript && transcript.taskId === task.id
      ? transcript.attempts.length === 0
        ? h('p', { class: 'dim' }, 'No agent log yet.')
        : h('div', { class: 'transcript', id: 'transcript' }, ...transcript.attempts.map((a) => h('div', {}, h('div', { class: 'attempt-head' }, `attempt ${a.attempt}`), h('pre', {}, a.lines.join('\n')))))
      : h('p', { class: 'dim' }, 'Loading…'),
  );
}

function details(t: TaskView): HTMLElement {
  const rows: [string, string][] = [
    ['Phase', t.phaseId],
    ['Specialist', t.specialist ?? '—'],
    ['Model', t.model ?? '—'],
    ['Depends on', t.dependencies.join(', ') || '—'],
    ['So far', figures(t, now())],
  ];
  if (t.blocker) rows.push(['Blocker', t.blocker]);
  return h('dl', {}, ...rows.flatMap(([k, v]) => [h('dt', {}, k), h('dd', {}, v)]));
}

function notices(): HTMLElement | null {
  if (!view || view.notices.length === 0) return null;
  return h('div', {}, h('h3', {}, 'Notices'), h('ul', { class: 'notices' }, ...view.notices.map((n) => h('li', { class: `notice-${n.level}` }, n.message))));
}

// Clocks tick between messages.
window.setInterval(() => {
  if (view?.run.state === 'running') render();
}, 1000);
connect();
render();
