import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { originUrlFromConfig, readOriginUrl } from '../../src/github/git-remote.js';
import { parseIssueRef, parseRepoSlug, repoFromRemoteUrl, resolveLink } from '../../src/github/link.js';
import { readTechStackRepo, TECH_STACK_FILE } from '../../src/github/tech-stack.js';
import { ghHostFor, resolveApiUrl, resolveToken } from '../../src/github/token.js';
import { tempDir } from '../support/tmp.js';

describe('parsing links', () => {
  it('reads owner/repo#n and issue URLs', () => {
    expect(parseIssueRef('acme/widgets#12')).toEqual({ owner: 'acme', repo: 'widgets', issue: 12 });
    expect(parseIssueRef('https://github.com/acme/widgets.js/issues/3')).toEqual({ owner: 'acme', repo: 'widgets.js', issue: 3, host: 'github.com' });
    expect(parseIssueRef('https://GHE.corp/acme/widgets/issues/9#issuecomment-1')).toEqual({ owner: 'acme', repo: 'widgets', issue: 9, host: 'ghe.corp' });
    for (const bad of ['acme/widgets', 'acme#1', 'acme/widgets#0', 'a b/c#1', '-acme/widgets#1']) expect(parseIssueRef(bad)).toBeUndefined();
    expect(parseRepoSlug('acme/widgets')).toEqual({ owner: 'acme', repo: 'widgets' });
    expect(parseRepoSlug('acme')).toBeUndefined();
  });

  it.each([
    ['git@github.com:acme/widgets.git', 'github.com'],
    ['https://github.com/acme/widgets.git', 'github.com'],
    ['https://x-access-token:abc@github.com/acme/widgets', 'github.com'],
    ['ssh://git@github.com:22/acme/widgets.git', 'github.com'],
    ['git://ghe.corp/acme/widgets', 'ghe.corp'],
    ['git@GHE.corp:acme/widgets.git', 'ghe.corp'],
  ])('finds owner/repo and the host in the remote %s', (url, host) => {
    expect(repoFromRemoteUrl(url)).toEqual({ owner: 'acme', repo: 'widgets', host });
  });

  it('reads origin from a git config, also through a worktree .git file', () => {
    const config = '[core]\n\tbare = false\n[remote "upstream"]\n\turl = git@github.com:other/x.git\n[remote "origin"]\n\turl = git@github.com:acme/widgets.git\n\tfetch = +refs/heads/*:refs/remotes/origin/*\n';
    expect(originUrlFromConfig(config)).toBe('git@github.com:acme/widgets.git');
    const files: Record<string, string> = {
      [path.resolve('/wt/.git')]: 'gitdir: /main/.git/worktrees/wt\n',
      [path.resolve('/main/.git/worktrees/wt/commondir')]: '../..\n',
      [path.resolve('/main/.git/config')]: config,
    };
    expect(readOriginUrl('/wt', (f) => files[path.resolve(f)])).toBe('git@github.com:acme/widgets.git');
    expect(readOriginUrl('/nothing', () => undefined)).toBeUndefined();
  });
});

describe('resolving the link', () => {
  const origin = () => 'git@github.com:from/remote.git';

  it('--no-github wins over everything, --github over the plan', () => {
    expect(resolveLink({ flag: false, plan: { owner: 'a', repo: 'b', issue: 1 } })).toEqual({ kind: 'off', why: 'disabled' });
    const r = resolveLink({ flag: { owner: 'x', repo: 'y', issue: 5 }, plan: { owner: 'a', repo: 'b', issue: 1 } });
    expect(r).toMatchObject({ kind: 'linked', link: { owner: 'x', repo: 'y', issue: 5 }, source: '--github' });
  });

  it('takes the repository from --repo, then the plan, then tech-stack.json, then the origin remote', () => {
    const plan = { owner: 'plan', repo: 'repo', issue: 4 };
    const techStackRepo = () => ({ owner: 'ccasp', repo: 'stack' });
    expect(resolveLink({ plan, repoFlag: { owner: 'flag', repo: 'repo' }, techStackRepo, originUrl: origin })).toMatchObject({ link: { owner: 'flag', issue: 4 } });
    expect(resolveLink({ plan, techStackRepo, originUrl: origin })).toMatchObject({ link: { owner: 'plan', issue: 4 } });
    expect(resolveLink({ plan: { issue: 4 }, techStackRepo, originUrl: origin })).toMatchObject({
      link: { owner: 'ccasp', repo: 'stack', issue: 4 },
      source: 'the plan (issue) and .claude/config/tech-stack.json',
    });
    expect(resolveLink({ plan: { issue: 4 }, techStackRepo: () => undefined, originUrl: origin })).toMatchObject({ link: { owner: 'from', repo: 'remote', issue: 4 } });
  });

  it('is off without an issue, and says what to pass when no repository is known', () => {
    expect(resolveLink({ originUrl: origin })).toEqual({ kind: 'off', why: 'unlinked' });
    const r = resolveLink({ plan: { issue: 4 }, originUrl: () => undefined });
    expect(r.kind).toBe('incomplete');
    expect(r.kind === 'incomplete' && r.message).toMatch(/--repo owner\/repo/);
  });
});

describe('resolving the token and API URL', () => {
  const gh = (token?: string) => async () => token;

  it('prefers --github-token, then GH_TOKEN, then GITHUB_TOKEN, then gh auth token', async () => {
    const env = { GH_TOKEN: 'from-gh-token', GITHUB_TOKEN: 'from-github-token' };
    expect(await resolveToken('from-flag', env, 'github.com', gh('from-gh'))).toEqual({ token: 'from-flag', source: '--github-token' });
    expect(await resolveToken(undefined, env, 'github.com', gh('from-gh'))).toEqual({ token: 'from-gh-token', source: 'GH_TOKEN' });
    expect(await resolveToken(undefined, { GITHUB_TOKEN: 'from-github-token', GH_TOKEN: ' ' }, 'github.com', gh('from-gh'))).toEqual({
      token: 'from-github-token',
      source: 'GITHUB_TOKEN',
    });
    expect(await resolveToken(undefined, {}, 'github.com', gh('from-gh\n'))).toEqual({ token: 'from-gh', source: 'gh auth token' });
    expect(await resolveToken(undefined, {}, 'github.com', gh(undefined))).toBeUndefined();
  });

  it('asks gh about the right host, and never when a token is already known', async () => {
    const hosts: string[] = [];
    const ask = async (host: string) => (hosts.push(host), 't');
    await resolveToken('flag', {}, 'github.com', ask);
    await resolveToken(undefined, {}, ghHostFor('https://ghe.corp/api/v3'), ask);
    await resolveToken(undefined, {}, ghHostFor('https://api.github.com'), ask);
    expect(hosts).toEqual(['ghe.corp', 'github.com']);
  });

  it('takes the API URL from the flag, then GITHUB_API_URL', () => {
    expect(resolveApiUrl(undefined, {})).toEqual({ kind: 'ok', url: 'https://api.github.com' });
    expect(resolveApiUrl(undefined, { GITHUB_API_URL: 'https://ghe.corp/api/v3/' })).toEqual({ kind: 'ok', url: 'https://ghe.corp/api/v3' });
    expect(resolveApiUrl('http://127.0.0.1:9', { GITHUB_API_URL: 'https://ghe.corp/api/v3' })).toEqual({ kind: 'ok', url: 'http://127.0.0.1:9' });
    expect(resolveApiUrl(undefined, { GITHUB_API_URL: 'ftp://x' }).kind).toBe('invalid');
  });

  it("finds an Enterprise API by the host the issue's repository was named on, after the flag and GITHUB_API_URL", () => {
    expect(resolveApiUrl(undefined, {}, 'ghe.corp')).toEqual({ kind: 'ok', url: 'https://ghe.corp/api/v3' });
    expect(resolveApiUrl(undefined, {}, 'github.com')).toEqual({ kind: 'ok', url: 'https://api.github.com' });
    expect(resolveApiUrl(undefined, { GITHUB_API_URL: 'https://other/api/v3' }, 'ghe.corp')).toEqual({ kind: 'ok', url: 'https://other/api/v3' });
    expect(resolveApiUrl('http://127.0.0.1:9', {}, 'ghe.corp')).toEqual({ kind: 'ok', url: 'http://127.0.0.1:9' });
    // The host travels with the link: from an issue address given to --github, or from the origin remote.
    expect(resolveLink({ flag: parseIssueRef('https://ghe.corp/acme/widgets/issues/9')! })).toMatchObject({ link: { host: 'ghe.corp' } });
    expect(resolveLink({ plan: { issue: 4 }, originUrl: () => 'git@ghe.corp:acme/widgets.git' })).toMatchObject({ link: { owner: 'acme', host: 'ghe.corp', issue: 4 } });
  });

  it('takes the host of a repository named without one from the origin remote, when that is the same repository', () => {
    const origin = () => 'git@ghe.corp:Acme/Widgets.git';
    expect(resolveLink({ plan: { owner: 'acme', repo: 'widgets', issue: 4 }, originUrl: origin })).toEqual({
      kind: 'linked',
      link: { owner: 'acme', repo: 'widgets', issue: 4, host: 'ghe.corp' },
      source: 'the plan',
    });
    expect(resolveLink({ flag: parseIssueRef('acme/widgets#9')!, originUrl: origin })).toMatchObject({ link: { issue: 9, host: 'ghe.corp' } });
    expect(resolveLink({ plan: { issue: 4 }, repoFlag: parseRepoSlug('acme/widgets')!, originUrl: origin })).toMatchObject({ link: { host: 'ghe.corp' } });
    expect(resolveLink({ plan: { issue: 4 }, techStackRepo: () => ({ owner: 'acme', repo: 'widgets' }), originUrl: origin })).toMatchObject({ link: { host: 'ghe.corp' } });
    // Another repository on origin says nothing about where this one lives; an issue address keeps its own host.
    const other = resolveLink({ plan: { owner: 'acme', repo: 'gadgets', issue: 4 }, originUrl: origin });
    expect(other.kind === 'linked' && other.link.host).toBe(undefined);
    expect(resolveLink({ flag: parseIssueRef('https://github.com/acme/widgets/issues/9')!, originUrl: origin })).toMatchObject({ link: { host: 'github.com' } });
    // No remote at all: the link is as named.
    expect(resolveLink({ plan: { owner: 'acme', repo: 'widgets', issue: 4 }, originUrl: () => undefined })).toEqual({
      kind: 'linked',
      link: { owner: 'acme', repo: 'widgets', issue: 4 },
      source: 'the plan',
    });
  });
});

describe("CCASP's tech-stack.json", () => {
  const withTechStack = (text: string | undefined): string => {
    const root = tempDir();
    if (text !== undefined) {
      mkdirSync(path.join(root, path.dirname(TECH_STACK_FILE)), { recursive: true });
      writeFileSync(path.join(root, TECH_STACK_FILE), text);
    }
    return root;
  };

  it('names the repository CCASP creates issues in', () => {
    const root = withTechStack(JSON.stringify({ versionControl: { provider: 'github', owner: 'acme', repo: 'shop', defaultBranch: 'main' } }));
    expect(readTechStackRepo(root)).toEqual({ owner: 'acme', repo: 'shop' });
    expect(readTechStackRepo(withTechStack(`\uFEFF${JSON.stringify({ versionControl: { owner: 'a', repo: 'b.git' } })}`))).toEqual({ owner: 'a', repo: 'b' });
  });

  it.each([
    ['no file', undefined],
    ['broken JSON', '{ "versionControl": '],
    ['no versionControl', '{"frontend": {}}'],
    ['an owner that is not a string', '{"versionControl": {"owner": 1, "repo": "shop"}}'],
    ['a slug GitHub would refuse', '{"versionControl": {"owner": "ac me", "repo": "shop"}}'],
    ['an array', '[]'],
  ])('is only a fallback: nothing for %s', (_name, text) => {
    expect(readTechStackRepo(withTechStack(text))).toBeUndefined();
  });
});
