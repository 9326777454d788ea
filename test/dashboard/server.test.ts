import { appendFileSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { request, type IncomingMessage } from 'node:http';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { RunSource } from '../../src/dashboard/run-source.js';
import { startDashboard, type DashboardServer } from '../../src/dashboard/server.js';
import type { DashboardView } from '../../src/dashboard/view.js';
import { loadPlan } from '../../src/plan/load.js';
import { scriptedAgent } from '../support/agents.js';
import { runCli } from '../support/cli.js';
import { makeProject, orchestratorDir, planFile, readStateJson, stateFile } from '../support/files.js';

/** The dashboard's server against runs on disk: who gets in, and what it pushes as the files change. */

const eventsFile = (project: string) => path.join(orchestratorDir(project), 'events.jsonl');

/** A project with a plan and no run yet. */
function planOnly(): string {
  const task = (id: string, file: string, dependencies: string[] = []) => ({ id, title: `Make ${file}`, file, status: 'pending', dependencies });
  return makeProject({ name: 'Served plan', phases: [{ id: 'P1', name: 'Only', tasks: [task('T1', 'a.txt'), task('T2', 'b.txt', ['T1'])] }] });
}

/** The same project once a run has done it all. */
async function finishedRun(): Promise<string> {
  const dir = planOnly();
  const r = await runCli(['run', 'plan'], { cwd: dir, env: scriptedAgent().env() });
  expect(r.code, r.stderr).toBe(0);
  return dir;
}

let open: { server: DashboardServer; source: RunSource } | undefined;
afterEach(async () => {
  open?.source.stop();
  await open?.server.close();
  open = undefined;
});

/** The server on `dir`; `source` is the run as it reads it, to make it look at the files now. */
async function serve(dir: string): Promise<{ url: URL; token: string; source: RunSource }> {
  const source = new RunSource(await loadPlan(planFile(dir)), dir, 'plan/PROGRESS.json');
  await source.start();
  const server = await startDashboard({ source, root: dir, port: 0 });
  open = { server, source };
  const url = new URL(server.url);
  return { url, token: url.searchParams.get('token')!, source };
}

interface Reply {
  status: number;
  body: string;
}

/** A raw request, so that the Host header is the test's to set. */
function get(url: URL, pathAndQuery: string, headers: Record<string, string> = {}, method = 'GET'): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port: url.port, path: pathAndQuery, method, headers: { host: url.host, ...headers } }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

interface Sse {
  /** Waits for the next message named `name` whose data passes `ok`. */
  next<T>(name: string, ok?: (data: T) => boolean): Promise<T>;
  /** Every message so far, in order. */
  all(): readonly { name: string; data: unknown }[];
  close(): void;
}

function sse(url: URL, token: string): Promise<Sse> {
  return new Promise((resolve, reject) => {
    const seen: { name: string; data: unknown }[] = [];
    const all: { name: string; data: unknown }[] = [];
    const waiters: { name: string; ok: (d: unknown) => boolean; resolve: (d: unknown) => void }[] = [];
    const deliver = () => {
      for (const w of [...waiters]) {
        const at = seen.findIndex((m) => m.name === w.name && w.ok(m.data));
        if (at < 0) continue;
        const [m] = seen.splice(0, at + 1).slice(-1);
        waiters.splice(waiters.indexOf(w), 1);
        w.resolve(m!.data);
      }
    };
    const req = request({ host: '127.0.0.1', port: url.port, path: `/events?token=${token}`, headers: { host: url.host } }, (res: IncomingMessage) => {
      expect(res.headers['content-type']).toMatch(/^text\/event-stream/);
      let buffer = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => {
        buffer += d;
        let end: number;
        while ((end = buffer.indexOf('\n\n')) >= 0) {
          const block = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          const name = /^event: (.*)$/m.exec(block)?.[1];
          const data = /^data: (.*)$/m.exec(block)?.[1];
          if (name && data) {
            seen.push({ name, data: JSON.parse(data) as unknown });
            all.push(seen.at(-1)!);
          }
        }
        deliver();
      });
      resolve({
        next: <T>(name: string, ok: (data: T) => boolean = () => true) =>
          new Promise<T>((done) => {
            waiters.push({ name, ok: ok as (d: unknown) => boolean, resolve: done as (d: unknown) => void });
            deliver();
          }),
        all: () => all,
        close: () => req.destroy(),
      });
    });
    req.on('error', reject);
    req.end();
  });
}

const notice = (message: string) => `${JSON.stringify({ time: new Date().toISOString(), type: 'run.notice', level: 'info', message })}\n`;
type TimedEvents = { event: { type: string; message?: string } }[];
const hasNotice = (message: string) => (events: TimedEvents) => events.some((e) => e.event.message === message);

describe('ccasp dashboard server', () => {
  it('refuses every route without the right token (403), and serves them with it', async () => {
    const { url, token } = await serve(planOnly());
    for (const route of ['/', '/app.js', '/app.css', '/events', '/transcript']) {
      expect((await get(url, route)).status, route).toBe(403);
      expect((await get(url, `${route}?token=${token.slice(0, -1)}x`)).status, route).toBe(403);
      expect((await get(url, `${route}?token=${token}x`)).status, route).toBe(403);
    }
    const page = await get(url, `/?token=${token}`);
    expect(page.status).toBe(200);
    expect(page.body).toContain(`/app.js?token=${token}`);
    expect((await get(url, `/app.js?token=${token}`)).status).toBe(200);
  });

  it('refuses a Host other than its own address (DNS rebinding), and anything but GET', async () => {
    const { url, token } = await serve(planOnly());
    expect((await get(url, `/?token=${token}`, { host: `evil.example:${url.port}` })).status).toBe(403);
    expect((await get(url, `/?token=${token}`, { host: `127.0.0.1:${Number(url.port) + 1}` })).status).toBe(403);
    expect((await get(url, `/?token=${token}`, { host: `localhost:${url.port}` })).status).toBe(200);
    expect((await get(url, `/?token=${token}`, {}, 'POST')).status).toBe(405);
    expect((await get(url, `/?token=${token}`, {}, 'DELETE')).status).toBe(405);
  });

  it("shows a finished run as state.json tells it, and a task's transcript as ccasp logs reads it", async () => {
    const dir = await finishedRun();
    const { url, token } = await serve(dir);
    const events = await sse(url, token);
    const view = await events.next<DashboardView>('view');
    events.close();
    const state = readStateJson(dir);
    expect(view.run.state).toBe('finished');
    expect(view.run.message).toMatch(/^Finished/);
    expect(view.plan.name).toBe('Served plan');
    expect(view.progress).toEqual({ tasksDone: 2, tasksTotal: 2, phasesDone: 1, phasesTotal: 1 });
    expect(view.budget.tokens).toBe(state.tokenBudget.used);
    expect(view.budget.costUsd).toBe(state.tokenBudget.costUsd);
    expect(view.tasks.map((t) => [t.id, t.status, t.attempts, t.dependencies])).toEqual([
      ['T1', 'completed', 1, []],
      ['T2', 'completed', 1, ['T1']],
    ]);
    expect(view.tasks[0]!.specialist).toBeTruthy();
    expect(view.run.startedAt).not.toBeNull();
    expect(view.run.finishedAt).not.toBeNull();

    const transcript = JSON.parse((await get(url, `/transcript?task=T1&token=${token}`)).body) as { attempts: { attempt: number; lines: string[] }[] };
    expect(transcript.attempts.map((a) => a.attempt)).toEqual([1]);
    expect(transcript.attempts[0]!.lines.join('\n')).toContain('TASK_COMPLETE: T1');
  });

  it('pushes events as they are appended, a torn line only once it is whole, and starts over for a new run', async () => {
    const dir = await finishedRun();
    const { url, token, source } = await serve(dir);
    const events = await sse(url, token);
    await events.next<TimedEvents>('events', (e) => e.some((x) => x.event.type === 'run.finished'));

    appendFileSync(eventsFile(dir), notice('appended'));
    await events.next<TimedEvents>('events', hasNotice('appended'));

    const torn = notice('torn');
    appendFileSync(eventsFile(dir), torn.slice(0, 30));
    // The half line is read, and must be neither sent nor lost.
    await source.refresh();
    appendFileSync(eventsFile(dir), torn.slice(30) + notice('after'));
    await events.next<TimedEvents>('events', hasNotice('after'));
    const notices = events
      .all()
      .filter((m) => m.name === 'events')
      .flatMap((m) => (m.data as TimedEvents).map((e) => e.event.message));
    expect(notices.filter((m) => m === 'torn')).toHaveLength(1);
    expect(notices.indexOf('torn')).toBeLessThan(notices.indexOf('after'));

    rmSync(eventsFile(dir));
    writeFileSync(eventsFile(dir), notice('a new run'));
    await events.next('reset');
    await events.next<TimedEvents>('events', hasNotice('a new run'));
    events.close();
  });

  it('says plainly when no run is going on: none yet, paused, or killed (active in state.json, no live lock)', async () => {
    const fresh = await serve(planOnly());
    const first = await sse(fresh.url, fresh.token);
    expect((await first.next<DashboardView>('view')).run).toMatchObject({ state: 'not-started', message: 'Not running: no run of this plan yet' });
    first.close();

    const dir = await finishedRun();
    const { url, token, source } = await serve(dir);
    const events = await sse(url, token);
    await events.next<DashboardView>('view', (v) => v.run.state === 'finished');
    for (const [status, state] of [
      ['paused', 'paused'],
      ['active', 'interrupted'],
    ] as const) {
      const json = JSON.parse(readFileSync(stateFile(dir), 'utf8')) as { status: string };
      writeFileSync(stateFile(dir), JSON.stringify({ ...json, status }));
      await source.refresh();
      const view = await events.next<DashboardView>('view', (v) => v.run.state === state);
      expect(view.run.message).toMatch(/^Not running: /);
    }
    events.close();
  });

  it('a page opened late gets the same view and the recent events', async () => {
    const dir = await finishedRun();
    const { url, token } = await serve(dir);
    const first = await sse(url, token);
    const a = await first.next<DashboardView>('view');
    const second = await sse(url, token);
    const b = await second.next<DashboardView>('view');
    const recent = await second.next<TimedEvents>('events');
    first.close();
    second.close();
    expect({ ...b, run: { ...b.run, now: '' } }).toEqual({ ...a, run: { ...a.run, now: '' } });
    expect(recent.map((e) => e.event.type)).toContain('run.started');
  });
});
