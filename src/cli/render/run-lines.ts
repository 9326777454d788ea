import type { ChalkInstance } from 'chalk';
import type { OrchestratorEvent } from '../../orchestrator/events.js';

function seconds(ms: number): string {
  return ms < 60_000 ? `${(ms / 1000).toFixed(1)}s` : `${Math.floor(ms / 60_000)}m${String(Math.round((ms % 60_000) / 1000)).padStart(2, '0')}s`;
}

function cost(usd: number): string {
  return `$${usd.toFixed(usd < 1 ? 4 : 2)}`;
}

/** One human line per event (undefined for events not worth a line). */
export function eventLine(e: OrchestratorEvent, c: ChalkInstance): string | undefined {
  switch (e.type) {
    case 'run.started':
      return `${c.bold(e.planName)}: ${e.phases} phases, ${e.tasks} tasks, concurrency ${e.concurrency}${e.resumed ? ' (resuming)' : ''}`;
    case 'run.notice':
      return e.level === 'warning' ? c.yellow(`⚠ ${e.message}`) : e.message;
    case 'run.waiting':
      return c.yellow(`⏳ ${e.taskId}: usage limit reached; waiting until ${e.until} (${seconds(e.remainingMs)} left). Ctrl-C stops; \`ccasp run\` resumes.`);
    case 'budget.threshold':
      return c.yellow(`◆ ${e.used.toLocaleString('en-US')} of ${e.limit.toLocaleString('en-US')} tokens used: earlier work summarised in ${e.memoryFile}; new agents get the summary`);
    case 'phase.started':
      return c.cyan(`▶ Phase ${e.phaseId}: ${e.name}`);
    case 'task.started':
      return `  … ${e.taskId} ${e.title} ${c.dim(`[${e.specialist}, ${e.model}${e.attempt > 1 ? `, attempt ${e.attempt}` : ''}]`)}`;
    case 'task.system':
      return c.dim(`  · ${e.taskId} ${e.step}: ${e.detail}`);
    case 'task.attempt.failed':
      return c.yellow(`  ✖ ${e.taskId} attempt ${e.attempt} rejected: ${e.reason}${e.willRetry ? ' — retrying' : ''}`);
    case 'task.completed':
      return `  ${c.green('✔')} ${e.taskId} ${e.title} ${c.dim(`(${seconds(e.durationMs)}, ${cost(e.costUsd)})`)}${e.summary ? ` — ${e.summary}` : ''}`;
    case 'task.blocked':
      return c.yellow(`  ⚠ ${e.taskId} blocked: ${e.blocker}${e.suggestedAction ? ` → ${e.suggestedAction}` : ''}`);
    case 'task.failed':
      return c.red(`  ✖ ${e.taskId} failed: ${e.error}`);
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
        `  ${e.completed}/${e.total} tasks done, ${e.agentsSpawned} agents, ${e.tokens.toLocaleString('en-US')} tokens, ${cost(e.costUsd)}, ${seconds(e.durationMs)}`,
      ];
      for (const b of e.blocked) lines.push(c.yellow(`  ${b.taskId}: ${b.blocker}${b.suggestedAction ? `\n    → ${b.suggestedAction}` : ''}`));
      return lines.join('\n');
    }
  }
}

/** Plain mode: every line stamped with the time and written as it happens, for logs and CI. */
export function plainRunRenderer(stream: NodeJS.WritableStream, c: ChalkInstance, now: () => Date = () => new Date()) {
  return (e: OrchestratorEvent): void => {
    const line = eventLine(e, c);
    if (line === undefined) return;
    const stamp = now().toISOString().slice(11, 19);
    stream.write(`${line.split('\n').map((l) => (l ? `${c.dim(stamp)} ${l}` : l)).join('\n')}\n`);
  };
}

/** `--json`: one event per line on stdout, the documented NDJSON contract. */
export function ndjsonRenderer(stream: NodeJS.WritableStream, now: () => Date = () => new Date()) {
  return (e: OrchestratorEvent): void => {
    stream.write(`${JSON.stringify({ time: now().toISOString(), ...e })}\n`);
  };
}
