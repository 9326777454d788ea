import type { OrchestratorEvent } from '../orchestrator/events.js';
import { isDone, type PhaseStatus, type Plan, type TaskStatus } from '../plan/model.js';

export interface TaskView {
  readonly id: string;
  readonly title: string;
  status: TaskStatus;
  blocker?: string;
  /** The attempt of the task's latest start, which names its events (see sync.ts). */
  attempt?: number;
}

export interface PhaseView {
  readonly id: string;
  readonly name: string;
  status: PhaseStatus;
  readonly tasks: readonly TaskView[];
}

/**
 * The plan as the GitHub reader sees it: each task's and phase's status, kept up to date from the
 * run's events alone (the sync never reads PROGRESS.json or state.json during a run). The status
 * comment and the phase table are rendered from it.
 */
export class Tracker {
  readonly phases: readonly PhaseView[];
  private readonly tasks = new Map<string, TaskView>();

  constructor(readonly plan: Plan) {
    this.phases = plan.phases.map((p) => ({
      id: p.id,
      name: p.name,
      status: p.status,
      tasks: p.tasks.map((t) => {
        // A task left in progress by a killed run goes back to pending when this one begins.
        const view: TaskView = { id: t.id, title: t.title, status: t.status === 'in_progress' ? 'pending' : t.status };
        if (t.blocker) view.blocker = t.blocker;
        if (t.attempts) view.attempt = t.attempts;
        this.tasks.set(t.id, view);
        return view;
      }),
    }));
  }

  task(id: string): TaskView | undefined {
    return this.tasks.get(id);
  }

  apply(event: OrchestratorEvent): void {
    switch (event.type) {
      case 'phase.started':
        this.setPhase(event.phaseId, 'in_progress');
        return;
      case 'phase.completed':
        this.setPhase(event.phaseId, 'completed');
        return;
      case 'phase.failed':
        this.setPhase(event.phaseId, 'failed');
        return;
      case 'task.started':
        this.setTask(event.taskId, 'in_progress', { attempt: event.attempt });
        return;
      case 'task.completed':
        this.setTask(event.taskId, 'completed', { attempt: event.attempt });
        return;
      case 'task.system':
        if (!event.detail.startsWith('failed:')) this.setTask(event.taskId, 'completed');
        return;
      case 'task.blocked':
        this.setTask(event.taskId, 'blocked', { blocker: event.blocker });
        return;
      case 'task.failed':
        this.setTask(event.taskId, 'failed', { blocker: event.error });
        return;
      case 'task.attempt.failed':
        if (!event.willRetry) this.setTask(event.taskId, 'pending');
        return;
      default:
        return;
    }
  }

  counts(): { done: number; total: number; percent: number } {
    const all = [...this.tasks.values()];
    const done = all.filter((t) => isDone(t.status)).length;
    return { done, total: all.length, percent: all.length === 0 ? 100 : Math.floor((done / all.length) * 100) };
  }

  private setPhase(id: string, status: PhaseStatus): void {
    const phase = this.phases.find((p) => p.id === id);
    if (phase) phase.status = status;
  }

  private setTask(id: string, status: TaskStatus, extra: { attempt?: number; blocker?: string } = {}): void {
    const task = this.tasks.get(id);
    if (!task) return;
    task.status = status;
    if (extra.attempt !== undefined) task.attempt = extra.attempt;
    if (status === 'blocked' || status === 'failed') task.blocker = extra.blocker ?? task.blocker;
    else delete task.blocker;
  }
}
