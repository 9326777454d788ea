/** A URL (Redis, git) with any user name and password taken out, safe to put in a job, a log or a message. */
export function withoutCredentials(url: string): string {
  try {
    const parsed = new URL(url);
    if (!parsed.username && !parsed.password) return url;
    parsed.username = '';
    parsed.password = '';
    return parsed.toString();
  } catch {
    // scp-like `user@host:path` and local paths: a user name there is no secret.
    return url;
  }
}
