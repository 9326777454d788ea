import * as z from 'zod';
import type { ReportReading } from './report.js';

/**
 * The completion report as claude's structured output (`--report-format json-schema`): ccasp passes
 * `REPORT_JSON_SCHEMA` as `claude --json-schema`, claude offers the model a `StructuredOutput` tool
 * with it as the input schema, checks each call against it, and puts the accepted input in the
 * result line's `structured_output` (docs/claude-stream.md, "Structured output").
 */

/** The tool claude adds for `--json-schema` (claude 2.1.197); the prompt names it. */
export const STRUCTURED_OUTPUT_TOOL = 'StructuredOutput';

export const REPORT_STATUSES = ['completed', 'blocked', 'failed'] as const;

/**
 * One flat object rather than a union per status: the Messages API refuses a tool whose
 * `input_schema` has `oneOf`/`anyOf`/`allOf` at the top level, and that would fail every request
 * of the agent. The fields of each status are therefore optional here, as in the text protocol.
 * Field names are the text protocol's keys, lower-cased, so both formats read alike.
 */
export const REPORT_JSON_SCHEMA = {
  type: 'object',
  properties: {
    task_id: { type: 'string', minLength: 1, description: 'The id of the task this report is for, exactly as given.' },
    status: {
      type: 'string',
      enum: [...REPORT_STATUSES],
      description: 'completed: the task is done; blocked: something outside your control stops it; failed: it cannot be done.',
    },
    artifacts: {
      type: 'array',
      items: { type: 'string' },
      description: 'For completed: every file you created or changed, relative to the project root.',
    },
    summary: { type: 'string', description: 'For completed: one or two sentences on what you did.' },
    blocker: { type: 'string', description: 'For blocked: what stops you.' },
    suggested_action: { type: 'string', description: 'For blocked: what a person must do so the task can go on.' },
    error: { type: 'string', description: 'For failed: why the task cannot be done.' },
  },
  required: ['task_id', 'status'],
  additionalProperties: false,
} as const;

/** The value of `claude --json-schema`. */
export function reportSchemaArgument(): string {
  return JSON.stringify(REPORT_JSON_SCHEMA);
}

const optionalText = z.string().optional();

/**
 * claude has already checked the value against the JSON schema; this checks it again because it is
 * input from another program, and claude drops the tool silently when a schema does not compile.
 * Unknown keys are dropped, not refused: they carry nothing ccasp acts on.
 */
const structuredReport = z.object({
  task_id: z.string().trim().min(1),
  status: z.enum(REPORT_STATUSES),
  artifacts: z.array(z.string()).optional(),
  summary: optionalText,
  blocker: optionalText,
  suggested_action: optionalText,
  error: optionalText,
});

const MAX_REASON = 300;

/** The report in a result's `structured_output`, or why there is none. */
export function parseStructuredReport(value: unknown): ReportReading {
  if (value === undefined || value === null) {
    return { ok: false, reason: `the agent ended without a structured report (it did not call the ${STRUCTURED_OUTPUT_TOOL} tool)` };
  }
  const parsed = structuredReport.safeParse(value);
  if (!parsed.success) {
    const issues = parsed.error.issues.map((i) => `${i.path.length > 0 ? i.path.join('.') : 'report'}: ${i.message}`).join('; ');
    return { ok: false, reason: `the agent's structured report is malformed: ${issues}`.slice(0, MAX_REASON) };
  }
  const r = parsed.data;
  const taskId = r.task_id;
  const text = (field: string | undefined) => (field ?? '').trim();
  switch (r.status) {
    case 'completed':
      return {
        ok: true,
        report: {
          kind: 'complete',
          taskId,
          status: 'completed',
          artifacts: (r.artifacts ?? []).map((a) => a.trim()).filter((a) => a !== ''),
          summary: text(r.summary),
        },
      };
    case 'blocked':
      return { ok: true, report: { kind: 'blocked', taskId, blocker: text(r.blocker), suggestedAction: text(r.suggested_action) } };
    case 'failed':
      return { ok: true, report: { kind: 'failed', taskId, error: text(r.error) } };
  }
}
