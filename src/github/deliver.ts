import type { GithubClient } from './client.js';
import type { EntryTarget, OutboxEntry } from './entries.js';
import { marker, markerKey, markersIn } from './markers.js';

/**
 * Octokit's per-request options that the worker sets: its abort signal, and `retries: 0` when it
 * retries failures itself (plugin-retry's waits cannot be cut short by the signal).
 */
export interface RequestOptions {
  readonly signal: AbortSignal;
  readonly retries?: number;
}

/** Colours of the progress labels, grey to green. */
const LABEL_COLOURS: Record<number, string> = { 0: 'ededed', 25: 'c2e0c6', 50: '9be9a8', 75: '40c463', 100: '0e8a16' };
const LABEL_PREFIX = 'progress:';
const PAGE_SIZE = 100;

function progressLabel(percent: number): string {
  return `${LABEL_PREFIX}${percent}%`;
}

/**
 * Does one outbox entry on one issue, idempotently, so the worker can simply try again after any
 * failure:
 * - a comment is posted only if no comment on the issue carries its marker. The issue's comments
 *   are listed once (and again after any failed post, since a post that failed on our side may have
 *   succeeded on GitHub's) and remembered;
 * - the status comment is found by its marker and edited, or created once;
 * - labels and closing are set to a state, which is the same however often it is done.
 */
export class IssueDelivery {
  /** Marker key → comment id, for this issue; undefined until listed, and after an unclear post. */
  private markers: Map<string, number> | undefined;
  private readonly knownLabels = new Set<string>();

  /** The current delivery's request options (one delivery at a time: the worker is serial). */
  private options: RequestOptions = { signal: new AbortController().signal };

  constructor(
    private readonly octokit: GithubClient,
    private readonly target: EntryTarget,
  ) {}

  /** Returns false when the entry was already done (its comment is on the issue). */
  async deliver(entry: OutboxEntry, options: RequestOptions): Promise<boolean> {
    this.options = options;
    switch (entry.kind) {
      case 'comment':
        return this.postOnce(entry.planId, entry.id, entry.body);
      case 'sticky':
        await this.upsert(entry.planId, entry.id, entry.body);
        return true;
      case 'labels':
        await this.setProgressLabel(entry.percent);
        return true;
      case 'close':
        await this.octokit.rest.issues.update({ ...this.issue(), state: 'closed', state_reason: 'completed', request: this.request() });
        return true;
    }
  }

  private issue() {
    return { owner: this.target.owner, repo: this.target.repo, issue_number: this.target.issue };
  }

  private request(retries?: number): RequestOptions {
    return { ...this.options, ...(retries === undefined ? {} : { retries }) };
  }

  private async markerIndex(): Promise<Map<string, number>> {
    if (this.markers) return this.markers;
    const index = new Map<string, number>();
    // Page by page rather than octokit.paginate, which sends only method, URL and headers: no abort
    // signal, no `retries`, and plugin-retry's count kept on the endpoint's shared defaults, so every
    // later listing waited longer before its first retry.
    for (let page = 1; ; page++) {
      const { data: comments } = await this.octokit.rest.issues.listComments({ ...this.issue(), per_page: PAGE_SIZE, page, request: this.request() });
      for (const c of comments) for (const key of markersIn(c.body ?? '')) if (!index.has(key)) index.set(key, c.id);
      if (comments.length < PAGE_SIZE) break;
    }
    this.markers = index;
    return index;
  }

  private async postOnce(planId: string, eventId: string, body: string): Promise<boolean> {
    const key = markerKey(planId, eventId);
    const index = await this.markerIndex();
    if (index.has(key)) return false;
    await this.create(key, `${body}\n\n${marker(planId, eventId)}`);
    return true;
  }

  private async upsert(planId: string, eventId: string, body: string): Promise<void> {
    const key = markerKey(planId, eventId);
    const full = `${body}\n\n${marker(planId, eventId)}`;
    const id = (await this.markerIndex()).get(key);
    if (id !== undefined) {
      try {
        await this.octokit.rest.issues.updateComment({ owner: this.target.owner, repo: this.target.repo, comment_id: id, body: full, request: this.request() });
        return;
      } catch (error) {
        // Someone deleted the status comment: post a new one.
        if (statusOf(error) !== 404) throw error;
        this.markers?.delete(key);
      }
    }
    await this.create(key, full);
  }

  /** A create is never retried blindly (`retries: 0`); after a failure the next try lists the comments again. */
  private async create(key: string, body: string): Promise<void> {
    try {
      const { data } = await this.octokit.rest.issues.createComment({ ...this.issue(), body, request: this.request(0) });
      this.markers?.set(key, data.id);
    } catch (error) {
      this.markers = undefined;
      throw error;
    }
  }

  /** The issue ends with exactly one `progress:N%` label: others removed, this one created if the repo lacks it. */
  private async setProgressLabel(percent: number): Promise<void> {
    const want = progressLabel(percent);
    const { data: current } = await this.octokit.rest.issues.listLabelsOnIssue({ ...this.issue(), per_page: 100, request: this.request() });
    for (const label of current) {
      if (!label.name.startsWith(LABEL_PREFIX) || label.name === want) continue;
      try {
        await this.octokit.rest.issues.removeLabel({ ...this.issue(), name: label.name, request: this.request() });
      } catch (error) {
        if (statusOf(error) !== 404) throw error;
      }
    }
    if (current.some((l) => l.name === want)) return;
    await this.ensureLabel(want, percent);
    await this.octokit.rest.issues.addLabels({ ...this.issue(), labels: [want], request: this.request() });
  }

  private async ensureLabel(name: string, percent: number): Promise<void> {
    if (this.knownLabels.has(name)) return;
    try {
      await this.octokit.rest.issues.getLabel({ owner: this.target.owner, repo: this.target.repo, name, request: this.request() });
    } catch (error) {
      if (statusOf(error) !== 404) throw error;
      try {
        await this.octokit.rest.issues.createLabel({
          owner: this.target.owner,
          repo: this.target.repo,
          name,
          color: LABEL_COLOURS[percent] ?? 'ededed',
          description: `ccasp: ${percent}% of the plan's phases are complete`,
          request: this.request(),
        });
      } catch (createError) {
        // 422: created meanwhile by someone else, which is just as good.
        if (statusOf(createError) !== 422) throw createError;
      }
    }
    this.knownLabels.add(name);
  }
}

function statusOf(error: unknown): number | undefined {
  const status = typeof error === 'object' && error !== null ? (error as { status?: unknown }).status : undefined;
  return typeof status === 'number' ? status : undefined;
}

/** The worker's `deliver`: one IssueDelivery per issue, so each issue's comments are listed once. */
export function deliverWith(octokit: GithubClient): (entry: OutboxEntry, options: RequestOptions) => Promise<boolean> {
  const byIssue = new Map<string, IssueDelivery>();
  return (entry, options) => {
    const key = `${entry.target.owner}/${entry.target.repo}#${entry.target.issue}`;
    let issue = byIssue.get(key);
    if (!issue) byIssue.set(key, (issue = new IssueDelivery(octokit, entry.target)));
    return issue.deliver(entry, options);
  };
}
