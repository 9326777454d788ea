/**
 * Scrubs secrets from outside text (an agent's words, a check's output, git's and GitHub's errors)
 * before ccasp keeps, shows or posts it. Two nets: the exact values we know are secret (the GitHub
 * token, secret-named variables in the environment), and the shapes secrets have whoever owns them,
 * since a process can print any of them.
 */
export const REDACTED = '[REDACTED]';

const SECRET_SHAPES: readonly RegExp[] = [
  // GitHub: classic and OAuth/app/refresh tokens, fine-grained PATs.
  /\bgh[pousr]_[A-Za-z0-9]{20,}\b/g,
  /\bgithub_pat_[A-Za-z0-9_]{20,}/g,
  // Anthropic and OpenAI API keys (sk-, sk-proj-, sk-svcacct-, …); a digit somewhere keeps words such as "sk-learn-…" out.
  /\bsk-ant-[A-Za-z0-9_-]{10,}/g,
  /\bsk-(?=[A-Za-z0-9_-]*\d)[A-Za-z0-9_-]{20,}/g,
  // AWS access key ids (long-term AKIA, temporary ASIA).
  /\b(?:AKIA|ASIA)[0-9A-Z]{16}\b/g,
  // Slack bot, user, app and refresh tokens, and incoming webhooks.
  /\bxox[a-z]-[A-Za-z0-9-]{10,}/g,
  /\bxapp-\d-[A-Za-z0-9-]{10,}/g,
  /\bhttps:\/\/hooks\.slack\.com\/services\/[A-Za-z0-9/_-]+/g,
  // Google API keys, npm tokens.
  /\bAIza[0-9A-Za-z_-]{35}/g,
  /\bnpm_[A-Za-z0-9]{36}\b/g,
  // JWTs.
  /\beyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}/g,
  // PEM and PGP private key blocks, across lines (or `\n` escapes in JSON). One cut short goes up to
  // the end of the text or a quote (a JSON string's end: base64 has none), so a log line stays JSON.
  /-----BEGIN[A-Z0-9 ]*PRIVATE KEY[A-Z ]*-----[^"]*?(?:-----END[A-Z0-9 ]*PRIVATE KEY[A-Z ]*-----|(?=")|$)/g,
];

/**
 * `Authorization: token abc` and `Bearer abc`, keeping the header and scheme so the text still reads.
 * A bare `token abc` is left alone: "the token expired" is prose, not a credential.
 */
const AUTH_HEADER = /\b(authorization["']?\s*[:=]\s*["']?)(?:(bearer|token|basic)\s+)?[^\s'",}]+/gi;
const BEARER = /\b(bearer\s+)[A-Za-z0-9._~+/=-]{8,}/gi;
/** `https://user:secret@host` */
const URL_CREDENTIALS = /\b([a-z][a-z0-9+.-]*:\/\/)[^\s/@:]+:[^\s/@]+@/gi;

/**
 * A name whose value is a secret: its last word says so (GH_TOKEN, AWS_SECRET_ACCESS_KEY,
 * ANTHROPIC_API_KEY, DB_PASSWORD, PGPASSWORD, GOOGLE_APPLICATION_CREDENTIALS, MYSQL_PWD,
 * SECRET_KEY_BASE). The last word only: `TOKEN_LIMIT` and `max_tokens` name numbers.
 */
const SECRET_NAME =
  /(?:TOKEN|SECRET|PASSWORD|PASSWD|PASSPHRASE|CREDENTIALS?|APIKEY)$|(?:^|[_.-])(?:PAT|(?:API|ACCESS|PRIVATE|SECRET|SIGNING|ENCRYPTION|MASTER)[_.-]?KEY|SECRET[_.-]KEY[_.-]BASE)$|[_.-]PWD$/i;

/**
 * An assignment to a secret-named name, as environment files, shells, INI files and query strings
 * write it (`DB_PASSWORD=hunter2`, `aws_secret_access_key = …`), or a quoted key as JSON and YAML do
 * (`"password": "…"`). The value goes; the name stays, so the text still says what was there. Quotes
 * may be escaped ones (`\"`), as in the JSON of an agent's stream.
 */
const ASSIGNMENT = /\b([A-Za-z_][A-Za-z0-9_.-]*)([ \t]*=(?!=)[ \t]*)(?:(\\?["'])(.*?)\3|([^\s"',;&\\]+))/g;
const QUOTED_KEY = /(\\?["'])([A-Za-z_][A-Za-z0-9_.-]*)\1(\s*:\s*)(?:(\\?["'])(.*?)\4|([^\s"',}\]\\]+))/g;

/** Shorter values are too likely to occur in ordinary text to be replaced everywhere. */
const MIN_KNOWN_SECRET_LENGTH = 8;

export type Redactor = (text: string) => string;

/** Whether a variable or key of this name holds a secret by its name. */
export function isSecretName(name: string): boolean {
  return SECRET_NAME.test(name);
}

/** Values of secret-named variables (ANTHROPIC_API_KEY, GH_TOKEN, AWS_SECRET_ACCESS_KEY, …) in `env`. */
export function secretsFromEnv(env: NodeJS.ProcessEnv): string[] {
  return Object.entries(env)
    .filter(([name, value]) => isSecretName(name) && value !== undefined && value.length >= MIN_KNOWN_SECRET_LENGTH)
    .map(([, value]) => value!);
}

export function createRedactor(knownSecrets: readonly (string | undefined)[]): Redactor {
  // Longest first, so a secret that contains another is replaced whole.
  const known = [...new Set(knownSecrets.filter((s): s is string => s !== undefined && s.length >= MIN_KNOWN_SECRET_LENGTH))].sort(
    (a, b) => b.length - a.length,
  );
  return (text) => {
    let out = text;
    for (const secret of known) out = out.split(secret).join(REDACTED);
    for (const shape of SECRET_SHAPES) out = out.replace(shape, REDACTED);
    out = out.replace(AUTH_HEADER, (_m, header: string, scheme: string | undefined) => `${header}${scheme ? `${scheme} ` : ''}${REDACTED}`);
    out = out.replace(BEARER, (_m, bearer: string) => `${bearer}${REDACTED}`);
    out = out.replace(URL_CREDENTIALS, (_m, scheme: string) => `${scheme}${REDACTED}@`);
    out = out.replace(ASSIGNMENT, (m, name: string, equals: string, quote: string | undefined) =>
      isSecretName(name) ? `${name}${equals}${quote ?? ''}${REDACTED}${quote ?? ''}` : m,
    );
    // A bare value (a number) is quoted like its key, so that JSON stays JSON.
    out = out.replace(QUOTED_KEY, (m, keyQuote: string, name: string, colon: string, quote: string | undefined) =>
      isSecretName(name) ? `${keyQuote}${name}${keyQuote}${colon}${quote ?? keyQuote}${REDACTED}${quote ?? keyQuote}` : m,
    );
    return out;
  };
}

/**
 * `error`, its message and stack passed through `redact`. Changed in place, so that its class (and
 * with it the exit code) still counts; anything thrown that is not an Error becomes one.
 */
export function redactError(error: unknown, redact: Redactor): Error {
  if (!(error instanceof Error)) return new Error(redact(String(error)));
  error.message = redact(error.message);
  if (error.stack !== undefined) error.stack = redact(error.stack);
  return error;
}
