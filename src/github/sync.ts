import { createHash } from 'node:crypto';
import type { Listener, OrchestratorEvent } from '../orchestrator/events.js';
import { progressBucket, type OutboxEntry } from './entries.js';
import type { IssueRef } from './link.js';
import type { GithubMode } from './options.js';
import type { Redactor } from '../secrets/redact.js';
import { renderBlocked, renderPhaseCompleted, renderPhaseFailed, renderStatus, renderSuccess, renderTaskCompleted } from './render.js';
import type { Tracker } from './tracker.js';

export interface SyncSettings {
  readonly planId: string;
  readonly target: IssueRef;
  readonly mode: GithubMode;
  /** Close the issue once every phase is complete, or why it stays open. */
  readonly close: true | { readonly keepOpen: string };
  readonly redact: Redactor;
  readonly now: () => Date;
}

/** Event ids of the entries that are not one-off comments: one piece of GitHub state each. */
export const STATUS_ID = 'status';
export const LABEL_ID = 'progress';
export const CLOSE_ID = 'close';

/** Events that change what the status comment shows. */
const STATUS_EVENTS = new Set<OrchestratorEvent['type']>([
  'run.started',
  'phase.started',
  'phase.completed',
  'phase.failed',
  'task.started',
  'task.system',
  'task.completed',
  'task.blocked',
  'task.failed',
  'run.finished',
]);

/**
 * What GitHub should show after `event`, as outbox entries. The tracker must already have seen the
 * event. Event ids are derived from the run's own facts (task id and attempt, phase id, a hash of the
 * reason), not from a counter or a clock, so that the same happening has the same id in every run:
 * that is what lets the marker check recognise a comment an earlier, interrupted delivery posted.
 */
export function entriesFor(event: OrchestratorEvent, tracker: Tracker, s: SyncSettings): OutboxEntry[] {
  const queuedAt = s.now().toISOString();
  const base = { planId: s.planId, target: s.target, queuedAt };
  const comment = (id: string, body: string): OutboxEntry => ({ kind: 'comment', id, ...base, body: s.redact(body) });
  const out: OutboxEntry[] = [];

  switch (event.type) {
    case 'task.completed':
      if (s.mode === 'comments') out.push(comment(`task.${event.taskId}.done.${event.attempt}`, renderTaskCompleted(event)));
      break;
    case 'task.blocked': {
      const attempt = tracker.task(event.taskId)?.attempt;
      const occurrence = attempt !== undefined ? `a${attempt}` : `h${shortHash(event.blocker)}`;
      out.push(comment(`task.${event.taskId}.blocked.${occurrence}`, renderBlocked(event)));
      break;
    }
    case 'phase.completed':
      out.push({ kind: 'labels', id: LABEL_ID, ...base, percent: progressBucket(event.percent) });
      out.push(comment(`phase.${event.phaseId}.done`, renderPhaseCompleted(event, tracker)));
      break;
    case 'phase.failed':
      out.push(comment(`phase.${event.phaseId}.failed.${shortHash(event.reason)}`, renderPhaseFailed(event)));
      break;
    case 'run.finished':
      if (event.outcome === 'completed') {
        out.push({ kind: 'labels', id: LABEL_ID, ...base, percent: 100 });
        out.push(comment('run.completed', renderSuccess(event, tracker, s.close)));
        if (s.close === true) out.push({ kind: 'close', id: CLOSE_ID, ...base });
      }
      break;
    default:
      break;
  }
  if (s.mode === 'sticky' && STATUS_EVENTS.has(event.type)) {
    // The status comment goes first: it is the one edited in place, so it should be there before the
    // milestone comments that follow it.
    out.unshift({ kind: 'sticky', id: STATUS_ID, ...base, body: s.redact(renderStatus(tracker, queuedAt, headline(event))) });
  }
  return out;
}

function headline(event: OrchestratorEvent): string | undefined {
  return event.type === 'run.finished' ? finishedHeadline(event) : undefined;
}

/** Exhaustive on purpose: a new outcome fails the type check here until it has words. */
function finishedHeadline(event: Extract<OrchestratorEvent, { type: 'run.finished' }>): string {
  switch (event.outcome) {
    case 'completed':
      return 'Plan complete.';
    case 'blocked':
      return `Run stopped: ${event.blocked.length} blocked task(s) need a person.`;
    case 'failed':
      return `Run stopped: ${event.reason}`;
    case 'paused':
      return 'Run paused; it resumes with the next `ccasp run`.';
    case 'rate-limited':
      return 'Run paused at a usage limit; it resumes with the next `ccasp run`.';
    case 'budget':
      return `Run stopped at its token or cost budget: ${event.reason}`;
  }
}

function shortHash(text: string): string {
  return createHash('sha256').update(text).digest('hex').slice(0, 10);
}

/**
 * The GitHub subscriber. It only updates its tracker and queues entries (a few microseconds); the
 * worker delivers them. A failure here is reported and swallowed, never thrown into the run.
 */
export function githubListener(tracker: Tracker, settings: SyncSettings, enqueue: (entries: OutboxEntry[]) => void, onError: (error: unknown) => void): Listener {
  return (event) => {
    try {
      tracker.apply(event);
      const entries = entriesFor(event, tracker, settings);
      if (entries.length > 0) enqueue(entries);
    } catch (error) {
      onError(error);
    }
  };
}
