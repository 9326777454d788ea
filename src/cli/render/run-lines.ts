import type { ChalkInstance } from 'chalk';
import type { OrchestratorEvent } from '../../orchestrator/events.js';
import { duration, thousands, usd } from '../../numbers.js';
import type { RunRenderer } from './renderer.js';

/** One human line per event (undefined for events not worth a line). */
export function eventLine(e: OrchestratorEvent, c: ChalkInstance): string | undefined {
  switch (e.type) {
    case 'run.started':
      return `${c.bold(e.planName)}: ${e.phases} phases, ${e.tasks} tasks, concurrency ${e.concurrency}${e.resumed ? ' (resuming)' : ''}`;
    case 'run.notice':
      return e.level === 'warning' ? c.yellow(`⚠ ${e.message}`) : e.message;
    case 'run.waiting':
      return c.yellow(`⏳ ${e.taskId}: usage limit reached; waiting until ${e.until} (${duration(e.remainingMs)} left). Ctrl-C stops; \`ccasp run\` resumes.`);
    case 'run.concurrency':
      return c.yellow(`◆ ${e.concurrency} of ${e.max} agents at once: ${e.reason}`);
    case 'budget.threshold':
      return c.yellow(`◆ ${thousands(e.used)} of ${thousands(e.limit)} tokens used: earlier work summarised in ${e.memoryFile}; new agents get the summary`);
    case 'phase.started':
      return c.cyan(`▶ Phase ${e.phaseId}: ${e.name}`);
    case 'task.started':
      return `  … ${e.taskId} ${e.title} ${c.dim(`[${e.specialist}, ${e.model}${e.attempt > 1 ? `, attempt ${e.attempt}` : ''}]`)}`;
    case 'task.resumed':
      return c.dim(`  ↻ ${e.taskId} attempt ${e.attempt} continues attempt ${e.fromAttempt}'s session (cut off: ${e.cutOff}), saving ${thousands(e.tokensSaved)} tokens`);
    case 'task.progress':
      // Live figures for the spinners; as lines they would only be noise.
      return undefined;
    case 'task.system':
      return c.dim(`  · ${e.taskId} ${e.step}: ${e.detail}`);
    case 'task.attempt.failed':
      return c.yellow(`  ✖ ${e.taskId} attempt ${e.attempt} rejected: ${e.reason}${e.willRetry ? ' — retrying' : ''}`);
    case 'task.denied':
      return e.denials.map((d) => c.yellow(`  ⊘ ${e.taskId} attempt ${e.attempt}: claude denied ${d.tool} ${JSON.stringify(d.input)}; allow it with ${d.rule}`)).join('\n');
    case 'task.completed':
      return `  ${c.green('✔')} ${e.taskId} ${e.title} ${c.dim(`(${duration(e.durationMs)}, ${usd(e.costUsd)})`)}${e.summary ? ` — ${e.summary}` : ''}`;
    case 'task.blocked':
      return c.yellow(`  ⚠ ${e.taskId} blocked: ${e.blocker}${e.suggestedAction ? ` → ${e.suggestedAction}` : ''}`);
    case 'task.failed':
      return c.red(`  ✖ ${e.taskId} failed: ${e.error}`);
    case 'task.integrated':
      return c.dim(`  ⤷ ${e.taskId} merged into the integration branch (${e.how}, ${e.commit.slice(0, 10)})`);
    case 'task.conflict':
      return c.yellow(
        `  ⚡ ${e.taskId} conflicts with the integration branch in ${e.paths.join(', ')}${e.willRetry ? ' — its next attempt resolves it on top of the new tip' : ''}`,
      );
    case 'phase.completed':
      return c.green(`✔ Phase ${e.phaseId} completed (${e.percent}% of phases)`);
    case 'phase.failed':
      return c.red(`✖ Phase ${e.phaseId} failed: ${e.reason}`);
    case 'run.finished': {
      const head =
        e.outcome === 'completed'
          ? c.green('✔ Plan completed')
          : e.outcome === 'blocked'
            ? c.yellow('⚠ Run stopped: tasks are blocked')
            : e.outcome === 'paused'
              ? c.yellow('⏸ Run paused')
              : e.outcome === 'rate-limited'
                ? c.yellow('⏸ Run paused at a usage limit')
                : e.outcome === 'budget'
                  ? c.yellow('⏸ Run paused at the budget limit')
              : c.red('✖ Run failed');
      const lines = [
        '',
        `${head}: ${e.reason}`,
        `  ${e.completed}/${e.total} tasks done, ${e.agentsSpawned} agents (${e.concurrency} at once), ${thousands(e.tokens)} tokens${e.tokensSaved > 0 ? ` (${savedByResuming(e.tokensSaved)})` : ''}, ${usd(e.costUsd)}, ${duration(e.durationMs)}`,
      ];
      for (const b of e.blocked) lines.push(c.yellow(`  ${b.taskId}: ${b.blocker}${b.suggestedAction ? `\n    → ${b.suggestedAction}` : ''}`));
      return lines.join('\n');
    }
  }
}

/** The run's tokens saved by continuing cut-off sessions, as the end of a run says it. */
export function savedByResuming(tokens: number): string {
  return `${thousands(tokens)} saved by resuming cut-off sessions`;
}

/** Plain mode: every line stamped with the time and written as it happens, for logs and CI. */
export function plainRenderer(stream: NodeJS.WritableStream, c: ChalkInstance, now: () => Date = () => new Date()): RunRenderer {
  return {
    onEvent(e) {
      const line = eventLine(e, c);
      if (line === undefined) return;
      const stamp = now().toISOString().slice(11, 19);
      stream.write(`${line.split('\n').map((l) => (l ? `${c.dim(stamp)} ${l}` : l)).join('\n')}\n`);
    },
    end: () => undefined,
  };
}

/** `--json`: one event per line on stdout, the documented NDJSON contract (see orchestrator/event-schema.ts). */
export function ndjsonRenderer(stream: NodeJS.WritableStream, now: () => Date = () => new Date()): RunRenderer {
  return {
    onEvent(e) {
      stream.write(ndjsonLine(e, now()));
    },
    end: () => undefined,
  };
}

/** One event as a `--json` line (and a line of events.jsonl): the time it was written, then the event. */
export function ndjsonLine(e: OrchestratorEvent, time: Date): string {
  return `${JSON.stringify({ time: time.toISOString(), ...e })}\n`;
}
