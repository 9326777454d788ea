import type { Phase, Plan, Task } from '../plan/model.js';
import type { PermissionDenial } from './permissions.js';
import type { CutOff } from '../state/schema.js';
import type { ReportFormat } from './report.js';
import type { Route } from './route.js';
import type { MergedTip } from '../worktree/workspace.js';
import { STRUCTURED_OUTPUT_TOOL } from './structured-report.js';

/** What an earlier attempt of the same task left behind, so a retry starts from it. */
export interface PreviousAttempt {
  readonly attempt: number;
  readonly reason: string;
  readonly summary?: string;
  /** Files whose changes conflicted with the integration branch (`--isolation worktree`). */
  readonly conflictPaths?: readonly string[];
  /** Tool calls claude refused it: the run does not allow them, so the retry must do without. */
  readonly denials?: readonly PermissionDenial[];
}

/** An earlier attempt of the task that was cut off, and whose session claude can still find in `cwd`. */
export interface SessionResume {
  readonly fromAttempt: number;
  readonly sessionId: string;
  readonly cutOff: CutOff;
  /** What ccasp recorded about the cut-off, when it did. */
  readonly reason?: string;
}

export interface PromptInput {
  readonly plan: Pick<Plan, 'name'>;
  readonly phase: Pick<Phase, 'id' | 'name'>;
  readonly task: Task;
  readonly route: Route;
  readonly projectRoot: string;
  readonly previous: readonly PreviousAttempt[];
  /** A bounded account of earlier work in the plan (the compaction summary when there is one). */
  readonly earlierWork?: string;
  /** Set on a retry after a conflict: what was merged into the worktree and is left to resolve. */
  readonly conflict?: MergedTip;
  /** Where the report goes (`--report-format`); the text block when absent. */
  readonly reportFormat?: ReportFormat;
}

/**
 * The L2 specialist's task prompt. It carries the report protocol of the phase orchestrator, in
 * ccasp's words: the agent runs headless, so nobody can answer a question and a report is required.
 */
export function renderTaskPrompt(input: PromptInput): string {
  const { task, phase, plan, route } = input;
  const lines: string[] = [
    `You are the L2 ${route.domain} specialist for task ${task.id} of the plan "${plan.name}".`,
    'ccasp, the orchestrator, delegated this task to you and will check your work before recording it.',
    '',
    '## Your task',
    `- Task ID: ${task.id}`,
    `- Title: ${task.title}`,
  ];
  if (task.details) lines.push(`- Details: ${task.details}`);
  lines.push(`- Target files: ${task.files.length > 0 ? task.files.join(', ') : 'none declared; choose them as the task needs'}`);
  if (task.verify) lines.push(`- Check: \`${task.verify}\` must exit 0 in the project root when you are done`);
  lines.push(
    '',
    '## Context',
    `- Phase: ${phase.id} — ${phase.name}`,
    `- Plan: ${plan.name}`,
    `- Project root: ${input.projectRoot} (paths below are relative to it)`,
  );
  if (input.earlierWork) lines.push('', '## Earlier work in this plan', input.earlierWork.trim());
  if (input.previous.length > 0) {
    lines.push('', '## Earlier attempts at this task (not accepted)');
    for (const p of input.previous) {
      lines.push(`- Attempt ${p.attempt}: ${p.reason}${p.summary ? ` Its summary: ${p.summary}` : ''}`);
      if (p.denials?.length) lines.push(...deniedLines(p.denials));
    }
    lines.push('Look at what is already in the project, fix what was wrong, and do not repeat the same mistake.');
  }
  if (input.conflict) lines.push('', ...conflictSection(input.conflict));
  lines.push(
    '',
    '## How to work',
    '1. Do this task and nothing else; follow the patterns already in the codebase.',
    '2. Change only files this task needs; leave unrelated files alone.',
    '3. Run the relevant tests or checks after your changes.',
    '4. You run without a person watching: do not ask questions. If something outside your control stops you, report the task blocked.',
  );
  lines.push('', ...(input.reportFormat === 'json-schema' ? structuredReportSection(task) : textReportSection(task)));
  return `${lines.join('\n')}\n`;
}

/**
 * A retry is told what it may not run, or it tries the same commands again and goes on blind again.
 * Commands are quoted as JSON strings, so one holding a backtick or a line break stays one line.
 */
function deniedLines(denials: readonly PermissionDenial[]): string[] {
  return [
    '  This run does not allow these tool calls, and claude refused them; do not try them again. Do without them, or report the task blocked if it cannot be done without them (name the rule it needs):',
    ...denials.map((d) => `  - ${d.tool} ${JSON.stringify(d.input)} (would need ${d.rule})`),
  ];
}

export interface ResumePromptInput {
  readonly task: Pick<Task, 'id'>;
  readonly attempt: number;
  readonly resume: SessionResume;
  readonly projectRoot: string;
  readonly conflict?: MergedTip;
  readonly reportFormat?: ReportFormat;
}

/** Why the agent was stopped, in its own terms, and what to do differently where that helps. */
const CUT_OFF: Record<CutOff, string> = {
  stalled: 'you printed nothing for too long, so ccasp stopped you as stalled',
  'timed-out': "you ran past the task's time limit, so ccasp stopped you. Finish what is left directly, without starting over",
  'max-turns': 'you ran out of turns. Work in fewer, larger steps and write the report before the limit',
  'max-budget': 'you reached the spending limit of the attempt. Finish what is left directly, without starting over',
  'usage-limit': "the account reached its usage limit; it has reset since",
  'api-error': 'the API failed and claude gave up on it',
  crashed: 'your process ended unexpectedly',
  stopped: 'the ccasp run was stopped while you worked',
};

/**
 * The prompt for an attempt that continues a cut-off attempt's session: the conversation already
 * holds the task and the work so far, so this says only why it was cut off and what must still happen.
 */
export function renderResumePrompt(input: ResumePromptInput): string {
  const { task, resume } = input;
  const lines = [
    `ccasp cut off your work on task ${task.id} before you reported: ${CUT_OFF[resume.cutOff]}.${resume.reason ? ` (ccasp recorded: ${resume.reason})` : ''}`,
    '',
    `This is attempt ${input.attempt}, continuing the same conversation in ${input.projectRoot}. Do not start over: check which of your changes are in place (a command or tool call may not have finished when you were stopped), then finish the task.`,
  ];
  if (input.conflict) lines.push('', ...conflictSection(input.conflict));
  const report =
    input.reportFormat === 'json-schema'
      ? `call the ${STRUCTURED_OUTPUT_TOOL} tool with your report, as the task asked`
      : `end your final message with the TASK_COMPLETE, TASK_BLOCKED or TASK_FAILED block for ${task.id}, as the task asked`;
  lines.push('', `When you are done, ${report}.`);
  return `${lines.join('\n')}\n`;
}

function textReportSection(task: Task): string[] {
  return [
    '## Report (required)',
    'End your final message with exactly one of these blocks, using this task id:',
    '',
    `TASK_COMPLETE: ${task.id}`,
    'STATUS: completed',
    'ARTIFACTS: [every file you created or changed, relative to the project root]',
    'SUMMARY: one or two sentences on what you did',
    '',
    `TASK_BLOCKED: ${task.id}`,
    'BLOCKER: what stops you',
    'SUGGESTED_ACTION: what a person must do so the task can go on',
    '',
    `TASK_FAILED: ${task.id}`,
    'ERROR: why the task cannot be done',
    '',
    `${checks(task)} A report with another task id, without a report block, or with files that do not exist is not accepted.`,
  ];
}

/**
 * The role text still describes the text block, so this says plainly that the tool replaces it:
 * with `--json-schema` ccasp reads nothing but the tool call.
 */
function structuredReportSection(task: Task): string[] {
  const id = JSON.stringify(task.id);
  return [
    '## Report (required)',
    `This run takes your report as structured output, not as a text block: when you are done, call the ${STRUCTURED_OUTPUT_TOOL} tool once, as your last action, with one of these, using this task id. Do not write a TASK_COMPLETE, TASK_BLOCKED or TASK_FAILED block; it is not read.`,
    '',
    `{"task_id": ${id}, "status": "completed", "artifacts": [every file you created or changed, relative to the project root], "summary": "one or two sentences on what you did"}`,
    `{"task_id": ${id}, "status": "blocked", "blocker": "what stops you", "suggested_action": "what a person must do so the task can go on"}`,
    `{"task_id": ${id}, "status": "failed", "error": "why the task cannot be done"}`,
    '',
    `${checks(task)} A report with another task id, no ${STRUCTURED_OUTPUT_TOOL} call, or files that do not exist is not accepted.`,
  ];
}

function checks(task: Task): string {
  return (
    'ccasp checks that every listed artifact exists' +
    (task.files.length > 0 ? ' and that the target files exist' : '') +
    (task.verify ? ' and runs the check above' : '') +
    '.'
  );
}

/**
 * Tells a retry what happened to its work: other tasks changed the same files on the integration
 * branch first, and that tip is now merged in. The agent must keep both intents, not pick a side:
 * picking one would silently undo a task ccasp already recorded as completed.
 */
function conflictSection(c: MergedTip): string[] {
  const head = `## Merge conflict to resolve first`;
  if (c.paths.length === 0) {
    return [
      head,
      `Your earlier work could not be merged into ${c.branch}, which other tasks changed meanwhile. The new tip of ${c.branch} has been merged into this working tree without conflicts: check that your work still fits the changes that came in, then finish the task.`,
    ];
  }
  return [
    head,
    `Your earlier work could not be merged into ${c.branch}: other tasks changed the same files meanwhile. The new tip of ${c.branch} has been merged into this working tree, and git left conflict markers (\`<<<<<<<\`, \`=======\`, \`>>>>>>>\`) in:`,
    ...c.paths.map((p) => `- ${p}`),
    "Resolve each of these files so that both intents are kept: the changes that came from the other tasks and this task's own. Remove every marker; read the file before you rewrite it. Do not run `git merge --abort`, `git reset` or `git checkout` on them, and do not commit: ccasp commits and merges your work when you report completion.",
  ];
}
