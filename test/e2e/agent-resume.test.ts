import { existsSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from '../support/cli.js';
import { makeProject, readStateJson as readState } from '../support/files.js';
import { completionReport, text, turn, writeTool, type RecordedRequest } from '../support/scripted-api.js';
import { runEnv, scriptedApi, taskMarker } from './harness.js';

/**
 * A cut-off attempt's retry continues its claude session (claude --resume --fork-session), with the
 * real claude binary against the scripted API; and starts afresh when claude no longer has it.
 * The cut-off is --max-turns 1: the agent's Write runs, then claude stops before its report.
 */

const onePlan = () => makeProject({ name: 'Resume', phases: [{ id: 'P1', name: 'Only', tasks: [{ id: 'T1', title: 'Make a.txt', file: 'a.txt', status: 'pending' }] }] });
const USAGE = { input_tokens: 1000, output_tokens: 200, cache_creation_input_tokens: 0, cache_read_input_tokens: 500 };
const CUT_OFF = 'ccasp cut off your work on task T1';

const userTexts = (req: RecordedRequest) => req.messages.filter((m) => m.role === 'user').flatMap((m) => m.content.flatMap((b) => (b.type === 'text' && b.text ? [b.text] : [])));

/** Writes a.txt, then reports; told it was cut off, it reports at once. */
async function agentApi() {
  return scriptedApi({
    [taskMarker('T1')]: (req, ctx) => {
      if (userTexts(req).some((t) => t.includes(CUT_OFF))) return turn(text(completionReport({ taskId: 'T1', artifacts: ['a.txt'], summary: 'finished a.txt' })));
      if (ctx.turn === 0) return turn(writeTool(path.join(ctx.cwd!, 'a.txt'), 'a\n'), { usage: USAGE });
      return turn(text(completionReport({ taskId: 'T1', artifacts: ['a.txt'], summary: 'wrote a.txt from the start' })));
    },
  });
}

describe('continuing a cut-off attempt, through the real claude binary', () => {
  it('the retry of an agent that ran out of turns continues its conversation, and the task completes', async () => {
    const dir = onePlan();
    const api = await agentApi();
    const r = await runCli(['run', 'plan', '--max-turns', '1', '--max-retries', '1'], { cwd: dir, env: runEnv(api.url) });
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(api.scriptErrors).toEqual([]);
    const [cut, resumed] = readState(dir).attempts;
    expect(cut).toMatchObject({ attempt: 1, outcome: 'retry', cutOff: 'max-turns' });
    expect(resumed).toMatchObject({ attempt: 2, outcome: 'completed', summary: 'finished a.txt', resumed: { fromAttempt: 1, sessionId: cut!.sessionId, tokensSaved: 1700 } });
    expect(resumed!.sessionId).not.toBe(cut!.sessionId);
    expect(r.stdout).toContain("T1 attempt 2 continues attempt 1's session (cut off: max-turns), saving 1,700 tokens");
    expect(r.stdout).toContain('(1,700 saved by resuming cut-off sessions)');

    // The retry sent, under its own session id, the earlier conversation (the task prompt, the Write
    // and its result), then why it was cut off.
    const retry = api.mainRequests().filter((q) => q.sessionId === resumed!.sessionId);
    expect(retry).toHaveLength(1);
    const sent = retry[0]!.messages;
    expect(sent[0]!.content.some((b) => b.text?.includes('- Task ID: T1\n'))).toBe(true);
    const blocks = sent.flatMap((m) => m.content.map((b) => b.type));
    expect(blocks.indexOf('tool_use')).toBeGreaterThan(0);
    expect(blocks.indexOf('tool_result')).toBeGreaterThan(blocks.indexOf('tool_use'));
    expect(sent.at(-1)!.content.map((b) => b.text ?? '').join('')).toContain(`${CUT_OFF} before you reported: you ran out of turns`);
  });

  it('starts afresh when claude no longer has the session', async () => {
    const dir = onePlan();
    const api = await agentApi();
    const env = runEnv(api.url);
    const first = await runCli(['run', 'plan', '--max-turns', '1', '--max-retries', '0'], { cwd: dir, env });
    expect(first.code, first.stdout + first.stderr).toBe(4);
    const [cut] = readState(dir).attempts;
    expect(cut).toMatchObject({ attempt: 1, cutOff: 'max-turns' });
    const projects = path.join(env.CLAUDE_CONFIG_DIR!, 'projects');
    expect(readdirSync(projects).some((folder) => existsSync(path.join(projects, folder, `${cut!.sessionId}.jsonl`)))).toBe(true);
    rmSync(projects, { recursive: true });

    const again = await runCli(['run', 'plan', '--retry-blocked', '--max-turns', '2'], { cwd: dir, env });
    expect(again.code, again.stdout + again.stderr).toBe(0);
    const fresh = readState(dir).attempts[1]!;
    expect(fresh).toMatchObject({ attempt: 2, outcome: 'completed', summary: 'wrote a.txt from the start' });
    expect(fresh.resumed).toBeUndefined();
    expect(again.stdout).not.toContain('continues attempt');
    const opening = api.mainRequests().find((q) => q.sessionId === fresh.sessionId)!;
    expect(opening.messages.filter((m) => m.role === 'user')).toHaveLength(1);
    expect(userTexts(opening).join('\n')).toContain('- Task ID: T1\n');
    expect(readFileSync(path.join(dir, 'a.txt'), 'utf8')).toBe('a\n');
  });
});
