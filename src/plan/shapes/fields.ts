import type { ToolPermissions } from '../tool-rules.js';

const ISO_8601 = /^\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2})?)?$/;

export const COMPLEXITIES = ['simple', 'medium', 'complex'] as const;

export function isIsoTimestamp(s: string): boolean {
  return ISO_8601.test(s) && !Number.isNaN(Date.parse(s));
}

/** A plan's slug when it names no id of its own. */
export function slugify(name: string): string {
  const slug = name
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '');
  return slug || 'plan';
}

/** A plan's `permissions` as the model keeps it: absent when it says nothing. */
export function toolPermissionsOf(raw: { allow?: string[] | undefined; deny?: string[] | undefined } | null | undefined): ToolPermissions | undefined {
  if (!raw || (!raw.allow?.length && !raw.deny?.length)) return undefined;
  return { allow: raw.allow ?? [], deny: raw.deny ?? [] };
}
