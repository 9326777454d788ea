import { describe, expect, it } from 'vitest';
import { LiveUsage } from '../../src/agents/delegate.js';
import { StreamReader } from '../../src/agents/stream.js';

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
