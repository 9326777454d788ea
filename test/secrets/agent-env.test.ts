import { describe, expect, it } from 'vitest';
import { agentEnv, GITHUB_CREDENTIALS } from '../../src/secrets/agent-env.js';

describe('agentEnv', () => {
  const env = {
    PATH: '/usr/bin:/bin',
    HOME: '/home/me',
    ANTHROPIC_API_KEY: 'sk-ant-api03-key',
    GH_TOKEN: 'ghp_fromGhToken',
    GITHUB_TOKEN: 'ghs_fromActions',
    GH_ENTERPRISE_TOKEN: 'ghp_enterprise',
    ACTIONS_ID_TOKEN_REQUEST_TOKEN: 'oidc-request',
    BOT_TOKEN: 'ghp_givenByFlag',
    NPM_TOKEN: 'npm_kept',
  };

  it("withholds GitHub's credentials and any variable holding the token ccasp uses, and keeps the rest", () => {
    const out = agentEnv(env, ['ghp_givenByFlag', undefined], []);
    expect(out).toEqual({ PATH: '/usr/bin:/bin', HOME: '/home/me', ANTHROPIC_API_KEY: 'sk-ant-api03-key', NPM_TOKEN: 'npm_kept' });
    for (const name of GITHUB_CREDENTIALS) expect(out).not.toHaveProperty(name);
  });

  it('knows the token by its value, whatever the variable and however ccasp got it (a flag, gh auth token)', () => {
    expect(agentEnv({ PATH: '/bin', MY_SYNC: ' ghp_fromGhCli\n' }, ['ghp_fromGhCli'], [])).toEqual({ PATH: '/bin' });
  });

  it('passes the named variables through', () => {
    const out = agentEnv(env, ['ghp_givenByFlag'], ['GH_TOKEN', 'BOT_TOKEN', 'NOT_SET']);
    expect(out.GH_TOKEN).toBe('ghp_fromGhToken');
    expect(out.BOT_TOKEN).toBe('ghp_givenByFlag');
    expect(out).not.toHaveProperty('GITHUB_TOKEN');
    expect(out).not.toHaveProperty('NOT_SET');
  });

  it('leaves the environment it was given alone', () => {
    const given = { ...env };
    agentEnv(given, [], []);
    expect(given).toEqual(env);
  });
});
