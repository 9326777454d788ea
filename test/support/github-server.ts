import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { components, operations } from '@octokit/openapi-types';
import { expect, onTestFinished } from 'vitest';
import * as z from 'zod';
import { githubContract } from './github-openapi.js';

/**
 * A GitHub-shaped REST server on 127.0.0.1 for tests: the issue routes ccasp uses, real HTTP, real
 * Octokit on the other side. Responses are typed with GitHub's published OpenAPI schemas
 * (@octokit/openapi-types) and request bodies are checked against schemas that must stay assignable
 * to the published request bodies; at run time, every request received and every response sent is
 * validated against GitHub's published OpenAPI description (@octokit/openapi, see github-openapi.ts)
 * and each mismatch is kept in `contractErrors`, which the tests assert empty, so the fake cannot
 * quietly drift from the real API.
 *
 * Faults are queued per route and consumed one request at a time: 5xx, secondary rate limits (403 or
 * 429 with `retry-after`), a primary rate limit (`x-ratelimit-remaining: 0`), a dropped connection
 * (before or after the request took effect) and a refused token.
 */
type Schema<N extends keyof components['schemas']> = components['schemas'][N];
type Body<Op extends keyof operations> = operations[Op] extends { requestBody?: { content: { 'application/json': infer B } } } ? B : never;

export type Fault =
  | { readonly kind: 'status'; readonly status: 500 | 502 | 503 }
  | { readonly kind: 'secondary-limit'; readonly status: 403 | 429; readonly retryAfter: number }
  | { readonly kind: 'primary-limit'; readonly resetInSeconds: number }
  /** The socket is destroyed before the request has any effect. */
  | { readonly kind: 'drop' }
  /** The request takes effect, then the socket is destroyed before the response: the client cannot tell. */
  | { readonly kind: 'drop-after' }
  | { readonly kind: 'bad-token' }
  /** A canned answer instead of the real one: to script a response, or to send one GitHub never would. */
  | { readonly kind: 'reply'; readonly status: number; readonly body?: unknown; readonly headers?: Readonly<Record<string, string>> };

export interface RecordedRequest {
  readonly method: string;
  readonly path: string;
  readonly headers: Readonly<Record<string, string | string[] | undefined>>;
  readonly body: string;
  /** The fault served instead of (or after) the real answer, if any. */
  readonly fault?: Fault['kind'];
}

export interface FakeComment {
  readonly id: number;
  body: string;
  readonly createdAt: string;
  updatedAt: string;
}

export interface FakeIssue {
  readonly number: number;
  title: string;
  state: 'open' | 'closed';
  stateReason: 'completed' | 'reopened' | 'not_planned' | null;
  labels: string[];
  readonly comments: FakeComment[];
}

interface FaultRule {
  readonly fault: Fault;
  readonly method?: string | readonly string[];
  readonly path?: RegExp;
  remaining: number;
  /** Served to one matching request in `every`: the others get the real answer. */
  readonly every: number;
  seen: number;
}

/** The methods that change something on GitHub. */
export const WRITES = ['POST', 'PATCH', 'PUT', 'DELETE'];

// Request bodies, strict so that a field the client invents is refused like GitHub's validation would.
const createCommentBody = z.strictObject({ body: z.string().min(1) });
const updateCommentBody = createCommentBody;
const updateIssueBody = z.strictObject({
  state: z.enum(['open', 'closed']).optional(),
  state_reason: z.enum(['completed', 'not_planned', 'duplicate', 'reopened']).nullable().optional(),
  title: z.string().optional(),
});
const createLabelBody = z.strictObject({ name: z.string().min(1), color: z.string().regex(/^[0-9a-fA-F]{6}$/).optional(), description: z.string().optional() });
const addLabelsBody = z.strictObject({ labels: z.array(z.string().min(1)).min(1) });

// Compile-time drift checks: each schema's output must be a valid body for the published operation.
const bodyChecks: [
  z.infer<typeof createCommentBody> extends Body<'issues/create-comment'> ? true : never,
  z.infer<typeof updateCommentBody> extends Body<'issues/update-comment'> ? true : never,
  z.infer<typeof updateIssueBody> extends Body<'issues/update'> ? true : never,
  z.infer<typeof createLabelBody> extends Body<'issues/create-label'> ? true : never,
  z.infer<typeof addLabelsBody> extends Body<'issues/add-labels'> ? true : never,
] = [true, true, true, true, true];
void bodyChecks;

const SECONDARY_MESSAGE =
  'You have exceeded a secondary rate limit. Please wait a few minutes before you try again. If you reach out to GitHub Support for help, please include the request ID 0000:0000.';
const DOCS = 'https://docs.github.com/rest';

export interface GithubServerOptions {
  readonly token: string;
  readonly owner?: string;
  readonly repo?: string;
  readonly issues?: readonly number[];
}

/**
 * A fake GitHub for the current test, closed when the test ends; every request it received and every
 * answer it gave must then have matched GitHub's OpenAPI description.
 */
export async function startGithub(o: GithubServerOptions): Promise<GithubServer> {
  const server = await GithubServer.start(o);
  onTestFinished(async () => {
    await server.close();
    expect(server.contractErrors).toEqual([]);
  });
  return server;
}

export class GithubServer {
  readonly requests: RecordedRequest[] = [];
  /** Each way a request received or a response sent broke GitHub's published OpenAPI description. */
  readonly contractErrors: string[] = [];
  readonly owner: string;
  readonly repo: string;
  readonly issues = new Map<number, FakeIssue>();
  readonly repoLabels = new Map<string, { color: string; description: string | null }>();
  private readonly faults: FaultRule[] = [];
  private nextId = 1000;
  private url = '';
  /** Read before the first request, so that no request pays for reading the description. */
  private readonly contract = githubContract();

  private constructor(
    private readonly server: Server,
    private readonly token: string,
    o: GithubServerOptions,
  ) {
    this.owner = o.owner ?? 'acme';
    this.repo = o.repo ?? 'widgets';
    for (const n of o.issues ?? [1]) this.issues.set(n, { number: n, title: `Issue ${n}`, state: 'open', stateReason: null, labels: [], comments: [] });
  }

  static async start(o: GithubServerOptions): Promise<GithubServer> {
    let self: GithubServer | undefined;
    const server = createServer((req, res) => void self!.handle(req, res));
    self = new GithubServer(server, o.token, o);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    self.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    return self;
  }

  /** The base URL to give Octokit. */
  get baseUrl(): string {
    return this.url;
  }

  issue(n = 1): FakeIssue {
    const issue = this.issues.get(n);
    if (!issue) throw new Error(`no issue ${n}`);
    return issue;
  }

  /**
   * Serves `fault` to the next `times` requests that match `method` (one, or any of a list such as
   * `WRITES`) and `path` (all requests by default), or with `every: n` to each n-th of them (a GitHub that hiccups), `times` in all.
   */
  inject(fault: Fault, match: { method?: string | readonly string[]; path?: RegExp; times?: number; every?: number } = {}): void {
    this.faults.push({
      fault,
      ...(match.method ? { method: match.method } : {}),
      ...(match.path ? { path: match.path } : {}),
      remaining: match.times ?? 1,
      every: match.every ?? 1,
      seen: 0,
    });
  }

  clearFaults(): void {
    this.faults.length = 0;
  }

  count(method: string, path: RegExp): number {
    return this.requests.filter((r) => r.method === method && path.test(r.path) && !r.fault).length;
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const body = await readBody(req);
    const url = new URL(req.url ?? '/', this.url);
    const method = req.method ?? 'GET';
    const matching = this.faults.filter((f) => f.remaining > 0 && (!f.method || [f.method].flat().includes(method)) && (!f.path || f.path.test(url.pathname)));
    for (const f of matching) f.seen++;
    const rule = matching.find((f) => f.seen % f.every === 0);
    if (rule) rule.remaining--;
    this.requests.push({ method, path: url.pathname + url.search, headers: { ...req.headers }, body, ...(rule ? { fault: rule.fault.kind } : {}) });
    this.contractErrors.push(...this.contract.checkRequest(method, url, body));
    const fault = rule?.fault;
    if (fault?.kind === 'drop') {
      req.socket.destroy();
      return;
    }
    const reply = fault && fault.kind !== 'drop-after' ? this.faultReply(fault) : this.authorised(req) ? this.route(method, url, body) : unauthorised();
    if (fault?.kind === 'drop-after') {
      req.socket.destroy();
      return;
    }
    const text = reply.status === 204 || reply.body === undefined ? undefined : JSON.stringify(reply.body);
    const sent: unknown = text === undefined ? undefined : JSON.parse(text);
    this.contractErrors.push(...this.contract.checkResponse(method, url.pathname, reply.status, sent));
    res.writeHead(reply.status, { 'content-type': 'application/json; charset=utf-8', ...reply.headers });
    res.end(text);
  }

  private authorised(req: IncomingMessage): boolean {
    return req.headers.authorization === `token ${this.token}` || req.headers.authorization === `bearer ${this.token}`;
  }

  private faultReply(fault: Fault): Reply {
    switch (fault.kind) {
      case 'status':
        return { status: fault.status, body: { message: 'Server Error' } };
      case 'secondary-limit':
        return {
          status: fault.status,
          headers: { 'retry-after': String(fault.retryAfter) },
          body: { message: SECONDARY_MESSAGE, documentation_url: `${DOCS}/overview/rate-limits-for-the-rest-api#about-secondary-rate-limits`, status: String(fault.status) },
        };
      case 'primary-limit':
        return {
          status: 403,
          headers: {
            'x-ratelimit-limit': '5000',
            'x-ratelimit-remaining': '0',
            'x-ratelimit-used': '5000',
            'x-ratelimit-reset': String(Math.ceil(Date.now() / 1000) + fault.resetInSeconds),
          },
          body: { message: 'API rate limit exceeded for user ID 1.', documentation_url: DOCS, status: '403' },
        };
      case 'bad-token':
        return unauthorised();
      case 'reply':
        return { status: fault.status, body: fault.body, ...(fault.headers ? { headers: { ...fault.headers } } : {}) };
      case 'drop':
      case 'drop-after':
        throw new Error('handled by the caller');
    }
  }

  private route(method: string, url: URL, text: string): Reply {
    const base = `^/repos/${this.owner}/${this.repo}`;
    const p = url.pathname;
    let m: RegExpExecArray | null;
    if ((m = new RegExp(`${base}/issues/comments/(\\d+)$`).exec(p)) && method === 'PATCH') return this.updateComment(Number(m[1]), text);
    if ((m = new RegExp(`${base}/issues/(\\d+)/comments$`).exec(p))) {
      const issue = this.issues.get(Number(m[1]));
      if (!issue) return notFound();
      if (method === 'GET') return this.listComments(issue, url);
      if (method === 'POST') return this.createComment(issue, text);
    }
    if ((m = new RegExp(`${base}/issues/(\\d+)/labels/([^/]+)$`).exec(p)) && method === 'DELETE') {
      const issue = this.issues.get(Number(m[1]));
      const name = decodeURIComponent(m[2]!);
      if (!issue || !issue.labels.includes(name)) return { status: 404, body: { message: 'Label does not exist', documentation_url: DOCS, status: '404' } };
      issue.labels = issue.labels.filter((l) => l !== name);
      return { status: 200, body: issue.labels.map((l) => this.label(l)) };
    }
    if ((m = new RegExp(`${base}/issues/(\\d+)/labels$`).exec(p))) {
      const issue = this.issues.get(Number(m[1]));
      if (!issue) return notFound();
      if (method === 'GET') return { status: 200, body: issue.labels.map((l) => this.label(l)) };
      if (method === 'POST') return this.addLabels(issue, text);
    }
    if ((m = new RegExp(`${base}/issues/(\\d+)$`).exec(p))) {
      const issue = this.issues.get(Number(m[1]));
      if (!issue) return notFound();
      if (method === 'GET') return { status: 200, body: this.issueJson(issue) };
      if (method === 'PATCH') return this.updateIssue(issue, text);
    }
    if ((m = new RegExp(`${base}/labels/([^/]+)$`).exec(p)) && method === 'GET') {
      const name = decodeURIComponent(m[1]!);
      return this.repoLabels.has(name) ? { status: 200, body: this.label(name) } : notFound();
    }
    if (new RegExp(`${base}/labels$`).test(p)) {
      if (method === 'GET') return { status: 200, body: [...this.repoLabels.keys()].map((l) => this.label(l)) };
      if (method === 'POST') return this.createLabel(text);
    }
    return notFound();
  }

  private listComments(issue: FakeIssue, url: URL): Reply {
    const perPage = Math.min(100, Number(url.searchParams.get('per_page') ?? 30));
    const page = Number(url.searchParams.get('page') ?? 1);
    const slice = issue.comments.slice((page - 1) * perPage, page * perPage);
    const headers: Record<string, string> = {};
    if (page * perPage < issue.comments.length) {
      const next = new URL(url);
      next.searchParams.set('page', String(page + 1));
      next.searchParams.set('per_page', String(perPage));
      headers.link = `<${next.toString()}>; rel="next"`;
    }
    return { status: 200, headers, body: slice.map((c) => this.commentJson(issue, c)) };
  }

  private createComment(issue: FakeIssue, text: string): Reply {
    const parsed = parse(createCommentBody, text);
    if (!parsed.ok) return parsed.reply;
    const now = new Date().toISOString();
    const comment: FakeComment = { id: this.nextId++, body: parsed.value.body, createdAt: now, updatedAt: now };
    issue.comments.push(comment);
    const json = this.commentJson(issue, comment);
    return { status: 201, headers: { location: json.url }, body: json };
  }

  private updateComment(id: number, text: string): Reply {
    const parsed = parse(updateCommentBody, text);
    if (!parsed.ok) return parsed.reply;
    for (const issue of this.issues.values()) {
      const comment = issue.comments.find((c) => c.id === id);
      if (!comment) continue;
      comment.body = parsed.value.body;
      comment.updatedAt = new Date().toISOString();
      return { status: 200, body: this.commentJson(issue, comment) };
    }
    return notFound();
  }

  private updateIssue(issue: FakeIssue, text: string): Reply {
    const parsed = parse(updateIssueBody, text);
    if (!parsed.ok) return parsed.reply;
    const b = parsed.value;
    if (b.title !== undefined) issue.title = b.title;
    if (b.state !== undefined) {
      issue.state = b.state;
      issue.stateReason = b.state === 'closed' ? (b.state_reason === 'not_planned' ? 'not_planned' : 'completed') : 'reopened';
    }
    return { status: 200, body: this.issueJson(issue) };
  }

  private createLabel(text: string): Reply {
    const parsed = parse(createLabelBody, text);
    if (!parsed.ok) return parsed.reply;
    const { name, color, description } = parsed.value;
    if (this.repoLabels.has(name)) {
      return { status: 422, body: { message: 'Validation Failed', errors: [{ resource: 'Label', code: 'already_exists', field: 'name' }], documentation_url: DOCS, status: '422' } };
    }
    this.repoLabels.set(name, { color: color ?? 'ededed', description: description ?? null });
    const json = this.label(name);
    return { status: 201, headers: { location: json.url }, body: json };
  }

  private addLabels(issue: FakeIssue, text: string): Reply {
    const parsed = parse(addLabelsBody, text);
    if (!parsed.ok) return parsed.reply;
    for (const name of parsed.value.labels) {
      // As GitHub does: a label the repository lacks is created on the fly.
      if (!this.repoLabels.has(name)) this.repoLabels.set(name, { color: 'ededed', description: null });
      if (!issue.labels.includes(name)) issue.labels.push(name);
    }
    return { status: 200, body: issue.labels.map((l) => this.label(l)) };
  }

  private label(name: string): Schema<'label'> {
    const l = this.repoLabels.get(name) ?? { color: 'ededed', description: null };
    return {
      id: hashId(name),
      node_id: `LA_${hashId(name)}`,
      url: `${this.url}/repos/${this.owner}/${this.repo}/labels/${encodeURIComponent(name)}`,
      name,
      description: l.description,
      color: l.color,
      default: false,
    };
  }

  private commentJson(issue: FakeIssue, c: FakeComment): Schema<'issue-comment'> {
    return {
      id: c.id,
      node_id: `IC_${c.id}`,
      url: `${this.url}/repos/${this.owner}/${this.repo}/issues/comments/${c.id}`,
      html_url: `https://github.com/${this.owner}/${this.repo}/issues/${issue.number}#issuecomment-${c.id}`,
      issue_url: `${this.url}/repos/${this.owner}/${this.repo}/issues/${issue.number}`,
      body: c.body,
      user: BOT,
      created_at: c.createdAt,
      updated_at: c.updatedAt,
      author_association: 'NONE',
      performed_via_github_app: null,
      reactions: noReactions(`${this.url}/repos/${this.owner}/${this.repo}/issues/comments/${c.id}/reactions`),
    };
  }

  private issueJson(issue: FakeIssue): Schema<'issue'> {
    const api = `${this.url}/repos/${this.owner}/${this.repo}/issues/${issue.number}`;
    return {
      id: issue.number,
      node_id: `I_${issue.number}`,
      url: api,
      repository_url: `${this.url}/repos/${this.owner}/${this.repo}`,
      labels_url: `${api}/labels{/name}`,
      comments_url: `${api}/comments`,
      events_url: `${api}/events`,
      html_url: `https://github.com/${this.owner}/${this.repo}/issues/${issue.number}`,
      number: issue.number,
      state: issue.state,
      state_reason: issue.stateReason,
      title: issue.title,
      body: null,
      user: BOT,
      labels: issue.labels.map((l) => this.label(l)),
      assignee: null,
      assignees: [],
      milestone: null,
      locked: false,
      active_lock_reason: null,
      comments: issue.comments.length,
      closed_at: issue.state === 'closed' ? new Date().toISOString() : null,
      created_at: '2026-01-01T00:00:00Z',
      updated_at: new Date().toISOString(),
      timeline_url: `${api}/timeline`,
      author_association: 'NONE',
      reactions: noReactions(`${api}/reactions`),
    };
  }
}

function noReactions(url: string): Schema<'reaction-rollup'> {
  return { url, total_count: 0, '+1': 0, '-1': 0, laugh: 0, confused: 0, heart: 0, hooray: 0, eyes: 0, rocket: 0 };
}

interface Reply {
  readonly status: number;
  readonly headers?: Record<string, string>;
  readonly body?: unknown;
}

const BOT: Schema<'simple-user'> = {
  login: 'ccasp-bot',
  id: 1,
  node_id: 'U_1',
  avatar_url: 'https://avatars.githubusercontent.com/u/1',
  gravatar_id: '',
  url: 'https://api.github.com/users/ccasp-bot',
  html_url: 'https://github.com/ccasp-bot',
  followers_url: 'https://api.github.com/users/ccasp-bot/followers',
  following_url: 'https://api.github.com/users/ccasp-bot/following{/other_user}',
  gists_url: 'https://api.github.com/users/ccasp-bot/gists{/gist_id}',
  starred_url: 'https://api.github.com/users/ccasp-bot/starred{/owner}{/repo}',
  subscriptions_url: 'https://api.github.com/users/ccasp-bot/subscriptions',
  organizations_url: 'https://api.github.com/users/ccasp-bot/orgs',
  repos_url: 'https://api.github.com/users/ccasp-bot/repos',
  events_url: 'https://api.github.com/users/ccasp-bot/events{/privacy}',
  received_events_url: 'https://api.github.com/users/ccasp-bot/received_events',
  type: 'Bot',
  site_admin: false,
};

function unauthorised(): Reply {
  return { status: 401, body: { message: 'Bad credentials', documentation_url: DOCS, status: '401' } };
}

function notFound(): Reply {
  return { status: 404, body: { message: 'Not Found', documentation_url: DOCS, status: '404' } };
}

function parse<T>(schema: z.ZodType<T>, text: string): { ok: true; value: T } | { ok: false; reply: Reply } {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return { ok: false, reply: { status: 400, body: { message: 'Problems parsing JSON', documentation_url: DOCS, status: '400' } } };
  }
  const result = schema.safeParse(json);
  if (result.success) return { ok: true, value: result.data };
  return { ok: false, reply: { status: 422, body: { message: `Validation Failed: ${result.error.message}`, documentation_url: DOCS, status: '422' } } };
}

function hashId(text: string): number {
  let h = 7;
  for (const ch of text) h = (h * 31 + ch.charCodeAt(0)) % 1_000_000_007;
  return h;
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    let data = '';
    req.setEncoding('utf8');
    req.on('data', (chunk: string) => (data += chunk));
    req.on('end', () => resolve(data));
    req.on('error', reject);
  });
}
