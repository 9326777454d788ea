import { Octokit } from '@octokit/rest';
import { describe, expect, it, onTestFinished } from 'vitest';
import { githubContract, IMPLEMENTED_OPERATIONS } from '../support/github-openapi.js';
import { GithubServer } from '../support/github-server.js';
import { startServer, TOKEN } from './helpers.js';

/**
 * The fake GitHub is held to GitHub's published OpenAPI description (@octokit/openapi): every request
 * it receives and every response it sends. These tests show that the check passes on every operation
 * the fake implements, errors included, and that it catches a wrong response and a wrong request.
 */

const owner = 'acme';
const repo = 'widgets';

/** A server whose contract errors the test inspects itself (startServer() asserts there are none). */
async function looseServer(): Promise<GithubServer> {
  const server = await GithubServer.start({ token: TOKEN, owner, repo, issues: [7] });
  onTestFinished(() => server.close());
  return server;
}

function octokit(server: GithubServer, token = TOKEN): Octokit {
  return new Octokit({ auth: token, baseUrl: server.baseUrl, log: { debug() {}, info() {}, warn() {}, error() {} } });
}

/** A raw request, for what Octokit's types would not let through. */
async function send(server: GithubServer, method: string, path: string, body?: string): Promise<number> {
  const res = await fetch(server.baseUrl + path, {
    method,
    headers: { authorization: `token ${TOKEN}`, 'content-type': 'application/json', accept: 'application/vnd.github+json' },
    ...(body === undefined ? {} : { body }),
  });
  await res.arrayBuffer();
  return res.status;
}

describe("the fake GitHub against GitHub's OpenAPI description", () => {
  it('every operation the fake implements, and its error answers, match the description', async () => {
    const server = await startServer(); // asserts, when the test ends, that contractErrors is empty
    const gh = octokit(server);
    const issue = { owner, repo, issue_number: 7 };

    await gh.rest.issues.get(issue);
    await gh.rest.issues.update({ ...issue, title: 'Renamed', state: 'closed', state_reason: 'not_planned' });
    await gh.rest.issues.update({ ...issue, state: 'open' });
    const { data: comment } = await gh.rest.issues.createComment({ ...issue, body: 'hello' });
    await gh.rest.issues.updateComment({ owner, repo, comment_id: comment.id, body: 'hello again' });
    await gh.rest.issues.listComments({ ...issue, per_page: 1, page: 1, since: '2026-01-01T00:00:00Z' });
    await gh.rest.issues.createLabel({ owner, repo, name: 'bug', color: 'f29513', description: "Something isn't working" });
    await gh.rest.issues.addLabels({ ...issue, labels: ['bug', 'progress:50%'] });
    await gh.rest.issues.listLabelsOnIssue(issue);
    await gh.rest.issues.removeLabel({ ...issue, name: 'progress:50%' });
    await gh.rest.issues.listLabelsForRepo({ owner, repo });
    await gh.rest.issues.getLabel({ owner, repo, name: 'bug' });

    await expect(gh.rest.issues.createLabel({ owner, repo, name: 'bug' })).rejects.toMatchObject({ status: 422 });
    await expect(gh.rest.issues.getLabel({ owner, repo, name: 'nope' })).rejects.toMatchObject({ status: 404 });
    await expect(gh.rest.issues.get({ ...issue, issue_number: 99 })).rejects.toMatchObject({ status: 404 });
    await expect(gh.rest.issues.removeLabel({ ...issue, name: 'nope' })).rejects.toMatchObject({ status: 404 });
    await expect(gh.rest.issues.updateComment({ owner, repo, comment_id: 999_999, body: 'x' })).rejects.toMatchObject({ status: 404 });
    await expect(octokit(server, 'ghp_wrong').rest.issues.get(issue)).rejects.toMatchObject({ status: 401 });
    server.inject({ kind: 'secondary-limit', status: 403, retryAfter: 60 });
    server.inject({ kind: 'primary-limit', resetInSeconds: 60 });
    server.inject({ kind: 'status', status: 503 });
    for (const status of [403, 403, 503]) await expect(gh.rest.issues.listComments(issue)).rejects.toMatchObject({ status });

    // Every implemented operation was exercised.
    const contract = githubContract();
    const reached = new Set(server.requests.map((r) => contract.match(r.method, new URL(r.path, server.baseUrl).pathname)?.key));
    expect(IMPLEMENTED_OPERATIONS.filter((op) => !reached.has(op))).toEqual([]);
  });

  it('catches a response GitHub would never send: missing and mistyped fields, an undocumented status, a bad error body', async () => {
    const server = await looseServer();
    const gh = octokit(server);
    const issue = { owner, repo, issue_number: 7 };
    server.inject({ kind: 'reply', status: 200, body: { id: '7', number: 7, title: 'Issue 7', state: 'open' } }, { method: 'GET', path: /\/issues\/7$/ });
    await gh.rest.issues.get(issue);
    server.inject({ kind: 'reply', status: 200, body: [{ id: 1, name: 'bug', color: 'ededed', default: false }] }, { method: 'GET', path: /\/labels$/ });
    await gh.rest.issues.listLabelsOnIssue(issue);
    server.inject({ kind: 'reply', status: 200, body: { id: 1 } }, { method: 'POST', path: /\/comments$/ });
    await gh.rest.issues.createComment({ ...issue, body: 'hi' });
    server.inject({ kind: 'reply', status: 422, body: { message: 'Validation Failed', errors: [{ field: 'name' }] } }, { method: 'POST', path: /\/labels$/ });
    await expect(gh.rest.issues.createLabel({ owner, repo, name: 'bug' })).rejects.toMatchObject({ status: 422 });
    server.inject({ kind: 'reply', status: 401, body: { message: 401 } });
    await expect(gh.rest.issues.get(issue)).rejects.toMatchObject({ status: 401 });

    const errors = server.contractErrors;
    expect(errors).toHaveLength(5);
    expect(errors[0]).toMatch(/^response 200 to GET \/repos\/acme\/widgets\/issues\/7 \(issues\/get\): /);
    expect(errors[0]).toContain("body must have required property 'node_id'");
    expect(errors[0]).toContain('body/id must be integer');
    expect(errors[1]).toMatch(/\(issues\/list-labels-on-issue\): body\/0 must have required property 'node_id'/);
    expect(errors[1]).toContain("body/0 must have required property 'description'");
    expect(errors[2]).toMatch(/response 200 to POST .*\(issues\/create-comment\): the operation documents no status 200 \(only 201, /);
    expect(errors[3]).toMatch(/response 422 to POST .*\(issues\/create-label\): /);
    expect(errors[3]).toContain("body must have required property 'documentation_url'");
    expect(errors[3]).toContain("body/errors/0 must have required property 'code'");
    expect(errors[4]).toMatch(/response 401 to GET .*\(issues\/get\): body\/message must be string/);
  });

  it('catches a request GitHub would refuse: a wrong body, a wrong parameter, an operation the fake does not implement', async () => {
    const server = await looseServer();
    const base = `/repos/${owner}/${repo}`;
    await send(server, 'POST', `${base}/issues/7/comments`, JSON.stringify({ body: 42 }));
    await send(server, 'POST', `${base}/issues/7/comments`, JSON.stringify({ text: 'hi' }));
    await send(server, 'PATCH', `${base}/issues/7`, JSON.stringify({ state: 'merged' }));
    await send(server, 'POST', `${base}/issues/7/labels`, JSON.stringify({ labels: [] }));
    await send(server, 'GET', `${base}/issues/seven/comments?per_page=lots`);
    expect(await send(server, 'POST', `${base}/issues/7/comments`, 'not json')).toBe(400); // the 400 itself is a valid answer
    await send(server, 'PUT', `${base}/issues/7/lock`);

    expect(server.contractErrors).toEqual([
      expect.stringMatching(/^request POST \/repos\/acme\/widgets\/issues\/7\/comments \(issues\/create-comment\): body\/body must be string$/),
      expect.stringMatching(/\(issues\/create-comment\): body must have required property 'body'$/),
      expect.stringMatching(/\(issues\/update\): body\/state must be equal to one of the allowed values/),
      expect.stringMatching(/\(issues\/add-labels\): body\/labels must NOT have fewer than 1 items/),
      expect.stringMatching(/\(issues\/list-comments\): parameters\/issue_number must be integer; parameters\/per_page must be integer$/),
      expect.stringMatching(/\(issues\/create-comment\): the body is not JSON$/),
      expect.stringMatching(/^request PUT \/repos\/acme\/widgets\/issues\/7\/lock: not one of the operations the fake implements/),
    ]);
  });

  it.fails('a contract error fails the test that met it (startServer asserts none when the test ends)', async () => {
    const server = await startServer();
    await send(server, 'POST', `/repos/${owner}/${repo}/issues/7/comments`, JSON.stringify({ body: 42 }));
  });
});
