import type { ChalkInstance } from 'chalk';
import type { OrchestratorEvent } from '../../orchestrator/events.js';
import { alignColumns, fit, plural, visibleWidth } from './format.js';
import { duration, thousands, usd } from '../../numbers.js';
import { savedByResuming } from './run-lines.js';
import type { RunTally, TaskState } from './run-tally.js';

type Finished = Extract<OrchestratorEvent, { type: 'run.finished' }>;

/** The whole plan by status at the end of the run. */
export interface StatusCounts {
  readonly done: number;
  readonly blocked: number;
  readonly failed: number;
  readonly toDo: number;
  readonly total: number;
}

export function statusCounts(f: Finished, tally: RunTally): StatusCounts {
  const failed = tally.tasks().filter((t) => t.state === 'failed').length;
  const blocked = f.blocked.length;
  return { done: f.completed, blocked, failed, toDo: Math.max(0, f.total - f.completed - blocked - failed), total: f.total };
}

export function headline(f: Finished): { mark: string; text: string; tone: 'good' | 'warn' | 'bad' } {
  switch (f.outcome) {
    case 'completed':
      return { mark: '✔', text: 'Plan completed', tone: 'good' };
    case 'blocked':
      return { mark: '⚠', text: 'Run stopped: tasks are blocked', tone: 'warn' };
    case 'failed':
      return { mark: '✖', text: 'Run failed', tone: 'bad' };
    case 'paused':
      return { mark: '⏸', text: 'Run paused', tone: 'warn' };
    case 'rate-limited':
      return { mark: '⏸', text: 'Run paused at a usage limit', tone: 'warn' };
    case 'budget':
      return { mark: '⏸', text: 'Run paused at the budget limit', tone: 'warn' };
  }
}

/** What a person should do now; the reason already says it for limits, so those add nothing. */
export function nextSteps(f: Finished): string[] {
  switch (f.outcome) {
    case 'blocked':
      return ['Deal with each blocker, then run `ccasp unblock <task-id>` (or `ccasp run --retry-blocked` for all of them) and `ccasp run` again.'];
    case 'failed':
      return ['Fix what made the task fail, run `ccasp unblock <task-id>`, then `ccasp run` again.'];
    case 'paused':
      return ['Run `ccasp run` again to resume where it stopped.'];
    case 'completed':
    case 'rate-limited':
    case 'budget':
      return [];
  }
}

/** The Agents row: spawned, retried, and how many ran at once at the end (and of how many, when rate limits lowered it). */
export function agentsRow(f: Finished, tally: RunTally): string {
  const max = tally.started?.concurrency;
  const lowered = max !== undefined && f.concurrency < max ? ` (of ${max}, lowered after rate limits)` : '';
  return `${plural(f.agentsSpawned, 'agent')} spawned · ${plural(tally.retries, 'retry', 'retries')} · ${f.concurrency} at once${lowered}`;
}

export const STATE_LABEL: Record<TaskState, string> = {
  running: 'running',
  waiting: 'waiting',
  retrying: 'to retry',
  completed: 'done',
  blocked: 'blocked',
  failed: 'failed',
  stopped: 'stopped',
};

const STATE_MARK: Record<TaskState, string> = {
  running: '…',
  waiting: '⏳',
  retrying: '↻',
  completed: '✔',
  blocked: '⚠',
  failed: '✖',
  stopped: '■',
};

/**
 * The table a terminal run ends with: each task this run touched, the totals, and what is blocked.
 * Titles are cut to fit `width` columns, so that the table never wraps.
 */
export function summaryTable(f: Finished, tally: RunTally, c: ChalkInstance, width = Infinity): string[] {
  const h = headline(f);
  const paint = h.tone === 'good' ? c.green : h.tone === 'warn' ? c.yellow : c.red;
  const lines = ['', paint(`${h.mark} ${h.text}: ${f.reason}`)];
  const tasks = tally.tasks();
  if (tasks.length > 0) {
    const tint = (s: TaskState, text: string) => (s === 'completed' ? c.green(text) : s === 'failed' ? c.red(text) : s === 'blocked' ? c.yellow(text) : text);
    const rows = [
      ['Task', 'Status', 'Attempts', 'Time', 'Tokens', 'Cost'].map((h) => c.dim(h)),
      ...tasks.map((t) => [
        t.taskId,
        tint(t.state, `${STATE_MARK[t.state]} ${STATE_LABEL[t.state]}`),
        String(t.attempts),
        duration(t.durationMs),
        thousands(t.tokens),
        usd(t.costUsd),
      ]),
    ];
    const titles = ['Title', ...tasks.map((t) => t.title)];
    const aligned = alignColumns(rows, new Set([2, 3, 4, 5]));
    const room = width - 2 - visibleWidth(aligned[0] ?? '') - 2;
    lines.push('', ...aligned.map((l, i) => `  ${l}  ${c.dim(fit(titles[i] ?? '', room))}`.trimEnd()));
  }
  const n = statusCounts(f, tally);
  // The budget is the plan's, kept across runs: say so when this run resumed an earlier one.
  const allRuns = tally.started?.resumed ? c.dim(' (all runs of this plan)') : '';
  const totals = [
    ['Tasks', `${n.done} of ${n.total} done · ${n.blocked} blocked · ${n.failed} failed · ${n.toDo} to do`],
    ['Agents', agentsRow(f, tally)],
    ['Tokens', thousands(f.tokens) + (f.tokensSaved > 0 ? ` · ${savedByResuming(f.tokensSaved)}` : '') + allRuns],
    ['Cost', usd(f.costUsd) + allRuns],
    ['Time', duration(f.durationMs)],
  ].map(([k, v]) => [c.bold(k ?? ''), v ?? '']);
  lines.push('', ...alignColumns(totals).map((l) => `  ${l}`));
  if (f.blocked.length > 0) {
    lines.push('', c.yellow('  Blocked, needs a person:'));
    for (const b of f.blocked) {
      const indent = `    ${' '.repeat(b.taskId.length)}  `;
      lines.push(`    ${c.bold(b.taskId)}  ${b.blocker.split(/\r?\n/).join(`\n${indent}`)}`);
      if (b.suggestedAction) lines.push(`${indent}${c.cyan(`→ ${b.suggestedAction}`)}`);
    }
  }
  for (const step of nextSteps(f)) lines.push('', `  ${c.bold('Next:')} ${step}`);
  return lines;
}
