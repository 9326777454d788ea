import { describe, expect, it } from 'vitest';
import { progressBucket } from '../../src/github/entries.js';
import { classifyFailure } from '../../src/github/failure.js';
import { marker, markersIn } from '../../src/github/markers.js';
import { formatCost, formatDuration, prose, renderStatus } from '../../src/github/render.js';
import { Tracker } from '../../src/github/tracker.js';
import { phase, task } from './helpers.js';

describe('progress labels', () => {
  it('round down to the toolkit buckets, so 100% means every phase', () => {
    expect([0, 20, 25, 49, 50, 67, 75, 99, 100].map(progressBucket)).toEqual([0, 0, 25, 25, 50, 50, 75, 75, 100]);
  });
});

describe('markers', () => {
  it('round-trip, and unsafe characters in ids cannot break out of the comment', () => {
    expect(marker('todo-service', 'task.P1.1.done.1')).toBe('<!-- ccasp:todo-service:task.P1.1.done.1 -->');
    const odd = marker('my plan: v2', 'task.P1 -->x');
    expect(odd).toBe('<!-- ccasp:my_plan__v2:task.P1_--_x -->');
    expect(markersIn(`text\n\n${odd}`)).toEqual(['my_plan__v2:task.P1_--_x']);
  });

  it('agent text cannot forge a marker or page people', () => {
    const text = prose('done <!-- ccasp:todo-service:run.completed --> thanks @octocat, mail bob@example.com');
    expect(markersIn(text)).toEqual([]);
    expect(text).toContain('@&#8203;octocat');
    expect(text).toContain('bob@example.com');
  });
});

describe('failures', () => {
  const err = (status: number, message: string, headers: Record<string, string> = {}) => Object.assign(new Error(message), { status, response: { headers } });
  const now = Date.parse('2026-01-01T00:00:00Z');

  it('tells what each failure means for the outbox', () => {
    expect(classifyFailure(err(401, 'Bad credentials')).kind).toBe('auth');
    expect(classifyFailure(err(403, 'Resource not accessible by integration')).kind).toBe('auth');
    expect(classifyFailure(err(404, 'Not Found')).kind).toBe('gone');
    expect(classifyFailure(err(422, 'Validation Failed')).kind).toBe('rejected');
    expect(classifyFailure(err(502, 'Bad Gateway')).kind).toBe('transient');
    expect(classifyFailure(new Error('socket hang up')).kind).toBe('transient');
    expect(classifyFailure(Object.assign(new Error('aborted'), { name: 'AbortError' })).kind).toBe('aborted');
  });

  it('reads how long GitHub asked us to wait', () => {
    expect(classifyFailure(err(429, 'slow down', { 'retry-after': '30' }), now)).toMatchObject({ kind: 'transient', retryAfterMs: 30_000 });
    expect(classifyFailure(err(403, 'secondary rate limit', { 'retry-after': 'Thu, 01 Jan 2026 00:01:00 GMT' }), now)).toMatchObject({ retryAfterMs: 60_000 });
    const reset = String(now / 1000 + 120);
    expect(classifyFailure(err(403, 'API rate limit exceeded', { 'x-ratelimit-remaining': '0', 'x-ratelimit-reset': reset }), now)).toMatchObject({
      kind: 'transient',
      retryAfterMs: 120_000,
    });
  });
});

describe('formatting', () => {
  it('durations and costs', () => {
    expect([900, 12_000, 65_000, 3_725_000].map(formatDuration)).toEqual(['1s', '12s', '1m 05s', '1h 02m']);
    expect([0, 0.0123, 1.5].map(formatCost)).toEqual(['$0.00', '$0.0123', '$1.50']);
  });
});

describe('the status comment', () => {
  it("cuts a large plan's checklist to fit one comment, keeping every phase heading and the footer", () => {
    const phases = ['P1', 'P2', 'P3'].map((id, p) =>
      phase(id, `Phase ${p + 1}`, Array.from({ length: 1500 }, (_, i) => task(`${id}.${i + 1}`, `Task ${i + 1} with a title of some length`, p === 0 ? 'completed' : 'pending'))),
    );
    const body = renderStatus(new Tracker({ id: 'big', name: 'Big', shape: 'canonical', phases }), '2026-12-04T10:00:00.000Z');
    expect(body.length).toBeLessThanOrEqual(60_000);
    for (const p of ['P1', 'P2', 'P3']) expect(body).toMatch(new RegExp(`^### .* ${p} · Phase`, 'm'));
    expect(body).toContain('- [x] **P1.1** Task 1');
    const listed = body.match(/^- \[[ x]\] \*\*/gm)!.length;
    expect(body).toContain(`… ${4500 - listed} more tasks not listed`);
    expect(body.trimEnd().endsWith('This comment is edited in place as the run goes on.</sub>')).toBe(true);
    expect(body).not.toContain('(truncated)');
  });

  it('lists every task of a plan that fits', () => {
    const phases = [phase('P1', 'One', [task('P1.1', 'A', 'completed'), task('P1.2', 'B')])];
    const body = renderStatus(new Tracker({ id: 'small', name: 'Small', shape: 'canonical', phases }), '2026-12-04T10:00:00.000Z');
    expect(body).toContain('- [x] **P1.1** A');
    expect(body).toContain('- [ ] **P1.2** B');
    expect(body).not.toContain('not listed');
  });
});
