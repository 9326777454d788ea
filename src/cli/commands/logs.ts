import type { ChalkInstance } from 'chalk';
import { Command } from 'commander';
import { flagParser, positiveInt } from '../config/settings.js';
import path from 'node:path';
import { UsageError } from '../../errors.js';
import { resolvePlanArgument } from '../../plan/discover.js';
import { loadPlan } from '../../plan/load.js';
import { readLog, taskLogs } from '../../state/orchestrator-files.js';
import { logPath, statePath } from '../../state/paths.js';
import { findProjectRoot } from '../../project-root.js';
import { readState } from '../../state/read-state.js';
import type { AttemptRecord } from '../../state/schema.js';
import { globalColor, planReadOptions } from '../global-options.js';
import { chalkFor, writeLine, type Io } from '../io.js';
import { displayPath } from '../status-report.js';

interface LogsOptions {
  readonly attempt?: number;
  readonly json?: boolean;
  readonly full?: boolean;
}

export function logsCommand(io: Io): Command {
  return new Command('logs')
    .description("print a task's agent transcripts: what claude said, its tool calls and their results, retries, the final result")
    .argument('<task-id>', 'the task whose logs to show')
    .argument('[plan-dir]', 'directory holding PROGRESS.json (default: the one in this project)')
    .option('--attempt <n>', 'only this attempt (default: every attempt, oldest first)', flagParser('--attempt', positiveInt))
    .option('--full', 'do not shorten tool results, tool inputs and thinking')
    .option('--json', "print the raw stream-json lines as claude wrote them (each attempt's in turn)")
    .action(async (taskId: string, planDir: string | undefined, opts: LogsOptions, cmd: Command) => {
      const doc = await loadPlan(resolvePlanArgument(planDir, io.cwd), planReadOptions(cmd));
      const root = findProjectRoot(path.dirname(doc.file));
      const task = doc.plan.phases.flatMap((p) => p.tasks).find((t) => t.id === taskId);
      let logs = await taskLogs(root, taskId);
      if (logs.length === 0) {
        if (!task) throw new UsageError(`no task "${taskId}" in ${displayPath(doc.file, io.cwd)}, and no logs for it`);
        const why = task.systemStep ? 'ccasp performs this step itself, with no agent' : `status ${task.status}; no agent has run it yet`;
        writeLine(io.stderr, `${taskId} has no agent logs in ${displayPath(path.dirname(logPath(root, taskId, 1)), io.cwd)} (${why})`);
        return;
      }
      if (opts.attempt !== undefined) {
        const wanted = opts.attempt;
        const one = logs.filter((l) => l.attempt === wanted);
        if (one.length === 0) throw new UsageError(`${taskId} has no log for attempt ${wanted}; attempts with logs: ${logs.map((l) => l.attempt).join(', ')}`);
        logs = one;
      }
      if (opts.json) {
        for (const log of logs) {
          const text = await readLog(log.file);
          io.stdout.write(text === '' || text.endsWith('\n') ? text : `${text}\n`);
        }
        return;
      }
      const { renderTranscript } = await import('../../agents/transcript.js');
      const c = chalkFor(globalColor(cmd), io);
      const state = await readState(statePath(root));
      // Verdicts only from this plan's run books; logs may outlive a state started afresh for another plan.
      const records = state.kind === 'ok' && state.state.planId === doc.plan.id ? state.state.attempts.filter((a) => a.taskId === taskId) : [];
      for (const [i, log] of logs.entries()) {
        if (i > 0) writeLine(io.stdout);
        const title = task ? ` ${task.title}` : '';
        writeLine(io.stdout, c.bold(`── ${taskId}${title} · attempt ${log.attempt} ──`) + c.dim(` ${displayPath(log.file, io.cwd)}`));
        const record = records.find((r) => r.attempt === log.attempt);
        if (record) writeLine(io.stdout, recordLine(record, c));
        for (const line of renderTranscript(await readLog(log.file), c, { full: opts.full ?? false })) writeLine(io.stdout, `  ${line}`);
      }
    });
}

/** What ccasp decided about the attempt, from state.json. */
function recordLine(r: AttemptRecord, c: ChalkInstance): string {
  const verdict = r.outcome === 'completed' ? c.green('accepted') : r.outcome === 'retry' ? c.yellow('rejected') : r.outcome === 'fatal' ? c.red('fatal') : c.yellow(r.outcome);
  const facts = [r.startedAt, `${(r.durationMs / 1000).toFixed(1)}s`, `$${r.costUsd.toFixed(4)}`].join(' · ');
  return `${verdict}${r.reason ? `: ${r.reason}` : ''} ${c.dim(`(${facts})`)}`;
}
