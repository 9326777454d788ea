import { existsSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ndjsonLineSchema } from '../../../src/orchestrator/event-schema.js';
import type { OrchestratorEvent } from '../../../src/orchestrator/events.js';
import { completionReport, text, toolResultsOf, toolResultText, toolUse, turn, writeTool, type RecordedRequest, type ScriptContext, type ScriptedReply } from '../../support/scripted-api.js';
import { branches, planRepo, sh, worktreeList } from '../../worktree/fixture.js';
import { runEnv, scriptedApi, taskMarker } from '../harness.js';
import { runCli } from '../../support/cli.js';
import { readStateJson as readState, taskStatuses } from '../../support/files.js';

/**
 * `--isolation worktree` end to end: real git, the real claude binary, a scripted model. Each task's
 * agent works in its own worktree; completed work is merged into the branch the run started on.
 */

const task = (id: string, file: string, extra: Record<string, unknown> = {}) => ({ id, title: `Make ${file}`, file, status: 'pending', ...extra });
const SHARED = 'src/shared.txt';

const promptsOf = (api: { mainRequests(): RecordedRequest[] }, id: string) =>
  api
    .mainRequests()
    .map((q) => q.messages[0]?.content.map((b) => b.text ?? '').join('') ?? '')
    .filter((t) => t.includes(taskMarker(id)));
const events = (stdout: string): OrchestratorEvent[] =>
  stdout
    .split('\n')
    .filter(Boolean)
    .map((line) => ndjsonLineSchema.parse(JSON.parse(line)).event);

/**
 * An agent that reads src/shared.txt, puts its own line in the middle, writes its file and reports.
 * On a retry after a conflict (the prompt says so) it reads the file git left with markers and
 * writes a version that keeps both tasks' lines, unless `resolve` is false: then it changes nothing.
 */
function sharedEditor(taskId: string, own: string, resolve = true) {
  return (_req: RecordedRequest, ctx: ScriptContext): ScriptedReply => {
    const shared = path.join(ctx.cwd!, SHARED);
    if (ctx.prompt.includes('## Merge conflict to resolve first')) {
      if (!resolve) return turn(text(completionReport({ taskId, artifacts: [own], summary: 'left it as it was' })));
      const steps = [
        () => turn(toolUse('Read', { file_path: shared })),
        () => turn(writeTool(shared, 'line 1\nT1 was here\nT2 was here\nline 3\n')),
        () => turn(text(completionReport({ taskId, artifacts: [SHARED, own], summary: 'kept both changes' }))),
      ];
      return steps[Math.min(ctx.turn, steps.length - 1)]!();
    }
    const steps = [
      () => turn(toolUse('Read', { file_path: shared })),
      () => turn(writeTool(shared, `line 1\n${taskId} was here\nline 3\n`)),
      () => turn(writeTool(path.join(ctx.cwd!, own), `${taskId}\n`)),
      () => turn(text(completionReport({ taskId, artifacts: [SHARED, own], summary: `${taskId} edited the shared file` }))),
    ];
    return steps[Math.min(ctx.turn, steps.length - 1)]!();
  };
}

function conflictPlan() {
  // Different declared files, so the scheduler runs both at once; both also edit the shared file.
  return planRepo({ name: 'Conflict', phases: [{ id: 'P1', name: 'Only', tasks: [task('T1', 'src/one.txt'), task('T2', 'src/two.txt')] }] }, { [SHARED]: 'line 1\nline 2\nline 3\n' });
}

describe('ccasp run --isolation worktree', () => {
  it('retries a task whose work conflicts, with the new tip merged in and the file named, then merges it', async () => {
    const dir = conflictPlan();
    const api = await scriptedApi({ [taskMarker('T1')]: sharedEditor('T1', 'src/one.txt'), [taskMarker('T2')]: sharedEditor('T2', 'src/two.txt') });
    const r = await runCli(['run', 'plan', '--concurrency', '2'], { cwd: dir, env: runEnv(api.url) });
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(api.scriptErrors).toEqual([]);

    // Whichever finished second conflicted and was retried; the other merged at once.
    const attempts = readState(dir).attempts;
    const loser = attempts.find((a) => a.outcome === 'retry')!.taskId;
    expect(attempts.filter((a) => a.taskId === loser).map((a) => [a.outcome, a.conflictPaths])).toEqual([
      ['retry', [SHARED]],
      ['completed', undefined],
    ]);
    expect(r.stdout).toContain(`${loser} conflicts with the integration branch in ${SHARED}`);
    const retryPrompt = promptsOf(api, loser).find((p) => p.includes('## Merge conflict to resolve first'))!;
    expect(retryPrompt).toContain(`conflict with main in ${SHARED}`);
    expect(retryPrompt).toContain(`- ${SHARED}\n`);
    // The agent read git's markers in its own worktree.
    const read = api.mainRequests().filter((q) => q.messages[0]?.content.some((b) => b.text?.includes('## Merge conflict to resolve first')))[1]!;
    expect(toolResultText(toolResultsOf(read)[0]!)).toContain('<<<<<<<');

    expect(sh(dir, 'show', `main:${SHARED}`)).toBe('line 1\nT1 was here\nT2 was here\nline 3');
    for (const f of ['src/one.txt', 'src/two.txt']) expect(existsSync(path.join(dir, f))).toBe(true);
    expect(taskStatuses(dir)).toEqual({ T1: 'completed', T2: 'completed' });
    expect(worktreeList(dir)).toHaveLength(1);
    expect(branches(dir)).toEqual(['main']);
  });
});
