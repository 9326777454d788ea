import { formatJsonPath } from './json-path.js';

/**
 * How deeply JSON files ccasp reads may nest. JSON.parse takes any depth, but copying and writing a
 * value back (structuredClone, JSON.stringify) recurse, and run out of stack near 2,000 levels; no
 * plan or state file needs a tenth of this.
 */
export const MAX_JSON_DEPTH = 256;

/** Path segments shown of a value nested too deep: enough to find it, not hundreds of `[0]`. */
const SHOWN_SEGMENTS = 10;

interface Pending {
  readonly value: object;
  readonly key: PropertyKey | undefined;
  readonly parent: Pending | undefined;
  readonly depth: number;
}

/**
 * The path of the first object or array nested deeper than MAX_JSON_DEPTH in a parsed JSON value
 * (the top level is depth 1), shortened to its first segments; undefined when there is none. Walked
 * with a list of its own, not by recursion, so no depth overflows it.
 */
export function pathTooDeep(raw: unknown): string | undefined {
  if (typeof raw !== 'object' || raw === null) return undefined;
  const pending: Pending[] = [{ value: raw, key: undefined, parent: undefined, depth: 1 }];
  for (let item = pending.pop(); item !== undefined; item = pending.pop()) {
    if (item.depth > MAX_JSON_DEPTH) return shortPath(item);
    const depth = item.depth + 1;
    if (Array.isArray(item.value)) {
      for (let i = 0; i < item.value.length; i++) {
        const value: unknown = item.value[i];
        if (typeof value === 'object' && value !== null) pending.push({ value, key: i, parent: item, depth });
      }
    } else {
      const object = item.value as Record<string, unknown>;
      for (const key of Object.keys(object)) {
        const value = object[key];
        if (typeof value === 'object' && value !== null) pending.push({ value, key, parent: item, depth });
      }
    }
  }
  return undefined;
}

function shortPath(item: Pending): string {
  const keys: PropertyKey[] = [];
  for (let at: Pending | undefined = item; at?.key !== undefined; at = at.parent) keys.push(at.key);
  keys.reverse();
  return keys.length > SHOWN_SEGMENTS ? `${formatJsonPath(keys.slice(0, SHOWN_SEGMENTS))}…` : formatJsonPath(keys);
}
