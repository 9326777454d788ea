import { appendFileSync } from 'node:fs';
import type { OrchestratorEvent } from '../../orchestrator/events.js';
import { duration, thousands, usd } from '../../numbers.js';
import type { RunRenderer } from './renderer.js';
import { RunTally, type TaskState } from './run-tally.js';
import { savedByResuming } from './run-lines.js';
import { agentsRow, headline, nextSteps, STATE_LABEL, statusCounts } from './summary.js';

type Finished = Extract<OrchestratorEvent, { type: 'run.finished' }>;

/**
 * GitHub Actions, when `GITHUB_STEP_SUMMARY` is set: a `::warning::` annotation for each blocked task
 * and an `::error::` one for each failed phase (or task) as they happen, and at the end a Markdown
 * summary of the run appended to the step summary file.
 *
 * Workflow commands are documented as read from stdout; the runner reads stderr the same way (each
 * stream has its own command parser, see actions/runner ScriptHandler.cs). So they go to stdout,
 * except with `--json`, where stdout carries only NDJSON and they go to stderr.
 */
export interface GithubActionsOptions {
  /** The step summary file (`GITHUB_STEP_SUMMARY`). */
  readonly summaryFile: string;
  /** Where workflow commands go. */
  readonly commands: NodeJS.WritableStream;
  readonly now?: () => number;
  readonly append?: (file: string, text: string) => void;
}

/** Escapes a workflow command's message: `%`, CR and LF (as the runner's unescaping expects). */
export function escapeData(text: string): string {
  return text.replace(/%/g, '%25').replace(/\r/g, '%0D').replace(/\n/g, '%0A');
}

/** Escapes a workflow command property (`title=`…): also `:` and `,`, which end the property. */
export function escapeProperty(text: string): string {
  return escapeData(text).replace(/:/g, '%3A').replace(/,/g, '%2C');
}

export function workflowCommand(command: 'warning' | 'error' | 'notice', message: string, properties: Record<string, string> = {}): string {
  const props = Object.entries(properties)
    .map(([k, v]) => `${k}=${escapeProperty(v)}`)
    .join(',');
  return `::${command}${props ? ` ${props}` : ''}::${escapeData(message)}`;
}

/** The annotations an event deserves, if any. */
export function annotationsFor(e: OrchestratorEvent, alreadyBlocked: ReadonlySet<string> = new Set()): string[] {
  switch (e.type) {
    case 'task.blocked':
      return [workflowCommand('warning', blockedText(e.blocker, e.suggestedAction), { title: `ccasp: task ${e.taskId} is blocked` })];
    case 'task.denied':
      return e.denials.map((d) =>
        workflowCommand('warning', `claude denied ${d.tool} ${JSON.stringify(d.input)}; allow it with ${d.rule}`, { title: `ccasp: task ${e.taskId} attempt ${e.attempt} was denied a tool` }),
      );
    case 'task.failed':
      return [workflowCommand('error', e.error, { title: `ccasp: task ${e.taskId} failed` })];
    case 'phase.failed':
      return [workflowCommand('error', e.reason, { title: `ccasp: phase ${e.phaseId} (${e.name}) failed` })];
    case 'run.finished':
      // Tasks still blocked from an earlier run are news to this job's readers too.
      return e.blocked
        .filter((b) => !alreadyBlocked.has(b.taskId))
        .map((b) => workflowCommand('warning', blockedText(b.blocker, b.suggestedAction), { title: `ccasp: task ${b.taskId} is blocked` }));
    default:
      return [];
  }
}

function blockedText(blocker: string, action: string): string {
  return action ? `${blocker}\nWhat to do: ${action}` : blocker;
}

/** A Markdown table cell: one line, no column breaks. */
function cell(text: string): string {
  return text.replace(/\\/g, '\\\\').replace(/\|/g, '\\|').replace(/\r?\n/g, '<br>');
}

const STATE_EMOJI: Record<TaskState, string> = {
  running: '⏳',
  waiting: '⏳',
  retrying: '🔁',
  completed: '✅',
  blocked: '⚠️',
  failed: '❌',
  stopped: '⏹️',
};

const OUTCOME_EMOJI: Record<Finished['outcome'], string> = {
  completed: '✅',
  blocked: '⚠️',
  failed: '❌',
  paused: '⏸️',
  'rate-limited': '⏸️',
  budget: '⏸️',
};

/** The run as Markdown for the job's summary page. */
export function stepSummaryMarkdown(f: Finished, tally: RunTally): string {
  const name = tally.started?.planName ?? 'plan';
  const n = statusCounts(f, tally);
  const out = [
    `## ${OUTCOME_EMOJI[f.outcome]} ccasp: ${cell(name)}`,
    '',
    `**${headline(f).text}:** ${cell(f.reason)}`,
    '',
    '| | |',
    '| --- | --- |',
    `| Tasks | ${n.done} of ${n.total} done · ${n.blocked} blocked · ${n.failed} failed · ${n.toDo} to do |`,
    `| Agents | ${agentsRow(f, tally)} |`,
    `| Tokens | ${thousands(f.tokens)}${f.tokensSaved > 0 ? ` (${savedByResuming(f.tokensSaved)})` : ''} |`,
    `| Cost | ${usd(f.costUsd)} |`,
    `| Time | ${duration(f.durationMs)} |`,
  ];
  const tasks = tally.tasks();
  if (tasks.length > 0) {
    out.push('', '### Tasks this run', '', '| Task | Status | Attempts | Time | Tokens | Cost |', '| --- | --- | ---: | ---: | ---: | ---: |');
    for (const t of tasks) {
      out.push(
        `| ${cell(`${t.taskId} ${t.title}`.trim())} | ${STATE_EMOJI[t.state]} ${STATE_LABEL[t.state]} | ${t.attempts} | ${duration(t.durationMs)} | ${thousands(t.tokens)} | ${usd(t.costUsd)} |`,
      );
    }
  }
  if (f.blocked.length > 0) {
    out.push('', '### Blocked: needs a person', '', '| Task | Blocker | What to do |', '| --- | --- | --- |');
    for (const b of f.blocked) out.push(`| ${cell(b.taskId)} | ${cell(b.blocker)} | ${cell(b.suggestedAction || '')} |`);
  }
  if (tally.failedPhases.length > 0) {
    out.push('', '### Failed phases', '');
    for (const p of tally.failedPhases) out.push(`- **${cell(p.phaseId)} ${cell(p.name)}**: ${cell(p.reason)}`);
  }
  const next = nextSteps(f);
  if (next.length > 0) out.push('', `**Next:** ${next.join(' ')}`);
  return `${out.join('\n')}\n\n`;
}

export function githubActionsReporter(o: GithubActionsOptions): RunRenderer {
  const tally = new RunTally(o.now);
  const append = o.append ?? ((file: string, text: string) => appendFileSync(file, text));
  const blocked = new Set<string>();
  return {
    onEvent(e) {
      tally.add(e);
      for (const line of annotationsFor(e, blocked)) o.commands.write(`${line}\n`);
      if (e.type === 'task.blocked') blocked.add(e.taskId);
      if (e.type !== 'run.finished') return;
      try {
        append(o.summaryFile, stepSummaryMarkdown(e, tally));
      } catch (error) {
        o.commands.write(`${workflowCommand('warning', `could not write the step summary to ${o.summaryFile}: ${String(error)}`)}\n`);
      }
    },
    end: () => undefined,
  };
}
