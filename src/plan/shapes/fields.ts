import * as z from 'zod';
import { once } from '../lazy.js';
import { DOMAINS, PHASE_STATUSES, TASK_STATUSES } from '../model.js';

const ISO_8601 = /^\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2})?)?$/;

export const COMPLEXITIES = ['simple', 'medium', 'complex'] as const;

/**
 * Field schemas the shapes share, built by the first shape that reads a plan (see `once`): a command
 * that reads no plan, or `--version`, builds none of them.
 */
export function isIsoTimestamp(s: string): boolean {
  return ISO_8601.test(s) && !Number.isNaN(Date.parse(s));
}

export const fieldSchemas = once(() => ({
  isoTimestamp: z.string().refine(isIsoTimestamp, { message: 'expected an ISO-8601 timestamp' }),
  nonEmptyString: z.string().trim().min(1, { message: 'must not be empty' }),
  taskStatus: z.enum(TASK_STATUSES),
  phaseStatus: z.enum(PHASE_STATUSES),
  domain: z.enum(DOMAINS),
  /** A non-negative whole number of attempts. */
  attemptCount: z.number().int().nonnegative(),
  complexity: z.enum(COMPLEXITIES),
}));

/** A plan's slug when it names no id of its own. */
export function slugify(name: string): string {
  const slug = name
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '');
  return slug || 'plan';
}
