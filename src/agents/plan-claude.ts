import { randomUUID } from 'node:crypto';
import { createInterface } from 'node:readline';
import { execa } from 'execa';
import type { Redactor } from '../secrets/redact.js';
import { childEnv, redactResult } from './delegate.js';
import type { PlanAnswer } from './plan-author.js';
import { StreamReader } from './stream.js';
import { STRUCTURED_OUTPUT_TOOL } from './structured-report.js';
import { Watchdog, type WatchdogReason } from './watchdog.js';

export interface PlanClaudeOptions {
  readonly bin: string;
  readonly model: string;
  /** Where claude runs: the project root, which it may read. */
  readonly cwd: string;
  /** The agent environment (secrets/agent-env.ts). */
  readonly env: NodeJS.ProcessEnv;
  readonly redact: Redactor;
  /** The plan, as claude's `--json-schema`. */
  readonly schema: Record<string, unknown>;
  readonly timeoutMs: number;
  readonly stallTimeoutMs: number;
  readonly maxTurns?: number;
  /** Aborted when ccasp is told to stop: claude is ended with it. */
  readonly signal: AbortSignal;
}

/**
 * The tools the planning agent has at all (`--tools`), and the rules that let it use them without
 * asking. `dontAsk` refuses every other call, and Write, Edit and the rest are not even offered
 * (checked with claude 2.1.197: docs/claude-stream.md). Of git only `ls-files`: `git log` and
 * `git diff` take `--output=<file>`, which writes.
 */
const PLAN_TOOLS = ['Read', 'Glob', 'Grep', 'Bash'] as const;
const PLAN_TOOL_RULES = ['Read', 'Glob', 'Grep', 'Bash(git ls-files:*)'] as const;

function planClaudeArgs(options: PlanClaudeOptions, session: { readonly id: string; readonly resume: boolean }): string[] {
  // `--flag=value` throughout: several claude flags take many values and would swallow the next one.
  const args = [
    '-p',
    '--output-format=stream-json',
    '--verbose',
    `--model=${options.model}`,
    '--permission-mode=dontAsk',
    `--tools=${PLAN_TOOLS.join(',')}`,
    ...PLAN_TOOL_RULES.map((rule) => `--allowedTools=${rule}`),
    `--json-schema=${JSON.stringify(options.schema)}`,
    session.resume ? `--resume=${session.id}` : `--session-id=${session.id}`,
  ];
  if (options.maxTurns !== undefined) args.push(`--max-turns=${options.maxTurns}`);
  return args;
}

const KILL_GRACE_MS = 5000;

/**
 * The `ask` port of `authorPlan` on this machine: one `claude -p` per ask, the prompt on stdin, the
 * first ask starting a session and each later one resuming it, so claude corrects its own plan
 * with the project it has read still in view. Ended when `signal` aborts (and, not being detached,
 * by a Ctrl-C in its terminal).
 */
export function askClaudeForPlan(options: PlanClaudeOptions): (prompt: string) => Promise<PlanAnswer> {
  const sessionId = randomUUID();
  let asked = 0;
  return async (prompt) => {
    const child = execa(options.bin, planClaudeArgs(options, { id: sessionId, resume: asked++ > 0 }), {
      cwd: options.cwd,
      input: prompt,
      env: childEnv(options.env),
      extendEnv: false,
      reject: false,
      buffer: false,
      forceKillAfterDelay: KILL_GRACE_MS,
      cancelSignal: options.signal,
    });
    let stoppedBy: WatchdogReason | undefined;
    const watchdog = new Watchdog(options.timeoutMs, options.stallTimeoutMs, (why) => {
      stoppedBy = why;
      child.kill('SIGTERM');
    });
    let stderr = '';
    child.stderr?.setEncoding('utf8').on('data', (chunk: string) => (stderr = (stderr + chunk).slice(-4000)));
    const reader = new StreamReader();
    const reading = (async () => {
      if (!child.stdout) return;
      for await (const line of createInterface({ input: child.stdout, crlfDelay: Infinity })) {
        watchdog.touch();
        reader.push(line);
      }
    })();
    const outcome = await child;
    watchdog.stop();
    await reading.catch(() => undefined);

    if (stoppedBy) return { ok: false, message: stoppedBy.kind === 'timed-out' ? `claude ran past ${stoppedBy.afterMs} ms and was stopped` : `claude printed nothing for ${stoppedBy.afterMs} ms and was stopped` };
    if (outcome.exitCode === undefined && outcome.signal === undefined) {
      const code = (outcome.cause as NodeJS.ErrnoException | undefined)?.code;
      return {
        ok: false,
        message: code === 'ENOENT' ? `the claude binary "${options.bin}" was not found; install @anthropic-ai/claude-code or pass --claude-bin` : options.redact(`claude could not be started: ${outcome.shortMessage}`),
      };
    }
    const result = reader.result ? redactResult(reader.result, options.redact) : undefined;
    if (!result) {
      const tail = options.redact(stderr).trim().split('\n').slice(-3).join(' ');
      return { ok: false, message: `claude ended (${outcome.signal ?? `exit ${outcome.exitCode}`}) without a result${tail ? `: ${tail}` : ''}` };
    }
    if (result.isError) return { ok: false, message: `claude failed (${result.subtype}): ${[...result.errors, result.text].filter((t) => t.trim() !== '').join('; ').slice(0, 500)}` };
    if (result.structuredOutput === undefined) return { ok: false, message: `claude ended without handing in a plan (it did not call the ${STRUCTURED_OUTPUT_TOOL} tool)` };
    return { ok: true, value: result.structuredOutput };
  };
}
