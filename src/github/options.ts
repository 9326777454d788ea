import { InvalidArgumentError, Option, type Command } from 'commander';
import { parseIssueRef, parseRepoSlug, type IssueRef, type RepoRef } from './link.js';
import { normaliseApiUrl } from './token.js';

/**
 * The GitHub flags of `ccasp run` (and, without the posting ones, `ccasp sync`). Imports nothing
 * heavy: `ccasp run`'s command definition is built even for `ccasp status`.
 */
export const GITHUB_MODES = ['sticky', 'comments'] as const;
export type GithubMode = (typeof GITHUB_MODES)[number];

/**
 * The default is `sticky`: one status comment, edited in place, with a checklist of every task and a
 * progress bar; separate comments only for what a reader should be told about (a phase completed, a
 * task blocked, a phase failed, the plan done). A comment per task (`--github-mode comments`, what the
 * CCASP toolkit does) turns a 40-task plan into 40 comments and 40 notifications for everyone
 * watching the issue, buries the blockers that need a person, and spends GitHub's content-creation
 * limit (comments are the writes its secondary rate limit counts); an edit does not notify anyone.
 */
export const DEFAULT_GITHUB_MODE: GithubMode = 'sticky';

export interface GithubFlags {
  /** `--github owner/repo#n`, or false for `--no-github`. */
  readonly github?: IssueRef | false;
  readonly githubToken?: string;
  readonly githubApiUrl?: string;
  readonly githubMode: GithubMode;
  /** False with `--no-close`. */
  readonly close: boolean;
  readonly repo?: RepoRef;
}

/** The flags `ccasp sync` shares with `ccasp run`: where to deliver, and with which token. */
export type GithubDeliveryFlags = Pick<GithubFlags, 'githubToken' | 'githubApiUrl'>;

function issueRefArg(value: string): IssueRef {
  const ref = parseIssueRef(value);
  if (!ref) throw new InvalidArgumentError(`--github must look like owner/repo#123 (or the issue's URL), got "${value}"`);
  return ref;
}

function repoArg(value: string): RepoRef {
  const ref = parseRepoSlug(value);
  if (!ref) throw new InvalidArgumentError(`--repo must look like owner/repo, got "${value}"`);
  return ref;
}

function apiUrlArg(value: string): string {
  const url = normaliseApiUrl(value);
  if (!url) throw new InvalidArgumentError(`--github-api-url must be an http(s) URL, got "${value}"`);
  return url;
}

/** Adds `--github-token` and `--github-api-url`, which every command that talks to GitHub takes. */
export function addGithubDeliveryOptions(cmd: Command): Command {
  return cmd
    .option('--github-token <token>', 'GitHub token (default: $GH_TOKEN, $GITHUB_TOKEN, then `gh auth token`)')
    .option('--github-api-url <url>', 'GitHub API base URL, for GitHub Enterprise (default: $GITHUB_API_URL, else the Enterprise host of the issue or the origin remote, else https://api.github.com)', apiUrlArg);
}

/** Adds the GitHub sync flags to `ccasp run`. */
export function addGithubOptions(cmd: Command): Command {
  addGithubDeliveryOptions(
    cmd
      .option('--github <owner/repo#n>', "report progress on this issue (default: the plan's own link)", issueRefArg)
      .option('--no-github', 'do not report progress to GitHub, even if the plan links an issue')
      .option('--repo <owner/repo>', "the repository of the plan's issue (default: the plan's, else CCASP's tech-stack.json, else the git remote origin)", repoArg),
  );
  return cmd
    .addOption(
      new Option('--github-mode <mode>', 'sticky: one status comment edited in place; comments: a comment per completed task')
        .choices(GITHUB_MODES)
        .default(DEFAULT_GITHUB_MODE),
    )
    .option('--no-close', 'leave the issue open when every phase is complete');
}
