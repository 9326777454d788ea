import type { PhaseStatus, Plan, TaskStatus } from '../../plan/model.js';

/**
 * The plan as a drawing: phases holding task nodes, dependency edges, a style per status. Both
 * renderers (Mermaid and Graphviz dot) draw this, so they agree on ids, labels and colours.
 */
export interface GraphView {
  readonly title: string;
  readonly phases: readonly PhaseBox[];
  readonly edges: readonly Edge[];
}

export interface PhaseBox {
  /** A safe identifier for the drawing (letters, digits and `_`), unique in the view. */
  readonly key: string;
  readonly label: string;
  readonly nodes: readonly TaskNode[];
}

export interface TaskNode {
  readonly key: string;
  readonly taskId: string;
  readonly label: string;
  readonly status: TaskStatus;
  /** A CCASP system step, which ccasp performs itself rather than an agent. */
  readonly system: boolean;
}

export interface Edge {
  readonly from: string;
  readonly to: string;
}

export const DIRECTIONS = ['TB', 'LR', 'BT', 'RL'] as const;
export type Direction = (typeof DIRECTIONS)[number];

export interface StatusStyle {
  readonly fill: string;
  readonly stroke: string;
  readonly text: string;
  readonly dashed: boolean;
}

/** Light fills with dark text, readable on a light or a dark page. */
export const STATUS_STYLES: Readonly<Record<TaskStatus, StatusStyle>> = {
  pending: { fill: '#f1f3f5', stroke: '#868e96', text: '#212529', dashed: false },
  in_progress: { fill: '#d0ebff', stroke: '#1c7ed6', text: '#212529', dashed: false },
  completed: { fill: '#d3f9d8', stroke: '#2b8a3e', text: '#212529', dashed: false },
  blocked: { fill: '#fff3bf', stroke: '#f08c00', text: '#212529', dashed: false },
  failed: { fill: '#ffe3e3', stroke: '#e03131', text: '#212529', dashed: false },
  skipped: { fill: '#f8f9fa', stroke: '#adb5bd', text: '#495057', dashed: true },
};

/** A mark in the label as well as the colour, for readers who cannot tell the colours apart. */
const STATUS_MARK: Readonly<Record<TaskStatus, string>> = {
  pending: '',
  in_progress: '▶ ',
  completed: '✔ ',
  blocked: '⚠ ',
  failed: '✖ ',
  skipped: '↷ ',
};

const PHASE_MARK: Readonly<Record<PhaseStatus, string>> = {
  pending: '',
  in_progress: '▶ ',
  completed: '✔ ',
  blocked: '⚠ ',
  failed: '✖ ',
};

export function graphView(plan: Plan): GraphView {
  const keys = new KeyMaker();
  const taskKey = new Map<string, string>();
  const phases = plan.phases.map((phase): PhaseBox => {
    const nodes = phase.tasks.map((task): TaskNode => {
      const key = keys.make('t', task.id);
      if (!taskKey.has(task.id)) taskKey.set(task.id, key);
      return {
        key,
        taskId: task.id,
        label: `${STATUS_MARK[task.status]}${task.id}: ${task.title}`,
        status: task.status,
        system: task.systemStep !== undefined,
      };
    });
    return { key: keys.make('p', phase.id), label: `${PHASE_MARK[phase.status]}${phase.id}: ${phase.name}`, nodes };
  });
  const edges: Edge[] = [];
  const seen = new Set<string>();
  for (const phase of plan.phases) {
    for (const task of phase.tasks) {
      const to = taskKey.get(task.id);
      for (const dep of task.dependencies) {
        const from = taskKey.get(dep);
        if (from === undefined || to === undefined || seen.has(`${from} ${to}`)) continue;
        seen.add(`${from} ${to}`);
        edges.push({ from, to });
      }
    }
  }
  return { title: plan.name, phases, edges };
}

/** Identifiers both formats accept unquoted; `P1.1` and `P1_1` stay apart with a numbered suffix. */
class KeyMaker {
  private readonly used = new Set<string>();
  make(prefix: string, id: string): string {
    const base = `${prefix}_${id.replace(/[^A-Za-z0-9_]/g, '_')}`;
    let key = base;
    for (let n = 2; this.used.has(key); n++) key = `${base}_${n}`;
    this.used.add(key);
    return key;
  }
}

/** Labels are one line: the formats treat line breaks differently, and ids and titles rarely need them. */
export function oneLine(text: string): string {
  return text.replace(/\s+/g, ' ').trim();
}
