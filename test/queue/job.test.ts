import { describe, expect, it } from 'vitest';
import { attemptJobId, parseAttemptJob, parseAttemptJobResult, QUEUE_PROTOCOL, SETUP_OUTPUT_MAX, type AttemptJob } from '../../src/queue/job.js';
import { withoutCredentials } from '../../src/queue/url.js';

const job: AttemptJob = {
  protocol: QUEUE_PROTOCOL,
  planId: 'p',
  remote: 'https://example.com/o/r.git',
  branch: 'ccasp/p/T1',
  base: 'a'.repeat(40),
  protect: ['plan/PROGRESS.json'],
  request: {
    plan: { id: 'p', name: 'P' },
    phase: { id: 'P1', name: 'First' },
    task: { id: 'T1', title: 'Make a', files: ['a.txt'] } as unknown as AttemptJob['request']['task'],
    route: { model: 'sonnet', specialist: 'l2-general-specialist' } as AttemptJob['request']['route'],
    attempt: 1,
    sessionId: '0b7c3f4e-3f5a-4a8e-9a55-2f0c8d6f1e21',
    previous: [],
  },
  agent: { permissionMode: 'acceptEdits', permissions: { allow: [], deny: [] }, timeoutMs: 1000, stallTimeoutMs: 1000, reportFormat: 'text' },
};

describe('attempt jobs', () => {
  it('have one id per plan, task and attempt, with no character BullMQ refuses', () => {
    expect(attemptJobId('p', 'T1', 1)).toBe(attemptJobId('p', 'T1', 1));
    const ids = new Set([attemptJobId('p', 'T1', 1), attemptJobId('p', 'T1', 2), attemptJobId('p', 'T2', 1), attemptJobId('q', 'T1', 1), attemptJobId('p:T', '1', 1)]);
    expect(ids.size).toBe(5);
    for (const id of ids) expect(id).toMatch(/^attempt-\d+-[0-9a-f]+$/);
  });

  it('are read back as sent, and refused naming the field when they are not an attempt', () => {
    expect(parseAttemptJob(JSON.parse(JSON.stringify(job)))).toEqual({ ok: true, job });
    expect(parseAttemptJob({ ...job, base: 'main' })).toEqual({ ok: false, message: 'base: is not a commit id' });
    expect(parseAttemptJob({ ...job, protocol: QUEUE_PROTOCOL + 1 })).toMatchObject({ ok: false, message: expect.stringMatching(/^protocol: /) });
    const noTask = { ...job, request: { ...job.request, task: { id: 'T1' } } };
    expect(parseAttemptJob(noTask)).toMatchObject({ ok: false, message: expect.stringMatching(/^request\.task\.title: /) });
  });

  it('carry the tip to merge after a conflict, checked as a commit on a branch', () => {
    const after = { ...job, mergeTip: { commit: 'b'.repeat(40), ref: 'ccasp-tip/p/T1', branch: 'main' } };
    expect(parseAttemptJob(JSON.parse(JSON.stringify(after)))).toEqual({ ok: true, job: after });
    expect(parseAttemptJob({ ...after, mergeTip: { ...after.mergeTip, commit: 'main' } })).toEqual({ ok: false, message: 'mergeTip.commit: is not a commit id' });
    expect(parseAttemptJob({ ...after, mergeTip: { commit: 'b'.repeat(40), branch: 'main' } })).toMatchObject({ ok: false, message: expect.stringMatching(/^mergeTip\.ref: /) });
  });

  it("read a worker's unresolved files and setup output, and refuse them empty or past the bound", () => {
    const attempt = { end: { kind: 'exited', code: 0 }, apiRetries: [], sessionId: 's', stderrTail: '', startedAt: 't', finishedAt: 't', durationMs: 1 };
    const result = { protocol: QUEUE_PROTOCOL, worker: 'w', attempt, transcript: '', unresolved: ['src/a.txt'], setupOutput: 'added 12 packages' };
    expect(parseAttemptJobResult(result)).toEqual({ ok: true, result });
    expect(parseAttemptJobResult({ ...result, unresolved: [] })).toMatchObject({ ok: false, message: expect.stringMatching(/^unresolved: /) });
    expect(parseAttemptJobResult({ ...result, setupOutput: 'x'.repeat(SETUP_OUTPUT_MAX + 1) })).toMatchObject({ ok: false, message: expect.stringMatching(/^setupOutput: /) });
  });

  it('carry the session a retry asks to continue, checked', () => {
    const resume = { fromAttempt: 1, sessionId: '0b7c3f4e-3f5a-4a8e-9a55-2f0c8d6f1e20', cutOff: 'stalled' as const, reason: 'stalled', tokensSaved: 10 };
    const resuming = { ...job, request: { ...job.request, attempt: 2, resume } };
    expect(parseAttemptJob(JSON.parse(JSON.stringify(resuming)))).toEqual({ ok: true, job: resuming });
    expect(parseAttemptJob({ ...resuming, request: { ...resuming.request, resume: { ...resume, cutOff: 'bored' } } })).toMatchObject({
      ok: false,
      message: expect.stringMatching(/^request\.resume\.cutOff: /),
    });
  });

  it("read back a worker's result with the session it continued and the files' fingerprint", () => {
    const attempt = { end: { kind: 'stalled', afterMs: 1000 }, apiRetries: [], sessionId: job.request.sessionId, stderrTail: '', startedAt: 'a', finishedAt: 'b', durationMs: 1 };
    const result = { protocol: QUEUE_PROTOCOL, worker: 'w', attempt: { ...attempt, resumed: '0b7c3f4e-3f5a-4a8e-9a55-2f0c8d6f1e20' }, transcript: '', fingerprint: 'b'.repeat(40) };
    expect(parseAttemptJobResult(result)).toEqual({ ok: true, result });
    expect(parseAttemptJobResult({ ...result, fingerprint: 'src/a.txt' })).toEqual({ ok: false, message: 'fingerprint: is not a git tree id' });
  });

  it("refuse a worker's result that lacks what the coordinator records", () => {
    expect(parseAttemptJobResult({ protocol: QUEUE_PROTOCOL, worker: 'w', transcript: '' })).toMatchObject({ ok: false, message: expect.stringMatching(/^attempt: /) });
  });
});

describe('withoutCredentials', () => {
  it('takes user name and password out of a URL and leaves other addresses as they are', () => {
    expect(withoutCredentials('rediss://user:secret@redis.example.com:6380/0')).toBe('rediss://redis.example.com:6380/0');
    expect(withoutCredentials('https://x-access-token:ghs_abc@github.com/o/r.git')).toBe('https://github.com/o/r.git');
    expect(withoutCredentials('redis://127.0.0.1:6379')).toBe('redis://127.0.0.1:6379');
    expect(withoutCredentials('git@github.com:o/r.git')).toBe('git@github.com:o/r.git');
    expect(withoutCredentials('/srv/git/r.git')).toBe('/srv/git/r.git');
  });
});
