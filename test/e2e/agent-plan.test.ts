import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { authoredPlanJsonSchema } from '../../src/agents/plan-schema.js';
import { runCli } from '../support/cli.js';
import { readPlanJson } from '../support/files.js';
import { structuredOutput, toolResultsOf, toolResultText, toolUse, turn, type RecordedRequest } from '../support/scripted-api.js';
import { tempDir, writeFile } from '../support/tmp.js';
import { runEnv, scriptedApi } from './harness.js';

/**
 * `ccasp plan` through the real claude binary (against the scripted API): claude reads the project
 * with its read-only tools and hands in a plan as structured output; ccasp validates it, sends the
 * problems back in the same session, and writes the corrected plan. One claude start per draft.
 */

const PRD = 'A command-line greeter: `greet NAME` prints a greeting.\n';
const MARKER = 'A command-line greeter';

const task = (id: string, extra: Record<string, unknown> = {}) => ({
  id,
  title: `Build ${id}`,
  details: 'what to build',
  file: `src/${id}.js`,
  domain: 'backend',
  complexity: 'simple',
  verify: `node --check src/${id}.js`,
  ...extra,
});
const draft = (dependency: string) => ({
  name: 'Greeter',
  test_command: 'npm test',
  phases: [
    { id: 'P1', name: 'Core', tasks: [task('P1.1')] },
    { id: 'P2', name: 'Tests', tasks: [task('P2.1', { domain: 'testing', dependencies: [dependency] })] },
  ],
});

function project(): string {
  const dir = path.join(tempDir('ccasp-plan-'), 'greeter');
  writeFile(dir, 'package.json', { name: 'greeter', type: 'module' });
  writeFile(dir, 'prd.md', PRD);
  return dir;
}

const lastUserText = (q: RecordedRequest): string =>
  q.messages
    .filter((m) => m.role === 'user')
    .at(-1)!
    .content.map((b) => b.text ?? '')
    .join('\n');

describe('ccasp plan, through the real claude binary', () => {
  it('sends the problems of an invalid first draft back to claude and writes the corrected plan', async () => {
    const dir = project();
    const api = await scriptedApi({
      [MARKER]: (_req, ctx) => {
        if (ctx.turn === 0) return turn(toolUse('Read', { file_path: path.join(ctx.cwd!, 'package.json') }));
        // The first draft ends claude's first run; the correction is asked for in a resumed one.
        if (ctx.turn === 1) return turn(structuredOutput(draft('P9.9')));
        return turn(structuredOutput(draft('P1.1')));
      },
    });
    const r = await runCli(['plan', 'prd.md'], { cwd: dir, env: runEnv(api.url) });
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(api.scriptErrors).toEqual([]);
    expect(r.stderr).toContain('phases[1].tasks[0].dependencies[0]');
    expect(r.stdout).toContain("PROGRESS.json: a valid plan, written from claude's draft 2");

    const plan = readPlanJson(path.join(dir, 'PROGRESS.json')) as unknown as ReturnType<typeof draft>;
    expect(plan.phases[1]!.tasks[0]).toEqual({ ...task('P2.1', { domain: 'testing', dependencies: ['P1.1'] }), status: 'pending' });
    const validate = await runCli(['validate', '.'], { cwd: dir });
    expect(validate.code, validate.stderr).toBe(0);

    const requests = api.mainRequests();
    expect(requests).toHaveLength(3);
    // Read-only tools alone, and the plan's schema as the StructuredOutput tool.
    const schema = authoredPlanJsonSchema();
    for (const q of requests) {
      expect(q.toolNames.sort()).toEqual(['Bash', 'Glob', 'Grep', 'Read', 'StructuredOutput']);
      const tools = (q.body?.['tools'] ?? []) as { name?: string; input_schema?: unknown }[];
      expect(tools.find((t) => t.name === 'StructuredOutput')?.input_schema).toEqual(schema);
    }
    expect(toolResultText(toolResultsOf(requests[1]!)[0]!)).toContain('"name": "greeter"');
    // The correction continues the same conversation and names the problem.
    expect(requests[2]!.sessionId).toBe(requests[0]!.sessionId);
    expect(lastUserText(requests[2]!)).toContain('phases[1].tasks[0].dependencies[0]');
    expect(lastUserText(requests[2]!)).toContain('P9.9');
  });

  it('--dry-run prints the plan and leaves an existing one as it is', async () => {
    const dir = project();
    const existing = writeFile(dir, 'PROGRESS.json', { name: 'Mine', phases: [] });
    const before = readFileSync(existing, 'utf8');
    const api = await scriptedApi({ [MARKER]: [turn(structuredOutput(draft('P1.1')))] });
    const r = await runCli(['plan', PRD, '.', '--dry-run'], { cwd: dir, env: runEnv(api.url) });
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ name: 'Greeter', phases: [{ id: 'P1' }, { id: 'P2' }] });
    expect(readFileSync(existing, 'utf8')).toBe(before);
  });
});
