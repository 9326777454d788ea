/**
 * Scrubs secrets from anything ccasp posts to GitHub, writes to the outbox or shows as a notice.
 * Two nets: the exact values we know are secret (the GitHub token, API keys in the environment),
 * and the shapes secrets have whoever owns them, since an agent's summary can quote any of them.
 */
export const REDACTED = '[REDACTED]';

const SECRET_SHAPES: readonly RegExp[] = [
  // GitHub: classic and OAuth/app/refresh tokens, fine-grained PATs.
  /\bgh[pousr]_[A-Za-z0-9]{20,}\b/g,
  /\bgithub_pat_[A-Za-z0-9_]{20,}/g,
  // Anthropic and OpenAI-style API keys.
  /\bsk-ant-[A-Za-z0-9_-]{10,}/g,
  /\bsk-(?:proj-)?[A-Za-z0-9_-]{20,}/g,
  // AWS access key ids, Slack tokens, JWTs.
  /\bAKIA[0-9A-Z]{16}\b/g,
  /\bxox[abprs]-[A-Za-z0-9-]{10,}/g,
  /\beyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}/g,
];

/**
 * `Authorization: token abc` and `Bearer abc`, keeping the header and scheme so the text still reads.
 * A bare `token abc` is left alone: "the token expired" is prose, not a credential.
 */
const AUTH_HEADER = /\b(authorization["']?\s*[:=]\s*["']?)(?:(bearer|token|basic)\s+)?[^\s'",}]+/gi;
const BEARER = /\b(bearer\s+)[A-Za-z0-9._~+/=-]{8,}/gi;
/** `https://user:secret@host` */
const URL_CREDENTIALS = /\b([a-z][a-z0-9+.-]*:\/\/)[^\s/@:]+:[^\s/@]+@/gi;

/** Environment variables whose values are secrets by name. */
const SECRET_ENV_NAME = /(TOKEN|SECRET|PASSWORD|PASSWD|API_?KEY|PRIVATE_KEY|CREDENTIALS?)$/i;
/** Shorter values are too likely to occur in ordinary text to be replaced everywhere. */
const MIN_KNOWN_SECRET_LENGTH = 8;

export type Redactor = (text: string) => string;

/** Values of secret-named variables (ANTHROPIC_API_KEY, GH_TOKEN, …) in `env`. */
export function secretsFromEnv(env: NodeJS.ProcessEnv): string[] {
  return Object.entries(env)
    .filter(([name, value]) => SECRET_ENV_NAME.test(name) && value !== undefined && value.length >= MIN_KNOWN_SECRET_LENGTH)
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
    return out;
  };
}
