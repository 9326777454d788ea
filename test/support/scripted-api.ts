/**
 * A scripted stand-in for the Anthropic Messages API, for driving the real
 * `claude` CLI in tests. See docs/claude-stream.md for what claude 2.1.197
 * actually sends in print mode.
 *
 * A script answers the *main agent loop* requests (POST /v1/messages with a
 * `tools` array). Everything else claude might send (side calls without tools,
 * count_tokens, the `HEAD /` reachability probe) gets a harmless canned answer,
 * so scripts only ever describe the conversation itself.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';

// ---------------------------------------------------------------------------
// Scripted replies

export type StopReason = 'end_turn' | 'tool_use' | 'max_tokens' | 'stop_sequence';

export interface Usage {
  input_tokens: number;
  output_tokens: number;
  cache_creation_input_tokens: number;
  cache_read_input_tokens: number;
}

export interface TextBlock {
  type: 'text';
  text: string;
}

export interface ToolUseBlock {
  type: 'tool_use';
  name: string;
  input: Record<string, unknown>;
  /** Defaults to a unique `toolu_scripted_<n>` id. */
  id?: string;
}

export type ScriptedBlock = TextBlock | ToolUseBlock;

/** One assistant response of the main loop. */
export interface ScriptedTurn {
  content: ScriptedBlock[];
  /** Defaults to `tool_use` when any block is a tool_use, else `end_turn`. */
  stopReason?: StopReason;
  usage?: Partial<Usage>;
  /** Defaults to the model named in the request. */
  model?: string;
  /** Wait this long before sending response headers. */
  delayMs?: number;
  /** Send nothing before this settles: a barrier that makes two agents' turns overlap by construction. */
  after?: Promise<unknown>;
  /**
   * Extra HTTP response headers for this 200 response, e.g. the
   * `anthropic-ratelimit-unified-*` ones from {@link unifiedRateLimitHeaders}.
   */
  headers?: Record<string, string>;
}

export interface ScriptedError {
  error: { status: number; type: string; message: string };
  headers?: Record<string, string>;
}

export interface ScriptedHang {
  hang: true;
  /**
   * `before-headers` (default): never answer at all.
   * `mid-stream`: send 200 + message_start + ping, then go silent — what a
   * stalled upstream looks like.
   */
  stage?: 'before-headers' | 'mid-stream';
}

export type ScriptedReply = ScriptedTurn | ScriptedError | ScriptedHang;

// ---------------------------------------------------------------------------
// Recorded requests

export type RequestKind = 'main' | 'side' | 'count_tokens' | 'probe' | 'other';

export interface RequestContentBlock {
  type: string;
  text?: string;
  id?: string;
  name?: string;
  input?: unknown;
  tool_use_id?: string;
  content?: unknown;
  is_error?: boolean;
}

export interface RequestMessage {
  role: string;
  content: RequestContentBlock[];
}

export type ReplyKind =
  | 'turn'
  | 'error'
  | 'hang'
  | 'side'
  | 'count_tokens'
  | 'probe'
  | 'not_found'
  | 'script_error';

export interface RecordedRequest {
  /** 1-based arrival order across the whole server. */
  seq: number;
  /** ms since the server started. */
  at: number;
  method: string;
  /** Path without the query string, e.g. `/v1/messages`. */
  path: string;
  /** Path with query string, e.g. `/v1/messages?beta=true`. */
  url: string;
  headers: Record<string, string>;
  kind: RequestKind;
  rawBody: string;
  /** Parsed JSON body, or null when the body is empty or not JSON. */
  body: Record<string, unknown> | null;
  model: string | null;
  stream: boolean;
  toolNames: string[];
  /** All system prompt text blocks joined with "\n". */
  systemText: string;
  /** Messages with string content normalised to a single text block. */
  messages: RequestMessage[];
  /** From the `x-claude-code-session-id` header (equals `--session-id`). */
  sessionId: string | null;
  /** Filled in once the server has decided how to answer. */
  reply?: { kind: ReplyKind; status: number };
}

// ---------------------------------------------------------------------------
// Request inspection helpers (usable inside scripts)

/** The directory claude runs in, from "Primary working directory: <dir>" in the system prompt. */
export function cwdOf(req: RecordedRequest): string | null {
  const m = /Primary working directory: ([^\n]+)/.exec(req.systemText);
  return m?.[1]?.trim() ?? null;
}

const SYSTEM_REMINDER = '<system-reminder>';

/**
 * The user's prompt: the text blocks of the first user message minus the
 * `<system-reminder>` blocks claude prepends (agents, skills, date).
 */
export function promptOf(req: RecordedRequest): string {
  const first = req.messages.find((m) => m.role === 'user');
  if (!first) return '';
  return first.content
    .filter((b) => b.type === 'text' && typeof b.text === 'string' && !b.text.trimStart().startsWith(SYSTEM_REMINDER))
    .map((b) => b.text ?? '')
    .join('\n')
    .trim();
}

/**
 * 0-based index of the assistant turn being requested: the number of
 * assistant messages already in the conversation. Claude merges one response's
 * blocks into a single assistant message, so this equals the number of
 * completed tool rounds in a normal agent loop.
 */
export function turnOf(req: RecordedRequest): number {
  return req.messages.filter((m) => m.role === 'assistant').length;
}

/** All tool_result blocks sent back so far, oldest first. */
export function toolResultsOf(req: RecordedRequest): RequestContentBlock[] {
  return req.messages.flatMap((m) => m.content.filter((b) => b.type === 'tool_result'));
}

/** The text of a tool_result block (its content may be a string or a list of text blocks). */
export function toolResultText(block: RequestContentBlock): string {
  const c = block.content;
  if (typeof c === 'string') return c;
  if (Array.isArray(c)) {
    return c
      .map((x: unknown) => (isRecord(x) && typeof x['text'] === 'string' ? x['text'] : ''))
      .join('');
  }
  return '';
}

// ---------------------------------------------------------------------------
// Reply builders

export function text(t: string): TextBlock {
  return { type: 'text', text: t };
}

export function toolUse(name: string, input: Record<string, unknown>, id?: string): ToolUseBlock {
  return id === undefined ? { type: 'tool_use', name, input } : { type: 'tool_use', name, input, id };
}

/** Claude's Write tool; `filePath` must be absolute (build it from `ctx.cwd`). */
export function writeTool(filePath: string, content: string): ToolUseBlock {
  return toolUse('Write', { file_path: filePath, content });
}

export function bashTool(command: string, description = 'Run command'): ToolUseBlock {
  return toolUse('Bash', { command, description });
}

export function turn(content: ScriptedBlock | ScriptedBlock[], opts: Omit<ScriptedTurn, 'content'> = {}): ScriptedTurn {
  return { ...opts, content: Array.isArray(content) ? content : [content] };
}

export interface CompletionReport {
  taskId: string;
  status?: string;
  artifacts?: string[];
  summary?: string;
}

/** The agent's final report text, e.g. `TASK_COMPLETE: P1.1\nSTATUS: completed\nARTIFACTS: [src/a.ts]\nSUMMARY: ...`. */
export function completionReport(r: CompletionReport): string {
  return [
    `TASK_COMPLETE: ${r.taskId}`,
    `STATUS: ${r.status ?? 'completed'}`,
    `ARTIFACTS: [${(r.artifacts ?? []).join(', ')}]`,
    `SUMMARY: ${r.summary ?? 'done'}`,
  ].join('\n');
}

/**
 * A call of the tool claude adds for `--json-schema` (see docs/claude-stream.md, "Structured
 * output"): claude checks `input` against the schema, and a valid call ends the turn and becomes the
 * result's `structured_output`.
 */
export function structuredOutput(input: Record<string, unknown>): ToolUseBlock {
  return toolUse('StructuredOutput', input);
}

/** ccasp's completion report as a StructuredOutput call (`ccasp run --report-format json-schema`). */
export function structuredCompletion(r: CompletionReport): ToolUseBlock {
  return structuredOutput({ task_id: r.taskId, status: r.status ?? 'completed', artifacts: r.artifacts ?? [], summary: r.summary ?? 'done' });
}

export function apiError(status: number, type: string, message: string, headers?: Record<string, string>): ScriptedError {
  return headers === undefined ? { error: { status, type, message } } : { error: { status, type, message }, headers };
}

export const serverError = (): ScriptedError => apiError(500, 'api_error', 'Internal server error');
export const overloaded = (): ScriptedError => apiError(529, 'overloaded_error', 'Overloaded');
export const authError = (): ScriptedError => apiError(401, 'authentication_error', 'invalid x-api-key');
export const rateLimited = (): ScriptedError => apiError(429, 'rate_limit_error', 'Number of request tokens has exceeded your per-minute rate limit');

// ---------------------------------------------------------------------------
// Subscription ("unified") rate limits. See docs/claude-stream.md, "Rate limits".

export type UnifiedRateLimitStatus = 'allowed' | 'allowed_warning' | 'rejected';
/** Header spelling of the limit windows (claude maps them to five_hour, seven_day, ...). */
export type UnifiedRateLimitClaim = '5h' | '7d' | '7d_oi' | 'overage';

const CLAIM_TYPES: Record<UnifiedRateLimitClaim, string> = {
  '5h': 'five_hour',
  '7d': 'seven_day',
  '7d_oi': 'seven_day_overage_included',
  overage: 'overage',
};

export interface UnifiedRateLimit {
  status: UnifiedRateLimitStatus;
  /** Unix epoch **seconds** when the limit resets (`anthropic-ratelimit-unified-reset`, also `-<claim>-reset`). */
  resetsAt?: number;
  /** Which window; default `5h`. */
  claim?: UnifiedRateLimitClaim;
  /** 0..1, `anthropic-ratelimit-unified-<claim>-utilization`. */
  utilization?: number;
  /**
   * `anthropic-ratelimit-unified-<claim>-surpassed-threshold`. For
   * `allowed_warning`, claude only reports a warning when this header is
   * present (or utilization is high early in the window); the plain
   * `-status: allowed_warning` header alone is reported as `allowed`.
   */
  surpassedThreshold?: number;
  /** `retry-after` seconds (only meaningful on a 429). */
  retryAfter?: number;
}

/** The `anthropic-ratelimit-unified-*` headers the real API sends to claude.ai subscribers. */
export function unifiedRateLimitHeaders(l: UnifiedRateLimit): Record<string, string> {
  const claim = l.claim ?? '5h';
  const h: Record<string, string> = { 'anthropic-ratelimit-unified-status': l.status };
  if (l.resetsAt !== undefined) {
    h['anthropic-ratelimit-unified-reset'] = String(l.resetsAt);
    h[`anthropic-ratelimit-unified-${claim}-reset`] = String(l.resetsAt);
  }
  if (l.status !== 'allowed') h['anthropic-ratelimit-unified-representative-claim'] = CLAIM_TYPES[claim];
  if (l.utilization !== undefined) h[`anthropic-ratelimit-unified-${claim}-utilization`] = String(l.utilization);
  if (l.surpassedThreshold !== undefined) h[`anthropic-ratelimit-unified-${claim}-surpassed-threshold`] = String(l.surpassedThreshold);
  if (l.retryAfter !== undefined) h['retry-after'] = String(l.retryAfter);
  return h;
}

/** A 429 as a subscriber sees it when a usage window is exhausted. */
export function usageLimitReached(resetsAt: number, opts: { claim?: UnifiedRateLimitClaim; retryAfter?: number } = {}): ScriptedError {
  return apiError(
    429,
    'rate_limit_error',
    "This request would exceed your account's rate limit. Please try again later.",
    unifiedRateLimitHeaders({ status: 'rejected', resetsAt, utilization: 1, ...opts }),
  );
}

export function hang(stage: ScriptedHang['stage'] = 'before-headers'): ScriptedHang {
  return { hang: true, stage };
}

export function isScriptedError(r: ScriptedReply): r is ScriptedError {
  return 'error' in r;
}

export function isScriptedHang(r: ScriptedReply): r is ScriptedHang {
  return 'hang' in r;
}

// ---------------------------------------------------------------------------
// Scripts

export interface ScriptContext {
  /** See {@link turnOf}. */
  turn: number;
  /**
   * How many times this same turn of this conversation was asked for before
   * (0 on the first request, 1 on claude's first retry, ...). Lets a script
   * fail once and then succeed.
   */
  attempt: number;
  cwd: string | null;
  prompt: string;
  sessionId: string | null;
}

export type Script = (req: RecordedRequest, ctx: ScriptContext) => ScriptedReply;

/** A function, or a list of replies indexed by turn. */
export type ScriptSource = Script | readonly ScriptedReply[];

export class ScriptExhaustedError extends Error {}

export function toScript(source: ScriptSource): Script {
  if (typeof source === 'function') return source;
  const replies = source;
  return (_req, ctx) => {
    const r = replies[ctx.turn];
    if (r === undefined) {
      throw new ScriptExhaustedError(`no scripted reply for turn ${ctx.turn} (script has ${replies.length})`);
    }
    return r;
  };
}

/**
 * Route each conversation to its own script by a marker in the user's prompt
 * (e.g. a task id), so one server can serve several concurrent claude
 * processes. Markers are tried in insertion order; the first one contained in
 * the prompt wins.
 */
export function byPrompt(routes: Record<string, ScriptSource>, fallback?: ScriptSource): Script {
  const compiled = Object.entries(routes).map(([marker, s]) => [marker, toScript(s)] as const);
  const fb = fallback === undefined ? undefined : toScript(fallback);
  return (req, ctx) => {
    for (const [marker, s] of compiled) {
      if (ctx.prompt.includes(marker)) return s(req, ctx);
    }
    if (fb) return fb(req, ctx);
    throw new ScriptExhaustedError(`no route matches prompt ${JSON.stringify(ctx.prompt.slice(0, 120))}`);
  };
}

// ---------------------------------------------------------------------------
// Server

export interface ScriptedApiOptions {
  /** Answer for side calls (POST /v1/messages without tools). Default: a short text turn "OK". */
  side?: (req: RecordedRequest) => ScriptedTurn;
  /** Max characters per text_delta / input_json_delta chunk. Default 16. */
  chunkSize?: number;
  /** Default 0 (an ephemeral port). */
  port?: number;
}

export interface ScriptedApi {
  /** Base URL for ANTHROPIC_BASE_URL. */
  url: string;
  port: number;
  requests: RecordedRequest[];
  /** Script failures (exhausted, no route, thrown). Answered as HTTP 400 so claude fails fast without retrying. */
  scriptErrors: string[];
  mainRequests(): RecordedRequest[];
  /** Resolves with the first recorded request matching `pred` (already recorded or future). */
  waitForRequest(pred: (r: RecordedRequest) => boolean, timeoutMs?: number): Promise<RecordedRequest>;
  /** Stops listening and drops every open connection, including hung ones. */
  close(): Promise<void>;
}

const DEFAULT_USAGE: Usage = {
  input_tokens: 10,
  output_tokens: 5,
  cache_creation_input_tokens: 0,
  cache_read_input_tokens: 0,
};

export async function startScriptedApi(source: ScriptSource, options: ScriptedApiOptions = {}): Promise<ScriptedApi> {
  const script = toScript(source);
  const chunkSize = Math.max(1, options.chunkSize ?? 16);
  const requests: RecordedRequest[] = [];
  const scriptErrors: string[] = [];
  const attempts = new Map<string, number>();
  const waiters: { pred: (r: RecordedRequest) => boolean; resolve: (r: RecordedRequest) => void }[] = [];
  const t0 = Date.now();
  let seq = 0;
  let toolIds = 0;
  let msgIds = 0;

  const record = (req: RecordedRequest): void => {
    requests.push(req);
    for (let i = waiters.length - 1; i >= 0; i--) {
      const w = waiters[i];
      if (w && w.pred(req)) {
        waiters.splice(i, 1);
        w.resolve(req);
      }
    }
  };

  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const rec = parseRequest(++seq, Date.now() - t0, req, Buffer.concat(chunks).toString('utf8'));
      const reply = (kind: ReplyKind, status: number): void => {
        rec.reply = { kind, status };
      };
      record(rec);

      switch (rec.kind) {
        case 'probe':
          reply('probe', 200);
          res.writeHead(200).end();
          return;
        case 'count_tokens':
          reply('count_tokens', 200);
          sendJson(res, 200, { input_tokens: Math.max(1, Math.ceil(rec.rawBody.length / 4)) });
          return;
        case 'side': {
          reply('side', 200);
          const t = options.side ? options.side(rec) : turn(text('OK'), { usage: { input_tokens: 1, output_tokens: 1 } });
          sendTurn(res, rec, t);
          return;
        }
        case 'other':
          reply('not_found', 404);
          sendError(res, { error: { status: 404, type: 'not_found_error', message: `scripted-api: no route for ${rec.method} ${rec.path}` } });
          return;
        case 'main':
          break;
      }

      const ctxTurn = turnOf(rec);
      const key = `${rec.sessionId ?? promptOf(rec)}\u0000${ctxTurn}`;
      const attempt = attempts.get(key) ?? 0;
      attempts.set(key, attempt + 1);
      const ctx: ScriptContext = { turn: ctxTurn, attempt, cwd: cwdOf(rec), prompt: promptOf(rec), sessionId: rec.sessionId };

      let scripted: ScriptedReply;
      try {
        scripted = script(rec, ctx);
      } catch (e) {
        const msg = `scripted-api: request #${rec.seq} (turn ${ctxTurn}): ${e instanceof Error ? e.message : String(e)}`;
        scriptErrors.push(msg);
        reply('script_error', 400);
        sendError(res, { error: { status: 400, type: 'invalid_request_error', message: msg } });
        return;
      }

      if (isScriptedHang(scripted)) {
        reply('hang', scripted.stage === 'mid-stream' ? 200 : 0);
        if (scripted.stage === 'mid-stream') {
          writeSseHead(res, rec.seq);
          writeEvent(res, 'message_start', messageStart(`msg_scripted_${++msgIds}`, rec.model ?? 'unknown', DEFAULT_USAGE));
          writeEvent(res, 'ping', { type: 'ping' });
        }
        // Left open on purpose; close() tears it down.
        return;
      }
      if (isScriptedError(scripted)) {
        reply('error', scripted.error.status);
        sendError(res, scripted, rec.seq);
        return;
      }
      reply('turn', 200);
      const t = scripted;
      if (t.after) {
        const gate = t.after;
        void gate.then(() => {
          if (!res.destroyed) sendTurn(res, rec, { ...t, after: undefined });
        });
        return;
      }
      if (t.delayMs && t.delayMs > 0) {
        setTimeout(() => {
          if (!res.destroyed) sendTurn(res, rec, t);
        }, t.delayMs);
      } else {
        sendTurn(res, rec, t);
      }
    });
  });

  const sendTurn = (res: http.ServerResponse, rec: RecordedRequest, t: ScriptedTurn): void => {
    const usage: Usage = { ...DEFAULT_USAGE, ...t.usage };
    const model = t.model ?? rec.model ?? 'unknown';
    const id = `msg_scripted_${++msgIds}`;
    const blocks = t.content.map((b) => (b.type === 'tool_use' && b.id === undefined ? { ...b, id: `toolu_scripted_${++toolIds}` } : b));
    const stopReason: StopReason = t.stopReason ?? (blocks.some((b) => b.type === 'tool_use') ? 'tool_use' : 'end_turn');

    if (!rec.stream) {
      sendJson(res, 200, {
        id,
        type: 'message',
        role: 'assistant',
        model,
        content: blocks,
        stop_reason: stopReason,
        stop_sequence: null,
        usage,
      }, { 'request-id': `req_scripted_${rec.seq}`, ...t.headers });
      return;
    }

    writeSseHead(res, rec.seq, t.headers);
    writeEvent(res, 'message_start', messageStart(id, model, usage));
    writeEvent(res, 'ping', { type: 'ping' });
    blocks.forEach((b, index) => {
      if (b.type === 'text') {
        writeEvent(res, 'content_block_start', { type: 'content_block_start', index, content_block: { type: 'text', text: '' } });
        for (const part of split(b.text, chunkSize)) {
          writeEvent(res, 'content_block_delta', { type: 'content_block_delta', index, delta: { type: 'text_delta', text: part } });
        }
      } else {
        writeEvent(res, 'content_block_start', {
          type: 'content_block_start',
          index,
          content_block: { type: 'tool_use', id: b.id, name: b.name, input: {} },
        });
        for (const part of split(JSON.stringify(b.input), chunkSize)) {
          writeEvent(res, 'content_block_delta', { type: 'content_block_delta', index, delta: { type: 'input_json_delta', partial_json: part } });
        }
      }
      writeEvent(res, 'content_block_stop', { type: 'content_block_stop', index });
    });
    writeEvent(res, 'message_delta', {
      type: 'message_delta',
      delta: { stop_reason: stopReason, stop_sequence: null },
      usage: { output_tokens: usage.output_tokens },
    });
    writeEvent(res, 'message_stop', { type: 'message_stop' });
    res.end();
  };

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;

  return {
    url: `http://127.0.0.1:${port}`,
    port,
    requests,
    scriptErrors,
    mainRequests: () => requests.filter((r) => r.kind === 'main'),
    waitForRequest(pred, timeoutMs = 15_000) {
      const found = requests.find(pred);
      if (found) return Promise.resolve(found);
      return new Promise<RecordedRequest>((resolve, reject) => {
        const w = {
          pred,
          resolve: (r: RecordedRequest) => {
            clearTimeout(timer);
            resolve(r);
          },
        };
        const timer = setTimeout(() => {
          const i = waiters.indexOf(w);
          if (i >= 0) waiters.splice(i, 1);
          reject(new Error(`scripted-api: no matching request within ${timeoutMs} ms`));
        }, timeoutMs);
        waiters.push(w);
      });
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

// ---------------------------------------------------------------------------
// Internals

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function parseRequest(seq: number, at: number, req: http.IncomingMessage, rawBody: string): RecordedRequest {
  const url = req.url ?? '/';
  const path = url.split('?')[0] ?? '/';
  const method = req.method ?? 'GET';
  const headers: Record<string, string> = {};
  for (const [k, v] of Object.entries(req.headers)) {
    if (v !== undefined) headers[k] = Array.isArray(v) ? v.join(', ') : v;
  }

  let body: Record<string, unknown> | null = null;
  if (rawBody.length > 0) {
    try {
      const parsed: unknown = JSON.parse(rawBody);
      if (isRecord(parsed)) body = parsed;
    } catch {
      body = null;
    }
  }

  const tools = Array.isArray(body?.['tools']) ? (body['tools'] as unknown[]) : [];
  const toolNames = tools.flatMap((t) => (isRecord(t) && typeof t['name'] === 'string' ? [t['name']] : []));
  const system = body?.['system'];
  const systemText =
    typeof system === 'string'
      ? system
      : Array.isArray(system)
        ? system.map((b: unknown) => (isRecord(b) && typeof b['text'] === 'string' ? b['text'] : '')).join('\n')
        : '';
  const rawMessages = Array.isArray(body?.['messages']) ? (body['messages'] as unknown[]) : [];
  const messages: RequestMessage[] = rawMessages.flatMap((m) => {
    if (!isRecord(m) || typeof m['role'] !== 'string') return [];
    const c = m['content'];
    const content: RequestContentBlock[] =
      typeof c === 'string'
        ? [{ type: 'text', text: c }]
        : Array.isArray(c)
          ? c.flatMap((b: unknown) => (isRecord(b) && typeof b['type'] === 'string' ? [toBlock(b)] : []))
          : [];
    return [{ role: m['role'], content }];
  });

  let kind: RequestKind;
  if ((method === 'HEAD' || method === 'GET') && path === '/') kind = 'probe';
  else if (method === 'POST' && path === '/v1/messages/count_tokens') kind = 'count_tokens';
  // Claude Code's agent loop always sends its tool list; its auxiliary calls
  // (titles, summaries, quota checks) do not.
  else if (method === 'POST' && path === '/v1/messages') kind = toolNames.length > 0 ? 'main' : 'side';
  else kind = 'other';

  return {
    seq,
    at,
    method,
    path,
    url,
    headers,
    kind,
    rawBody,
    body,
    model: typeof body?.['model'] === 'string' ? body['model'] : null,
    stream: body?.['stream'] === true,
    toolNames,
    systemText,
    messages,
    sessionId: headers['x-claude-code-session-id'] ?? null,
  };
}

function toBlock(b: Record<string, unknown>): RequestContentBlock {
  const out: RequestContentBlock = { type: String(b['type']) };
  if (typeof b['text'] === 'string') out.text = b['text'];
  if (typeof b['id'] === 'string') out.id = b['id'];
  if (typeof b['name'] === 'string') out.name = b['name'];
  if ('input' in b) out.input = b['input'];
  if (typeof b['tool_use_id'] === 'string') out.tool_use_id = b['tool_use_id'];
  if ('content' in b) out.content = b['content'];
  if (typeof b['is_error'] === 'boolean') out.is_error = b['is_error'];
  return out;
}

function messageStart(id: string, model: string, usage: Usage): Record<string, unknown> {
  return {
    type: 'message_start',
    message: {
      id,
      type: 'message',
      role: 'assistant',
      model,
      content: [],
      stop_reason: null,
      stop_sequence: null,
      // As the real API does: input-side counts up front, output_tokens
      // final only in message_delta.
      usage: {
        input_tokens: usage.input_tokens,
        cache_creation_input_tokens: usage.cache_creation_input_tokens,
        cache_read_input_tokens: usage.cache_read_input_tokens,
        output_tokens: 1,
      },
    },
  };
}

function writeSseHead(res: http.ServerResponse, seq: number, extra: Record<string, string> = {}): void {
  res.writeHead(200, {
    'content-type': 'text/event-stream; charset=utf-8',
    'cache-control': 'no-cache',
    'request-id': `req_scripted_${seq}`,
    ...extra,
  });
  // Push headers out now so a client waiting on a mid-stream hang sees them.
  res.flushHeaders();
}

function writeEvent(res: http.ServerResponse, event: string, data: Record<string, unknown>): void {
  res.write(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
}

function sendJson(res: http.ServerResponse, status: number, data: unknown, headers: Record<string, string> = {}): void {
  res.writeHead(status, { 'content-type': 'application/json', ...headers });
  res.end(JSON.stringify(data));
}

function sendError(res: http.ServerResponse, e: ScriptedError, seq?: number): void {
  const requestId = `req_scripted_${seq ?? 0}`;
  sendJson(
    res,
    e.error.status,
    { type: 'error', error: { type: e.error.type, message: e.error.message }, request_id: requestId },
    { 'request-id': requestId, ...e.headers },
  );
}

function split(s: string, n: number): string[] {
  if (s.length === 0) return [''];
  const out: string[] = [];
  for (let i = 0; i < s.length; i += n) out.push(s.slice(i, i + n));
  return out;
}
