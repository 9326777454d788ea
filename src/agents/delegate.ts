import { createWriteStream } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { execa } from 'execa';
import type { AgentRequest } from './request.js';
import type { Usage } from '../state/schema.js';
import { totalTokens, ZERO_USAGE } from '../state/usage.js';
import { logPath } from '../state/paths.js';
import type { AgentResult, AttemptResult, ProcessEnd } from './attempt.js';
import { renderResumePrompt, renderTaskPrompt } from './prompt.js';
import type { ReportFormat } from './report.js';
import { reportSchemaArgument } from './structured-report.js';
import { loadRole, type Role } from './roles.js';
import { agentToolPermissions } from './permissions.js';
import type { ToolPermissions } from '../plan/tool-rules.js';
import { endGroup, trackGroup } from '../process/group.js';
import { startedProcess, type StartedProcess } from '../process/identity.js';
import { StreamReader, type StreamLine } from './stream.js';
import { Watchdog } from './watchdog.js';
import type { Redactor } from '../secrets/redact.js';

export interface ClaudeOptions {
  readonly bin: string;
  /** Where logs are kept and specialist roles are read; agents run in `request.cwd` when it is set. */
  readonly projectRoot: string;
  readonly permissionMode: string;
  /** The run's own tool rules (`--allowed-tools`, `--disallowed-tools`), merged with the plan's, the task's and the specialist's. */
  readonly permissions: ToolPermissions;
  /** The agent's whole environment (secrets/agent-env.ts), less the variables a nested claude refuses. */
  readonly env: NodeJS.ProcessEnv;
  readonly timeoutMs: number;
  /** Scrubs secrets an agent prints from what ccasp keeps and shows of it (logs, reports, errors). */
  readonly redact: Redactor;
  /** Ends an agent that prints nothing for this long. */
  readonly stallTimeoutMs: number;
  readonly maxTurns?: number;
  /** Where agents put their completion report (`--report-format`); `text` when absent. */
  readonly reportFormat?: ReportFormat;
  /** Told about each parsed stream line, e.g. to show progress. */
  readonly onLine?: (taskId: string, reader: StreamReader) => void;
  /** Told whenever a running agent's tokens or tool calls so far change (the `task.progress` event). */
  readonly onProgress?: (progress: AgentProgress) => void;
}

export interface AgentProgress {
  readonly taskId: string;
  readonly attempt: number;
  /** Usage so far: estimated from each API response's start, exact once the result line arrives. */
  readonly tokens: number;
  readonly toolCalls: number;
}

/**
 * Tokens so far, while an agent runs. claude prints one assistant line per content block, each
 * carrying its response's usage as it stood when the response started, so each response is counted
 * once (by message id); the result line's usage replaces the estimate with the real total.
 */
export class LiveUsage {
  private readonly byMessage = new Map<string, Usage>();

  take(line: StreamLine, reader: StreamReader): number {
    if (line.type === 'assistant' && line.message.usage) {
      const u = line.message.usage;
      const id = typeof line.message.id === 'string' ? line.message.id : `#${this.byMessage.size}`;
      this.byMessage.set(id, {
        inputTokens: u.input_tokens,
        outputTokens: u.output_tokens,
        cacheCreationTokens: u.cache_creation_input_tokens ?? 0,
        cacheReadTokens: u.cache_read_input_tokens ?? 0,
      });
    }
    return totalTokens(reader.result?.usage ?? this.estimate());
  }

  /** The usage of the responses seen so far: for an agent cut off before claude's result line, all there is. */
  estimate(): Usage {
    const sum = { ...ZERO_USAGE };
    for (const u of this.byMessage.values()) {
      sum.inputTokens += u.inputTokens;
      sum.outputTokens += u.outputTokens;
      sum.cacheCreationTokens += u.cacheCreationTokens;
      sum.cacheReadTokens += u.cacheReadTokens;
    }
    return sum;
  }
}

const STDERR_TAIL = 2000;
const KILL_GRACE_MS = 5000;

/** Variables that make a nested claude refuse to start, or think it runs inside another session. */
const NESTING_VARIABLES = ['CLAUDECODE', 'CLAUDE_CODE_ENTRYPOINT'];

export function claudeArgs(request: AgentRequest, options: ClaudeOptions, role: Role): string[] {
  // `--flag=value` throughout: several claude flags take many values and would swallow the next one.
  const args = [
    '-p',
    '--output-format=stream-json',
    '--verbose',
    `--model=${request.route.model}`,
    `--permission-mode=${options.permissionMode}`,
    `--session-id=${request.sessionId}`,
    `--append-system-prompt=${role.text}`,
  ];
  // One flag per rule, so that a comma inside a rule (`Bash(echo a,b)`) cannot split it.
  const rules = agentToolPermissions(request.plan, request.task, options.permissions, role.permissions);
  for (const rule of rules.allow) args.push(`--allowedTools=${rule}`);
  for (const rule of rules.deny) args.push(`--disallowedTools=${rule}`);
  // claude takes --session-id with --resume only when forking: the new attempt gets its own session
  // (and transcript) with the earlier conversation in it, and keeps the id the orphan reaper knows it by.
  if (request.resume) args.push(`--resume=${request.resume.sessionId}`, '--fork-session');
  if (options.maxTurns !== undefined) args.push(`--max-turns=${options.maxTurns}`);
  if (request.maxBudgetUsd !== undefined) args.push(`--max-budget-usd=${request.maxBudgetUsd.toFixed(4)}`);
  if (options.reportFormat === 'json-schema') args.push(`--json-schema=${reportSchemaArgument()}`);
  return args;
}

/** What the agent said, scrubbed: the report's fields end up in state, PROGRESS.json and GitHub. */
export function redactResult(result: AgentResult, redact: Redactor): AgentResult {
  return {
    ...result,
    text: redact(result.text),
    errors: result.errors.map(redact),
    denials: result.denials.map((d) => ({ tool: d.tool, input: redact(d.input), rule: redact(d.rule) })),
    ...(result.structuredOutput !== undefined ? { structuredOutput: redactStrings(result.structuredOutput, redact) } : {}),
  };
}

function redactStrings(value: unknown, redact: Redactor): unknown {
  if (typeof value === 'string') return redact(value);
  if (Array.isArray(value)) return value.map((item) => redactStrings(item, redact));
  if (typeof value === 'object' && value !== null) {
    return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, redactStrings(item, redact)]));
  }
  return value;
}

export function childEnv(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const copy = { ...env };
  for (const key of NESTING_VARIABLES) delete copy[key];
  return copy;
}

/**
 * Runs one attempt of one task as a `claude -p` process: arguments as an array, the prompt on stdin
 * (so no task text can become a flag), every stream line validated, and the raw stream kept in the
 * task's log. Never throws for anything the agent does; the outcome is in the result.
 */
export async function delegateToClaude(
  request: AgentRequest,
  options: ClaudeOptions,
  signal: AbortSignal,
  onSpawn: (agent: StartedProcess) => void = () => undefined,
): Promise<AttemptResult> {
  const started = Date.now();
  const startedAt = new Date(started).toISOString();
  const logFile = logPath(options.projectRoot, request.task.id, request.attempt);
  await mkdir(path.dirname(logFile), { recursive: true });
  const log = createWriteStream(logFile, { flags: 'w' });
  // The transcript is a convenience: a full disk must not crash the run over it.
  log.on('error', () => undefined);
  const reader = new StreamReader();
  const live = new LiveUsage();
  let stderrTail = '';

  const redact = options.redact;
  const reportFormat = options.reportFormat ?? 'text';
  const finish = (end: ProcessEnd): AttemptResult => ({
    end: end.kind === 'not-started' ? { ...end, message: redact(end.message) } : end,
    ...(reader.result ? { result: redactResult(reader.result, redact) } : { streamedUsage: live.estimate() }),
    apiRetries: reader.apiRetries,
    sessionId: reader.sessionId ?? request.sessionId,
    logFile,
    // Scrubbed before it is cut, so that no secret keeps its end for want of its start.
    stderrTail: redact(stderrTail).slice(-STDERR_TAIL),
    startedAt,
    finishedAt: new Date().toISOString(),
    durationMs: Date.now() - started,
    reportFormat,
    // A claude that never started continued nothing.
    ...(request.resume && end.kind !== 'not-started' ? { resumed: request.resume.sessionId } : {}),
  });

  let role: Role;
  try {
    role = loadRole(options.projectRoot, request.route.specialist);
  } catch (error) {
    log.end();
    return finish({ kind: 'not-started', message: `cannot read the ${request.route.specialist} definition: ${error instanceof Error ? error.message : String(error)}` });
  }
  // Logs and roles stay with the project; the agent works (and is told it works) in its own tree.
  // The prompt must name that tree: an agent given the project root writes there by absolute path.
  const cwd = request.cwd ?? options.projectRoot;
  const earlierWork = request.earlierWork;
  const conflict = request.conflict ? { conflict: request.conflict } : {};
  // A continued session already holds the task prompt and the work so far: it is told only what happened.
  const prompt = request.resume
    ? renderResumePrompt({ task: request.task, attempt: request.attempt, resume: request.resume, projectRoot: cwd, ...conflict, reportFormat })
    : renderTaskPrompt({
        plan: request.plan,
        phase: request.phase,
        task: request.task,
        route: request.route,
        projectRoot: cwd,
        previous: request.previous,
        ...(earlierWork ? { earlierWork } : {}),
        ...conflict,
        reportFormat,
      });

  const child = execa(options.bin, claudeArgs(request, options, role), {
    cwd,
    input: prompt,
    env: childEnv(options.env),
    extendEnv: false,
    reject: false,
    buffer: false,
    // Its own process group, so ending it ends the tools it started; see process-group.ts.
    detached: true,
  });
  const exited = child.then(
    () => undefined,
    () => undefined,
  );
  let stoppedBy: ProcessEnd | undefined;
  const stop = (why: ProcessEnd) => {
    if (stoppedBy || child.pid === undefined) return;
    stoppedBy = why;
    endGroup(child.pid, KILL_GRACE_MS, exited);
  };
  const watchdog = new Watchdog(options.timeoutMs, options.stallTimeoutMs, (why) => stop(why));
  const onAbort = () => stop({ kind: 'cancelled' });
  if (signal.aborted) onAbort();
  else signal.addEventListener('abort', onAbort, { once: true });

  if (child.pid !== undefined) {
    trackGroup(child.pid, exited);
    onSpawn(startedProcess(child.pid));
  }
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
    stderrTail = (stderrTail + chunk).slice(-STDERR_TAIL * 2);
  });
  const lines = child.stdout ? createInterface({ input: child.stdout, crlfDelay: Infinity }) : undefined;
  let shown = { tokens: 0, toolCalls: 0 };
  const reading = (async () => {
    if (!lines) return;
    for await (const line of lines) {
      watchdog.touch();
      log.write(`${redact(line)}\n`);
      const parsed = reader.push(line);
      if (!parsed) continue;
      const refused = reader.apiRetries.find((r) => r.status === 401 || r.status === 403);
      if (refused?.status !== undefined) stop({ kind: 'auth-refused', status: refused.status });
      if (reader.rateLimitedUntil !== undefined) stop({ kind: 'rate-limited', resetsAt: reader.rateLimitedUntil });
      options.onLine?.(request.task.id, reader);
      const figures = { tokens: live.take(parsed, reader), toolCalls: reader.toolCalls };
      if (options.onProgress && (figures.tokens !== shown.tokens || figures.toolCalls !== shown.toolCalls)) {
        shown = figures;
        options.onProgress({ taskId: request.task.id, attempt: request.attempt, ...figures });
      }
    }
  })();

  const outcome = await child;
  watchdog.stop();
  signal.removeEventListener('abort', onAbort);
  await reading.catch(() => undefined);
  await new Promise<void>((resolve) => log.end(resolve));

  if (stoppedBy) return finish(stoppedBy);
  if (outcome.exitCode === undefined && outcome.signal === undefined) {
    const code = (outcome.cause as NodeJS.ErrnoException | undefined)?.code;
    const message =
      code === 'ENOENT'
        ? `the claude binary "${options.bin}" was not found; install @anthropic-ai/claude-code or pass --claude-bin`
        : code === 'EACCES'
          ? `the claude binary "${options.bin}" is not executable`
          : `claude could not be started: ${outcome.shortMessage}`;
    return finish({ kind: 'not-started', message });
  }
  if (outcome.signal) return finish({ kind: 'signal', signal: outcome.signal });
  return finish({ kind: 'exited', code: outcome.exitCode ?? 1 });
}
