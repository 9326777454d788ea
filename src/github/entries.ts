import * as z from 'zod';

/**
 * One thing to do on GitHub, as kept in the outbox. Bodies are rendered and redacted before they are
 * queued, so the outbox holds exactly what will be posted (and never a secret), and `ccasp sync` can
 * deliver it without the plan. Each entry names its own issue: a later run linked elsewhere does not
 * redirect what an earlier one left behind.
 */
export const PROGRESS_BUCKETS = [0, 25, 50, 75, 100] as const;

const target = z.object({
  owner: z.string().min(1),
  repo: z.string().min(1),
  issue: z.number().int().positive(),
  /** The web host the issue was named on, when it was: `ccasp sync` finds an Enterprise API by it. */
  host: z.string().min(1).optional(),
});

const common = {
  /** Stable across runs for the same happening, e.g. `task.P1.2.done.1`: the marker's event id. */
  id: z.string().min(1),
  planId: z.string().min(1),
  target,
  queuedAt: z.string(),
};

export const entrySchema = z.discriminatedUnion('kind', [
  /** A comment posted once, found again by its marker. */
  z.object({ kind: z.literal('comment'), ...common, body: z.string() }),
  /** The status comment, created once and then edited; only the newest body matters. */
  z.object({ kind: z.literal('sticky'), ...common, body: z.string() }),
  /** The issue's one `progress:N%` label. */
  z.object({ kind: z.literal('labels'), ...common, percent: z.union(PROGRESS_BUCKETS.map((n) => z.literal(n))) }),
  z.object({ kind: z.literal('close'), ...common }),
]);

export type OutboxEntry = z.infer<typeof entrySchema>;
export type EntryTarget = z.infer<typeof target>;

/** Entries with the same key are the same piece of GitHub state: a newer one replaces the older. */
export function entryKey(entry: OutboxEntry): string {
  const t = entry.target;
  return `${t.owner}/${t.repo}#${t.issue}:${entry.planId}:${entry.kind}:${entry.id}`;
}

/** The `progress:N%` bucket for a share of phases done: rounded down, so 100% means every phase. */
export function progressBucket(percent: number): (typeof PROGRESS_BUCKETS)[number] {
  const clamped = Math.max(0, Math.min(100, percent));
  return PROGRESS_BUCKETS.filter((b) => b <= clamped).at(-1) ?? 0;
}
