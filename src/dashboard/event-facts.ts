import type { OrchestratorEvent } from '../orchestrator/events.js';
import type { TimedEvent } from './event-follower.js';
import type { NoticeView } from './view.js';

const KEPT_NOTICES = 20;

/**
 * What the dashboard takes from the run's events that state.json does not hold: when the run started
 * and ended, each task's specialist and model, a running agent's usage so far, and the notices.
 * Folded one event at a time as events.jsonl grows, so a long run is never read twice.
 */
export class EventFacts {
  startedAt: string | null = null;
  finished: { readonly time: string; readonly event: Extract<OrchestratorEvent, { type: 'run.finished' }> } | null = null;
  readonly started = new Map<string, { readonly specialist: string; readonly model: string }>();
  readonly progress = new Map<string, { readonly attempt: number; readonly tokens: number; readonly toolCalls: number }>();
  readonly notices: NoticeView[] = [];

  add({ time, event }: TimedEvent): void {
    switch (event.type) {
      case 'run.started':
        this.startedAt = time;
        this.finished = null;
        break;
      case 'run.finished':
        this.finished = { time, event };
        break;
      case 'task.started':
        this.started.set(event.taskId, { specialist: event.specialist, model: event.model });
        this.progress.delete(event.taskId);
        break;
      case 'task.progress':
        this.progress.set(event.taskId, { attempt: event.attempt, tokens: event.tokens, toolCalls: event.toolCalls });
        break;
      case 'run.notice':
        this.notices.push({ time, level: event.level, message: event.message });
        if (this.notices.length > KEPT_NOTICES) this.notices.shift();
        break;
      default:
        break;
    }
  }
}
