import { checkStructuredReport } from './structured-report.js';

/**
 * The completion report a specialist writes at the end of its answer. Parsing is tolerant of
 * markdown (bold, code fences, bullets, headings) and spacing, and strict about the task id.
 */
export type Report =
  | { readonly kind: 'complete'; readonly taskId: string; readonly status: string; readonly artifacts: readonly string[]; readonly summary: string }
  | { readonly kind: 'blocked'; readonly taskId: string; readonly blocker: string; readonly suggestedAction: string }
  | { readonly kind: 'failed'; readonly taskId: string; readonly error: string };

/**
 * How the agent hands in its report: `text`, the block at the end of its answer (the default, and
 * what the specialists' roles describe), or `json-schema`, claude's structured output.
 */
export type ReportFormat = 'text' | 'json-schema';

export type ReportReading = { readonly ok: true; readonly report: Report } | { readonly ok: false; readonly reason: string };

/**
 * The report of a successful result in the run's format. Only that format counts: with
 * `json-schema`, a text block the agent wrote instead is no report, so both formats cannot disagree.
 */
export function readReport(result: { readonly text: string; readonly structuredOutput?: unknown }, format: ReportFormat): ReportReading {
  if (format === 'json-schema') return parseStructuredReport(result.structuredOutput);
  const report = parseReport(result.text);
  return report ? { ok: true, report } : { ok: false, reason: 'the agent ended without a TASK_COMPLETE, TASK_BLOCKED or TASK_FAILED report' };
}

/** The report in a result's `structured_output` (see structured-report.ts), or why there is none. */
export function parseStructuredReport(value: unknown): ReportReading {
  const checked = checkStructuredReport(value);
  if (!checked.ok) return checked;
  const r = checked.value;
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

const MARKERS = { TASK_COMPLETE: 'complete', TASK_BLOCKED: 'blocked', TASK_FAILED: 'failed' } as const;
const FIELDS = ['TASK_COMPLETE', 'TASK_BLOCKED', 'TASK_FAILED', 'STATUS', 'ARTIFACTS', 'SUMMARY', 'BLOCKER', 'SUGGESTED_ACTION', 'ERROR'] as const;
type Field = (typeof FIELDS)[number];

const LINE = new RegExp(String.raw`^[\s>*_#\-+\`]*(${FIELDS.join('|')})[*_\`\s]*:[*_\s]*(.*)$`);

/** Strips the decoration a model puts around a value: bold, backticks, quotes, trailing emphasis. */
function clean(value: string): string {
  return value
    .trim()
    .replace(/^[*_`"']+|[*_`"']+$/g, '')
    .trim();
}

/** The last report in `text`, or undefined when there is none. */
export function parseReport(text: string): Report | undefined {
  const lines = text.replace(/\r\n/g, '\n').split('\n');
  let start = -1;
  for (let i = lines.length - 1; i >= 0; i--) {
    const m = LINE.exec(lines[i]!);
    if (m && m[1]! in MARKERS) {
      start = i;
      break;
    }
  }
  if (start < 0) return undefined;

  const fields = new Map<Field, string>();
  let current: Field | undefined;
  for (const [k, line] of lines.slice(start).entries()) {
    // A code fence after the marker closes the block: what follows it is prose, not a field value.
    if (k > 0 && /^\s*```/.test(line)) break;
    const m = LINE.exec(line);
    if (m) {
      current = m[1] as Field;
      if (fields.has(current) && current in MARKERS) break;
      fields.set(current, m[2] ?? '');
    } else if (current) {
      // Continuation lines: a multi-line summary or an artifact list written one per line.
      fields.set(current, `${fields.get(current) ?? ''}\n${line}`);
    }
  }

  const marker = FIELDS.find((f) => f in MARKERS && fields.has(f)) as keyof typeof MARKERS;
  const taskId = clean(fields.get(marker)?.split('\n')[0] ?? '');
  const text_ = (f: Field) => clean((fields.get(f) ?? '').trim().replace(/\n\s*/g, ' '));
  switch (MARKERS[marker]) {
    case 'complete':
      return {
        kind: 'complete',
        taskId,
        status: text_('STATUS'),
        artifacts: parseArtifacts(fields.get('ARTIFACTS') ?? ''),
        summary: text_('SUMMARY'),
      };
    case 'blocked':
      return { kind: 'blocked', taskId, blocker: text_('BLOCKER'), suggestedAction: text_('SUGGESTED_ACTION') };
    case 'failed':
      return { kind: 'failed', taskId, error: text_('ERROR') };
  }
}

/** `[a, b]`, `["a", "b"]`, `a, b`, or one per line as a bullet list. */
export function parseArtifacts(value: string): string[] {
  const trimmed = value.trim();
  if (trimmed.startsWith('[')) {
    try {
      const parsed: unknown = JSON.parse(trimmed.slice(0, trimmed.lastIndexOf(']') + 1));
      if (Array.isArray(parsed)) return parsed.filter((x): x is string => typeof x === 'string').map(clean).filter(Boolean);
    } catch {
      // Not JSON: a bracketed list of bare paths.
    }
  }
  const body = trimmed.replace(/^\[/, '').replace(/\][\s\S]*$/, '');
  return body
    .split(/[,\n]/)
    .map((item) => clean(item.replace(/^\s*(?:[-*+]|\d+\.)\s+/, '')))
    .filter((item) => item !== '' && !/^(none|n\/a|\(none\))$/i.test(item));
}
