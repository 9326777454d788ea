import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { REPORT_JSON_SCHEMA } from '../../src/agents/structured-report.js';
import { runCli } from '../support/cli.js';
import { makeProject, readPlan, readStateJson as readState } from '../support/files.js';
import { completionReport, structuredCompletion, structuredOutput, text, toolResultsOf, toolResultText, turn, writeTool } from '../support/scripted-api.js';
import { runEnv, scriptedApi, taskMarker } from './harness.js';

/**
 * How ccasp reads what the real claude binary does with a task (against the scripted API): real
 * tool use and a text report, usage and cost from the result line, a structured report
 * (--json-schema), and the turn limit (--max-turns). One claude start each.
 */

const task = (id: string, file: string, extra: Record<string, unknown> = {}) => ({ id, title: `Make ${file}`, file, status: 'pending', ...extra });
const onePlan = (extra: Record<string, unknown> = {}) => makeProject({ name: 'Agent', phases: [{ id: 'P1', name: 'Only', tasks: [task('T1', 'src/a.js', extra)] }] });

// Every main-loop response the server streams for the happy path carries exactly this usage.
const USAGE = { input_tokens: 1000, output_tokens: 200, cache_creation_input_tokens: 300, cache_read_input_tokens: 500 };

describe('an agent at work, through the real claude binary', () => {
  it('writes a file with its real Write tool and reports completion as text; usage and cost come from the result', async () => {
    const dir = onePlan({ verify: 'node --check src/a.js' });
    const api = await scriptedApi({
      [taskMarker('T1')]: (_req, ctx) =>
        ctx.turn === 0
          ? turn(writeTool(path.join(ctx.cwd!, 'src/a.js'), 'export const done = true;\n'), { usage: USAGE })
          : turn(text(completionReport({ taskId: 'T1', artifacts: ['src/a.js'], summary: 'wrote src/a.js' })), { usage: USAGE }),
    });
    const r = await runCli(['run', 'plan'], { cwd: dir, env: runEnv(api.url) });
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(api.scriptErrors).toEqual([]);
    expect(readFileSync(path.join(dir, 'src/a.js'), 'utf8')).toBe('export const done = true;\n');
    expect(readPlan(dir).phases[0]!.tasks[0]).toMatchObject({ status: 'completed', attempts: 1, completedBy: expect.stringMatching(/^l2-\w+-specialist$/) });
    const state = readState(dir);
    expect(state.attempts).toEqual([expect.objectContaining({ taskId: 'T1', outcome: 'completed', summary: 'wrote src/a.js' })]);
    // claude's stream is kept.
    expect(readFileSync(state.attempts[0]!.log!, 'utf8')).toContain('"type":"result"');
    // Exactly what the server reported over the two turns, summed by claude into its result line.
    expect(state.tokenBudget.usage).toEqual({ inputTokens: 2000, outputTokens: 400, cacheCreationTokens: 600, cacheReadTokens: 1000 });
    expect(state.tokenBudget.costUsd).toBeGreaterThan(0);
    expect(r.stdout).toMatch(/✔ T1 Make src\/a\.js \(\d+\.\ds, \$\d\.\d{4}\) — wrote src\/a\.js/);
  });

  it('completes a task from its structured output, after claude refused a call that broke the schema', async () => {
    const dir = onePlan({ verify: 'node --check src/a.js' });
    const api = await scriptedApi({
      [taskMarker('T1')]: (_req, ctx) => {
        if (ctx.turn === 0) return turn(writeTool(path.join(ctx.cwd!, 'src/a.js'), 'export const a = 1;\n'));
        if (ctx.turn === 1) return turn(structuredOutput({ task_id: 'T1', status: 'done' }));
        // The text after the call is the result's text; ccasp must go by the structured output alone.
        return turn([structuredCompletion({ taskId: 'T1', artifacts: ['src/a.js'], summary: 'wrote src/a.js' }), text('TASK_FAILED: T1\nERROR: this block is not read')]);
      },
    });
    const r = await runCli(['run', 'plan', '--report-format', 'json-schema'], { cwd: dir, env: runEnv(api.url) });
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(api.scriptErrors).toEqual([]);
    expect(existsSync(path.join(dir, 'src/a.js'))).toBe(true);
    expect(readPlan(dir).phases[0]!.tasks[0]).toMatchObject({ status: 'completed', attempts: 1 });
    const state = readState(dir);
    expect(state.completedTasks).toEqual(['T1']);
    expect(state.attempts).toHaveLength(1);
    expect(state.attempts[0]).toMatchObject({ taskId: 'T1', summary: 'wrote src/a.js' });

    const requests = api.mainRequests();
    expect(requests).toHaveLength(3);
    // claude offered ccasp's schema as the StructuredOutput tool on every turn...
    for (const q of requests) {
      const tools = (q.body?.['tools'] ?? []) as { name?: string; input_schema?: unknown }[];
      expect(tools.find((t) => t.name === 'StructuredOutput')?.input_schema).toEqual(REPORT_JSON_SCHEMA);
    }
    // ...and checked the calls against it: the unknown status went back to the model as an error.
    const refused = toolResultsOf(requests[2]!).at(-1)!;
    expect(refused.is_error).toBe(true);
    expect(toolResultText(refused)).toContain('Output does not match required schema');
    const prompt = requests[0]!.messages[0]!.content.map((b) => b.text ?? '').join('\n');
    expect(prompt).toContain('call the StructuredOutput tool once, as your last action');
    expect(prompt).not.toContain('End your final message with exactly one of these blocks');
  });

  it('is stopped by --max-turns, and the task is not completed', async () => {
    const dir = onePlan();
    const api = await scriptedApi({
      [taskMarker('T1')]: (_req, ctx) =>
        ctx.turn === 0
          ? turn(writeTool(path.join(ctx.cwd!, 'src/a.js'), 'export const a = 1;\n'))
          : turn(text(completionReport({ taskId: 'T1', artifacts: ['src/a.js'], summary: 'never asked for' }))),
    });
    const r = await runCli(['run', 'plan', '--max-turns', '1', '--max-retries', '0'], { cwd: dir, env: runEnv(api.url) });
    expect(r.code, r.stdout + r.stderr).toBe(4);
    // The tool of the one turn ran; the turn that would report was never asked for.
    expect(existsSync(path.join(dir, 'src/a.js'))).toBe(true);
    expect(api.mainRequests()).toHaveLength(1);
    const state = readState(dir);
    expect(state.attempts).toHaveLength(1);
    expect(state.attempts[0]!.reason).toMatch(/the agent ran out of turns after \d+; /);
    expect(readPlan(dir).phases[0]!.tasks[0]).toMatchObject({ status: 'blocked', attempts: 1, blocker: expect.stringContaining('ran out of turns') });
  });
});
