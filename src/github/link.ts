import type { GithubLink } from '../plan/model.js';

/**
 * Which issue a run reports to. Pure: flags, the plan and the git remote come in as values, so the
 * precedence is tested without a repository. Kept free of Octokit and execa because `ccasp run`'s
 * flag parsing imports it.
 */
export interface RepoRef {
  readonly owner: string;
  readonly repo: string;
  /** The web host it was named on (an issue's address, a remote URL), when it was. */
  readonly host?: string;
}

export interface IssueRef extends RepoRef {
  readonly issue: number;
}

/** GitHub's own rules: owners are letters, digits and dashes; repos also allow `.` and `_`. */
const OWNER = '[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})';
const REPO = '[A-Za-z0-9._-]{1,100}';
const SLUG = new RegExp(`^(${OWNER})/(${REPO})$`);
const ISSUE_REF = new RegExp(`^(${OWNER})/(${REPO})#(\\d+)$`);
const ISSUE_URL = new RegExp(`^https?://([^/\\s]+)/(${OWNER})/(${REPO})/(?:issues|pull)/(\\d+)(?:[/?#].*)?$`);

/** `owner/repo#123` or an issue's web address; undefined when it is neither. */
export function parseIssueRef(text: string): IssueRef | undefined {
  const ref = ISSUE_REF.exec(text.trim());
  const url = ref ? undefined : ISSUE_URL.exec(text.trim());
  const m = ref ?? url?.slice(1);
  if (!m) return undefined;
  const issue = Number(m[3]);
  if (!Number.isSafeInteger(issue) || issue < 1) return undefined;
  return { owner: m[1]!, repo: stripGit(m[2]!), issue, ...(url ? { host: url[1]!.toLowerCase() } : {}) };
}

/** `owner/repo`; undefined otherwise. */
export function parseRepoSlug(text: string): RepoRef | undefined {
  const m = SLUG.exec(text.trim());
  return m ? { owner: m[1]!, repo: stripGit(m[2]!) } : undefined;
}

/**
 * owner/repo from a remote URL in any form git accepts: `git@host:o/r.git`, `ssh://git@host:22/o/r`,
 * `https://user@host/o/r.git`. The last two path segments name the repository.
 */
export function repoFromRemoteUrl(url: string): RepoRef | undefined {
  const trimmed = url.trim();
  const scp = /^[^/\s@]+@([^:/\s]+):(.+)$/.exec(trimmed);
  let pathPart: string;
  let host: string;
  if (scp) {
    [host, pathPart] = [scp[1]!, scp[2]!];
  } else {
    try {
      const parsed = new URL(trimmed);
      [host, pathPart] = [parsed.hostname, parsed.pathname];
    } catch {
      return undefined;
    }
  }
  const segments = pathPart.split('/').filter(Boolean);
  if (segments.length < 2) return undefined;
  const repo = parseRepoSlug(`${segments[segments.length - 2]}/${segments[segments.length - 1]}`);
  return repo && host ? { ...repo, host: host.toLowerCase() } : repo;
}

function stripGit(repo: string): string {
  return repo.endsWith('.git') ? repo.slice(0, -4) : repo;
}

export interface LinkInputs {
  /** `--github owner/repo#n` (an IssueRef) or `--no-github` (false). */
  readonly flag?: IssueRef | false;
  /** `--repo owner/repo`. */
  readonly repoFlag?: RepoRef;
  /** The plan's own link; CCASP plans often carry only the issue number. */
  readonly plan?: GithubLink;
  /** CCASP's `.claude/config/tech-stack.json` repository; called only when flags and plan name none. */
  readonly techStackRepo?: () => RepoRef | undefined;
  /**
   * The `origin` remote's URL: it names the repository when nothing else does, and the host of one
   * named without a host when it is that same repository.
   */
  readonly originUrl?: () => string | undefined;
}

export type LinkResolution =
  | { readonly kind: 'linked'; readonly link: IssueRef; readonly source: string }
  | { readonly kind: 'off'; readonly why: 'disabled' | 'unlinked' }
  /** The plan names an issue but nothing names its repository. */
  | { readonly kind: 'incomplete'; readonly issue: number; readonly message: string };

/**
 * Precedence: `--no-github` turns sync off; `--github` names everything; otherwise the plan names the
 * issue and the repository comes from `--repo`, then the plan, then CCASP's tech-stack.json, then the
 * `origin` remote. A flag wins over the plan, as everywhere in ccasp.
 */
export function resolveLink(inputs: LinkInputs): LinkResolution {
  if (inputs.flag === false) return { kind: 'off', why: 'disabled' };
  let origin: RepoRef | undefined | null = null;
  const fromOrigin = () => {
    if (origin === null) {
      const url = inputs.originUrl?.();
      origin = url ? repoFromRemoteUrl(url) : undefined;
    }
    return origin;
  };
  // `owner/repo` says nothing of the host; the same repository on the origin remote does (Enterprise).
  const linked = (link: IssueRef, source: string): LinkResolution => {
    const remote = link.host ? undefined : fromOrigin();
    const sameRepo = remote?.host && remote.owner.toLowerCase() === link.owner.toLowerCase() && remote.repo.toLowerCase() === link.repo.toLowerCase();
    return { kind: 'linked', link: sameRepo ? { ...link, host: remote.host } : link, source };
  };
  if (inputs.flag) return linked(inputs.flag, '--github');
  const issue = inputs.plan?.issue;
  if (issue === undefined) return { kind: 'off', why: 'unlinked' };
  if (inputs.repoFlag) return linked({ ...inputs.repoFlag, issue }, 'the plan (issue) and --repo');
  const fromPlan = inputs.plan?.owner && inputs.plan.repo ? parseRepoSlug(`${inputs.plan.owner}/${inputs.plan.repo}`) : undefined;
  if (fromPlan) return linked({ ...fromPlan, issue }, 'the plan');
  const fromTechStack = inputs.techStackRepo?.();
  if (fromTechStack) return linked({ ...fromTechStack, issue }, 'the plan (issue) and .claude/config/tech-stack.json');
  const fromRemote = fromOrigin();
  if (fromRemote) return { kind: 'linked', link: { ...fromRemote, issue }, source: 'the plan (issue) and the git remote origin' };
  return {
    kind: 'incomplete',
    issue,
    message: `the plan links issue #${issue} but names no repository, neither does .claude/config/tech-stack.json, and there is no GitHub remote "origin"; pass --repo owner/repo or --github owner/repo#${issue}`,
  };
}

export function formatIssueRef(link: IssueRef): string {
  return `${link.owner}/${link.repo}#${link.issue}`;
}
