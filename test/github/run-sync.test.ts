import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { outboxPath } from '../../src/state/paths.js';
import { startGithub, WRITES, type GithubServer } from '../support/github-server.js';
import { scriptedAgent } from '../support/agents.js';
import { runCli } from '../support/cli.js';
import { makeProject, readStateJson as readState } from '../support/files.js';

const TOKEN = 'ghp_EndToEndToken0123456789abcdefghijkl';

function github(): Promise<GithubServer> {
  return startGithub({ token: TOKEN, owner: 'acme', repo: 'widgets', issues: [12] });
}

function twoPhases() {
  return makeProject({
    plan_id: 'gh-plan',
    name: 'Synced plan',
    github: { owner: 'acme', repo: 'widgets', issue: 12 },
    phases: [
      { id: 'P1', name: 'One', tasks: [{ id: 'T1', title: 'Make a.txt', file: 'a.txt', status: 'pending' }] },
      { id: 'P2', name: 'Two', tasks: [{ id: 'T2', title: 'Make b.txt', file: 'b.txt', status: 'pending', dependencies: ['T1'] }] },
    ],
  });
}

/** `ccasp run` with GitHub sync, through the built CLI with a stand-in for claude and a fake GitHub. */
describe('ccasp run with GitHub sync', () => {
  it('keeps one status comment, reports phases, labels progress, closes the issue, and never shows the token', async () => {
    const dir = twoPhases();
    const gh = await github();
    const env = scriptedAgent().env({ GH_TOKEN: TOKEN, GITHUB_API_URL: gh.baseUrl });
    const r = await runCli(['run', 'plan'], { cwd: dir, env });
    expect(r.code, r.stdout + r.stderr).toBe(0);

    const issue = gh.issues.get(12)!;
    expect(issue.state).toBe('closed');
    expect(issue.labels).toEqual(['progress:100%']);
    const markers = issue.comments.map((c) => /<!-- ccasp:gh-plan:([^ ]+) -->/.exec(c.body)?.[1]);
    expect(markers.every((m) => m !== undefined)).toBe(true);
    expect(new Set(markers).size).toBe(markers.length);
    // One sticky status comment edited in place, one per phase completed, one for the finished plan.
    expect(issue.comments.filter((c) => c.body.includes('- [x] **T1** Make a.txt')).length).toBe(1);
    expect(issue.comments.some((c) => c.updatedAt !== c.createdAt)).toBe(true);
    for (const c of issue.comments) expect(c.body).not.toContain(TOKEN);
    for (const q of gh.requests) expect(q.body).not.toContain(TOKEN);
    expect(r.stdout + r.stderr).not.toContain(TOKEN);

    expect(readState(dir).githubConfig).toMatchObject({ enabled: true, owner: 'acme', repo: 'widgets', issueNumber: 12, pending: 0 });
    expect(readState(dir).githubConfig?.lastSyncAt).toMatch(/^\d{4}-\d\d-\d\dT/);
    // A second run of the finished plan posts nothing new.
    const before = issue.comments.length;
    const again = await runCli(['run', 'plan'], { cwd: dir, env });
    expect(again.code).toBe(0);
    expect(issue.comments.length).toBe(before);
    expect(JSON.stringify(readState(dir))).not.toContain(TOKEN);
  });

  it('GitHub failing one write in three: the run still ends with the issue closed and nothing left in the outbox', async () => {
    const dir = twoPhases();
    const gh = await github();
    gh.inject({ kind: 'status', status: 502 }, { method: WRITES, every: 3, times: 1000 });
    const env = scriptedAgent().env({ GH_TOKEN: TOKEN, GITHUB_API_URL: gh.baseUrl });
    const r = await runCli(['run', 'plan'], { cwd: dir, env });
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(gh.requests.filter((q) => q.fault === 'status').length).toBeGreaterThan(1);
    const issue = gh.issues.get(12)!;
    expect(issue.state).toBe('closed');
    expect(issue.comments.some((c) => c.body.includes('<!-- ccasp:gh-plan:run.completed -->'))).toBe(true);
    expect(readState(dir).githubConfig?.pending).toBe(0);
    expect(readFileSync(outboxPath(dir), 'utf8')).toBe('');
  });

  it('goes on without GitHub when it is down, keeping the events in the outbox for ccasp sync', async () => {
    const dir = twoPhases();
    const gh = await github();
    gh.inject({ kind: 'status', status: 503 }, { times: 1000 });
    const env = scriptedAgent().env({ GH_TOKEN: TOKEN, GITHUB_API_URL: gh.baseUrl });
    const r = await runCli(['run', 'plan'], { cwd: dir, env });
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(gh.issues.get(12)!.comments).toEqual([]);
    expect(readState(dir).githubConfig?.pending).toBeGreaterThan(0);

    const healed = await github();
    const sync = await runCli(['sync', 'plan', '--json'], { cwd: dir, env: { ...env, GITHUB_API_URL: healed.baseUrl } });
    expect(sync.code, sync.stdout + sync.stderr).toBe(0);
    const issue = healed.issues.get(12)!;
    expect(issue.comments.length).toBeGreaterThan(0);
    expect(issue.state).toBe('closed');
  });
});
