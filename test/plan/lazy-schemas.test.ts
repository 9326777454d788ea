import { readFileSync } from 'node:fs';
import { describe, expect, it, vi } from 'vitest';
import { once } from '../../src/plan/lazy.js';
import { PLAN_SHAPES, shapeFor } from '../../src/plan/shapes/index.js';
import { stateSchema } from '../../src/state/schema.js';
import { fixtureJson } from './shapes/support.js';

// Every zod builder (`z.string`, `z.looseObject`, …) counted, so the tests can tell whether a schema
// was built. Schema methods (`.optional()`) run only on schemas a builder made, so builders suffice.
const zod = vi.hoisted(() => ({ built: 0 }));
vi.mock('zod', async (importOriginal) => {
  const real = await importOriginal<Record<string, unknown>>();
  const counted: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(real)) {
    const builder = typeof value === 'function' && /^[a-z]/.test(name);
    counted[name] = builder
      ? (...args: unknown[]) => {
          zod.built++;
          return (value as (...a: unknown[]) => unknown)(...args);
        }
      : value;
  }
  return counted;
});

const CANONICAL = JSON.parse(readFileSync(new URL('../../examples/canonical/PROGRESS.json', import.meta.url), 'utf8')) as unknown;
const OTHER_PLANS = [
  'ccasp-phase-dev/PROGRESS.json',
  'ccasp-roadmap/phase-1.json',
  'ccasp-vision/PROGRESS.json',
  'ccasp-phase-dev-plan-command/PROGRESS.json',
  'taskmaster/legacy/tasks.json',
];

describe('once', () => {
  it('builds on the first call only, even when the value is undefined', () => {
    const make = vi.fn((): undefined => undefined);
    const get = once(make);
    expect(make).not.toHaveBeenCalled();
    expect(get()).toBeUndefined();
    expect(get()).toBeUndefined();
    expect(make).toHaveBeenCalledTimes(1);
  });
});

// In order: each test relies on what the ones before it built, as one process would.
describe('schema construction', () => {
  it('builds nothing when the shapes and the state schema are imported', () => {
    expect(zod.built).toBe(0);
  });

  it('builds nothing to recognise a shape', () => {
    expect(shapeFor(CANONICAL).shape).toBe('canonical');
    for (const rel of OTHER_PLANS) expect(shapeFor(fixtureJson(rel)).shape).not.toBe('canonical');
    expect(zod.built).toBe(0);
  });

  it('builds the canonical schemas on the first canonical plan read, and only then', async () => {
    expect((await shapeFor(CANONICAL).read(CANONICAL, 'PROGRESS.json', {})).ok).toBe(true);
    const afterFirst = zod.built;
    expect(afterFirst).toBeGreaterThan(0);
    const invalid = { ...(CANONICAL as object), name: '' };
    expect((await shapeFor(invalid).read(invalid, 'PROGRESS.json', {})).ok).toBe(false);
    expect(zod.built).toBe(afterFirst);
  });

  it('left every other shape unbuilt until a plan of that shape was read', async () => {
    for (const rel of OTHER_PLANS) {
      const before = zod.built;
      const raw = fixtureJson(rel);
      expect((await shapeFor(raw).read(raw, rel, {})).ok, rel).toBe(true);
      expect(zod.built, rel).toBeGreaterThan(before);
    }
    expect(PLAN_SHAPES).toHaveLength(OTHER_PLANS.length + 1);
  });

  it('builds the state schema on its first use, once', () => {
    const before = zod.built;
    const schema = stateSchema();
    expect(zod.built).toBeGreaterThan(before);
    const built = zod.built;
    expect(stateSchema()).toBe(schema);
    expect(zod.built).toBe(built);
  });
});
