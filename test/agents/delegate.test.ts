import { randomUUID } from 'node:crypto';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { delegateToClaude, LiveUsage } from '../../src/agents/delegate.js';
import { routeTask } from '../../src/agents/route.js';
import { StreamReader } from '../../src/agents/stream.js';
import { loadPlan } from '../../src/plan/load.js';
import { createRedactor } from '../../src/secrets/redact.js';
import { scriptedAgent, standIn } from '../support/agents.js';
import { makeProject } from '../support/files.js';

describe('LiveUsage', () => {
  const assistant = (id: string, input: number, output: number) =>
    JSON.stringify({
      type: 'assistant',
      session_id: 's',
      uuid: 'u',
      parent_tool_use_id: null,
      message: { id, type: 'message', role: 'assistant', model: 'm', content: [], usage: { input_tokens: input, output_tokens: output, cache_read_input_tokens: 7 } },
    });

  it('estimates the usage of an agent cut off before its result line, each response once', () => {
    const reader = new StreamReader();
    const live = new LiveUsage();
    const shown = [assistant('msg_1', 100, 1), assistant('msg_1', 100, 1), assistant('msg_2', 300, 2)].map((line) => {
      const parsed = reader.push(line);
      expect(parsed, line).toBeDefined();
      return live.take(parsed!, reader);
    });
    expect(shown).toEqual([108, 108, 417]);
    expect(live.estimate()).toEqual({ inputTokens: 400, outputTokens: 3, cacheCreationTokens: 0, cacheReadTokens: 14 });
  });
});

describe('an attempt asked to continue a session', () => {
  it('says it continued that session once claude ran, and not when claude never started', async () => {
    const root = makeProject({ name: 'One', phases: [{ id: 'P1', name: 'Only', tasks: [{ id: 'T1', title: 'Make a.txt', file: 'a.txt', status: 'pending' }] }] });
    const plan = (await loadPlan(path.join(root, 'plan', 'PROGRESS.json'))).plan;
    const phase = plan.phases[0]!;
    const task = phase.tasks[0]!;
    const resume = { fromAttempt: 1, sessionId: randomUUID(), cutOff: 'stalled' as const };
    const request = { plan, phase, task, route: routeTask(task, { model: 'sonnet', simpleModel: 'haiku' }), attempt: 2, sessionId: randomUUID(), previous: [], resume };
    const options = { projectRoot: root, permissionMode: 'acceptEdits', permissions: { allow: [], deny: [] }, env: scriptedAgent().env(), timeoutMs: 60_000, stallTimeoutMs: 60_000, redact: createRedactor([]) };
    const signal = new AbortController().signal;
    expect((await delegateToClaude(request, { ...options, bin: standIn('scripted-agent.mjs') }, signal)).resumed).toBe(resume.sessionId);
    const missing = await delegateToClaude(request, { ...options, bin: path.join(root, 'no-claude') }, signal);
    expect(missing.end.kind).toBe('not-started');
    expect(missing.resumed).toBeUndefined();
  });
});
