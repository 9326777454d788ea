import { stripVTControlCharacters } from 'node:util';
import type { ChalkInstance } from 'chalk';
import ora from 'ora';
import type { OrchestratorEvent } from '../../orchestrator/events.js';
import { fit, plural, visibleWidth } from './format.js';
import { clock, duration, shortCount, thousands, usd } from '../../numbers.js';
import type { RunRenderer } from './renderer.js';
import { eventLine } from './run-lines.js';
import { RunTally, type TaskTally } from './run-tally.js';
import { summaryTable } from './summary.js';

/** The terminal the TTY renderer draws on: a stream that knows its width. */
export type TerminalStream = NodeJS.WritableStream & { readonly isTTY?: boolean; readonly columns?: number };

export interface TtyOptions {
  readonly now?: () => number;
}

/**
 * Terminal mode. One ora spinner owns a block at the bottom of the screen: a header line (phase,
 * agents, tasks done, tokens) and one line per running agent with its own spinner frame, task id,
 * specialist, model, elapsed time, tokens and tool calls so far. ora redraws the block every frame,
 * so clocks tick; everything permanent (a finished task, a phase, a notice) is written above it:
 * ora wraps the stream's `write` while it spins, clearing the block, writing the line and drawing
 * the block again, which also keeps anything else printed meanwhile (a warning, Ctrl-C's message)
 * from garbling it. The run ends with the spinner stopped, the block gone and a summary table.
 *
 * Keys are left alone (`discardStdin: false`): ora's discarding puts stdin in raw mode, which would
 * take Ctrl-C away from the terminal and could leave the terminal raw if ccasp died.
 */
export function ttyRenderer(stream: TerminalStream, c: ChalkInstance, options: TtyOptions = {}): RunRenderer {
  const now = options.now ?? Date.now;
  const tally = new RunTally(now);
  const spinner = ora({
    stream,
    isEnabled: true,
    discardStdin: false,
    hideCursor: true,
    color: c.level > 0 ? 'cyan' : false,
    suffixText: () => agentLines(),
  });
  const frames = spinner.spinner.frames;
  const interval = spinner.spinner.interval ?? 80;
  let over = false;

  const width = () => Math.max(20, (stream.columns || 80) - 1);
  const write = (text: string) => stream.write(`${text}\n`);

  const agentLines = (): string => {
    const running = tally.running();
    if (running.length === 0) return '';
    return `\n${running.map((t) => agentLine(t)).join('\n')}`;
  };

  const agentLine = (t: TaskTally): string => {
    const elapsed = now() - t.attemptStartedAt;
    const frame = frames[Math.floor(elapsed / interval) % frames.length] ?? '-';
    const glyph = t.state === 'waiting' ? '⏳' : c.cyan(frame);
    const attempt = t.attempt > 1 ? ` · attempt ${t.attempt}` : '';
    const figures = `${clock(elapsed)}  ${shortCount(t.attemptTokens)} tokens  ${plural(t.toolCalls, 'tool call')}`;
    const head = `  ${glyph} ${c.bold(t.taskId)}  ${c.dim(`${t.specialist} · ${t.model}${attempt}`)}  ${figures}  `;
    // A block line must never wrap: a terminal that reflows wrapped lines on resize would leave
    // ora clearing the wrong number of lines. On a narrow terminal the line loses its colour and its end.
    if (visibleWidth(head) + 1 > width()) return fit(stripVTControlCharacters(head).trimEnd(), width());
    return head + c.dim(fit(t.title, width() - visibleWidth(head)));
  };

  const header = (): string => {
    const running = tally.running().length;
    const done = tally.tasks().filter((t) => t.state === 'completed').length;
    const parts = [
      tally.phase ? `Phase ${tally.phase.id} ${tally.phase.name}` : (tally.started?.planName ?? 'Starting'),
      running > 0 ? plural(running, 'agent') + ' running' : 'no agent running',
      `${done} done`,
      `${shortCount(tally.tokensSoFar())} tokens`,
    ];
    if (tally.waiting) parts.push(`usage limit: waiting until ${tally.waiting.until.slice(11, 19)} UTC`);
    // ora adds the frame and a space before the text and a space after it.
    return fit(parts.join(' · '), width() - 3);
  };

  const announcedWaits = new Set<string>();
  /** The permanent line for an event, from the tally as it stands after the event. */
  const lineFor = (e: OrchestratorEvent): string | undefined => {
    const t = 'taskId' in e ? tally.get(e.taskId) : undefined;
    const took = t && t.durationMs > 0 ? ` after ${duration(t.durationMs)}` : '';
    switch (e.type) {
      case 'task.completed':
        return `  ${c.green('✔')} ${c.bold(e.taskId)} ${e.title} ${c.dim(`${duration(e.durationMs)} · ${usd(e.costUsd)} · ${thousands(t?.tokens ?? 0)} tokens`)}${e.summary ? c.dim(` — ${e.summary}`) : ''}`;
      case 'task.attempt.failed':
        return c.yellow(`  ✖ ${e.taskId} attempt ${e.attempt} rejected after ${duration(e.durationMs)}: ${e.reason}${e.willRetry ? ' — retrying' : ''}`);
      case 'task.blocked':
        return c.yellow(`  ⚠ ${e.taskId} blocked${took}: ${e.blocker}${e.suggestedAction ? ` → ${e.suggestedAction}` : ''}`);
      case 'task.failed':
        return c.red(`  ✖ ${e.taskId} failed${took}: ${e.error}`);
      case 'task.started':
      case 'task.progress':
        // The spinner block shows these.
        return undefined;
      case 'run.waiting': {
        // Repeated as a countdown; the header counts down, so only the first becomes a line.
        const key = `${e.taskId}@${e.until}`;
        if (announcedWaits.has(key)) return undefined;
        announcedWaits.add(key);
        return eventLine(e, c);
      }
      default:
        return eventLine(e, c);
    }
  };

  const stop = () => {
    if (spinner.isSpinning) spinner.stop();
  };
  // A terminal that is gone fails every write (the process-wide handler drops them): stop redrawing.
  stream.once('error', () => {
    over = true;
    stop();
  });

  return {
    onEvent(e) {
      tally.add(e);
      const line = lineFor(e);
      if (over) {
        if (line !== undefined) write(line);
        return;
      }
      if (e.type === 'run.finished') {
        over = true;
        stop();
        write(summaryTable(e, tally, c, width()).join('\n'));
        return;
      }
      spinner.text = header();
      // While ora spins, this write clears the block, prints the line and draws the block below it.
      if (line !== undefined) write(line);
      if (!spinner.isSpinning && tally.started) spinner.start();
    },
    end() {
      over = true;
      stop();
    },
  };
}
