/**
 * The hidden line every comment ccasp posts ends with: `<!-- ccasp:{planId}:{eventId} -->`. The issue
 * itself is the record of what was delivered, so a retry after an unclear failure, a second run, or
 * `ccasp sync` on another machine all see the same truth and never post a comment twice.
 */
const MARKER = /<!-- ccasp:([\w.-]+):([\w.:-]+) -->/g;

/** Ids go inside an HTML comment and a regex; anything but word characters, `.`, `-` and `:` becomes `_`. */
export function markerId(text: string): string {
  return text.replace(/[^\w.:-]/g, '_');
}

export function marker(planId: string, eventId: string): string {
  return `<!-- ccasp:${markerId(planId).replace(/:/g, '_')}:${markerId(eventId)} -->`;
}

/** `planId:eventId` keys of every marker in a comment body. */
export function markersIn(body: string): string[] {
  return [...body.matchAll(MARKER)].map((m) => `${m[1]}:${m[2]}`);
}

export function markerKey(planId: string, eventId: string): string {
  return `${markerId(planId).replace(/:/g, '_')}:${markerId(eventId)}`;
}
