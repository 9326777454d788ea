import { Chalk } from 'chalk';
import { stripVTControlCharacters } from 'node:util';
import { describe, expect, it } from 'vitest';
import { RunTally } from '../../../src/cli/render/run-tally.js';
import { summaryTable } from '../../../src/cli/render/summary.js';
import type { OrchestratorEvent } from '../../../src/orchestrator/events.js';
import { sampleRun } from './events.js';

type Finished = Extract<OrchestratorEvent, { type: 'run.finished' }>;

function tallied(events: readonly OrchestratorEvent[]): RunTally {
  let clock = 0;
  const tally = new RunTally(() => (clock += 1000));
  for (const e of events) tally.add(e);
  return tally;
}

describe('RunTally', () => {
  it('follows each task through its attempts: tokens, time, cost, retries, final state', () => {
    const tally = tallied(sampleRun);
    expect(tally.retries).toBe(1);
    expect(tally.get('T1')).toMatchObject({ state: 'completed', attempts: 1, tokens: 140, costUsd: 0.0123, durationMs: 2500 });
    expect(tally.get('T2')).toMatchObject({ state: 'blocked', attempts: 2, reason: expect.stringContaining('needs 50%') });
    expect(tally.get('T3')).toMatchObject({ state: 'failed', attempts: 0 });
    expect(tally.running()).toEqual([]);
  });

  it('counts a running agent by what it reports so far, and stops it when the run ends without a word about it', () => {
    const started = sampleRun.slice(0, 6);
    const tally = tallied(started);
    expect(tally.running().map((t) => t.taskId)).toEqual(['T1', 'T2']);
    expect(tally.tokensSoFar()).toBe(130);
    // Progress of an attempt that is over (a late line) changes nothing.
    tally.add({ type: 'task.progress', taskId: 'T1', attempt: 2, tokens: 999, toolCalls: 9 });
    expect(tally.get('T1')).toMatchObject({ attemptTokens: 130, toolCalls: 1 });
    // A resumed run goes on counting attempts where the last one stopped.
    tally.add({ type: 'task.started', taskId: 'T9', title: 'Nine', attempt: 3, specialist: 's', model: 'm', sessionId: 'x' });
    tally.add({ type: 'task.progress', taskId: 'T9', attempt: 3, tokens: 7, toolCalls: 2 });
    expect(tally.get('T9')).toMatchObject({ attempts: 1, attempt: 3, attemptTokens: 7, toolCalls: 2 });
    tally.add(sampleRun.at(-1)!);
    expect(tally.get('T1')).toMatchObject({ state: 'stopped', tokens: 130 });
  });
});

describe('summaryTable', () => {
  it('says when rate limits lowered the agents at once below the configured figure', () => {
    const finished = { ...(sampleRun.at(-1) as Finished), concurrency: 1 };
    const text = summaryTable(finished, tallied(sampleRun), new Chalk({ level: 0 })).join('\n');
    expect(text).toContain('Agents  3 agents spawned · 1 retry · 1 at once (of 2, lowered after rate limits)\n');
  });

  it('lists the tasks of this run, the totals and what is blocked, and says what to do next', () => {
    const finished = sampleRun.at(-1) as Finished;
    const text = summaryTable(finished, tallied(sampleRun), new Chalk({ level: 0 })).join('\n');
    expect(text).toBe(stripVTControlCharacters(text));
    expect(text).toContain('⚠ Run stopped: tasks are blocked: phase P1 cannot go on');
    expect(text).toContain(
      [
        '  Task  Status     Attempts  Time  Tokens     Cost  Title',
        '  T1    ✔ done            1  2.5s     140  $0.0123  Write a',
        '  T2    ⚠ blocked         2  2.2s       0  $0.0000  Write b',
        '  T3    ✖ failed          0  0.0s       0  $0.0000  Write c',
      ].join('\n'),
    );
    expect(text).toContain('Tasks   1 of 3 done · 2 blocked · 1 failed · 0 to do');
    expect(text).toContain('Agents  3 agents spawned · 1 retry · 2 at once\n');
    expect(text).toContain('Tokens  140 · 4,200 saved by resuming cut-off sessions');
    expect(text).toContain('Time    1m05s');
    expect(text).toContain('  Blocked, needs a person:\n    T2  needs 50% of a key: yes, really\n        second line\n');
    expect(text).toContain('        → set KEY, then unblock');
    expect(text).toContain('Next: Deal with each blocker');
  });

  it('cuts titles so that no line of the table is wider than the terminal', () => {
    const finished = sampleRun.at(-1) as Finished;
    const long = sampleRun.map((e) => (e.type === 'task.started' && e.taskId === 'T1' ? { ...e, title: 'A title far too long for a narrow terminal' } : e));
    const lines = summaryTable(finished, tallied(long), new Chalk({ level: 3 }), 60);
    const row = lines.find((l) => l.includes('T1 '))!;
    expect(stripVTControlCharacters(row)).toMatch(/\$0\.0123 {2}A title…$/);
    expect(stripVTControlCharacters(row)).toHaveLength(60);
  });
});
