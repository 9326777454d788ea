import { describe, expect, it } from 'vitest';
import { ndjsonLineSchema, orchestratorEventSchema } from '../../../src/orchestrator/event-schema.js';
import { sampleRun } from './events.js';

describe('the NDJSON event schema', () => {
  it('accepts every kind of event', () => {
    const kinds = new Set(sampleRun.map((e) => e.type));
    expect(kinds.size).toBe(orchestratorEventSchema.options.length);
    for (const e of sampleRun) expect(orchestratorEventSchema.parse(e)).toEqual(e);
  });

  it('rejects unknown types, missing and undocumented fields, and a line without its time', () => {
    const started = sampleRun[0]!;
    expect(orchestratorEventSchema.safeParse({ type: 'task.exploded', taskId: 'T1' }).success).toBe(false);
    expect(orchestratorEventSchema.safeParse({ ...started, extra: 1 }).success).toBe(false);
    const { planId: _planId, ...missing } = started as Extract<typeof started, { type: 'run.started' }>;
    expect(orchestratorEventSchema.safeParse(missing).success).toBe(false);
    expect(orchestratorEventSchema.safeParse({ type: 'task.progress', taskId: 'T1', attempt: 1, tokens: -1, toolCalls: 0 }).success).toBe(false);
    expect(ndjsonLineSchema.safeParse(started).success).toBe(false);
    expect(ndjsonLineSchema.safeParse({ time: 'yesterday', ...started }).success).toBe(false);
    expect(ndjsonLineSchema.parse({ time: '2030-01-01T00:00:00.000Z', ...started })).toEqual({ time: '2030-01-01T00:00:00.000Z', event: started });
  });
});
