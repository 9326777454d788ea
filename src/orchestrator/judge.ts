import type { AttemptResult } from '../agents/attempt.js';
import { readReport, type Report } from '../agents/report.js';
import type { Outcome } from './outcome.js';
import type { WorkCheck } from '../verify/check-work.js';

/** The part of an outcome that needs no checking of files: what the agent said, and how it ended. */
export function judgeAttempt(taskId: string, attempt: AttemptResult): Outcome | { kind: 'check'; report: Extract<Report, { kind: 'complete' }> } {
  const { end, result } = attempt;
  if (end.kind === 'cancelled') return { kind: 'interrupted' };
  if (end.kind === 'worker-lost') {
    const who = end.worker ? `the worker ${end.worker}` : 'its worker';
    return { kind: 'interrupted', reason: `${who} went silent past its lease (killed, or its machine gone); another worker runs the job again`, rerun: true };
  }
  if (end.kind === 'not-started') return { kind: 'fatal', reason: end.message, taskFailed: false };
  if (end.kind === 'rate-limited') return { kind: 'wait', resetsAt: end.resetsAt };
  const authFailure =
    end.kind === 'auth-refused' ? end.status : [result?.apiErrorStatus, ...attempt.apiRetries.map((r) => r.status)].find((s) => s === 401 || s === 403);
  if (authFailure !== undefined) {
    return {
      kind: 'fatal',
      reason: `the Anthropic API refused the credentials (HTTP ${authFailure}); check ANTHROPIC_API_KEY or your claude login`,
      taskFailed: false,
    };
  }
  if (end.kind === 'timed-out') return { kind: 'retry', reason: `the agent ran past the ${seconds(end.afterMs)} time limit and was stopped` };
  if (end.kind === 'stalled') return { kind: 'retry', reason: `the agent printed nothing for ${seconds(end.afterMs)} and was stopped as stalled` };
  if (!result) {
    const how = end.kind === 'exited' ? `exited with code ${end.code}` : end.kind === 'signal' ? `was killed by ${end.signal}` : 'ended';
    const tail = attempt.stderrTail.trim();
    return { kind: 'retry', reason: `the agent process ${how} without a result${tail ? `: ${tail}` : ''}` };
  }
  if (result.isError && result.subtype === 'error_max_turns') {
    return {
      kind: 'retry',
      reason: `the agent ran out of turns after ${result.numTurns}; work in fewer, larger steps and write the report before the limit`,
    };
  }
  if (result.isError) {
    const detail = result.apiErrorStatus ? `API error ${result.apiErrorStatus}` : result.subtype;
    const errors = result.errors.length > 0 ? `: ${result.errors.join('; ')}` : result.text ? `: ${result.text.slice(0, 300)}` : '';
    return { kind: 'retry', reason: `the agent ended in error (${detail})${errors}` };
  }
  const reading = readReport(result, attempt.reportFormat ?? 'text');
  if (!reading.ok) return { kind: 'retry', reason: reading.reason };
  const report = reading.report;
  if (report.taskId !== taskId) {
    return { kind: 'retry', reason: `the report names task "${report.taskId}", not ${taskId}` };
  }
  if (report.kind === 'blocked') {
    return { kind: 'blocked', blocker: report.blocker || 'the agent reported the task blocked', suggestedAction: report.suggestedAction };
  }
  if (report.kind === 'failed') return { kind: 'fatal', reason: report.error || 'the agent reported the task cannot be done', taskFailed: true };
  return { kind: 'check', report };
}

/** The outcome once the claimed work has been checked on disk. */
export function judgeWork(report: Extract<Report, { kind: 'complete' }>, check: WorkCheck): Outcome {
  if (check.outside.length > 0) {
    return { kind: 'retry', reason: `refused paths outside the project: ${check.outside.join(', ')}`, summary: report.summary };
  }
  if (check.missing.length > 0) {
    return { kind: 'retry', reason: `claimed completion, but these files do not exist: ${check.missing.join(', ')}`, summary: report.summary };
  }
  if (check.verify && !check.verify.ok) {
    return { kind: 'retry', reason: `the task's check failed: ${check.verify.detail}`, summary: report.summary };
  }
  return { kind: 'completed', summary: report.summary, artifacts: report.artifacts };
}

function seconds(ms: number): string {
  return ms % 60_000 === 0 ? `${ms / 60_000} min` : `${Math.round(ms / 1000)} s`;
}
