import * as z from 'zod';

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

export type StructuredReport = z.infer<typeof structuredReport>;

const MAX_REASON = 300;

/** The checked value of a result's `structured_output`, or why it is no report. */
export function checkStructuredReport(value: unknown): { readonly ok: true; readonly value: StructuredReport } | { readonly ok: false; readonly reason: string } {
  if (value === undefined || value === null) {
    return { ok: false, reason: `the agent ended without a structured report (it did not call the ${STRUCTURED_OUTPUT_TOOL} tool)` };
  }
  const parsed = structuredReport.safeParse(value);
  if (!parsed.success) {
    const issues = parsed.error.issues.map((i) => `${i.path.length > 0 ? i.path.join('.') : 'report'}: ${i.message}`).join('; ');
    return { ok: false, reason: `the agent's structured report is malformed: ${issues}`.slice(0, MAX_REASON) };
  }
  return { ok: true, value: parsed.data };
}
