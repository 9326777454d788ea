import * as z from 'zod';
import type { AgentResult } from './attempt.js';
import { permissionDenial } from './permissions.js';

/**
 * claude's `--output-format stream-json` lines, validated as they arrive. Only what ccasp acts on
 * is required; everything else passes through, since claude adds fields between releases. The
 * transcript renderer (agents/transcript.ts) reads saved logs with some of these schemas too.
 */
const usage = z.looseObject({
  input_tokens: z.number().nonnegative().default(0),
  output_tokens: z.number().nonnegative().default(0),
  cache_creation_input_tokens: z.number().nonnegative().nullish(),
  cache_read_input_tokens: z.number().nonnegative().nullish(),
});

export const initLine = z.looseObject({
  type: z.literal('system'),
  subtype: z.literal('init'),
  session_id: z.string(),
  model: z.string().optional(),
  cwd: z.string().optional(),
});

export const apiRetryLine = z.looseObject({
  type: z.literal('system'),
  subtype: z.literal('api_retry'),
  attempt: z.number().optional(),
  max_retries: z.number().optional(),
  retry_delay_ms: z.number().optional(),
  error_status: z.number().nullish(),
  error: z.unknown().optional(),
});

export const rateLimitLine = z.looseObject({
  type: z.literal('rate_limit_event'),
  rate_limit_info: z.looseObject({
    status: z.string(),
    resetsAt: z.number().optional(),
    rateLimitType: z.string().optional(),
  }),
});

const contentBlock = z.looseObject({ type: z.string(), text: z.string().optional(), name: z.string().optional(), input: z.unknown().optional() });

const assistantLine = z.looseObject({
  type: z.literal('assistant'),
  message: z.looseObject({ content: z.array(contentBlock).default([]), usage: usage.optional() }),
});

const userLine = z.looseObject({
  type: z.literal('user'),
  message: z.looseObject({ content: z.union([z.string(), z.array(z.looseObject({ type: z.string() }))]) }),
});

/** The result line's tool calls claude refused. A shape claude changes must not cost ccasp the whole result line. */
export const permissionDenials = z
  .array(z.looseObject({ tool_name: z.string(), tool_input: z.unknown().optional() }))
  .optional()
  .catch(undefined);

const resultLine = z.looseObject({
  type: z.literal('result'),
  subtype: z.string(),
  is_error: z.boolean(),
  api_error_status: z.number().nullish(),
  result: z.string().optional(),
  errors: z.array(z.string()).optional(),
  session_id: z.string().optional(),
  num_turns: z.number().default(0),
  duration_ms: z.number().default(0),
  total_cost_usd: z.number().nonnegative().default(0),
  usage: usage.optional(),
  // Any JSON value: parseStructuredReport checks it against ccasp's own schema.
  structured_output: z.unknown().optional(),
  permission_denials: permissionDenials,
});

export const streamLine = z.union([initLine, apiRetryLine, rateLimitLine, assistantLine, userLine, resultLine]);
export type StreamLine = z.infer<typeof streamLine>;

/** The facts of one agent's stream, gathered line by line. */
export class StreamReader {
  sessionId: string | undefined;
  model: string | undefined;
  result: AgentResult | undefined;
  readonly apiRetries: { status?: number; message: string }[] = [];
  /** Set (epoch ms) when claude reports the account's usage limit hit, with the time it resets. */
  rateLimitedUntil: number | undefined;
  /** Tool calls seen so far, for progress display and transcripts. */
  toolCalls = 0;
  unparsed = 0;

  /** Takes one line of stdout; returns the parsed line, or undefined for noise and unknown types. */
  push(line: string): StreamLine | undefined {
    const trimmed = line.trim();
    if (!trimmed.startsWith('{')) return undefined;
    let json: unknown;
    try {
      json = JSON.parse(trimmed);
    } catch {
      this.unparsed++;
      return undefined;
    }
    const parsed = streamLine.safeParse(json);
    if (!parsed.success) return undefined;
    const value = parsed.data;
    switch (value.type) {
      case 'system':
        if (value.subtype === 'init') {
          const init = value as z.infer<typeof initLine>;
          this.sessionId = init.session_id;
          this.model = init.model;
        } else {
          const retry = value as z.infer<typeof apiRetryLine>;
          this.apiRetries.push({
            ...(typeof retry.error_status === 'number' ? { status: retry.error_status } : {}),
            message: typeof retry.error === 'string' ? retry.error : JSON.stringify(retry.error ?? 'api error'),
          });
        }
        break;
      case 'assistant':
        this.toolCalls += value.message.content.filter((b) => b.type === 'tool_use').length;
        break;
      case 'result':
        this.result = toResult(value);
        break;
      case 'rate_limit_event': {
        const info = value.rate_limit_info;
        if (info.status === 'rejected' && info.resetsAt !== undefined) this.rateLimitedUntil = resetsAtMs(info.resetsAt);
        break;
      }
      case 'user':
        break;
    }
    return value;
  }
}

/**
 * A rate limit's `resetsAt` in epoch milliseconds. Seconds since the epoch in claude's schema; accept
 * milliseconds too rather than wait 1,000× too long.
 */
export function resetsAtMs(resetsAt: number): number {
  return resetsAt < 1e12 ? resetsAt * 1000 : resetsAt;
}

function toResult(r: z.infer<typeof resultLine>): AgentResult {
  // Totals come from the result line; assistant lines carry snapshots taken as each response began.
  const u = r.usage;
  return {
    isError: r.is_error,
    subtype: r.subtype,
    text: r.result ?? '',
    errors: r.errors ?? [],
    ...(typeof r.api_error_status === 'number' ? { apiErrorStatus: r.api_error_status } : {}),
    ...(r.session_id ? { sessionId: r.session_id } : {}),
    numTurns: r.num_turns,
    durationMs: r.duration_ms,
    costUsd: r.total_cost_usd,
    usage: {
      inputTokens: u?.input_tokens ?? 0,
      outputTokens: u?.output_tokens ?? 0,
      cacheCreationTokens: u?.cache_creation_input_tokens ?? 0,
      cacheReadTokens: u?.cache_read_input_tokens ?? 0,
    },
    ...(r.structured_output !== undefined ? { structuredOutput: r.structured_output } : {}),
    denials: (r.permission_denials ?? []).map((d) => permissionDenial(d.tool_name, d.tool_input)),
  };
}
