import { readFileSync, writeFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { flushOutbox } from '../../src/github/flush.js';
import { marker } from '../../src/github/markers.js';
import { outboxPath } from '../../src/state/paths.js';
import type { Notice } from '../../src/github/worker.js';
import { WRITES } from '../support/github-server.js';
import { until } from '../support/until.js';
import { ANTHROPIC_KEY, ev, markerIds, startHarness, startServer, successfulRun, TOKEN } from './helpers.js';

const COMMENTS = /\/issues\/7\/comments$/;
const LIST_COMMENTS = /\/issues\/7\/comments\?/;

describe('delivery when GitHub misbehaves', () => {
  it('the subscriber only queues: nothing is sent while the event is being handled', async () => {
    const server = await startServer();
    const h = await startHarness(server);
    h.emit(ev.taskCompleted('P1.1', 'Todo model'));
    expect(server.requests).toHaveLength(0);
    await h.sync.drain(10_000);
    expect(markerIds(server)).toEqual(['task.P1.1.done.1']);
  });

  it("with GitHub's write pacing (the default outside tests), delivery works the same", async () => {
    const server = await startServer();
    const h = await startHarness(server, {}, { client: { retryAfterBaseMs: 1 } });
    h.emit(ev.taskCompleted('P1.1', 'Todo model'));
    await h.sync.drain(10_000);
    expect(markerIds(server)).toEqual(['task.P1.1.done.1']);
  });

  it('5xx on reads and idempotent writes is retried by plugin-retry, a bounded number of times', async () => {
    const server = await startServer();
    server.inject({ kind: 'status', status: 502 }, { method: 'GET', path: COMMENTS, times: 2 });
    server.inject({ kind: 'status', status: 500 }, { method: 'PATCH', path: /\/issues\/7$/, times: 3 });
    const h = await startHarness(server);
    h.emit(ev.taskCompleted('P1.1', 'Todo model'), ev.finished('completed'));
    // During the run, that is: a drain does its own quick retries instead.
    await until(() => (server.issue(7).state === 'closed' ? true : undefined), 'the issue closed');
    const status = await h.sync.drain(10_000);
    expect(status.pending).toBe(0);
    expect(server.requests.filter((r) => r.method === 'GET' && LIST_COMMENTS.test(r.path))).toHaveLength(3);
    expect(server.requests.filter((r) => r.method === 'PATCH')).toHaveLength(4); // 3 failures + 1, the plugin's limit
    expect(server.issue(7).state).toBe('closed');
    expect(h.notices.filter((n) => n.level === 'warning')).toEqual([]);
  });

  it('a failed comment post is never retried blindly: the issue is checked for its marker first', async () => {
    const server = await startServer();
    server.inject({ kind: 'status', status: 503 }, { method: 'POST', path: COMMENTS });
    const h = await startHarness(server);
    h.emit(ev.taskCompleted('P1.1', 'Todo model'));
    await h.sync.drain(10_000);
    expect(server.requests.filter((r) => r.method === 'POST' && COMMENTS.test(r.path)).map((r) => r.fault ?? 'ok')).toEqual(['status', 'ok']);
    expect(server.requests.filter((r) => r.method === 'GET' && LIST_COMMENTS.test(r.path))).toHaveLength(2);
    expect(markerIds(server)).toEqual(['task.P1.1.done.1']);
  });

  it('exactly once: a post that took effect but whose answer was lost (dropped connection) is not posted again', async () => {
    const server = await startServer();
    server.inject({ kind: 'drop-after' }, { method: 'POST', path: COMMENTS });
    const h = await startHarness(server);
    h.emit(ev.taskCompleted('P1.1', 'Todo model'), ev.taskCompleted('P1.2', 'Storage'));
    const status = await h.sync.drain(10_000);
    expect(status.pending).toBe(0);
    expect(markerIds(server)).toEqual(['task.P1.1.done.1', 'task.P1.2.done.1']);
    expect(server.requests.filter((r) => r.method === 'POST').length).toBe(2);
    expect(status.delivered.map((d) => [d.entry.id, d.posted])).toEqual([
      ['task.P1.1.done.1', false], // found on the issue by its marker
      ['task.P1.2.done.1', true],
    ]);
  });

  it('a connection dropped before the request took effect is retried', async () => {
    const server = await startServer();
    server.inject({ kind: 'drop' }, { method: 'GET', path: COMMENTS });
    server.inject({ kind: 'drop' }, { method: 'POST', path: COMMENTS });
    const h = await startHarness(server);
    h.emit(ev.taskCompleted('P1.1', 'Todo model'));
    await h.sync.drain(10_000);
    expect(markerIds(server)).toEqual(['task.P1.1.done.1']);
  });

  it.each([403, 429] as const)('a %i secondary rate limit is retried after its retry-after, by plugin-throttling only', async (status) => {
    const server = await startServer();
    server.inject({ kind: 'secondary-limit', status, retryAfter: 1 }, { method: 'POST', path: COMMENTS });
    const h = await startHarness(server);
    h.emit(ev.taskCompleted('P1.1', 'Todo model'));
    await h.sync.drain(10_000);
    expect(h.limits).toEqual([
      expect.objectContaining({ kind: 'secondary-limit', retryAfter: 1, retryCount: 0, willRetry: true, method: 'POST' }),
    ]);
    const posts = server.requests.filter((r) => r.method === 'POST' && COMMENTS.test(r.path));
    // Exactly one retry (plugin-retry did not also retry it early), sent as the first was.
    expect(posts.map((r) => r.fault ?? 'ok')).toEqual(['secondary-limit', 'ok']);
    expect(posts[1]!.headers.authorization).toBe(posts[0]!.headers.authorization);
    expect(posts[1]!.headers['user-agent']).toMatch(/^ccasp\//);
    expect(markerIds(server)).toEqual(['task.P1.1.done.1']);
  });

  it('a primary rate limit waits for x-ratelimit-reset', async () => {
    const server = await startServer();
    server.inject({ kind: 'primary-limit', resetInSeconds: 1 }, { method: 'GET', path: COMMENTS });
    const h = await startHarness(server);
    h.emit(ev.taskCompleted('P1.1', 'Todo model'));
    await h.sync.drain(10_000);
    expect(h.limits).toEqual([expect.objectContaining({ kind: 'rate-limit', willRetry: true })]);
    expect(h.limits[0]!.retryAfter).toBeGreaterThanOrEqual(1);
    expect(h.limits[0]!.retryAfter).toBeLessThanOrEqual(3);
    expect(markerIds(server)).toEqual(['task.P1.1.done.1']);
  });

  it('a long retry-after is waited out in the background: the drain does not wait for it, the outbox keeps the event', async () => {
    const server = await startServer();
    server.inject({ kind: 'secondary-limit', status: 429, retryAfter: 3600 }, { method: 'GET', path: COMMENTS });
    const h = await startHarness(server);
    h.emit(ev.taskCompleted('P1.1', 'Todo model'));
    const started = Date.now();
    const status = await h.sync.drain(2_000);
    expect(Date.now() - started).toBeLessThan(1_900);
    expect(h.limits).toEqual([expect.objectContaining({ retryAfter: 3600, willRetry: false })]);
    expect(status.pending).toBe(1);
    expect(h.notices.filter((n) => n.level === 'warning')).toEqual([
      expect.objectContaining({ message: expect.stringMatching(/^GitHub sync: could not deliver to GitHub \(You have exceeded a secondary rate limit/) }),
    ]);
    expect(readFileSync(outboxPath(h.root), 'utf8')).toContain('"id":"task.P1.1.done.1"');
  });

  it('a retry the run put off on its slow schedule is tried again at once when the run ends', async () => {
    const server = await startServer();
    server.inject({ kind: 'status', status: 503 }, { method: 'POST', path: COMMENTS });
    const h = await startHarness(server, {}, { backoff: { firstMs: 60_000, maxMs: 60_000 } });
    h.emit(ev.taskCompleted('P1.1', 'Todo model'));
    await until(() => (h.notices.some((n) => n.level === 'warning') ? true : undefined), 'the failed post');
    const status = await h.sync.drain(10_000);
    expect(status.pending).toBe(0);
    expect(markerIds(server)).toEqual(['task.P1.1.done.1']);
  });

  it('GitHub that fails one write in three at the end of a run: the drain retries quickly and delivers everything', async () => {
    const server = await startServer();
    server.inject({ kind: 'status', status: 502 }, { method: WRITES, every: 3, times: 1000 });
    const h = await startHarness(server, {}, { backoff: { firstMs: 60_000, maxMs: 60_000 } });
    h.emit(...successfulRun());
    const status = await h.sync.drain(10_000);
    expect(server.requests.filter((r) => r.fault === 'status').length).toBeGreaterThan(1);
    expect(status.pending).toBe(0);
    expect(markerIds(server)).toEqual(['task.P1.1.done.1', 'task.P1.2.done.1', 'phase.P1.done', 'task.P2.1.done.1', 'phase.P2.done', 'run.completed']);
    expect(server.issue(7).state).toBe('closed');
  });

  it('a real outage ends the drain once nothing was delivered for its stall time; everything stays in the outbox', async () => {
    const server = await startServer();
    const h = await startHarness(server);
    await server.close(); // connections are refused from now on
    h.emit(...successfulRun());
    const status = await h.sync.drain(3_600_000, 1_000);
    expect(status.pending).toBe(8); // 6 comments, the label, closing
    expect(status.lastResult).toMatch(/^transient: /);
    expect(readFileSync(outboxPath(h.root), 'utf8').trim().split('\n')).toHaveLength(8);
  });

  it("a comment already on the issue's second page of comments is found, not posted again", async () => {
    const server = await startServer();
    const h = await startHarness(server);
    const comments = server.issue(7).comments;
    for (let i = 0; i < 150; i++) comments.push({ id: i + 1, body: i === 120 ? `done\n\n${marker('todo-service', 'task.P1.1.done.1')}` : `comment ${i}`, createdAt: '2026-01-01T00:00:00Z', updatedAt: '2026-01-01T00:00:00Z' });
    h.emit(ev.taskCompleted('P1.1', 'Todo model'));
    const status = await h.sync.drain(10_000);
    expect(status.delivered).toEqual([expect.objectContaining({ posted: false })]);
    expect(comments).toHaveLength(150);
  });

  it('401: sync stops for the run with one notice, nothing is thrown into the run, and events are kept', async () => {
    const server = await startServer();
    server.inject({ kind: 'bad-token' }, { times: 1000 });
    const h = await startHarness(server);
    expect(() => h.emit(...successfulRun())).not.toThrow();
    const status = await h.sync.drain(10_000);
    expect(status.disabled).toMatch(/GitHub refused the token given by --github-token \(401: Bad credentials/);
    const warnings = h.notices.filter((n) => n.level === 'warning');
    expect(warnings).toHaveLength(1);
    expect(warnings[0]!.message).toMatch(/^GitHub sync stopped: .*update\(s\) are kept in .*outbox\.jsonl; fix this, then run `ccasp sync`\.$/);
    // One request found out; nothing more was tried.
    expect(server.requests).toHaveLength(1);
    expect(status.pending).toBe(8); // 6 comments, the label, closing
    expect(server.issue(7).comments).toHaveLength(0);
  });

  it('exactly once across a resumed delivery of the same outbox (ccasp sync, twice, and a new run)', async () => {
    const server = await startServer();
    server.inject({ kind: 'bad-token' }, { times: 1 });
    const h = await startHarness(server);
    h.emit(...successfulRun());
    await h.sync.drain(10_000);
    const saved = readFileSync(outboxPath(h.root), 'utf8');
    expect(saved.trim().split('\n')).toHaveLength(8);

    const notices: Notice[] = [];
    const flush = () =>
      flushOutbox({
        projectRoot: h.root,
        flags: { githubToken: TOKEN, githubApiUrl: server.baseUrl },
        env: {},
        notify: (n) => notices.push(n),
        timeoutMs: 10_000,
        client: { retryAfterBaseMs: 1, paceWrites: false },
        backoff: { firstMs: 5, maxMs: 20 },
      });
    const first = await flush();
    expect(first.kind === 'flushed' && first.status.delivered.every((d) => d.posted)).toBe(true);
    const expected = ['task.P1.1.done.1', 'task.P1.2.done.1', 'phase.P1.done', 'task.P2.1.done.1', 'phase.P2.done', 'run.completed'];
    expect(markerIds(server)).toEqual(expected);

    // As if the first flush had died before saving the emptied outbox.
    writeFileSync(outboxPath(h.root), saved);
    const second = await flush();
    expect(second.kind === 'flushed' && second.status.delivered.filter((d) => d.entry.kind === 'comment').every((d) => !d.posted)).toBe(true);
    writeFileSync(outboxPath(h.root), saved);
    const rerun = await startHarness(server, {}, { root: h.root });
    await rerun.sync.drain(10_000);

    expect(markerIds(server)).toEqual(expected);
    expect(server.issue(7).state).toBe('closed');
    expect(server.issue(7).labels).toEqual(['progress:100%']);
    expect(readFileSync(outboxPath(h.root), 'utf8')).toBe('');
    expect(notices).toEqual([]);
  });

  it('the token and other secrets appear nowhere: not in comments, requests, the outbox or notices', async () => {
    const server = await startServer();
    server.inject({ kind: 'bad-token' }, { times: 1 });
    const h = await startHarness(server);
    const leaky = ev.taskCompleted('P1.1', 'Todo model', 1, `used ${TOKEN} and ${ANTHROPIC_KEY}; header Authorization: token ${TOKEN}`);
    h.emit(leaky, ev.taskBlocked('P1.2', 'Storage', `GH_TOKEN=${TOKEN} was rejected`));
    await h.sync.drain(10_000);
    const outbox = readFileSync(outboxPath(h.root), 'utf8');
    const rerun = await startHarness(server, {}, { root: h.root });
    await rerun.sync.drain(10_000);

    const everything = [
      outbox,
      ...server.issue(7).comments.map((c) => c.body),
      ...server.requests.map((r) => `${r.path}\n${r.body}`),
      ...[...h.notices, ...rerun.notices].map((n) => n.message),
    ].join('\n');
    expect(markerIds(server)).toEqual(['task.P1.1.done.1', expect.stringMatching(/^task\.P1\.2\.blocked\.h[0-9a-f]{10}$/)]);
    expect(everything).toContain('[REDACTED]');
    expect(everything).not.toContain(TOKEN);
    expect(everything).not.toContain(ANTHROPIC_KEY);
    // The one place it belongs: the authorization header.
    expect(server.requests.every((r) => r.headers.authorization === `token ${TOKEN}`)).toBe(true);
  });
});
