import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { completionReport, text, turn, writeTool, type ScriptContext, type ScriptedReply } from '../../support/scripted-api.js';
import { runEnv, scriptedApi, taskMarker } from '../harness.js';
import { runCli } from '../../support/cli.js';
import { makeProject, readPlan, readStateJson as readState, taskStatuses } from '../../support/files.js';

// Every main-loop response the server streams carries exactly this usage.
const USAGE = { input_tokens: 1000, output_tokens: 200, cache_creation_input_tokens: 300, cache_read_input_tokens: 500 };
const PER_TURN = 1000 + 200 + 300 + 500;
const PER_TASK = 2 * PER_TURN;

function meteredAgent(taskId: string, file: string) {
  return (_req: unknown, ctx: ScriptContext): ScriptedReply =>
    ctx.turn === 0
      ? turn(writeTool(path.join(ctx.cwd!, file), `${taskId}\n`), { usage: USAGE })
      : turn(text(completionReport({ taskId, artifacts: [file], summary: `${taskId} summary: made ${file}` })), { usage: USAGE });
}

function chain(n: number) {
  const ids = Array.from({ length: n }, (_, i) => `T${i + 1}`);
  const dir = makeProject({
    name: 'Metered',
    phases: [
      {
        id: 'P1',
        name: 'Only',
        tasks: ids.map((id, i) => ({ id, title: `Make ${id}.txt`, file: `${id}.txt`, status: 'pending', ...(i > 0 ? { dependencies: [ids[i - 1]] } : {}) })),
      },
    ],
  });
  return { dir, ids };
}

describe('token budget through the real claude binary', () => {
  it('adds up exactly what the server reported, compacts once at the threshold, and hands later agents the summary', async () => {
    const { dir, ids } = chain(4);
    const api = await scriptedApi(Object.fromEntries(ids.map((id) => [taskMarker(id), meteredAgent(id, `${id}.txt`)])));
    // The threshold (80 % of the limit) is crossed by the third task; the limit only by the last.
    const limit = Math.round(PER_TASK * 3.2);
    const r = await runCli(['run', 'plan', '--token-limit', String(limit), '--json'], { cwd: dir, env: runEnv(api.url) });
    expect(r.code, r.stderr).toBe(0);

    const state = readState(dir);
    expect(state.tokenBudget.usage).toEqual({
      inputTokens: 4 * 2 * 1000,
      outputTokens: 4 * 2 * 200,
      cacheCreationTokens: 4 * 2 * 300,
      cacheReadTokens: 4 * 2 * 500,
    });
    expect(state.tokenBudget.used).toBe(4 * PER_TASK);
    expect(state.tokenBudget.costUsd).toBeGreaterThan(0);
    expect(state.tokenBudget.lastCompaction).not.toBeNull();

    const events = r.stdout.trim().split('\n').map((l) => JSON.parse(l) as { type: string; memoryFile?: string });
    expect(events.filter((e) => e.type === 'budget.threshold')).toHaveLength(1);
    const memory = readFileSync(path.join(dir, '.claude/orchestrator/memory.md'), 'utf8');
    expect(memory).toContain('- T1: T1 summary: made T1.txt [T1.txt]');
    expect(memory).toContain('- T3: T3 summary: made T3.txt [T3.txt]');
    expect(memory).not.toContain('T4');

    const promptOf = (id: string) => api.mainRequests().find((q) => q.messages[0]?.content.some((b) => b.text?.includes(taskMarker(id))))!.messages[0]!.content.map((b) => b.text ?? '').join('');
    expect(promptOf('T1')).not.toContain('Earlier work');
    expect(promptOf('T3')).toContain('Finished so far (most recent first):\n- T2: T2 summary: made T2.txt [T2.txt]\n- T1: T1 summary');
    expect(promptOf('T3')).not.toContain('work so far');
    // After the compaction the summary replaces the growing list.
    expect(promptOf('T4')).toContain('## Earlier work in this plan\n# Metered: work so far');
    expect(promptOf('T4')).not.toContain('Finished so far');
  });

  it('pauses at the limit with exit 6, and a higher limit resumes exactly where it stopped', async () => {
    const { dir, ids } = chain(4);
    const api = await scriptedApi(Object.fromEntries(ids.map((id) => [taskMarker(id), meteredAgent(id, `${id}.txt`)])));
    const env = runEnv(api.url);
    const first = await runCli(['run', 'plan', '--token-limit', String(PER_TASK * 2)], { cwd: dir, env });
    expect(first.code, first.stdout + first.stderr).toBe(6);
    expect(first.stdout).toContain(`token budget reached: ${(PER_TASK * 2).toLocaleString('en-US')} of ${(PER_TASK * 2).toLocaleString('en-US')} tokens used`);
    expect(first.stdout).toMatch(/ccasp run --token-limit \d+/);
    expect(taskStatuses(dir)).toEqual({ T1: 'completed', T2: 'completed', T3: 'pending', T4: 'pending' });
    expect(readState(dir).status).toBe('paused');
    expect(existsSync(path.join(dir, 'T3.txt'))).toBe(false);

    const second = await runCli(['run', 'plan', '--token-limit', String(PER_TASK * 10)], { cwd: dir, env });
    expect(second.code, second.stdout + second.stderr).toBe(0);
    expect(taskStatuses(dir)).toEqual({ T1: 'completed', T2: 'completed', T3: 'completed', T4: 'completed' });
    const state = readState(dir);
    expect(state.attempts.map((a) => a.taskId)).toEqual(['T1', 'T2', 'T3', 'T4']);
    expect(state.tokenBudget.used).toBe(4 * PER_TASK);
    expect(state.tokenBudget.limit).toBe(PER_TASK * 10);
    expect(readPlan(dir).phases[0]!.tasks.map((t) => t.attempts)).toEqual([1, 1, 1, 1]);
  });
});
