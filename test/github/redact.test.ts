import { describe, expect, it } from 'vitest';
import { createRedactor, REDACTED, secretsFromEnv } from '../../src/secrets/redact.js';

describe('redaction', () => {
  const redact = createRedactor(['my-known-secret-value']);

  it.each([
    ['a classic token', 'token ghp_abcdefghijklmnopqrstuvwxyz0123456789 leaked'],
    ['an OAuth token', 'gho_abcdefghijklmnopqrstuvwxyz0123456789'],
    ['a fine-grained PAT', 'github_pat_11ABCDEFG0123456789_abcdefghijklmnopqrstuvwxyz'],
    ['an Anthropic key', 'key=sk-ant-api03-abcdefghijklmnopqrstuv'],
    ['an AWS key id', 'AKIAABCDEFGHIJKLMNOP'],
    ['a JWT', 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.abcdefghijklmnop'],
  ])('removes %s', (_name, text) => {
    const out = redact(text);
    expect(out).toContain(REDACTED);
    expect(out).not.toMatch(/gh[opsu]_|github_pat_|sk-ant-|AKIA|eyJ/);
  });

  it('keeps the header and scheme of an authorization value, not the credential', () => {
    expect(redact('Authorization: token abcdef123456')).toBe(`Authorization: token ${REDACTED}`);
    expect(redact('"authorization":"bearer x.y.z-1234567"')).toBe(`"authorization":"bearer ${REDACTED}"`);
    expect(redact('curl -H "Bearer abcdefgh12345678"')).toBe(`curl -H "Bearer ${REDACTED}"`);
  });

  it('removes a known secret of any shape, and credentials in URLs', () => {
    expect(redact('the value my-known-secret-value appears')).toBe(`the value ${REDACTED} appears`);
    expect(redact('https://bob:hunter22@example.com/x')).toBe(`https://${REDACTED}@example.com/x`);
  });

  it('leaves ordinary prose alone', () => {
    const prose = 'The token expiration is handled; a bearer of bad news; see https://github.com/acme/widgets/issues/7.';
    expect(redact(prose)).toBe(prose);
  });

  it('knows secrets by variable name, and ignores short values', () => {
    const env = { ANTHROPIC_API_KEY: 'sk-ant-xxxxxxxxxxxxxx', GH_TOKEN: 'abcdefgh12', NPM_TOKEN: 'short', PATH: '/usr/bin:/bin', DB_PASSWORD: 'correct horse' };
    expect(secretsFromEnv(env).sort()).toEqual(['abcdefgh12', 'correct horse', 'sk-ant-xxxxxxxxxxxxxx'].sort());
  });
});
