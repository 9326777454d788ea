/**
 * Variables that let a process act on GitHub: gh's and GitHub Actions' token variables, Enterprise's,
 * and the Actions runtime's own credentials (an OIDC token request can be traded for cloud roles).
 * ccasp's GitHub sync holds its token itself; an agent or a check has no use for one, and an agent
 * talked into it by what it reads could push, approve or comment with it.
 */
export const GITHUB_CREDENTIALS: readonly string[] = [
  'GH_TOKEN',
  'GITHUB_TOKEN',
  'GH_ENTERPRISE_TOKEN',
  'GITHUB_ENTERPRISE_TOKEN',
  'ACTIONS_RUNTIME_TOKEN',
  'ACTIONS_ID_TOKEN_REQUEST_TOKEN',
];

/**
 * The environment agents and checks run with: ccasp's own, without GITHUB_CREDENTIALS and without
 * any variable that holds one of `tokens` (the token ccasp uses, however it got it), except the
 * variables named in `passThrough` (`--agent-env`).
 */
export function agentEnv(env: NodeJS.ProcessEnv, tokens: readonly (string | undefined)[], passThrough: readonly string[]): NodeJS.ProcessEnv {
  const withheld = new Set(tokens.map((t) => t?.trim()).filter((t): t is string => t !== undefined && t !== ''));
  const kept: NodeJS.ProcessEnv = {};
  for (const [name, value] of Object.entries(env)) {
    const credential = GITHUB_CREDENTIALS.includes(name) || (value !== undefined && withheld.has(value.trim()));
    if (!credential || passThrough.includes(name)) kept[name] = value;
  }
  return kept;
}
