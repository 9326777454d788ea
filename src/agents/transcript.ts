import type { ChalkInstance } from 'chalk';
import * as z from 'zod';
import { permissionDenial } from './permissions.js';
import * as stream from './stream.js';

/**
 * An agent's raw `claude --output-format stream-json` log as lines a person can read: what claude
 * said, each tool call with a short summary of its input, each result (shortened), API retries,
 * rate-limit notices and the final result. Lenient on purpose: a line it does not understand is
 * shown as such, never an error, since logs also hold crashed and half-written runs.
 */
export interface TranscriptOptions {
  /** Show tool results, tool inputs and thinking in full instead of shortened. */
  readonly full?: boolean;
}

const RESULT_LINES = 4;
const LINE_CHARS = 160;
const INPUT_CHARS = 100;

const base = z.looseObject({ type: z.string(), subtype: z.string().optional(), parent_tool_use_id: z.string().nullish() });

// The run's own line schemas (agents/stream.ts), each parsed only once `base` has matched its type
// and subtype. A transcript still shows an init line without a session id, and how much of the
// limit was used, which a run does not need.
const initLine = stream.initLine.partial({ session_id: true });

const rateLimitLine = stream.rateLimitLine.extend({
  rate_limit_info: stream.rateLimitLine.shape.rate_limit_info.extend({ utilization: z.number().optional() }),
});

const block = z.looseObject({
  type: z.string(),
  text: z.string().optional(),
  thinking: z.string().optional(),
  id: z.string().optional(),
  name: z.string().optional(),
  input: z.unknown().optional(),
  tool_use_id: z.string().optional(),
  content: z.unknown().optional(),
  is_error: z.boolean().optional(),
});

const messageLine = z.looseObject({
  message: z.looseObject({ model: z.string().optional(), content: z.union([z.string(), z.array(block)]).default([]) }),
});

const usage = z.looseObject({
  input_tokens: z.number().optional(),
  output_tokens: z.number().optional(),
  cache_creation_input_tokens: z.number().nullish(),
  cache_read_input_tokens: z.number().nullish(),
});

const resultLine = z.looseObject({
  subtype: z.string().optional(),
  is_error: z.boolean().optional(),
  api_error_status: z.number().nullish(),
  result: z.string().optional(),
  errors: z.array(z.string()).optional(),
  num_turns: z.number().optional(),
  duration_ms: z.number().optional(),
  total_cost_usd: z.number().optional(),
  usage: usage.optional(),
  permission_denials: stream.permissionDenials,
});

/** Renders one attempt's log; `text` is the file's content. */
export function renderTranscript(text: string, c: ChalkInstance, options: TranscriptOptions = {}): string[] {
  const out: string[] = [];
  const state: RenderState = { cwd: undefined, lastText: undefined, sawResult: false, tools: new Map() };
  for (const raw of text.split(/\r?\n/)) {
    if (raw.trim() === '') continue;
    renderLine(raw, c, options, state, out);
  }
  if (!state.sawResult) out.push(c.yellow('⚠ no result line: claude was stopped or crashed, or it is still running'));
  return out;
}

interface RenderState {
  cwd: string | undefined;
  /** The last thing claude said, so the result's copy of the final report is not printed twice. */
  lastText: string | undefined;
  sawResult: boolean;
  readonly tools: Map<string, string>;
}

function renderLine(raw: string, c: ChalkInstance, options: TranscriptOptions, state: RenderState, out: string[]): void {
  let json: unknown;
  try {
    json = JSON.parse(raw);
  } catch {
    out.push(c.dim(`not JSON: ${shorten(oneLine(raw), LINE_CHARS)}`));
    return;
  }
  const head = base.safeParse(json);
  if (!head.success) {
    out.push(c.dim(`not a stream line: ${shorten(oneLine(raw), LINE_CHARS)}`));
    return;
  }
  // Lines from a sub-agent (claude's Task tool) are indented under the call that started it.
  const indent = head.data.parent_tool_use_id ? '    ' : '';
  const push = (line: string) => out.push(indent + line);
  switch (head.data.type) {
    case 'system':
      return system(json, head.data.subtype, c, state, push);
    case 'rate_limit_event':
      return rateLimit(json, c, push);
    case 'assistant':
      return assistant(json, c, options, state, push);
    case 'user':
      return user(json, c, options, state, push);
    case 'result':
      state.sawResult = true;
      return result(json, c, state, push);
    default:
      push(c.dim(`(${head.data.type} line)`));
  }
}

function system(json: unknown, subtype: string | undefined, c: ChalkInstance, state: RenderState, push: (l: string) => void): void {
  if (subtype === 'init') {
    const init = initLine.safeParse(json);
    if (!init.success) return push(c.dim('session started'));
    state.cwd = init.data.cwd;
    const parts = [init.data.session_id && `session ${init.data.session_id}`, init.data.model, init.data.cwd].filter(Boolean);
    return push(c.dim(parts.join(' · ')));
  }
  if (subtype === 'api_retry') {
    const r = stream.apiRetryLine.safeParse(json);
    if (!r.success) return push(c.yellow('⟳ API retry'));
    const { attempt, max_retries: max, error_status: status, error, retry_delay_ms: delay } = r.data;
    const count = attempt !== undefined ? ` ${attempt}${max !== undefined ? `/${max}` : ''}` : '';
    const why = [typeof status === 'number' ? String(status) : 'no response', typeof error === 'string' ? error : undefined].filter(Boolean).join(' ');
    const next = delay !== undefined ? `, next try in ${seconds(delay)}` : '';
    return push(c.yellow(`⟳ API retry${count}: ${why}${next}`));
  }
  push(c.dim(`system: ${subtype ?? 'event'}`));
}

function rateLimit(json: unknown, c: ChalkInstance, push: (l: string) => void): void {
  const r = rateLimitLine.safeParse(json);
  if (!r.success) return push(c.yellow('rate limit event'));
  const info = r.data.rate_limit_info;
  if (info.status === 'allowed') return;
  const kind = info.rateLimitType ? ` (${info.rateLimitType})` : '';
  const used = info.utilization !== undefined ? `, ${Math.round(info.utilization * 100)}% used` : '';
  const resets = info.resetsAt !== undefined ? `, resets ${new Date(stream.resetsAtMs(info.resetsAt)).toISOString()}` : '';
  const line = `${info.status === 'rejected' ? '⏸ usage limit reached' : `rate limit ${info.status}`}${kind}${used}${resets}`;
  push(info.status === 'rejected' ? c.red(line) : c.yellow(line));
}

function assistant(json: unknown, c: ChalkInstance, options: TranscriptOptions, state: RenderState, push: (l: string) => void): void {
  const m = messageLine.safeParse(json);
  if (!m.success) return push(c.dim('(assistant line not understood)'));
  const synthetic = m.data.message.model === '<synthetic>';
  const content = typeof m.data.message.content === 'string' ? [{ type: 'text', text: m.data.message.content }] : m.data.message.content;
  for (const b of content) {
    if (b.type === 'text' && b.text !== undefined) {
      state.lastText = b.text.trim();
      // claude writes this message itself when an API call has finally failed.
      if (synthetic) push(c.red(`✖ ${b.text.trim()}`));
      else for (const line of b.text.trim().split('\n')) push(line);
    } else if (b.type === 'thinking' || b.type === 'redacted_thinking') {
      const thought = oneLine(b.thinking ?? '');
      push(c.dim.italic(`thinking: ${options.full ? thought : shorten(thought, LINE_CHARS)}`));
    } else if (b.type === 'tool_use') {
      const name = b.name ?? 'tool';
      if (b.id) state.tools.set(b.id, name);
      const summary = toolSummary(name, b.input, state.cwd);
      push(`${c.cyan(`→ ${name}`)}${summary ? ` ${options.full ? summary : shorten(summary, INPUT_CHARS)}` : ''}`);
    } else {
      push(c.dim(`(${b.type})`));
    }
  }
}

function user(json: unknown, c: ChalkInstance, options: TranscriptOptions, state: RenderState, push: (l: string) => void): void {
  const m = messageLine.safeParse(json);
  if (!m.success) return push(c.dim('(user line not understood)'));
  const content = m.data.message.content;
  if (typeof content === 'string') return push(c.dim(`user: ${shorten(oneLine(content), LINE_CHARS)}`));
  for (const b of content) {
    if (b.type === 'tool_result') {
      const name = b.tool_use_id ? state.tools.get(b.tool_use_id) : undefined;
      const text = resultText(b.content);
      const lines = text === '' ? ['(no output)'] : text.split('\n');
      const shown = options.full ? lines : lines.slice(0, RESULT_LINES).map((l) => shorten(l, LINE_CHARS));
      const more = lines.length - shown.length;
      // A failed call is named, since the error is what the reader is looking for.
      const first = b.is_error ? `  ✖ ${name ? `${name}: ` : ''}` : '  ← ';
      const paint = b.is_error ? c.red : c.dim;
      shown.forEach((line, i) => push(paint(`${i === 0 ? first : '    '}${line}`)));
      if (more > 0) push(c.dim(`    … ${more} more line${more === 1 ? '' : 's'} (--full shows them)`));
    } else if (b.type === 'text' && b.text !== undefined) {
      push(c.dim(`user: ${shorten(oneLine(b.text), LINE_CHARS)}`));
    } else {
      push(c.dim(`(${b.type})`));
    }
  }
}

function result(json: unknown, c: ChalkInstance, state: RenderState, push: (l: string) => void): void {
  const r = resultLine.safeParse(json);
  if (!r.success) return push(c.dim('(result line not understood)'));
  const d = r.data;
  const failed = d.is_error === true;
  const what = failed
    ? `✖ result: ${d.subtype === 'success' || d.subtype === undefined ? 'error' : d.subtype}${typeof d.api_error_status === 'number' ? ` (API ${d.api_error_status})` : ''}`
    : `✔ result: ${d.subtype ?? 'success'}`;
  const facts = [
    d.num_turns !== undefined ? `${d.num_turns} turn${d.num_turns === 1 ? '' : 's'}` : undefined,
    d.duration_ms !== undefined ? seconds(d.duration_ms) : undefined,
    d.total_cost_usd !== undefined ? `$${d.total_cost_usd.toFixed(4)}` : undefined,
    d.usage ? tokens(d.usage) : undefined,
  ].filter(Boolean);
  push(`${failed ? c.red(what) : c.green(what)}${facts.length ? c.dim(` · ${facts.join(' · ')}`) : ''}`);
  for (const e of d.errors ?? []) push(c.red(`  ${e}`));
  for (const denied of d.permission_denials ?? []) {
    const { tool, input, rule } = permissionDenial(denied.tool_name, denied.tool_input);
    push(c.yellow(`  ⊘ denied ${tool} ${shorten(oneLine(JSON.stringify(input)), LINE_CHARS)}; allow it with ${rule}`));
  }
  const report = d.result?.trim();
  if (report && report !== state.lastText) for (const line of report.split('\n')) push(`  ${line}`);
}

function tokens(u: z.infer<typeof usage>): string {
  const parts = [`${u.input_tokens ?? 0} in`, `${u.output_tokens ?? 0} out`];
  if (u.cache_read_input_tokens) parts.push(`${u.cache_read_input_tokens} cache read`);
  if (u.cache_creation_input_tokens) parts.push(`${u.cache_creation_input_tokens} cache write`);
  return `tokens ${parts.join(', ')}`;
}

/** The one thing worth knowing about a tool call: its file, command, pattern or URL. */
export function toolSummary(name: string, input: unknown, cwd: string | undefined): string {
  if (typeof input !== 'object' || input === null) return '';
  const get = (key: string): string | undefined => {
    const v = (input as Record<string, unknown>)[key];
    return typeof v === 'string' ? v : undefined;
  };
  const file = get('file_path') ?? get('notebook_path');
  switch (name) {
    case 'Write': {
      const content = get('content');
      return file ? `${relative(file, cwd)}${content !== undefined ? ` (${countLines(content)})` : ''}` : json(input);
    }
    case 'Read':
    case 'Edit':
    case 'MultiEdit':
    case 'NotebookEdit':
      return file ? relative(file, cwd) : json(input);
    case 'Bash': {
      const command = get('command');
      return command !== undefined ? `$ ${oneLine(command)}` : json(input);
    }
    case 'Glob':
    case 'Grep': {
      const pattern = get('pattern');
      const where = get('path');
      return pattern !== undefined ? `${pattern}${where ? ` in ${relative(where, cwd)}` : ''}` : json(input);
    }
    case 'WebFetch':
      return get('url') ?? json(input);
    case 'WebSearch':
      return get('query') ?? json(input);
    case 'Task':
    case 'Agent': {
      const description = get('description');
      const type = get('subagent_type');
      return description !== undefined ? `${type ? `${type}: ` : ''}${description}` : json(input);
    }
    case 'TodoWrite': {
      const todos = (input as Record<string, unknown>).todos;
      return Array.isArray(todos) ? `${todos.length} todo${todos.length === 1 ? '' : 's'}` : json(input);
    }
    default:
      return file ? relative(file, cwd) : json(input);
  }
}

function resultText(content: unknown): string {
  if (typeof content === 'string') return content.replace(/\s+$/, '');
  if (!Array.isArray(content)) return '';
  return content
    .map((part: unknown) => {
      const b = block.safeParse(part);
      if (!b.success) return '';
      return b.data.type === 'text' ? (b.data.text ?? '') : `[${b.data.type}]`;
    })
    .join('\n')
    .replace(/\s+$/, '');
}

function relative(file: string, cwd: string | undefined): string {
  if (cwd && file.startsWith(`${cwd}/`)) return file.slice(cwd.length + 1);
  return file;
}

function countLines(text: string): string {
  const n = text === '' ? 0 : text.replace(/\n$/, '').split('\n').length;
  return `${n} line${n === 1 ? '' : 's'}`;
}

function json(value: unknown): string {
  return JSON.stringify(value) ?? '';
}

function oneLine(text: string): string {
  return text.replace(/\s+/g, ' ').trim();
}

function shorten(text: string, max: number): string {
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

function seconds(ms: number): string {
  return ms < 60_000 ? `${(ms / 1000).toFixed(1)}s` : `${Math.floor(ms / 60_000)}m${String(Math.round((ms % 60_000) / 1000)).padStart(2, '0')}s`;
}
