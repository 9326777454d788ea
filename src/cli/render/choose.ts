/**
 * Which renderer shows a run, decided once, by one pure function with one precedence (as Nx does):
 *
 *   1. flag      `--json`: NDJSON events on stdout, plain human lines on stderr;
 *   2. env       `CCASP_OUTPUT=tty|plain|silent`;
 *   3. CI        `CI` set (and not `0`/`false`): plain;
 *   4. config    a configured display, when there is one;
 *   5. terminal  the human stream is a terminal of known width and `TERM` is not `dumb`: tty; else plain.
 *
 * `tty` is only ever chosen for a terminal: asked for elsewhere (by env or config) it falls back to
 * plain, since spinners and cursor movement would garble a pipe or a log file.
 */
export type RendererKind = 'json' | 'tty' | 'plain' | 'silent';

/** What a person may ask for by env or config; `json` is the flag's alone. */
export type DisplayPreference = 'tty' | 'plain' | 'silent';

export const OUTPUT_ENV = 'CCASP_OUTPUT';

export interface RendererChoiceInput {
  readonly json: boolean;
  readonly env: NodeJS.ProcessEnv;
  readonly config?: DisplayPreference;
  /** The stream human output goes to: stdout, or stderr with `--json`. */
  readonly terminal: { readonly isTTY: boolean; readonly columns: number | undefined };
}

export interface RendererChoice {
  readonly kind: RendererKind;
  /** Which rule decided it. */
  readonly by: 'flag' | 'env' | 'ci' | 'config' | 'terminal';
  /** A `CCASP_OUTPUT` value that means nothing and was ignored, to warn about. */
  readonly ignored?: string;
}

export const DISPLAY_PREFERENCES: readonly DisplayPreference[] = ['tty', 'plain', 'silent'];

function isPreference(value: string): value is DisplayPreference {
  return DISPLAY_PREFERENCES.some((p) => p === value);
}

export function chooseRenderer(input: RendererChoiceInput): RendererChoice {
  const canDraw = input.terminal.isTTY && (input.terminal.columns ?? 0) > 0 && input.env.TERM !== 'dumb';
  const honour = (preference: DisplayPreference): RendererKind => (preference === 'tty' && !canDraw ? 'plain' : preference);
  const decide = (): RendererChoice => {
    if (input.json) return { kind: 'json', by: 'flag' };
    const wanted = input.env[OUTPUT_ENV]?.trim().toLowerCase();
    if (wanted && isPreference(wanted)) return { kind: honour(wanted), by: 'env' };
    if (isSet(input.env.CI)) return { kind: 'plain', by: 'ci' };
    if (input.config) return { kind: honour(input.config), by: 'config' };
    return { kind: canDraw ? 'tty' : 'plain', by: 'terminal' };
  };
  const choice = decide();
  const raw = input.env[OUTPUT_ENV];
  const bad = raw !== undefined && raw.trim() !== '' && !isPreference(raw.trim().toLowerCase());
  return bad ? { ...choice, ignored: raw } : choice;
}

function isSet(value: string | undefined): boolean {
  return value !== undefined && value !== '' && value !== '0' && value.toLowerCase() !== 'false';
}
