import { describe, expect, it } from 'vitest';
import { afterIntegration, conflictBlocker, followsConflict } from '../../src/orchestrator/integration.js';
import type { Workspace } from '../../src/worktree/workspace.js';
import type { AttemptRecord } from '../../src/state/schema.js';

const completed = { kind: 'completed', summary: 'did it', artifacts: ['a.ts'] } as const;
const ws: Workspace = { cwd: '/p/.claude/worktrees/ccasp/T1', branch: 'ccasp/plan/T1', release: async () => undefined };

function attempt(n: number, outcome: AttemptRecord['outcome'], conflictPaths?: string[]): AttemptRecord {
  return {
    taskId: 'T1',
    attempt: n,
    outcome,
    startedAt: '2030-01-01T00:00:00Z',
    finishedAt: '2030-01-01T00:00:01Z',
    durationMs: 1000,
    costUsd: 0,
    usage: { inputTokens: 0, outputTokens: 0, cacheCreationTokens: 0, cacheReadTokens: 0 },
    ...(conflictPaths ? { conflictPaths } : {}),
  };
}

describe('afterIntegration', () => {
  it('keeps a completion that was merged', () => {
    expect(afterIntegration('T1', completed, { kind: 'integrated', commit: 'abc', how: 'merge' })).toEqual({ verdict: completed });
  });

  it('turns a conflict or leftover markers into a retry naming the files', () => {
    expect(afterIntegration('T1', completed, { kind: 'conflict', branch: 'main', paths: ['a.ts', 'b.ts'] })).toEqual({
      verdict: { kind: 'retry', reason: 'conflict with main in a.ts, b.ts', summary: 'did it' },
      conflictPaths: ['a.ts', 'b.ts'],
    });
    expect(afterIntegration('T1', completed, { kind: 'unresolved', branch: 'main', paths: ['a.ts'] })).toMatchObject({
      verdict: { kind: 'retry', reason: 'the merge of main still has conflict markers in a.ts' },
      conflictPaths: ['a.ts'],
    });
  });

  it('blocks a refused merge with its reason', () => {
    expect(afterIntegration('T1', completed, { kind: 'refused', reason: 'local changes in a.ts', suggestedAction: 'commit them' })).toEqual({
      verdict: { kind: 'blocked', blocker: 'local changes in a.ts', suggestedAction: 'commit them' },
    });
  });
});

describe('followsConflict', () => {
  it('is true when the last attempt that reached a verdict conflicted, also across interruptions', () => {
    expect(followsConflict([])).toBe(false);
    expect(followsConflict([attempt(1, 'retry', ['a.ts'])])).toBe(true);
    expect(followsConflict([attempt(1, 'retry', ['a.ts']), attempt(2, 'interrupted'), attempt(3, 'rate-limited')])).toBe(true);
    expect(followsConflict([attempt(1, 'retry', ['a.ts']), attempt(2, 'retry')])).toBe(false);
    // Blocked on a conflict and unblocked by a person: the next attempt merges the tip again.
    expect(followsConflict([attempt(1, 'blocked', ['a.ts'])])).toBe(true);
  });
});

describe('conflictBlocker', () => {
  it('names the files, the kept worktree and its branch', () => {
    const b = conflictBlocker('T1', 2, ['a.ts'], ws);
    expect(b.blocker).toBe('gave up after 2 attempts: the work conflicts with the integration branch in a.ts; it is kept in /p/.claude/worktrees/ccasp/T1 (branch ccasp/plan/T1)');
    expect(b.suggestedAction).toContain('ccasp unblock T1');
  });
});
