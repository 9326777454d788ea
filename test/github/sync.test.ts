import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { GithubFlags } from '../../src/github/options.js';
import type { Plan } from '../../src/plan/model.js';
import { createRedactor } from '../../src/secrets/redact.js';
import { outboxPath } from '../../src/state/paths.js';
import { ev, markerIds, startHarness, startServer, successfulRun, twoPhasePlan } from './helpers.js';

describe('GitHub sync from run events', () => {
  it('comments mode: a comment per completed task, a phase comment per phase, success, then the issue closes', async () => {
    const server = await startServer();
    const h = await startHarness(server, { githubMode: 'comments' });
    h.emit(...successfulRun());
    const status = await h.sync.drain(10_000);

    expect(status.pending).toBe(0);
    expect(markerIds(server)).toEqual(['task.P1.1.done.1', 'task.P1.2.done.1', 'phase.P1.done', 'task.P2.1.done.1', 'phase.P2.done', 'run.completed']);
    const [first] = server.issue(7).comments;
    expect(first!.body).toContain('P1.1 · Todo model');
    expect(first!.body).toContain('> did P1.1');
    expect(first!.body).toContain('| Attempts | 1 |');
    expect(first!.body).toContain('| Tokens | 1,234 |');
    expect(first!.body).toContain('| Cost | $0.0123 |');
    expect(first!.body).toContain('| Duration | 1m 05s |');
    expect(first!.body).toContain('`src/P1.1.js`');
    expect(first!.body).toMatch(/<!-- ccasp:todo-service:task\.P1\.1\.done\.1 -->$/);
    const phaseComment = server.issue(7).comments[2]!.body;
    expect(phaseComment).toContain('| P1 | Foundation | ✅ completed | 2/2 |');
    expect(phaseComment).toContain('| P2 | API | ⏳ pending | 0/1 |');
    expect(server.issue(7).comments.at(-1)!.body).toContain('Plan complete: Todo service');
    expect(server.issue(7).comments.at(-1)!.body).toContain('| Tokens saved by resuming cut-off sessions | 1,700 |');

    expect(server.issue(7).labels).toEqual(['progress:100%']);
    expect(server.issue(7).state).toBe('closed');
    expect(server.issue(7).stateReason).toBe('completed');
    // Closed only after the success comment was posted.
    const order = server.requests.filter((r) => r.method !== 'GET').map((r) => `${r.method} ${r.path}`);
    expect(order.indexOf('PATCH /repos/acme/widgets/issues/7')).toBeGreaterThan(order.lastIndexOf('POST /repos/acme/widgets/issues/7/comments'));
    expect(readFileSync(outboxPath(h.root), 'utf8')).toBe('');
  });

  it('sticky mode: one status comment edited in place, with a checklist and a progress bar', async () => {
    const server = await startServer();
    const h = await startHarness(server, { githubMode: 'sticky' });
    const events = successfulRun();
    h.emit(...events.slice(0, 4));
    await h.sync.drain(10_000);
    // A second run finds the status comment by its marker and edits it.
    const plan = twoPhasePlan();
    const resumed = { ...plan, phases: plan.phases.map((p) => ({ ...p, tasks: p.tasks.map((t) => (t.id === 'P1.1' ? { ...t, status: 'completed' as const } : t)) })) };
    const h2 = await startHarness(server, { githubMode: 'sticky' }, { root: h.root, plan: resumed });
    h2.emit(...events.slice(4));
    await h2.sync.drain(10_000);

    const ids = markerIds(server);
    expect(ids.filter((id) => id === 'status')).toHaveLength(1);
    expect(ids).toEqual(['status', 'phase.P1.done', 'phase.P2.done', 'run.completed']);
    expect(server.count('POST', /issues\/7\/comments$/)).toBe(4);
    expect(server.count('PATCH', /issues\/comments\/\d+$/)).toBeGreaterThan(0);
    const sticky = server.issue(7).comments[0]!.body;
    expect(sticky).toContain('**100%** · 3 of 3 tasks · 2 of 2 phases');
    expect(sticky).toContain('`████████████████████`');
    expect(sticky).toContain('- [x] **P1.1** Todo model');
    expect(sticky).toContain('- [x] **P2.1** HTTP routes');
    expect(sticky).toContain('**Plan complete.**');
  });

  it('sticky mode shows work in progress and blockers on the checklist', async () => {
    const server = await startServer();
    const h = await startHarness(server, { githubMode: 'sticky' });
    h.emit(
      ev.started(),
      ev.phaseStarted('P1', 'Foundation'),
      ev.taskStarted('P1.1', 'Todo model'),
      ev.taskStarted('P1.2', 'Storage', 3),
      ev.taskBlocked('P1.2', 'Storage', 'no database credentials'),
    );
    await h.sync.drain(10_000);
    const sticky = server.issue(7).comments[0]!.body;
    expect(sticky).toContain('`░░░░░░░░░░░░░░░░░░░░` **0%** · 0 of 3 tasks · 0 of 2 phases');
    expect(sticky).toContain('### 🔄 P1 · Foundation (0/2)');
    expect(sticky).toContain('- [ ] **P1.1** Todo model · 🔄 in progress');
    expect(sticky).toContain('- [ ] **P1.2** Storage · ⛔ blocked: no database credentials');
    // Blockers still get a comment of their own: they need a person, so they should notify.
    expect(markerIds(server)).toEqual(['status', 'task.P1.2.blocked.a3']);
  });

  it('blocked tasks and failed phases: a comment naming the blocker and what a person must do', async () => {
    const server = await startServer();
    const h = await startHarness(server);
    h.emit(
      ev.started(),
      ev.taskStarted('P1.2', 'Storage', 2),
      ev.taskBlocked('P1.2', 'Storage', 'no database credentials'),
      ev.phaseFailed('P1', 'Foundation', 'P1.1: TASK_FAILED: the spec contradicts itself'),
      ev.finished('blocked', 1),
    );
    await h.sync.drain(10_000);

    const ids = markerIds(server);
    expect(ids[0]).toBe('task.P1.2.blocked.a2');
    expect(ids[1]).toMatch(/^phase\.P1\.failed\.[0-9a-f]{10}$/);
    const [blocked, failed] = server.issue(7).comments.map((c) => c.body);
    expect(blocked).toContain('**Blocker:** no database credentials');
    expect(blocked).toContain('**What a person must do:** give the agent database credentials');
    expect(blocked).toContain('`ccasp unblock P1.2`');
    expect(failed).toContain('**Reason:** P1.1: TASK_FAILED: the spec contradicts itself');
    expect(server.issue(7).state).toBe('open');
  });

  it('labels: the old progress label is removed, the new one added, missing labels created', async () => {
    const server = await startServer();
    server.repoLabels.set('progress:0%', { color: 'ededed', description: null });
    server.repoLabels.set('bug', { color: 'ff0000', description: null });
    server.issue(7).labels = ['bug', 'progress:0%'];
    const h = await startHarness(server);
    h.emit(ev.phaseCompleted('P1', 'Foundation', 50));
    await h.sync.drain(10_000);
    expect(server.issue(7).labels).toEqual(['bug', 'progress:50%']);
    expect(server.repoLabels.get('progress:50%')).toEqual({ color: '9be9a8', description: "ccasp: 50% of the plan's phases are complete" });
    expect(server.count('POST', /\/labels$/)).toBe(2); // created in the repository, then added to the issue

    const h2 = await startHarness(server, {}, { root: h.root });
    h2.emit(ev.phaseCompleted('P2', 'API', 100));
    await h2.sync.drain(10_000);
    expect(server.issue(7).labels).toEqual(['bug', 'progress:100%']);
    expect(server.repoLabels.has('progress:50%')).toBe(true); // removed from the issue, not deleted
  });

  it('--no-close: the success comment says so and the issue stays open', async () => {
    const server = await startServer();
    const h = await startHarness(server, { close: false });
    h.emit(...successfulRun());
    await h.sync.drain(10_000);
    expect(server.issue(7).comments.at(-1)!.body).toContain('Leaving this issue open (`--no-close`).');
    expect(server.issue(7).state).toBe('open');
    expect(server.count('PATCH', /issues\/7$/)).toBe(0);
  });

  it("the plan's auto_close: false keeps its own issue open; an issue named by --github still closes", async () => {
    const server = await startServer();
    const plan = { ...twoPhasePlan(), github: { owner: 'acme', repo: 'widgets', issue: 7, autoClose: false } };
    const own = await startHarness(server, { github: undefined }, { plan });
    own.emit(...successfulRun());
    await own.sync.drain(10_000);
    expect(server.issue(7).comments.at(-1)!.body).toContain('Leaving this issue open (the plan sets `auto_close: false`).');
    expect(server.issue(7).state).toBe('open');

    const other = await startServer();
    const named = await startHarness(other, {}, { plan });
    named.emit(...successfulRun());
    await named.sync.drain(10_000);
    expect(other.issue(7).state).toBe('closed');
  });

  it('is off, with one notice, when the plan links an issue but no token is found; and silent without a link', async () => {
    const { resolveGithubTarget, startGithubSync } = await import('../../src/github/start.js');
    const notices: string[] = [];
    const start = async (plan: Plan, flags: GithubFlags) => {
      const target = await resolveGithubTarget({ plan, projectRoot: '/nowhere', flags, env: {}, ghAuthToken: async () => undefined });
      return startGithubSync(target, { plan, projectRoot: '/nowhere', flags, redact: createRedactor([]), notify: (n) => notices.push(n.message) });
    };
    const linked = { ...twoPhasePlan(), github: { owner: 'acme', repo: 'widgets', issue: 7 } };
    expect(await start(linked, { githubMode: 'sticky', close: true })).toBeUndefined();
    expect(notices).toEqual([expect.stringMatching(/^GitHub sync is off for acme\/widgets#7: no GitHub token: pass --github-token, set GH_TOKEN/)]);
    expect(await start(twoPhasePlan(), { githubMode: 'sticky', close: true })).toBeUndefined();
    expect(await start(linked, { github: false, githubMode: 'sticky', close: true })).toBeUndefined();
    expect(notices).toHaveLength(1);
  });
});
