import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import fc from 'fast-check';
import { beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { parseArtifacts, parseReport } from '../../src/agents/report.js';
import { StreamReader } from '../../src/agents/stream.js';
import { InvalidPlanError } from '../../src/errors.js';
import { loadPlan } from '../../src/plan/load.js';
import { readState } from '../../src/state/read-state.js';
import { REPO_ROOT } from '../support/cli.js';
import { tempDir } from '../support/tmp.js';

/**
 * Property-based fuzzing (fast-check) of everything that reads outside input: the plan loader (any
 * JSON value, any bytes, and valid plans of every shape with random mutations) may only ever reject
 * with InvalidPlanError, and a plan it accepts can be written back and read again; the report parser
 * and the stream reader never throw; neither does the state reader. Bounded so the file runs in
 * seconds; FUZZ_SEED=<n> replays a run, FUZZ_RUNS=<n> scales every property.
 */

const scale = Number(process.env.FUZZ_RUNS ?? 1);
const seed = process.env.FUZZ_SEED !== undefined ? Number(process.env.FUZZ_SEED) : undefined;
const params = (numRuns: number): fc.Parameters<unknown> => ({ numRuns: Math.max(1, Math.round(numRuns * scale)), ...(seed !== undefined ? { seed } : {}) });

type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };

let work: string;
let counter = 0;
beforeEach(() => {
  work = tempDir('ccasp-chaos-fuzz-');
});

/** Loads `content` as a plan file named `name`; returns 'loaded' or 'invalid', and throws anything else. */
async function loadOutcome(content: string | Uint8Array, name = 'PROGRESS.json'): Promise<'loaded' | 'invalid'> {
  const dir = path.join(work, `p${++counter % 8}`);
  const file = path.join(dir, name);
  mkdirSync(dir, { recursive: true });
  writeFileSync(file, content);
  let doc;
  try {
    doc = await loadPlan(name === 'PROGRESS.json' ? dir : file);
  } catch (error) {
    if (!(error instanceof InvalidPlanError)) throw error;
    expect(error.problems.length).toBeGreaterThan(0);
    for (const p of error.problems) {
      expect(p.file).toBe(file);
      expect(typeof p.path).toBe('string');
      expect(p.message.length).toBeGreaterThan(0);
    }
    return 'invalid';
  }
  // Accepted: progress can be written back in the file's own shape, and the result reads back.
  const tasks = doc.plan.phases.flatMap((p) => p.tasks);
  const first = tasks[0];
  const firstPhase = doc.plan.phases[0];
  const text = doc.render({
    tasks: new Map(first ? [[first.id, { status: 'in_progress', attempts: 1 }]] : []),
    phases: new Map(firstPhase ? [[firstPhase.id, { status: 'in_progress' }]] : []),
    plan: { completionPercentage: 0 },
  });
  JSON.parse(text.replace(/^\ufeff/, ''));
  writeFileSync(file, text);
  const again = await loadPlan(name === 'PROGRESS.json' ? dir : file);
  expect(again.plan.phases.flatMap((p) => p.tasks.map((t) => t.id))).toEqual(tasks.map((t) => t.id));
  if (first) expect(again.plan.phases.flatMap((p) => p.tasks).find((t) => t.id === first.id)?.status).toBe('in_progress');
  return 'loaded';
}

// --- Mutation of JSON trees --------------------------------------------------------------------

type Container = JsonValue[] | { [key: string]: JsonValue };
interface Slot {
  readonly parent: Container;
  readonly key: string | number;
}

function slots(value: JsonValue, out: Slot[] = []): Slot[] {
  if (Array.isArray(value)) {
    value.forEach((v, i) => {
      out.push({ parent: value, key: i });
      slots(v, out);
    });
  } else if (value !== null && typeof value === 'object') {
    for (const [k, v] of Object.entries(value)) {
      out.push({ parent: value, key: k });
      slots(v, out);
    }
  }
  return out;
}

const MARKERS: { [key: string]: JsonValue }[] = [
  { metadata: { version: '3.0' } },
  { plan_id: 'p', roadmap_id: 'r', phase_id: 'x', metrics: {} },
  { slug: 's', project: { name: 'n' }, metadata: { vision_slug: 'v' } },
  { plan_id: 'p', project: {} },
];

type Mutation =
  | { readonly op: 'delete' | 'duplicate' | 'retype'; readonly at: number }
  | { readonly op: 'replace' | 'insert'; readonly at: number; readonly value: JsonValue; readonly key: string }
  | { readonly op: 'marker'; readonly at: number };

const idLike = fc.constantFrom('P1', 'P1.1', 'T1', 'T2', '1.1', '__proto__', 'toString', '', ' ', 'phases', 'tasks', 'id', 'status', 'dependencies');
const valueLike: fc.Arbitrary<JsonValue> = fc.oneof(
  fc.jsonValue({ maxDepth: 3 }) as fc.Arbitrary<JsonValue>,
  idLike,
  fc.constantFrom<JsonValue>('pending', 'completed', 'in_progress', 'blocked', 'not_started', 'complete', true, -1, 0, 1e308, [], {}, null, ['P1.1'], ['T1', 'T1']),
);
const keyLike = fc.oneof(idLike, fc.constantFrom('file', 'files', 'verify', 'depends_on', 'completed', 'completedAt', 'github', 'max_parallel_agents', 'token_limit', 'metadata', 'project'), fc.string({ maxLength: 8 }));
const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ op: fc.constantFrom('delete' as const, 'duplicate' as const, 'retype' as const), at: fc.nat() }),
  fc.record({ op: fc.constantFrom('replace' as const, 'insert' as const), at: fc.nat(), value: valueLike, key: keyLike }),
  fc.record({ op: fc.constant('marker' as const), at: fc.nat() }),
);

function retype(v: JsonValue): JsonValue {
  if (typeof v === 'string') return v.length;
  if (typeof v === 'number') return String(v);
  if (typeof v === 'boolean') return v ? 'true' : 0;
  if (Array.isArray(v)) return Object.fromEntries(v.map((x, i) => [String(i), x]));
  if (v === null) return {};
  return Object.values(v);
}

function mutate(tree: JsonValue, mutations: readonly Mutation[]): JsonValue {
  const root = structuredClone(tree);
  for (const m of mutations) {
    const all = slots(root);
    if (m.op === 'marker') {
      if (root !== null && typeof root === 'object' && !Array.isArray(root)) Object.assign(root, structuredClone(MARKERS[m.at % MARKERS.length]!));
      continue;
    }
    if (all.length === 0) continue;
    const { parent, key } = all[m.at % all.length]!;
    const get = (): JsonValue => (Array.isArray(parent) ? parent[key as number]! : parent[key as string]!);
    const set = (v: JsonValue) => {
      if (Array.isArray(parent)) parent[key as number] = v;
      else parent[key as string] = v;
    };
    switch (m.op) {
      case 'delete':
        if (Array.isArray(parent)) parent.splice(key as number, 1);
        else delete parent[key as string];
        break;
      case 'duplicate':
        if (Array.isArray(parent)) parent.splice(key as number, 0, structuredClone(get()));
        else parent[`${String(key)}_copy`] = structuredClone(get());
        break;
      case 'retype':
        set(retype(get()));
        break;
      case 'replace':
        set(structuredClone(m.value));
        break;
      case 'insert': {
        // Cloned: fast-check hands out the same constant objects again, which must never change.
        const target = get();
        const value = structuredClone(m.value);
        if (Array.isArray(target)) target.push(value);
        else if (target !== null && typeof target === 'object') target[m.key] = value;
        else set(value);
        break;
      }
    }
  }
  return root;
}

// --- Seeds: valid plans of every shape -------------------------------------------------------------

const SEED_FILES = [
  'examples/canonical/PROGRESS.json',
  'examples/ccasp-phase-dev/PROGRESS.json',
  'test/fixtures/plans/ccasp-phase-dev/PROGRESS.json',
  'test/fixtures/plans/ccasp-phase-dev/PROGRESS.l2.json',
  'test/fixtures/plans/ccasp-phase-dev-plan-command/PROGRESS.json',
  'test/fixtures/plans/ccasp-vision/PROGRESS.json',
  'test/fixtures/plans/ccasp-roadmap/phase-1.json',
  'test/fixtures/plans/ccasp-roadmap/phase-2.json',
];
const seeds = SEED_FILES.map((rel) => ({ name: path.basename(rel).startsWith('phase-') ? path.basename(rel) : 'PROGRESS.json', json: JSON.parse(readFileSync(path.join(REPO_ROOT, rel), 'utf8')) as JsonValue }));

/** A valid canonical plan: phases of tasks whose dependencies point only at earlier tasks. */
const canonicalPlan: fc.Arbitrary<JsonValue> = fc
  .array(fc.array(fc.record({ deps: fc.array(fc.nat(), { maxLength: 3 }), status: fc.constantFrom('pending', 'completed', 'skipped', 'blocked'), file: fc.option(fc.constantFrom('a.ts', 'src/b.ts', ['c.ts', 'd.ts'])) }), { minLength: 0, maxLength: 5 }), { minLength: 0, maxLength: 4 })
  .map((phases) => {
    const ids: string[] = [];
    return {
      name: 'Fuzzed plan',
      phases: phases.map((tasks, p) => ({
        id: `P${p + 1}`,
        name: `Phase ${p + 1}`,
        tasks: tasks.map((t, i) => {
          const id = `P${p + 1}.${i + 1}`;
          const dependencies = ids.length > 0 ? [...new Set(t.deps.map((d) => ids[d % ids.length]!))] : [];
          ids.push(id);
          return { id, title: `Task ${id}`, status: t.status, dependencies, ...(t.file !== null ? { file: t.file } : {}) };
        }),
      })),
    } as JsonValue;
  });

describe('plan loader fuzzing', () => {
  it('loads every seed plan unmutated (the fuzzing starts from valid plans)', async () => {
    for (const s of seeds) expect(await loadOutcome(`${JSON.stringify(s.json, null, 2)}\n`, s.name), s.name).toBe('loaded');
  });

  it('rejects arbitrary JSON values only with InvalidPlanError', async () => {
    await fc.assert(
      fc.asyncProperty(fc.jsonValue({ maxDepth: 6 }), async (value) => {
        await loadOutcome(JSON.stringify(value));
      }),
      params(250),
    );
  });

  it('rejects arbitrary text and bytes only with InvalidPlanError', async () => {
    await fc.assert(
      fc.asyncProperty(fc.oneof(fc.string({ unit: 'grapheme', maxLength: 200 }), fc.uint8Array({ maxLength: 300 }), fc.string({ unit: 'binary', maxLength: 200 })), async (content) => {
        expect(await loadOutcome(content)).toBe('invalid');
      }),
      params(250),
    );
  });

  it('never throws anything but InvalidPlanError on mutated valid plans of every shape', async () => {
    let loaded = 0;
    let invalid = 0;
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          fc.record({ seed: fc.constantFrom(...seeds), mutations: fc.array(mutation, { minLength: 1, maxLength: 6 }) }),
          fc.record({ seed: canonicalPlan.map((json) => ({ name: 'PROGRESS.json', json })), mutations: fc.array(mutation, { maxLength: 6 }) }),
        ),
        fc.boolean(),
        async ({ seed: s, mutations }, pretty) => {
          const tree = mutate(s.json, mutations);
          const outcome = await loadOutcome(pretty ? `${JSON.stringify(tree, null, 2)}\n` : JSON.stringify(tree), s.name);
          if (outcome === 'loaded') loaded++;
          else invalid++;
        },
      ),
      params(400),
    );
    // Both sides of the border were exercised.
    expect(loaded).toBeGreaterThan(0);
    expect(invalid).toBeGreaterThan(0);
  }, 60_000);
});

describe('report parser fuzzing', () => {
  const fieldName = fc.constantFrom('TASK_COMPLETE', 'TASK_BLOCKED', 'TASK_FAILED', 'STATUS', 'ARTIFACTS', 'SUMMARY', 'BLOCKER', 'SUGGESTED_ACTION', 'ERROR', 'task_complete', 'TASK-COMPLETE');
  const decoration = fc.constantFrom('', '**', '`', '> ', '- ', '* ', '# ', '### ', '_', '  ', '\t', '```', '```text\n');
  const value = fc.oneof(
    fc.string({ maxLength: 30 }),
    fc.constantFrom('P1.1', 'T1', '[a.ts, b.ts]', '["a.ts", "b.ts"]', '[', ']', '[]', 'none', '[unclosed', '["x", 1, null]', '[[[[', '\\', '"'),
    fc.string({ unit: 'grapheme', maxLength: 20 }),
  );
  const line = fc.oneof(
    fc.tuple(decoration, fieldName, decoration, fc.constantFrom(':', ': ', ' : ', '：', ''), decoration, value, decoration).map((parts) => parts.join('')),
    fc.string({ maxLength: 40 }),
    fc.constantFrom('```', '', '---', '- item', '  continuation'),
  );
  const report = fc.tuple(fc.array(line, { maxLength: 12 }), fc.constantFrom('\n', '\r\n', '\r')).map(([lines, eol]) => lines.join(eol));

  it('parseReport never throws, and what it returns is well formed', () => {
    fc.assert(
      fc.property(fc.oneof(report, fc.string({ unit: 'grapheme', maxLength: 500 }), fc.string({ unit: 'binary', maxLength: 300 })), (text) => {
        const r = parseReport(text);
        if (r === undefined) return;
        expect(['complete', 'blocked', 'failed']).toContain(r.kind);
        expect(typeof r.taskId).toBe('string');
        if (r.kind === 'complete') for (const a of r.artifacts) expect(typeof a).toBe('string');
      }),
      params(3000),
    );
  });

  it('parseArtifacts never throws and returns strings', () => {
    fc.assert(
      fc.property(fc.oneof(fc.string({ maxLength: 100 }), fc.jsonValue({ maxDepth: 3 }).map((v) => JSON.stringify(v)), fc.string({ unit: 'binary', maxLength: 100 })), (text) => {
        for (const a of parseArtifacts(text)) expect(typeof a).toBe('string');
      }),
      params(2000),
    );
  });
});

describe('stream reader fuzzing', () => {
  const fixtureLines: JsonValue[] = [];
  beforeAll(() => {
    const dir = path.join(REPO_ROOT, 'test', 'fixtures', 'stream');
    for (const name of readdirSync(dir).filter((n) => n.endsWith('.jsonl'))) {
      for (const l of readFileSync(path.join(dir, name), 'utf8').split('\n')) {
        if (l.trim().startsWith('{')) fixtureLines.push(JSON.parse(l) as JsonValue);
      }
    }
    expect(fixtureLines.length).toBeGreaterThan(10);
  });

  const typed = fc.record({
    type: fc.constantFrom('system', 'assistant', 'user', 'result', 'rate_limit_event', 'stream_event', 'unknown'),
    subtype: fc.constantFrom('init', 'api_retry', 'success', 'error_max_turns', 'error_during_execution', undefined),
    rest: fc.dictionary(keyLike, valueLike, { maxKeys: 6 }),
  }).map(({ type, subtype, rest }) => JSON.stringify({ ...rest, type, ...(subtype !== undefined ? { subtype } : {}) }));

  it('StreamReader.push never throws, line after line on one reader', () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.oneof(
            fc.string({ maxLength: 80 }),
            fc.string({ unit: 'binary', maxLength: 80 }),
            fc.jsonValue({ maxDepth: 4 }).map((v) => JSON.stringify(v)),
            typed,
            fc.record({ at: fc.nat(), mutations: fc.array(mutation, { minLength: 1, maxLength: 4 }) }).map(({ at, mutations }) => JSON.stringify(mutate(fixtureLines[at % fixtureLines.length]!, mutations))),
            fc.nat().map((at) => JSON.stringify(fixtureLines[at % fixtureLines.length]).slice(0, at % 200)),
          ),
          { maxLength: 20 },
        ),
        (lines) => {
          const reader = new StreamReader();
          for (const l of lines) reader.push(l);
          if (reader.result !== undefined) {
            expect(typeof reader.result.text).toBe('string');
            expect(Number.isFinite(reader.result.costUsd)).toBe(true);
          }
          if (reader.rateLimitedUntil !== undefined) expect(typeof reader.rateLimitedUntil).toBe('number');
        },
      ),
      params(1500),
    );
  });
});

describe('state reader fuzzing', () => {
  it('readState never throws: it answers absent, ok or invalid', async () => {
    const file = path.join(work, 'state.json');
    await fc.assert(
      fc.asyncProperty(fc.oneof(fc.jsonValue({ maxDepth: 4 }).map((v) => JSON.stringify(v)), fc.string({ maxLength: 200 }), fc.uint8Array({ maxLength: 200 })), async (content) => {
        writeFileSync(file, content);
        const r = await readState(file);
        expect(['ok', 'invalid']).toContain(r.kind);
        if (r.kind === 'invalid') for (const p of r.problems) expect(p.file).toBe(file);
      }),
      params(300),
    );
  });
});
