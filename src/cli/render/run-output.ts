import type { EventBus } from '../../orchestrator/events.js';
import { chalkFor, writeLine, type Io } from '../io.js';
import { chooseRenderer, OUTPUT_ENV, type DisplayPreference, type RendererChoice } from './choose.js';
import { githubActionsReporter } from './github-actions.js';
import { attachRenderers, silentRenderer, type RunRenderer } from './renderer.js';
import { ndjsonRenderer, plainRenderer } from './run-lines.js';
import type { TerminalStream } from './tty.js';

export interface RunOutputOptions {
  /** `--json`. */
  readonly json: boolean;
  /** `--no-color` (false), else undefined. */
  readonly color: boolean | undefined;
  /**
   * The run's `output` setting. From the config file it ranks below `CI`; from `CCASP_OUTPUT`,
   * chooseRenderer reads the same value from the environment first.
   */
  readonly config?: DisplayPreference | undefined;
}

export interface RunOutput {
  readonly choice: RendererChoice;
  /** Subscribes every renderer to the run's events. */
  attach(bus: EventBus): void;
  /** The run is over (or failed): stop spinners and give the terminal back. */
  end(): void;
}

/**
 * Everything a run shows, chosen once: the renderer for people (see choose.ts), NDJSON on stdout with
 * `--json`, and the GitHub Actions step summary and annotations when `GITHUB_STEP_SUMMARY` is set.
 * The terminal renderer (with ora and its spinners, a third of the run's code) loads only for a terminal.
 */
export async function createRunOutput(io: Io, options: RunOutputOptions): Promise<RunOutput> {
  const human: TerminalStream = options.json ? io.stderr : io.stdout;
  const c = chalkFor(options.color, io, options.json ? 'stderr' : 'stdout');
  const choice = chooseRenderer({
    json: options.json,
    env: io.env,
    ...(options.config ? { config: options.config } : {}),
    terminal: { isTTY: human.isTTY === true, columns: human.columns },
  });
  if (choice.ignored !== undefined) {
    writeLine(io.stderr, c.yellow(`warning: ${OUTPUT_ENV}="${choice.ignored}" is not one of tty, plain, silent; ignored`));
  }
  const renderers: RunRenderer[] = [];
  switch (choice.kind) {
    case 'json':
      renderers.push(ndjsonRenderer(io.stdout), plainRenderer(io.stderr, c));
      break;
    case 'tty': {
      const { ttyRenderer } = await import('./tty.js');
      renderers.push(ttyRenderer(human, c));
      break;
    }
    case 'plain':
      renderers.push(plainRenderer(human, c));
      break;
    case 'silent':
      renderers.push(silentRenderer());
      break;
  }
  const summaryFile = io.env.GITHUB_STEP_SUMMARY;
  if (summaryFile) renderers.push(githubActionsReporter({ summaryFile, commands: options.json ? io.stderr : io.stdout }));
  return {
    choice,
    attach: (bus) => attachRenderers(bus, renderers),
    end: () => {
      for (const r of renderers) r.end();
    },
  };
}
