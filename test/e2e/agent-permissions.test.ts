import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ndjsonLineSchema } from '../../src/orchestrator/event-schema.js';
import { runCli } from '../support/cli.js';
import { makeProject, readPlan, readStateJson as readState } from '../support/files.js';
import { bashTool, completionReport, text, toolResultsOf, toolResultText, turn, writeTool } from '../support/scripted-api.js';
import { writeFile } from '../support/tmp.js';
import { runEnv, scriptedApi, taskMarker } from './harness.js';

/**
 * What the real claude binary lets an agent run under ccasp's default rules (acceptEdits): its
 * task's own verify command runs; a command no rule allows is refused, and ccasp surfaces it.
 */
describe('tool permissions, through the real claude binary', () => {
  it("runs the task's verify command, refuses another, and the refusal reaches events and state.json", async () => {
    const dir = makeProject({ name: 'Perms', phases: [{ id: 'P1', name: 'Only', tasks: [{ id: 'T1', title: 'Make a', file: 'src/a.js', verify: 'node check.js', status: 'pending' }] }] });
    writeFile(dir, 'check.js', "console.log('the check ran');\n");
    const api = await scriptedApi({
      [taskMarker('T1')]: (_req, ctx) => {
        if (ctx.turn === 0) return turn(writeTool(path.join(ctx.cwd!, 'src/a.js'), 'export const a = 1;\n'));
        if (ctx.turn === 1) return turn(bashTool('npm install left-pad'));
        if (ctx.turn === 2) return turn(bashTool('node check.js'));
        return turn(text(completionReport({ taskId: 'T1', artifacts: ['src/a.js'], summary: 'wrote src/a.js' })));
      },
    });
    const r = await runCli(['run', 'plan', '--json'], { cwd: dir, env: runEnv(api.url) });
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(api.scriptErrors).toEqual([]);
    expect(readPlan(dir).phases[0]!.tasks[0]).toMatchObject({ status: 'completed' });

    // What claude sent back to the model: the refusal, then the check's real output.
    const requests = api.mainRequests();
    expect(toolResultText(toolResultsOf(requests[2]!).at(-1)!)).toMatch(/requires approval/);
    const ran = toolResultsOf(requests[3]!).at(-1)!;
    expect(ran.is_error).not.toBe(true);
    expect(toolResultText(ran)).toContain('the check ran');

    const denial = { tool: 'Bash', input: 'npm install left-pad', rule: 'Bash(npm install:*)' };
    const events = r.stdout.trim().split('\n').map((line) => ndjsonLineSchema.parse(JSON.parse(line)).event);
    expect(events.filter((e) => e.type === 'task.denied')).toEqual([{ type: 'task.denied', taskId: 'T1', attempt: 1, denials: [denial] }]);
    expect(readState(dir).attempts).toEqual([expect.objectContaining({ taskId: 'T1', outcome: 'completed', denials: [denial] })]);
  });
});
