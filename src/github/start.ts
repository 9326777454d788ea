import type { Listener } from '../orchestrator/events.js';
import type { Plan } from '../plan/model.js';
import type { ClientOptions } from './client.js';
import { connect, describeToken } from './connection.js';
import { deliverWith } from './deliver.js';
import { readOriginUrl, type ReadText } from './git-remote.js';
import { formatIssueRef, resolveLink, type IssueRef } from './link.js';
import type { GithubFlags } from './options.js';
import { Outbox, outboxPath } from './outbox.js';
import { githubListener } from './sync.js';
import { readTechStackRepo } from './tech-stack.js';
import { DEFAULT_API_URL, type GhAuthToken } from './token.js';
import { Tracker } from './tracker.js';
import { DeliveryWorker, type Notice, type SyncStatus, type WorkerOptions } from './worker.js';

export interface StartOptions {
  readonly plan: Plan;
  readonly projectRoot: string;
  readonly flags: GithubFlags;
  readonly env: NodeJS.ProcessEnv;
  /** Hears every notice (already redacted); the run shows them as `run.notice` events. */
  readonly notify: (notice: Notice) => void;
  /** Test seams; the defaults are the real things. */
  readonly ghAuthToken?: GhAuthToken;
  readonly readText?: ReadText;
  readonly client?: Pick<ClientOptions, 'retryAfterBaseMs' | 'paceWrites' | 'onLimit'>;
  readonly backoff?: WorkerOptions['backoff'];
  readonly now?: () => Date;
}

export interface GithubSync {
  readonly link: IssueRef;
  /** Subscribe this to the run's EventBus. It only queues; it never waits for GitHub and never throws. */
  readonly listener: Listener;
  /** At the end of the run: deliver what is queued for up to `timeoutMs`, then leave the rest in the outbox. */
  drain(timeoutMs: number): Promise<SyncStatus>;
  status(): SyncStatus;
  /** Every notice given so far, in order (also passed to `notify`). */
  readonly notices: readonly Notice[];
}

/**
 * GitHub sync for one `ccasp run`, or undefined when it is off: no link, `--no-github`, no token, or
 * a link that names no repository (the last two with one notice). Undelivered entries from an earlier
 * run are picked up and delivered first. Octokit is loaded only once sync is known to be on.
 */
export async function startGithubSync(o: StartOptions): Promise<GithubSync | undefined> {
  const notices: Notice[] = [];
  let redact = (text: string) => text;
  const notify = (notice: Notice) => {
    const clean = { level: notice.level, message: redact(notice.message) };
    notices.push(clean);
    o.notify(clean);
  };

  const resolved = resolveLink({
    ...(o.flags.github !== undefined ? { flag: o.flags.github } : {}),
    ...(o.flags.repo ? { repoFlag: o.flags.repo } : {}),
    ...(o.plan.github ? { plan: o.plan.github } : {}),
    techStackRepo: () => readTechStackRepo(o.projectRoot, o.readText),
    originUrl: () => readOriginUrl(o.projectRoot, o.readText),
  });
  if (resolved.kind === 'off') return undefined;
  if (resolved.kind === 'incomplete') {
    notify({ level: 'warning', message: `GitHub sync is off: ${resolved.message}.` });
    return undefined;
  }
  const link = resolved.link;
  const conn = await connect(o.flags, o.env, o.ghAuthToken, link.host);
  if (conn.kind === 'off') {
    notify({ level: 'warning', message: `GitHub sync is off for ${formatIssueRef(link)}: ${conn.message}. The run goes on.` });
    return undefined;
  }
  redact = conn.redact;

  let outbox: Outbox;
  try {
    outbox = await Outbox.open(outboxPath(o.projectRoot));
  } catch (error) {
    notify({ level: 'warning', message: `GitHub sync is off: cannot read ${outboxPath(o.projectRoot)}: ${String(error)}` });
    return undefined;
  }
  if (outbox.damagedLines > 0) notify({ level: 'warning', message: `GitHub sync: skipped ${outbox.damagedLines} unreadable line(s) in ${outbox.file}.` });

  const { createClient } = await import('./client.js');
  const octokit = createClient({ token: conn.token.token, baseUrl: conn.apiUrl, ...o.client });
  const worker = new DeliveryWorker({
    outbox,
    deliver: deliverWith(octokit),
    notify,
    tokenDescription: describeToken(conn.token),
    ...(o.backoff ? { backoff: o.backoff } : {}),
    ...(o.now ? { now: o.now } : {}),
  });

  const settings = {
    planId: o.plan.id,
    target: link,
    mode: o.flags.githubMode,
    close: closeSetting(o.flags, o.plan),
    redact,
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
    message: `GitHub sync: reporting to ${formatIssueRef(link)} (from ${resolved.source}; ${o.flags.githubMode} mode)${conn.apiUrl === DEFAULT_API_URL ? '' : ` at ${conn.apiUrl}`} with ${describeToken(conn.token)}.`,
  });
  if (outbox.size > 0) {
    notify({ level: 'info', message: `GitHub sync: delivering ${outbox.size} update(s) left by an earlier run.` });
    worker.kick();
  }

  return {
    link,
    listener,
    drain: (timeoutMs) => worker.drain(timeoutMs),
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
