import { existsSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { REPORT_JSON_SCHEMA } from '../../src/agents/structured-report.js';
import { structuredCompletion, structuredOutput, text, toolResultsOf, toolResultText, turn, writeTool } from '../support/scripted-api.js';
import { runEnv, scriptedApi, taskMarker } from './harness.js';
import { runCli } from '../support/cli.js';
import { makeProject, readPlan, readStateJson as readState } from '../support/files.js';

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
});
