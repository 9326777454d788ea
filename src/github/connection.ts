import type { GithubDeliveryFlags } from './options.js';
import { ghHostFor, resolveApiUrl, resolveToken, type GhAuthToken, type ResolvedToken } from './token.js';

export type Connection =
  | { readonly kind: 'ok'; readonly apiUrl: string; readonly token: ResolvedToken }
  | { readonly kind: 'off'; readonly message: string };

/** The API address and the token, shared by `ccasp run` and `ccasp sync`. */
export async function connect(flags: GithubDeliveryFlags, env: NodeJS.ProcessEnv, ghAuthToken?: GhAuthToken, webHost?: string): Promise<Connection> {
  const api = resolveApiUrl(flags.githubApiUrl, env, webHost);
  if (api.kind === 'invalid') return { kind: 'off', message: api.message };
  const token = await resolveToken(flags.githubToken, env, ghHostFor(api.url), ghAuthToken);
  if (!token) {
    return {
      kind: 'off',
      message: 'no GitHub token: pass --github-token, set GH_TOKEN or GITHUB_TOKEN, or log in with `gh auth login`',
    };
  }
  return { kind: 'ok', apiUrl: api.url, token };
}

export function describeToken(token: ResolvedToken): string {
  return token.source === '--github-token' ? 'the token given by --github-token' : `the token from ${token.source}`;
}
