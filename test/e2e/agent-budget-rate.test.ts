import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ndjsonLineSchema } from '../../src/orchestrator/event-schema.js';
import { runCli } from '../support/cli.js';
import { makeProject, readStateJson, taskStatuses } from '../support/files.js';
import { rateLimited, turn, writeTool, type Script } from '../support/scripted-api.js';
import { honestAgent, runEnv, scriptedApi, taskMarker } from './harness.js';

/**
 * Agents in parallel through the real claude binary, against the scripted API: a cost limit that
 * holds (each agent's --max-budget-usd is its reservation) and fewer agents at once after 429s.
 */

const IDS = ['T1', 'T2', 'T3'];
const threeTasks = () => makeProject({ name: 'Parallel', phases: [{ id: 'P1', name: 'Only', tasks: IDS.map((id) => ({ id, title: `Make ${id}.txt`, file: `${id}.txt`, status: 'pending' })) }] });
const events = (stdout: string) => stdout.split('\n').filter(Boolean).map((line) => ndjsonLineSchema.parse(JSON.parse(line)).event);

describe('agents in parallel, through the real claude binary', () => {
  it('keeps three agents at once within the cost limit plus one turn each', async () => {
    const dir = threeTasks();
    // An agent that never finishes: a file a turn, each turn priced (10,000 input tokens).
    const spender =
      (id: string): Script =>
      (_req, ctx) =>
        turn(writeTool(path.join(ctx.cwd ?? '.', `${id}-${ctx.turn}.txt`), 'x\n'), { usage: { input_tokens: 10_000, output_tokens: 0 } });
    const api = await scriptedApi(Object.fromEntries(IDS.map((id) => [taskMarker(id), spender(id)])));
    const r = await runCli(['run', 'plan', '--json', '--concurrency', '3', '--isolation', 'none', '--max-cost-usd', '0.3', '--max-retries', '0'], { cwd: dir, env: runEnv(api.url) });
    expect(r.code, r.stderr).toBe(6);
    expect(api.scriptErrors).toEqual([]);
    const state = readStateJson(dir);
    // All three ran at once, each cut off by claude at its reservation.
    expect(state.attempts.map((a) => a.taskId).sort()).toEqual(IDS);
    const spent = state.tokenBudget.costUsd;
    const turnUsd = spent / api.mainRequests().length;
    expect(turnUsd).toBeGreaterThan(0);
    // claude checks its cap between turns: each agent may pass its reservation by the turn that crossed it.
    expect(spent).toBeLessThanOrEqual(0.3 + IDS.length * turnUsd + 1e-9);
    expect(events(r.stdout).at(-1)).toMatchObject({ type: 'run.finished', outcome: 'budget' });
  });

  it('runs fewer agents at once after the API answers 429, and still completes', async () => {
    const dir = threeTasks();
    // Each agent's first request is rate limited; claude retries it and goes on.
    const limitedOnce =
      (id: string): Script =>
      (req, ctx) =>
        ctx.turn === 0 && ctx.attempt === 0 ? rateLimited() : honestAgent(id, [`${id}.txt`])(req, ctx);
    const api = await scriptedApi(Object.fromEntries(IDS.map((id) => [taskMarker(id), limitedOnce(id)])));
    const r = await runCli(['run', 'plan', '--json', '--concurrency', '3', '--isolation', 'none'], { cwd: dir, env: runEnv(api.url, { CLAUDE_CODE_MAX_RETRIES: '2' }) });
    expect(r.code, r.stderr).toBe(0);
    expect(taskStatuses(dir)).toEqual({ T1: 'completed', T2: 'completed', T3: 'completed' });
    const seen = events(r.stdout);
    // The three were running together when the limit hit: halved once, not once each.
    expect(seen.filter((e) => e.type === 'run.concurrency')).toEqual([{ type: 'run.concurrency', concurrency: 1, max: 3, reason: expect.stringMatching(/^T\d was rate limited by the API$/) }]);
    expect(seen.at(-1)).toMatchObject({ type: 'run.finished', outcome: 'completed', concurrency: 1 });
    expect(readStateJson(dir).concurrency).toEqual({ current: 1, max: 3 });
  });
});
