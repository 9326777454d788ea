import { formatProblem, InvalidStateError } from '../errors.js';
import type { Listener } from '../orchestrator/events.js';
import type { Plan } from '../plan/model.js';
import type { Redactor } from '../secrets/redact.js';
import type { ClientOptions } from './client.js';
import { connect, describeToken } from './connection.js';
import { deliverWith } from './deliver.js';
import { readOriginUrl, type ReadText } from './git-remote.js';
import { formatIssueRef, resolveLink, type IssueRef } from './link.js';
import type { GithubFlags } from './options.js';
import { outboxPath } from '../state/paths.js';
import { Outbox } from './outbox.js';
import { githubListener } from './sync.js';
import { readTechStackRepo } from './tech-stack.js';
import { DEFAULT_API_URL, type GhAuthToken, type ResolvedToken } from './token.js';
import { Tracker } from './tracker.js';
import { DeliveryWorker, type Notice, type SyncStatus, type WorkerOptions } from './worker.js';

/** What decides where a run reports and with which token. */
export interface TargetOptions {
  readonly plan: Plan;
  readonly projectRoot: string;
  readonly flags: GithubFlags;
  readonly env: NodeJS.ProcessEnv;
  /** Test seams; the defaults are the real things. */
  readonly ghAuthToken?: GhAuthToken;
  readonly readText?: ReadText;
}

/**
 * Where a run reports on GitHub and with which token, or why it does not (with a notice to give, for
 * a link that names no repository or a missing token). Nothing is started yet: the run needs the
 * token first, to build its one redactor and to keep it from agents.
 */
export type GithubTarget =
  | { readonly kind: 'off'; readonly notice?: Notice }
  | { readonly kind: 'on'; readonly link: IssueRef; readonly source: string; readonly apiUrl: string; readonly token: ResolvedToken };

/** Off for no link or `--no-github`; else the issue, and the token (`gh auth token` is asked only now). */
export async function resolveGithubTarget(o: TargetOptions): Promise<GithubTarget> {
  const resolved = resolveLink({
    ...(o.flags.github !== undefined ? { flag: o.flags.github } : {}),
    ...(o.flags.repo ? { repoFlag: o.flags.repo } : {}),
    ...(o.plan.github ? { plan: o.plan.github } : {}),
    techStackRepo: () => readTechStackRepo(o.projectRoot, o.readText),
    originUrl: () => readOriginUrl(o.projectRoot, o.readText),
  });
  if (resolved.kind === 'off') return { kind: 'off' };
  if (resolved.kind === 'incomplete') return { kind: 'off', notice: { level: 'warning', message: `GitHub sync is off: ${resolved.message}.` } };
  const link = resolved.link;
  const conn = await connect(o.flags, o.env, o.ghAuthToken, link.host);
  if (conn.kind === 'off') {
    return { kind: 'off', notice: { level: 'warning', message: `GitHub sync is off for ${formatIssueRef(link)}: ${conn.message}. The run goes on.` } };
  }
  return { kind: 'on', link, source: resolved.source, apiUrl: conn.apiUrl, token: conn.token };
}

export interface StartOptions {
  readonly plan: Plan;
  readonly projectRoot: string;
  readonly flags: GithubFlags;
  /** The run's redactor: every notice and everything queued for GitHub passes through it. */
  readonly redact: Redactor;
  /** Hears every notice (already redacted); the run shows them as `run.notice` events. */
  readonly notify: (notice: Notice) => void;
  /** Test seams; the defaults are the real things. */
  readonly client?: Pick<ClientOptions, 'retryAfterBaseMs' | 'paceWrites' | 'onLimit'>;
  readonly backoff?: WorkerOptions['backoff'];
  readonly now?: () => Date;
}

export interface GithubSync {
  readonly link: IssueRef;
  /** Subscribe this to the run's EventBus. It only queues; it never waits for GitHub and never throws. */
  readonly listener: Listener;
  /**
   * At the end of the run: deliver what is queued for up to `maxMs`, or until nothing was delivered
   * for `stallMs`, then leave the rest in the outbox (see DeliveryWorker.drain).
   */
  drain(maxMs: number, stallMs?: number): Promise<SyncStatus>;
  status(): SyncStatus;
  /** Every notice given so far, in order (also passed to `notify`). */
  readonly notices: readonly Notice[];
}

/**
 * GitHub sync for one `ccasp run` to `target`, or undefined when it is off (the target's notice, if
 * any, is given) or the outbox cannot be read. Undelivered entries from an earlier run are picked up
 * and delivered first. Octokit is loaded only once sync is known to be on.
 */
export async function startGithubSync(target: GithubTarget, o: StartOptions): Promise<GithubSync | undefined> {
  const notices: Notice[] = [];
  const notify = (notice: Notice) => {
    const clean = { level: notice.level, message: o.redact(notice.message) };
    notices.push(clean);
    o.notify(clean);
  };
  if (target.kind === 'off') {
    if (target.notice) notify(target.notice);
    return undefined;
  }
  const { link, token, apiUrl } = target;

  let outbox: Outbox;
  try {
    outbox = await Outbox.open(outboxPath(o.projectRoot));
  } catch (error) {
    if (!(error instanceof InvalidStateError)) throw error;
    notify({ level: 'warning', message: `GitHub sync is off: ${error.problems.map(formatProblem).join('; ')}` });
    return undefined;
  }
  if (outbox.damagedLines > 0) notify({ level: 'warning', message: `GitHub sync: skipped ${outbox.damagedLines} unreadable line(s) in ${outbox.file}.` });

  const { createClient } = await import('./client.js');
  const octokit = createClient({ token: token.token, baseUrl: apiUrl, ...o.client });
  const worker = new DeliveryWorker({
    outbox,
    deliver: deliverWith(octokit),
    notify,
    redact: o.redact,
    tokenDescription: describeToken(token),
    ...(o.backoff ? { backoff: o.backoff } : {}),
    ...(o.now ? { now: o.now } : {}),
  });

  const settings = {
    planId: o.plan.id,
    target: link,
    mode: o.flags.githubMode,
    close: closeSetting(o.flags, o.plan),
    redact: o.redact,
    now: o.now ?? (() => new Date()),
  };
  const listener = githubListener(
    new Tracker(o.plan),
    settings,
    (entries) => worker.enqueue(entries),
    (error) => notify({ level: 'warning', message: `GitHub sync: could not queue an update: ${String(error)}` }),
  );

  notify({
    level: 'info',
    message: `GitHub sync: reporting to ${formatIssueRef(link)} (from ${target.source}; ${o.flags.githubMode} mode)${apiUrl === DEFAULT_API_URL ? '' : ` at ${apiUrl}`} with ${describeToken(token)}.`,
  });
  if (outbox.size > 0) {
    notify({ level: 'info', message: `GitHub sync: delivering ${outbox.size} update(s) left by an earlier run.` });
    worker.kick();
  }

  return {
    link,
    listener,
    drain: (maxMs, stallMs) => worker.drain(maxMs, stallMs),
    status: () => worker.status(),
    notices,
  };
}

/** `--no-close` wins; else the plan's own word on its own issue (an issue named by `--github` is not the plan's). */
function closeSetting(flags: GithubFlags, plan: Plan): true | { readonly keepOpen: string } {
  if (!flags.close) return { keepOpen: '`--no-close`' };
  if (flags.github === undefined && plan.github?.autoClose === false) return { keepOpen: 'the plan sets `auto_close: false`' };
  return true;
}
