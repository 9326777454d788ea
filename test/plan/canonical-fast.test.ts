import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DOMAINS, PHASE_STATUSES, TASK_STATUSES } from '../../src/plan/model.js';
import { canonicalShape, readCanonicalWithSchema } from '../../src/plan/shapes/canonical.js';
import { fitsCanonical } from '../../src/plan/shapes/canonical-fast.js';
import { COMPLEXITIES } from '../../src/plan/shapes/fields.js';

/**
 * The hand check in front of the canonical schema may only vouch for plans the schema accepts
 * unchanged: when it says yes, reading through it must give exactly what the schema gives. Plans
 * are generated valid, and then, in most runs, one field anywhere in them (present or not) gets an
 * odd value, so that every rule of every field is tried against both answers.
 */

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type JsonObject = { [key: string]: Json };

// Values that break some rule of some field: empty or padded names, wrong types, numbers out of
// range or not whole, impossible dates; REMOVE takes a field out.
const REMOVE = Symbol('remove');
const ODD: (Json | typeof REMOVE)[] = [REMOVE, '', ' ', ' P1', 'P1 ', '\tx', 0, -1, 1.5, 101, 2 ** 53, true, null, [], {}, ['a', ''], [' a'], 'soon', '2026-13-01', '2026-01-01T25:00:00Z', 'done'];

const PLAN_KEYS = ['plan_id', 'name', 'status', 'completion_percentage', 'github', 'max_parallel_agents', 'test_command', 'token_limit', 'phases'];
const GITHUB_KEYS = ['owner', 'repo', 'issue'];
const PHASE_KEYS = ['id', 'name', 'status', 'completedAt', 'tasks'];
const TASK_KEYS = ['id', 'title', 'status', 'details', 'file', 'domain', 'model', 'complexity', 'dependencies', 'verify', 'completedAt', 'completedBy', 'blocker', 'attempts'];

const optional = <T>(value: fc.Arbitrary<T>) => fc.option(value, { nil: undefined });
const name = fc.stringMatching(/^[A-Za-z0-9][A-Za-z0-9 ._-]{0,6}[A-Za-z0-9]$|^[A-Za-z0-9]$/);
const timestamp = fc.constantFrom('2026-11-26', '2026-11-26T10:00:00Z', '2026-11-26T10:00:00.123+01:00', '2026-11-26 10:00');
const extras = fc.dictionary(fc.string({ maxLength: 4 }).map((k) => `x_${k}`), fc.jsonValue({ maxDepth: 1 }) as fc.Arbitrary<Json>, { maxKeys: 2 });

const task = fc.record({
  id: name,
  title: name,
  status: fc.constantFrom(...TASK_STATUSES),
  details: optional(fc.string({ maxLength: 10 })),
  file: optional(fc.oneof(name, fc.array(name, { maxLength: 3 }))),
  domain: optional(fc.constantFrom(...DOMAINS)),
  model: optional(name),
  complexity: optional(fc.constantFrom(...COMPLEXITIES)),
  dependencies: optional(fc.array(name, { maxLength: 3 })),
  verify: optional(name),
  completedAt: optional(timestamp),
  completedBy: optional(fc.string({ maxLength: 6 })),
  blocker: optional(fc.string({ maxLength: 6 })),
  attempts: optional(fc.nat({ max: 5 })),
  extras,
});

const phase = fc.record({
  id: name,
  name,
  status: optional(fc.constantFrom(...PHASE_STATUSES)),
  completedAt: optional(timestamp),
  tasks: fc.array(task, { maxLength: 3 }),
  extras,
});

const validPlan = fc.record({
  plan_id: optional(name),
  name,
  status: optional(fc.constantFrom('pending', 'in_progress', 'completed')),
  completion_percentage: optional(fc.integer({ min: 0, max: 100 })),
  github: optional(fc.record({ owner: name, repo: name, issue: fc.integer({ min: 1, max: 9999 }) })),
  max_parallel_agents: optional(fc.integer({ min: 1, max: 8 })),
  test_command: optional(name),
  token_limit: optional(fc.integer({ min: 1, max: 10 ** 7 })),
  phases: fc.array(phase, { maxLength: 3 }),
  extras,
});

/** The generated record as a file would hold it: absent fields gone, unknown keys inline. */
function asJson(value: unknown): Json {
  if (Array.isArray(value)) return value.map(asJson);
  if (typeof value !== 'object' || value === null) return value as Json;
  const out: JsonObject = {};
  for (const [key, v] of Object.entries(value)) {
    if (key === 'extras') Object.assign(out, v as object);
    else if (v !== undefined) out[key] = asJson(v);
  }
  return out;
}

/** Every field the schema has a rule for, present or not, as [object, key]. */
function slots(plan: JsonObject): [JsonObject, string][] {
  const out: [JsonObject, string][] = PLAN_KEYS.map((k) => [plan, k]);
  const github = plan['github'];
  if (isJsonObject(github)) out.push(...GITHUB_KEYS.map((k): [JsonObject, string] => [github, k]));
  for (const ph of asObjects(plan['phases'])) {
    out.push(...PHASE_KEYS.map((k): [JsonObject, string] => [ph, k]));
    for (const t of asObjects(ph['tasks'])) out.push(...TASK_KEYS.map((k): [JsonObject, string] => [t, k]));
  }
  return out;
}

const isJsonObject = (v: Json | undefined): v is JsonObject => typeof v === 'object' && v !== null && !Array.isArray(v);
const asObjects = (v: Json | undefined): JsonObject[] => (Array.isArray(v) ? v.filter(isJsonObject) : []);

const plan = fc
  .tuple(validPlan.map(asJson), fc.option(fc.tuple(fc.nat(), fc.constantFrom(...ODD)), { freq: 3 }))
  .map(([raw, change]) => {
    if (change && isJsonObject(raw)) {
      const all = slots(raw);
      const [target, key] = all[change[0] % all.length]!;
      if (change[1] === REMOVE) delete target[key];
      else target[key] = change[1];
    }
    return raw;
  });

describe('fitsCanonical', () => {
  it('vouches only for plans the schema accepts, and reading through it gives what the schema gives', async () => {
    let vouched = 0;
    let declined = 0;
    await fc.assert(
      fc.asyncProperty(plan, async (raw) => {
        if (!fitsCanonical(raw)) {
          declined++;
          return;
        }
        vouched++;
        const bySchema = await readCanonicalWithSchema(raw, 'PROGRESS.json');
        expect(bySchema.ok).toBe(true);
        expect(await canonicalShape.read(raw, 'PROGRESS.json')).toEqual(bySchema);
      }),
      { numRuns: 1500 },
    );
    // Both branches must have been exercised, or the property proved nothing.
    expect(vouched).toBeGreaterThan(150);
    expect(declined).toBeGreaterThan(150);
  });

  it('vouches for the bundled example, so the common case skips the schema', () => {
    const raw: unknown = JSON.parse(readFileSync(new URL('../../examples/canonical/PROGRESS.json', import.meta.url), 'utf8'));
    expect(fitsCanonical(raw)).toBe(true);
  });

  it('declines what zod would trim, and the schema then reads it with the trimmed id', async () => {
    const raw = { name: 'Plan', phases: [{ id: 'P1', name: 'One', tasks: [{ id: ' P1.1 ', title: 'Do', status: 'pending' }] }] };
    expect(fitsCanonical(raw)).toBe(false);
    const read = await canonicalShape.read(raw, 'PROGRESS.json');
    expect(read.ok && read.plan.phases[0]?.tasks[0]?.id).toBe('P1.1');
  });

  it.each<[string, unknown]>([
    ['a missing name', { phases: [] }],
    ['a task status outside the list', { name: 'p', phases: [{ id: 'P1', name: 'n', tasks: [{ id: 'a', title: 't', status: 'done' }] }] }],
    ['an empty dependency', { name: 'p', phases: [{ id: 'P1', name: 'n', tasks: [{ id: 'a', title: 't', status: 'pending', dependencies: [''] }] }] }],
    ['a fractional attempt count', { name: 'p', phases: [{ id: 'P1', name: 'n', tasks: [{ id: 'a', title: 't', status: 'pending', attempts: 1.5 }] }] }],
    ['an impossible timestamp', { name: 'p', phases: [{ id: 'P1', name: 'n', completedAt: '2026-13-01', tasks: [] }] }],
  ])('declines %s, which the schema rejects', async (_, raw) => {
    expect(fitsCanonical(raw)).toBe(false);
    expect((await readCanonicalWithSchema(raw, 'PROGRESS.json')).ok).toBe(false);
  });
});
