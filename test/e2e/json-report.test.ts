import { existsSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { REPORT_JSON_SCHEMA } from '../../src/agents/structured-report.js';
import { completionReport, structuredCompletion, structuredOutput, text, toolResultsOf, toolResultText, turn, writeTool } from '../support/scripted-api.js';
import { runEnv, scriptedApi, taskMarker } from './harness.js';
import { runCli } from '../support/cli.js';
import { makeProject, readPlan, readStateJson as readState, taskStatuses } from '../support/files.js';

const task = (id: string, file: string, extra: Record<string, unknown> = {}) => ({ id, title: `Make ${file}`, file, status: 'pending', ...extra });

describe('ccasp run --report-format json-schema with the real claude binary', () => {
  it('completes a task from its structured output, after claude refused a call that broke the schema', async () => {
    const dir = makeProject({ name: 'Structured', phases: [{ id: 'P1', name: 'Only', tasks: [task('T1', 'src/a.js', { verify: 'node --check src/a.js' })] }] });
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

  it('does not complete a task whose structured report names another task, nor one that writes the text block instead', async () => {
    const dir = makeProject({ name: 'Confused', phases: [{ id: 'P1', name: 'Only', tasks: [task('T1', 'a.txt'), task('T2', 'b.txt')] }] });
    const api = await scriptedApi({
      [taskMarker('T1')]: (_req, ctx) =>
        ctx.turn === 0 ? turn(writeTool(path.join(ctx.cwd!, 'a.txt'), 'a\n')) : turn(structuredCompletion({ taskId: 'T2', artifacts: ['a.txt'], summary: 'wrong id' })),
      [taskMarker('T2')]: (_req, ctx) =>
        ctx.turn === 0 ? turn(writeTool(path.join(ctx.cwd!, 'b.txt'), 'b\n')) : turn(text(completionReport({ taskId: 'T2', artifacts: ['b.txt'], summary: 'as text' }))),
    });
    // The setting from the environment this time; the flag and the file take the same values.
    const r = await runCli(['run', 'plan', '--max-retries', '1'], { cwd: dir, env: runEnv(api.url, { CCASP_REPORT_FORMAT: 'json-schema' }) });
    expect(r.code, r.stdout + r.stderr).toBe(4);
    expect(api.scriptErrors).toEqual([]);
    expect(r.stdout).toContain('T1 attempt 1 rejected: the report names task "T2", not T1');
    expect(r.stdout).toContain('T2 attempt 1 rejected: the agent ended without a structured report (it did not call the StructuredOutput tool)');
    // The work itself is there: only the report kept the tasks from completing.
    expect(existsSync(path.join(dir, 'a.txt')) && existsSync(path.join(dir, 'b.txt'))).toBe(true);
    expect(taskStatuses(dir)).toEqual({ T1: 'blocked', T2: 'blocked' });
    const [t1, t2] = readPlan(dir).phases[0]!.tasks;
    expect(t1).toMatchObject({ attempts: 2, blocker: expect.stringContaining('the report names task "T2", not T1') });
    expect(t2).toMatchObject({ attempts: 2, blocker: expect.stringContaining('did not call the StructuredOutput tool') });
    const state = readState(dir);
    expect(state.completedTasks).toEqual([]);
    expect(state.failedTasks.map((f) => f.taskId).sort()).toEqual(['T1', 'T1', 'T2', 'T2']);
  });
});
