/**
 * Where the GitHub token and API address come from. The token is only ever held in memory: it is
 * returned to the client factory and the redactor, never written anywhere.
 */
export const DEFAULT_API_URL = 'https://api.github.com';
const GH_TIMEOUT_MS = 3_000;

export type TokenSource = '--github-token' | 'GH_TOKEN' | 'GITHUB_TOKEN' | 'gh auth token';

export interface ResolvedToken {
  readonly token: string;
  readonly source: TokenSource;
}

/** Asks the GitHub CLI for its token for `host`; undefined when gh is missing, logged out or slow. */
export type GhAuthToken = (host: string) => Promise<string | undefined>;

/** Precedence: `--github-token`, `GH_TOKEN`, `GITHUB_TOKEN` (as gh itself reads them), then `gh auth token`. */
export async function resolveToken(
  flag: string | undefined,
  env: NodeJS.ProcessEnv,
  host: string,
  ghAuthToken: GhAuthToken = ghCliToken,
): Promise<ResolvedToken | undefined> {
  const candidates: [TokenSource, string | undefined][] = [
    ['--github-token', flag],
    ['GH_TOKEN', env.GH_TOKEN],
    ['GITHUB_TOKEN', env.GITHUB_TOKEN],
  ];
  for (const [source, value] of candidates) {
    const token = value?.trim();
    if (token) return { token, source };
  }
  const fromGh = (await ghAuthToken(host))?.trim();
  return fromGh ? { token: fromGh, source: 'gh auth token' } : undefined;
}

/** `gh auth token --hostname <host>` through execa, loaded only when we get this far. */
export const ghCliToken: GhAuthToken = async (host) => {
  const { execa } = await import('execa');
  const result = await execa('gh', ['auth', 'token', '--hostname', host], {
    timeout: GH_TIMEOUT_MS,
    reject: false,
    stdin: 'ignore',
  });
  return result.exitCode === 0 && typeof result.stdout === 'string' ? result.stdout.trim() || undefined : undefined;
};

export type ApiUrl = { readonly kind: 'ok'; readonly url: string } | { readonly kind: 'invalid'; readonly message: string };

/**
 * `--github-api-url`, then `GITHUB_API_URL` (set by GitHub Actions, also on Enterprise), then the
 * Enterprise server the repository was named on (`webHost`, from an issue address or the
 * `origin` remote: `https://<host>/api/v3`), else github.com.
 */
export function resolveApiUrl(flag: string | undefined, env: NodeJS.ProcessEnv, webHost?: string): ApiUrl {
  const enterprise = webHost && webHost !== 'github.com' ? `https://${webHost}/api/v3` : undefined;
  const [name, raw] = flag
    ? ['--github-api-url', flag]
    : env.GITHUB_API_URL
      ? ['GITHUB_API_URL', env.GITHUB_API_URL]
      : enterprise
        ? [`the host of the issue's repository (${webHost})`, enterprise]
        : ['', DEFAULT_API_URL];
  const url = normaliseApiUrl(raw);
  return url ? { kind: 'ok', url } : { kind: 'invalid', message: `${name} must be an http(s) URL, got "${raw}"` };
}

export function normaliseApiUrl(raw: string): string | undefined {
  try {
    const url = new URL(raw.trim());
    if (url.protocol !== 'https:' && url.protocol !== 'http:') return undefined;
    return url.toString().replace(/\/+$/, '');
  } catch {
    return undefined;
  }
}

/** The host gh knows the login by: github.com for the public API, else the Enterprise host. */
export function ghHostFor(apiUrl: string): string {
  const host = new URL(apiUrl).host;
  return host === 'api.github.com' ? 'github.com' : host;
}
