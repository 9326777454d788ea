import { Command } from 'commander';
import { describe, expect, it } from 'vitest';
import { addGithubOptions, type GithubFlags } from '../../src/github/options.js';

function parse(args: string[]): GithubFlags {
  const cmd = addGithubOptions(new Command('run').argument('<plan-dir>').exitOverride().configureOutput({ writeErr: () => undefined }));
  cmd.parse(['plan', ...args], { from: 'user' });
  return cmd.opts<GithubFlags>();
}

describe('ccasp run GitHub flags', () => {
  it('defaults: the plan decides the link, sticky mode, close at the end', () => {
    expect(parse([])).toEqual({ githubMode: 'sticky', close: true });
  });

  it('parses every flag into its normalised form', () => {
    expect(
      parse(['--github', 'acme/widgets#12', '--github-token', 't', '--github-api-url', 'https://ghe.corp/api/v3/', '--github-mode', 'comments', '--no-close', '--repo', 'o/r']),
    ).toEqual({
      github: { owner: 'acme', repo: 'widgets', issue: 12 },
      githubToken: 't',
      githubApiUrl: 'https://ghe.corp/api/v3',
      githubMode: 'comments',
      close: false,
      repo: { owner: 'o', repo: 'r' },
    });
    expect(parse(['--no-github']).github).toBe(false);
  });

  it.each([
    [['--github', 'acme/widgets'], /--github must look like owner\/repo#123/],
    [['--repo', 'acme'], /--repo must look like owner\/repo/],
    [['--github-api-url', 'not a url'], /--github-api-url must be an http\(s\) URL/],
    [['--github-mode', 'loud'], /Allowed choices are sticky, comments/],
  ])('refuses %j', (args, message) => {
    expect(() => parse(args)).toThrow(message);
  });
});
