import { describe, expect, it } from 'vitest';
import type { AgentResult, AttemptResult } from '../../src/agents/attempt.js';
import { claudeArgs, redactResult, type ClaudeOptions } from '../../src/agents/delegate.js';
import { renderTaskPrompt } from '../../src/agents/prompt.js';
import { parseStructuredReport, readReport } from '../../src/agents/report.js';
import { StreamReader } from '../../src/agents/stream.js';
import { REPORT_JSON_SCHEMA, reportSchemaArgument, STRUCTURED_OUTPUT_TOOL } from '../../src/agents/structured-report.js';
import type { Phase, Plan, Task } from '../../src/plan/model.js';
import type { AgentRequest } from '../../src/agents/request.js';
import { judgeAttempt } from '../../src/orchestrator/judge.js';

const TEXT_REPORT = 'TASK_COMPLETE: P1.1\nSTATUS: completed\nARTIFACTS: [src/a.ts]\nSUMMARY: Added a.ts';

describe('parseStructuredReport: the three statuses', () => {
  it('reads a completed report into the same report type as the text block', () => {
    expect(parseStructuredReport({ task_id: 'P1.1', status: 'completed', artifacts: ['src/a.ts'], summary: 'Added a.ts' })).toEqual({
      ok: true,
      report: { kind: 'complete', taskId: 'P1.1', status: 'completed', artifacts: ['src/a.ts'], summary: 'Added a.ts' },
    });
  });

  it('reads a blocked report', () => {
    expect(parseStructuredReport({ task_id: 'P2.3', status: 'blocked', blocker: 'no database', suggested_action: 'start postgres' })).toEqual({
      ok: true,
      report: { kind: 'blocked', taskId: 'P2.3', blocker: 'no database', suggestedAction: 'start postgres' },
    });
  });

  it('reads a failed report', () => {
    expect(parseStructuredReport({ task_id: 'P3.1', status: 'failed', error: 'the API does not exist' })).toEqual({
      ok: true,
      report: { kind: 'failed', taskId: 'P3.1', error: 'the API does not exist' },
    });
  });

  it('gives empty fields for what the agent left out, as the text parser does', () => {
    expect(parseStructuredReport({ task_id: 'P1.1', status: 'completed' })).toEqual({
      ok: true,
      report: { kind: 'complete', taskId: 'P1.1', status: 'completed', artifacts: [], summary: '' },
    });
    expect(parseStructuredReport({ task_id: 'P1.1', status: 'blocked' })).toEqual({ ok: true, report: { kind: 'blocked', taskId: 'P1.1', blocker: '', suggestedAction: '' } });
  });

  it('trims the id and the artifacts and drops empty artifacts, but keeps the id otherwise as written', () => {
    const reading = parseStructuredReport({ task_id: ' P1.1 ', status: 'completed', artifacts: [' a.ts ', '', '  '], summary: ' s ' });
    expect(reading).toEqual({ ok: true, report: { kind: 'complete', taskId: 'P1.1', status: 'completed', artifacts: ['a.ts'], summary: 's' } });
    // No markdown cleaning: a decorated id is a different id, and the judge will say so.
    expect(parseStructuredReport({ task_id: '`P1.1`', status: 'completed' })).toMatchObject({ ok: true, report: { taskId: '`P1.1`' } });
  });
});

describe('parseStructuredReport: no report', () => {
  it.each([
    ['undefined', undefined],
    ['null', null],
  ])('%s → the agent did not call the tool', (_name, value) => {
    expect(parseStructuredReport(value)).toEqual({
      ok: false,
      reason: 'the agent ended without a structured report (it did not call the StructuredOutput tool)',
    });
  });

  it.each([
    ['a string', 'TASK_COMPLETE: P1.1', /report: /],
    ['a list', [{ task_id: 'P1.1', status: 'completed' }], /report: /],
    ['no task id', { status: 'completed' }, /task_id: /],
    ['an empty task id', { task_id: '  ', status: 'completed' }, /task_id: /],
    ['a number as task id', { task_id: 11, status: 'completed' }, /task_id: /],
    ['an unknown status', { task_id: 'P1.1', status: 'done' }, /status: /],
    ['artifacts as one string', { task_id: 'P1.1', status: 'completed', artifacts: 'a.ts, b.ts' }, /artifacts: /],
    ['an artifact that is not a string', { task_id: 'P1.1', status: 'completed', artifacts: ['a.ts', 3] }, /artifacts\.1: /],
  ])('%s → malformed, naming the field', (_name, value, field) => {
    const reading = parseStructuredReport(value);
    expect(reading.ok).toBe(false);
    if (reading.ok) return;
    expect(reading.reason).toMatch(/^the agent's structured report is malformed: /);
    expect(reading.reason).toMatch(field);
    expect(reading.reason.length).toBeLessThanOrEqual(300);
  });
});

describe('readReport: only the run’s format counts', () => {
  it('text: the block in the result text; structured output is ignored', () => {
    const reading = readReport({ text: TEXT_REPORT, structuredOutput: { task_id: 'P9.9', status: 'failed' } }, 'text');
    expect(reading).toMatchObject({ ok: true, report: { kind: 'complete', taskId: 'P1.1' } });
    expect(readReport({ text: 'I did it.' }, 'text')).toEqual({ ok: false, reason: 'the agent ended without a TASK_COMPLETE, TASK_BLOCKED or TASK_FAILED report' });
  });

  it('json-schema: the structured output; a text block instead is no report', () => {
    expect(readReport({ text: TEXT_REPORT }, 'json-schema')).toMatchObject({ ok: false, reason: expect.stringContaining('did not call the StructuredOutput tool') });
    expect(readReport({ text: TEXT_REPORT, structuredOutput: { task_id: 'P1.2', status: 'blocked', blocker: 'b' } }, 'json-schema')).toMatchObject({
      ok: true,
      report: { kind: 'blocked', taskId: 'P1.2', blocker: 'b' },
    });
  });
});

describe('REPORT_JSON_SCHEMA', () => {
  it('is an object schema without a top-level oneOf/anyOf/allOf, which the Messages API refuses for a tool', () => {
    expect(REPORT_JSON_SCHEMA.type).toBe('object');
    for (const keyword of ['oneOf', 'anyOf', 'allOf']) expect(REPORT_JSON_SCHEMA).not.toHaveProperty(keyword);
    expect(JSON.parse(reportSchemaArgument())).toEqual(REPORT_JSON_SCHEMA);
  });

  it('names the fields the parser reads, and requires what the parser requires', () => {
    expect(Object.keys(REPORT_JSON_SCHEMA.properties).sort()).toEqual(['artifacts', 'blocker', 'error', 'status', 'suggested_action', 'summary', 'task_id']);
    expect([...REPORT_JSON_SCHEMA.required].sort()).toEqual(['status', 'task_id']);
    expect(REPORT_JSON_SCHEMA.additionalProperties).toBe(false);
    // Every status the schema offers parses, and nothing else does.
    for (const status of REPORT_JSON_SCHEMA.properties.status.enum) expect(parseStructuredReport({ task_id: 'T', status }).ok).toBe(true);
    expect(REPORT_JSON_SCHEMA.properties.status.enum).toEqual(['completed', 'blocked', 'failed']);
  });
});

function task(fields: Partial<Task> = {}): Task {
  return { id: 'P2.3', title: 'Add the users endpoint', files: ['src/users.ts'], fileAt: ['file'], simple: false, dependencies: [], status: 'pending', at: 'phases[1].tasks[2]', dependencyField: 'dependencies', ...fields };
}
const PHASE: Phase = { id: 'P2', name: 'API', status: 'pending', tasks: [task()], at: 'phases[1]' };
const PLAN: Plan = { id: 'shop', name: 'Shop', shape: 'canonical', phases: [PHASE] };
const ROUTE = { domain: 'backend', specialist: 'l2-backend-specialist', model: 'sonnet', inferred: false } as const;

describe('the prompt with --report-format json-schema', () => {
  const render = (reportFormat?: 'text' | 'json-schema') =>
    renderTaskPrompt({ plan: PLAN, phase: PHASE, task: task({ verify: 'npm test' }), route: ROUTE, projectRoot: '/p', previous: [], ...(reportFormat ? { reportFormat } : {}) });

  it('asks for the StructuredOutput tool with this task id, and not for the text block', () => {
    const prompt = render('json-schema');
    expect(prompt).toContain(`call the ${STRUCTURED_OUTPUT_TOOL} tool once, as your last action`);
    expect(prompt).toContain('{"task_id": "P2.3", "status": "completed", "artifacts": [');
    expect(prompt).toContain('{"task_id": "P2.3", "status": "blocked", "blocker": ');
    expect(prompt).toContain('{"task_id": "P2.3", "status": "failed", "error": ');
    expect(prompt).toContain('ccasp checks that every listed artifact exists and that the target files exist and runs the check above.');
    expect(prompt).not.toMatch(/^TASK_COMPLETE: /m);
    expect(prompt).not.toContain('End your final message with exactly one of these blocks');
  });

  it('keeps the text block by default', () => {
    expect(render()).toBe(render('text'));
    expect(render()).toMatch(/^TASK_COMPLETE: P2\.3$/m);
    expect(render()).not.toContain(STRUCTURED_OUTPUT_TOOL);
  });
});

const ROLE = { text: 'role', permissions: { allow: [], deny: [] } };

describe('claude arguments', () => {
  const request: AgentRequest = { plan: PLAN, phase: PHASE, task: task(), route: ROUTE, attempt: 1, sessionId: '00000000-0000-4000-8000-000000000000', previous: [] };
  const options = (fields: Partial<ClaudeOptions> = {}): ClaudeOptions => ({
    bin: 'claude',
    projectRoot: '/p',
    permissionMode: 'acceptEdits',
    permissions: { allow: [], deny: [] },
    env: {},
    timeoutMs: 1000,
    stallTimeoutMs: 1000,
    redact: (text) => text,
    ...fields,
  });

  it('pass ccasp’s schema as one --json-schema=<json> argument only for json-schema', () => {
    const args = claudeArgs(request, options({ reportFormat: 'json-schema' }), ROLE);
    const schemaArgs = args.filter((a) => a.startsWith('--json-schema'));
    expect(schemaArgs).toHaveLength(1);
    expect(JSON.parse(schemaArgs[0]!.slice('--json-schema='.length))).toEqual(REPORT_JSON_SCHEMA);
    expect(claudeArgs(request, options(), ROLE).some((a) => a.includes('json-schema'))).toBe(false);
    expect(claudeArgs(request, options({ reportFormat: 'text' }), ROLE).some((a) => a.includes('json-schema'))).toBe(false);
  });

  it('fork a cut-off attempt’s session under the attempt’s own session id, and start a fresh one otherwise', () => {
    const resume = { fromAttempt: 1, sessionId: '00000000-0000-4000-8000-000000000001', cutOff: 'stalled' as const };
    const args = claudeArgs({ ...request, resume }, options(), ROLE);
    expect(args).toContain('--session-id=00000000-0000-4000-8000-000000000000');
    expect(args).toContain('--resume=00000000-0000-4000-8000-000000000001');
    expect(args).toContain('--fork-session');
    expect(claudeArgs(request, options(), ROLE).filter((a) => a.startsWith('--resume') || a === '--fork-session')).toEqual([]);
  });
});

const RESULT_LINE = {
  type: 'result',
  subtype: 'success',
  is_error: false,
  api_error_status: null,
  duration_ms: 120,
  num_turns: 2,
  // What claude 2.1.197 printed when the last block was the StructuredOutput call (docs/claude-stream.md).
  result: '{"task_id":"P1.1","status":"completed"}',
  stop_reason: 'tool_use',
  session_id: 's',
  total_cost_usd: 0.000105,
  usage: { input_tokens: 10, output_tokens: 5, cache_creation_input_tokens: 0, cache_read_input_tokens: 0 },
  structured_output: { task_id: 'P1.1', status: 'completed', artifacts: ['a.ts'], summary: 'key sk-secret-1234567890' },
};

describe('structured_output from the stream to the verdict', () => {
  it('the stream reader keeps the result line’s structured_output', () => {
    const reader = new StreamReader();
    reader.push(JSON.stringify(RESULT_LINE));
    expect(reader.result?.structuredOutput).toEqual(RESULT_LINE.structured_output);
    const withoutIt = new StreamReader();
    withoutIt.push(JSON.stringify({ ...RESULT_LINE, structured_output: undefined }));
    expect(withoutIt.result).toBeDefined();
    expect(withoutIt.result).not.toHaveProperty('structuredOutput');
  });

  it('secrets in it are scrubbed like the result text', () => {
    const reader = new StreamReader();
    reader.push(JSON.stringify(RESULT_LINE));
    const scrubbed = redactResult(reader.result!, (t) => t.replaceAll('sk-secret-1234567890', '[redacted]'));
    expect(scrubbed.structuredOutput).toEqual({ task_id: 'P1.1', status: 'completed', artifacts: ['a.ts'], summary: 'key [redacted]' });
  });

  function attempt(result: Partial<AgentResult>, reportFormat?: 'text' | 'json-schema'): AttemptResult {
    return {
      end: { kind: 'exited', code: 0 },
      result: {
        isError: false,
        subtype: 'success',
        text: '',
        errors: [],
        numTurns: 2,
        durationMs: 1,
        costUsd: 0,
        usage: { inputTokens: 0, outputTokens: 0, cacheCreationTokens: 0, cacheReadTokens: 0 },
        denials: [],
        ...result,
      },
      apiRetries: [],
      sessionId: 's',
      logFile: '/tmp/log',
      stderrTail: '',
      startedAt: '2026-01-01T00:00:00.000Z',
      finishedAt: '2026-01-01T00:00:01.000Z',
      durationMs: 1000,
      ...(reportFormat ? { reportFormat } : {}),
    };
  }

  it('the judge checks a structured completion like a text one', () => {
    expect(judgeAttempt('P1.1', attempt({ structuredOutput: { task_id: 'P1.1', status: 'completed', artifacts: ['a.ts'], summary: 's' } }, 'json-schema'))).toEqual({
      kind: 'check',
      report: { kind: 'complete', taskId: 'P1.1', status: 'completed', artifacts: ['a.ts'], summary: 's' },
    });
    expect(judgeAttempt('P1.1', attempt({ structuredOutput: { task_id: 'P1.1', status: 'blocked', blocker: 'b', suggested_action: 'a' } }, 'json-schema'))).toEqual({
      kind: 'blocked',
      blocker: 'b',
      suggestedAction: 'a',
    });
  });

  it('the judge refuses a structured report for another task, a missing one and a malformed one', () => {
    expect(judgeAttempt('P1.1', attempt({ structuredOutput: { task_id: 'P1.2', status: 'completed' } }, 'json-schema'))).toEqual({
      kind: 'retry',
      reason: 'the report names task "P1.2", not P1.1',
    });
    expect(judgeAttempt('P1.1', attempt({ text: TEXT_REPORT }, 'json-schema'))).toEqual({
      kind: 'retry',
      reason: 'the agent ended without a structured report (it did not call the StructuredOutput tool)',
    });
    expect(judgeAttempt('P1.1', attempt({ structuredOutput: { task_id: 'P1.1', status: 'finished' } }, 'json-schema'))).toMatchObject({
      kind: 'retry',
      reason: expect.stringMatching(/^the agent's structured report is malformed: status: /),
    });
  });

  it('claude giving up on invalid calls is a failed attempt, retried with claude’s reason', () => {
    const gaveUp = attempt({ isError: true, subtype: 'error_max_structured_output_retries', errors: ['Failed to provide valid structured output after 5 attempts'] }, 'json-schema');
    expect(judgeAttempt('P1.1', gaveUp)).toEqual({
      kind: 'retry',
      reason: 'the agent ended in error (error_max_structured_output_retries): Failed to provide valid structured output after 5 attempts',
    });
  });

  it('the judge reads the text block when the attempt names no format', () => {
    expect(judgeAttempt('P1.1', attempt({ text: TEXT_REPORT, structuredOutput: { task_id: 'P1.2', status: 'failed' } }))).toMatchObject({ kind: 'check' });
  });
});
