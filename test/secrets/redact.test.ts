import { describe, expect, it } from 'vitest';
import { createRedactor, isSecretName, REDACTED, secretsFromEnv } from '../../src/secrets/redact.js';

describe('redaction', () => {
  const redact = createRedactor(['my-known-secret-value']);

  /** Each shape: text holding the secret, and the secret itself, which must be gone. */
  const SHAPES: [string, string, string][] = [
    ['a GitHub classic token', 'token ghp_abcdefghijklmnopqrstuvwxyz0123456789 leaked', 'ghp_abcdefghijklmnopqrstuvwxyz0123456789'],
    ['a GitHub OAuth token', 'gho_abcdefghijklmnopqrstuvwxyz0123456789', 'gho_abcdefghijklmnopqrstuvwxyz0123456789'],
    ['a GitHub app installation token', 'x-access-token ghs_abcdefghijklmnopqrstuvwxyz0123456789', 'ghs_abcdefghijklmnopqrstuvwxyz0123456789'],
    ['a GitHub fine-grained PAT', 'github_pat_11ABCDEFG0123456789_abcdefghijklmnopqrstuvwxyz', 'github_pat_11ABCDEFG0123456789_abcdefghijklmnopqrstuvwxyz'],
    ['an Anthropic key', 'key=sk-ant-api03-abcdefghijklmnopqrstuv', 'sk-ant-api03-abcdefghijklmnopqrstuv'],
    ['an OpenAI key', 'using sk-abcdefghijklmnopqrstuvwxyz0123456789ABCDEFGHIJ now', 'sk-abcdefghijklmnopqrstuvwxyz0123456789ABCDEFGHIJ'],
    ['an OpenAI project key', 'sk-proj-Ab3dEfGhIjKlMnOpQrStUvWxYz_0123456789-abcdEFGH', 'sk-proj-Ab3dEfGhIjKlMnOpQrStUvWxYz_0123456789-abcdEFGH'],
    ['an AWS access key id', 'id AKIAIOSFODNN7EXAMPLE here', 'AKIAIOSFODNN7EXAMPLE'],
    ['an AWS temporary access key id', 'ASIAIOSFODNN7EXAMPLE', 'ASIAIOSFODNN7EXAMPLE'],
    ['a Slack bot token', 'xoxb-1234567890-1234567890123-AbCdEfGhIjKlMnOpQrStUvWx', 'xoxb-1234567890-1234567890123-AbCdEfGhIjKlMnOpQrStUvWx'],
    ['a Slack user token', 'xoxp-1234567890-1234567890-1234567890123-abcdef0123456789', 'xoxp-1234567890-1234567890-1234567890123-abcdef0123456789'],
    ['a Slack app token', 'xapp-1-A0123456789-1234567890123-abcdef0123456789', 'xapp-1-A0123456789-1234567890123-abcdef0123456789'],
    ['a Slack webhook', 'post to https://hooks.slack.com/services/T00000000/B00000000/XXXXXXXXXXXXXXXXXXXXXXXX done', 'T00000000/B00000000/XXXXXXXXXXXXXXXXXXXXXXXX'],
    ['a Google API key', 'AIzaSyA-abcdefghijklmnopqrstuvwxyz01234', 'AIzaSyA-abcdefghijklmnopqrstuvwxyz01234'],
    ['an npm token', 'npm_abcdefghijklmnopqrstuvwxyz0123456789', 'npm_abcdefghijklmnopqrstuvwxyz0123456789'],
    ['a JWT', 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.abcdefghijklmnop', 'eyJzdWIiOiIxMjM0NTY3ODkwIn0'],
  ];

  it.each(SHAPES)('removes %s', (_name, text, secret) => {
    const out = redact(text);
    expect(out).toContain(REDACTED);
    expect(out).not.toContain(secret);
  });

  const PEM_BODY = 'MIIEowIBAAKCAQEAu1SU1LfVLPHCozMxH2Mo4lgOEePzNm0tRgeLezV6ffAt0gun\nVTLw7onLRnrq0/IzW7yWR7QkrmBL7jTKEn5u+qKhbwKfBstIs+bMY2Zkp18gnTxK\n';
  const PEMS: [string, string][] = [
    ['an RSA private key', `-----BEGIN RSA PRIVATE KEY-----\n${PEM_BODY}-----END RSA PRIVATE KEY-----`],
    ['a PKCS#8 private key', `-----BEGIN PRIVATE KEY-----\n${PEM_BODY}-----END PRIVATE KEY-----`],
    ['an OpenSSH private key', `-----BEGIN OPENSSH PRIVATE KEY-----\n${PEM_BODY}-----END OPENSSH PRIVATE KEY-----`],
    ['an encrypted private key', `-----BEGIN ENCRYPTED PRIVATE KEY-----\n${PEM_BODY}-----END ENCRYPTED PRIVATE KEY-----`],
    ['a PGP private key block', `-----BEGIN PGP PRIVATE KEY BLOCK-----\n\n${PEM_BODY}=abcd\n-----END PGP PRIVATE KEY BLOCK-----`],
  ];

  it.each(PEMS)('removes %s across lines, and keeps the text around it', (_name, block) => {
    expect(redact(`before\n${block}\nafter`)).toBe(`before\n${REDACTED}\nafter`);
  });

  it('removes a private key in a JSON string (a service account file, a stream line) and keeps the JSON whole', () => {
    const line = JSON.stringify({ type: 'user', content: `{"private_key_id": "1", "private_key": "-----BEGIN PRIVATE KEY-----\n${PEM_BODY}-----END PRIVATE KEY-----\n"}` });
    const out = redact(line);
    expect(out).not.toContain('MIIEowIBAAKCAQEAu1SU1LfVLPHCozMxH2Mo4lgOEePzNm0tRgeLezV6ffAt0gun');
    expect(() => JSON.parse(out) as unknown).not.toThrow();
  });

  it('removes a private key cut short, up to the end of the text or of its JSON string', () => {
    expect(redact(`tail: -----BEGIN RSA PRIVATE KEY-----\n${PEM_BODY}`)).toBe(`tail: ${REDACTED}`);
    const line = JSON.stringify({ text: `-----BEGIN RSA PRIVATE KEY-----\n${PEM_BODY}` });
    expect(JSON.parse(redact(line))).toEqual({ text: REDACTED });
  });

  it.each([
    ['an environment file line', 'DB_PASSWORD=hunter2horse', `DB_PASSWORD=${REDACTED}`],
    ['an export with quotes', `export MYSQL_PWD='s3cr3t value'`, `export MYSQL_PWD='${REDACTED}'`],
    ['the AWS secret access key by name', 'AWS_SECRET_ACCESS_KEY=wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY', `AWS_SECRET_ACCESS_KEY=${REDACTED}`],
    ['an INI credentials file', 'aws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY', `aws_secret_access_key = ${REDACTED}`],
    ['a query string', 'GET /cb?access_token=abc123xyz&state=1', `GET /cb?access_token=${REDACTED}&state=1`],
    ['a command-line flag', 'mysql --password=hunter2horse -u root', `mysql --password=${REDACTED} -u root`],
    ['a JSON key', '{"client_secret": "abc def", "id": 7}', `{"client_secret": "${REDACTED}", "id": 7}`],
    ['a JSON number, which stays JSON', '{"api_key":12345678}', `{"api_key":"${REDACTED}"}`],
    ['a JSON key inside a JSON string', '"{\\"password\\":\\"hunter2\\"}"', `"{\\"password\\":\\"${REDACTED}\\"}"`],
    ['an assignment inside a JSON string', '"DB_PASSWORD=\\"hunter2\\" and more"', `"DB_PASSWORD=\\"${REDACTED}\\" and more"`],
  ])('removes the value of a secret-named assignment: %s', (_name, text, expected) => {
    expect(redact(text)).toBe(expected);
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

  it('leaves ordinary prose, numbers and code that only look close alone', () => {
    for (const text of [
      'The token expiration is handled; a bearer of bad news; see https://github.com/acme/widgets/issues/7.',
      'TOKEN_LIMIT=5000 max_tokens=100 "input_tokens": 120 PWD=/home/me OLDPWD=/tmp',
      'if token == None: pass',
      'pip install scikit-learn; sk-learn-compatible-estimators-module',
      'task-abcdefghijklmnopqrstuvwxyz0123',
    ]) {
      expect(redact(text)).toBe(text);
    }
  });

  it('knows secrets by the last word of a name', () => {
    const secret = ['GH_TOKEN', 'AWS_SECRET_ACCESS_KEY', 'AWS_SESSION_TOKEN', 'ANTHROPIC_API_KEY', 'OPENAI_API_KEY', 'SSH_PRIVATE_KEY', 'DB_PASSWORD', 'PGPASSWORD'];
    const alsoSecret = ['CSRFTOKEN', 'GOOGLE_APPLICATION_CREDENTIALS', 'MYSQL_PWD', 'SECRET_KEY_BASE', 'CLIENT_SECRET', 'GPG_PASSPHRASE', 'GITHUB_PAT', 'stripe.apiKey'];
    const notSecret = ['PATH', 'PWD', 'OLDPWD', 'TOKEN_LIMIT', 'max_tokens', 'HOME', 'SSH_AUTH_SOCK', 'KEYBOARD', 'COMPAT', 'MONKEY'];
    expect([...secret, ...alsoSecret].filter((n) => !isSecretName(n))).toEqual([]);
    expect(notSecret.filter(isSecretName)).toEqual([]);
  });

  it('takes the values of secret-named variables, and ignores short values', () => {
    const env = {
      ANTHROPIC_API_KEY: 'sk-ant-xxxxxxxxxxxxxx',
      GH_TOKEN: 'abcdefgh12',
      NPM_TOKEN: 'short',
      PATH: '/usr/bin:/bin',
      DB_PASSWORD: 'correct horse',
      AWS_SECRET_ACCESS_KEY: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY',
      SLACK_CREDENTIALS: 'xoxb-not-quite-a-token',
    };
    expect(secretsFromEnv(env).sort()).toEqual(['abcdefgh12', 'correct horse', 'sk-ant-xxxxxxxxxxxxxx', 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY', 'xoxb-not-quite-a-token'].sort());
  });
});
