import type { OrchestratorEvent } from '../orchestrator/events.js';
import type { PhaseStatus, TaskStatus } from '../plan/model.js';
import { totalTokens } from '../state/usage.js';
import type { PhaseView, TaskView, Tracker } from './tracker.js';
import { bar, thousands } from '../numbers.js';

/**
 * The Markdown ccasp posts. Pure: events and the tracker in, a body out (without the marker, which
 * deliver.ts appends, and before redaction, which sync.ts applies to the whole body).
 */
type EventOf<T extends OrchestratorEvent['type']> = Extract<OrchestratorEvent, { type: T }>;

/** GitHub refuses comments over 65,536 characters; leave room for the marker. */
const MAX_BODY = 60_000;
const MAX_FIELD = 4_000;

export function renderTaskCompleted(e: EventOf<'task.completed'>): string {
  const lines = [`### ✅ ${e.taskId} · ${inline(e.title)}`, '', quote(prose(e.summary || 'No summary given.')), ''];
  lines.push('| | |', '|---|---|');
  lines.push(`| Attempts | ${e.attempt} |`);
  lines.push(`| Tokens | ${thousands(totalTokens(e.usage))} |`);
  lines.push(`| Cost | ${formatCost(e.costUsd)} |`);
  lines.push(`| Duration | ${formatDuration(e.durationMs)} |`);
  if (e.artifacts.length > 0) lines.push('', `**Artifacts:** ${e.artifacts.map(code).join(', ')}`);
  return finish(lines);
}

export function renderStatus(tracker: Tracker, updatedAt: string, headline?: string): string {
  const { done, total, percent } = tracker.counts();
  const phasesDone = tracker.phases.filter((p) => p.status === 'completed').length;
  const lines = [
    `## 📋 ${inline(tracker.plan.name)}`,
    '',
    `\`${bar(percent)}\` **${percent}%** · ${done} of ${total} tasks · ${phasesDone} of ${tracker.phases.length} phases`,
  ];
  if (headline) lines.push('', `**${inline(headline)}**`);
  const footer = ['', `<sub>Updated by ccasp at ${updatedAt}. This comment is edited in place as the run goes on.</sub>`];
  // A large plan's checklist does not fit in one comment: it is cut where the room ends, keeping
  // every phase's heading and the footer, and the lines past the cut are never made (this runs on
  // every event).
  let room = MAX_BODY - [...lines, ...footer].join('\n').length - tracker.phases.length * 120 - 200;
  let unlisted = 0;
  for (const phase of tracker.phases) {
    const tasksDone = phase.tasks.filter((t) => t.status === 'completed' || t.status === 'skipped').length;
    lines.push('', `### ${PHASE_ICON[phase.status]} ${phase.id} · ${inline(phase.name)} (${tasksDone}/${phase.tasks.length})`);
    for (const task of phase.tasks) {
      const line = room > 0 ? checklistLine(task) : '';
      room -= line.length + 1;
      if (room >= 0) lines.push(line);
      else unlisted++;
    }
  }
  if (unlisted > 0) lines.push('', `… ${unlisted} more task${unlisted === 1 ? '' : 's'} not listed: the checklist is cut to fit GitHub's comment size. \`ccasp status\` shows them all.`);
  return finish([...lines, ...footer]);
}

export function renderPhaseCompleted(e: EventOf<'phase.completed'>, tracker: Tracker): string {
  const { done, total } = tracker.counts();
  const phasesDone = tracker.phases.filter((p) => p.status === 'completed').length;
  return finish([
    `### ✅ Phase ${e.phaseId} complete: ${inline(e.name)}`,
    '',
    `${phasesDone} of ${tracker.phases.length} phases done (${e.percent}%) · ${done} of ${total} tasks`,
    '',
    ...phaseTable(tracker.phases),
  ]);
}

export function renderBlocked(e: EventOf<'task.blocked'>): string {
  return finish([
    `### ⛔ ${e.taskId} is blocked: ${inline(e.title)}`,
    '',
    `**Blocker:** ${prose(e.blocker)}`,
    '',
    `**What a person must do:** ${prose(e.suggestedAction || 'deal with the blocker above')}`,
    '',
    `Then run \`ccasp unblock ${e.taskId}\` and \`ccasp run\` again. Tasks that do not depend on it go on meanwhile.`,
  ]);
}

export function renderPhaseFailed(e: EventOf<'phase.failed'>): string {
  return finish([
    `### ❌ Phase ${e.phaseId} failed: ${inline(e.name)}`,
    '',
    `**Reason:** ${prose(e.reason)}`,
    '',
    '**What a person must do:** fix the cause named above (the agent logs are in `.claude/orchestrator/logs/`), then run ' +
      '`ccasp unblock <task-id>` for the failed task and `ccasp run` again. Nothing new starts in this plan until then.',
  ]);
}

export function renderSuccess(e: EventOf<'run.finished'>, tracker: Tracker, closing: true | { readonly keepOpen: string }): string {
  return finish([
    `### 🎉 Plan complete: ${inline(tracker.plan.name)}`,
    '',
    `All ${tracker.phases.length} phases and ${e.total} tasks are done.`,
    '',
    '| | |',
    '|---|---|',
    `| Tasks | ${e.completed} of ${e.total} |`,
    `| Duration of the last run | ${formatDuration(e.durationMs)} |`,
    `| Tokens | ${thousands(e.tokens)} |`,
    ...(e.tokensSaved > 0 ? [`| Tokens saved by resuming cut-off sessions | ${thousands(e.tokensSaved)} |`] : []),
    `| Cost | ${formatCost(e.costUsd)} |`,
    `| Agents spawned | ${e.agentsSpawned} |`,
    '',
    '',
    ...phaseTable(tracker.phases),
    '',
    closing === true ? 'Closing this issue.' : `Leaving this issue open (${closing.keepOpen}).`,
  ]);
}

const PHASE_ICON: Record<PhaseStatus, string> = { pending: '⏳', in_progress: '🔄', completed: '✅', failed: '❌', blocked: '⛔' };
const TASK_NOTE: Record<TaskStatus, string> = {
  pending: '',
  in_progress: ' · 🔄 in progress',
  completed: '',
  skipped: ' · skipped',
  blocked: ' · ⛔ blocked',
  failed: ' · ❌ failed',
};

function checklistLine(task: TaskView): string {
  const box = task.status === 'completed' || task.status === 'skipped' ? '[x]' : '[ ]';
  const why = task.blocker && (task.status === 'blocked' || task.status === 'failed') ? `: ${inline(task.blocker, 300)}` : '';
  return `- ${box} **${task.id}** ${inline(task.title)}${TASK_NOTE[task.status]}${why}`;
}

function phaseTable(phases: readonly PhaseView[]): string[] {
  const rows = phases.map((p) => {
    const done = p.tasks.filter((t) => t.status === 'completed' || t.status === 'skipped').length;
    return `| ${cell(p.id)} | ${cell(p.name)} | ${PHASE_ICON[p.status]} ${p.status.replace('_', ' ')} | ${done}/${p.tasks.length} |`;
  });
  return ['| Phase | Name | Status | Tasks |', '|---|---|---|---|', ...rows];
}

/**
 * Text an agent or a plan wrote, made safe to post: no HTML comments (nothing can forge or hide a
 * marker), no @mentions (a summary must not page people; the zero-width space is what Dependabot
 * uses), and a bounded length.
 */
export function prose(text: string, max = MAX_FIELD): string {
  const safe = text.replace(/<!--/g, '&lt;!--').replace(/(^|[^\w`])@(?=[A-Za-z0-9])/g, '$1@&#8203;');
  return safe.length > max ? `${safe.slice(0, max)}… (truncated)` : safe;
}

/** One line of prose, e.g. a title in a heading or a checklist. */
function inline(text: string, max = 200): string {
  return prose(text.replace(/\s+/g, ' ').trim(), max);
}

function cell(text: string): string {
  return inline(text).replace(/\|/g, '\\|');
}

function quote(text: string): string {
  return text
    .split('\n')
    .map((l) => `> ${l}`)
    .join('\n');
}

function code(text: string): string {
  return `\`${text.replace(/`/g, "'")}\``;
}

function finish(lines: readonly string[]): string {
  const body = lines.join('\n');
  return body.length > MAX_BODY ? `${body.slice(0, MAX_BODY)}\n\n… (truncated)` : body;
}

export function formatDuration(ms: number): string {
  const s = Math.round(ms / 1000);
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m ${String(s % 60).padStart(2, '0')}s`;
  return `${Math.floor(m / 60)}h ${String(m % 60).padStart(2, '0')}m`;
}

export function formatCost(usd: number): string {
  return `$${usd.toFixed(usd > 0 && usd < 1 ? 4 : 2)}`;
}
