import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { PlanDocument } from '../../src/plan/document.js';
import { JsonBytes } from '../../src/plan/json-bytes.js';
import { TASK_STATUSES, PHASE_STATUSES } from '../../src/plan/model.js';
import { detectFormat, serializeJson, type JsonFormat } from '../../src/plan/read-file.js';
import { shapeFor } from '../../src/plan/shapes/index.js';
import { trackWrites } from '../../src/plan/track-writes.js';

const runs = (n: number) => n * Number(process.env.FUZZ_RUNS ?? 1);

const formats: fc.Arbitrary<JsonFormat> = fc.record({
  // Spaces and tabs as detectFormat finds them, including gaps JSON.stringify cuts to 10 characters.
  indent: fc.constantFrom('', ' ', '  ', '    ', '\t', '\t\t', ' \t', ' '.repeat(12), '\t'.repeat(11)),
  eol: fc.constantFrom<'\n' | '\r\n'>('\n', '\r\n'),
  finalNewline: fc.boolean(),
  bom: fc.boolean(),
  inlineScalarArrays: fc.boolean(),
});

// Beyond what JSON.parse gives: lone surrogates, -0, NaN and Infinity, undefined, dates.
const scalar = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 12 }),
  fc.constantFrom('', '[', '[\n', '",\n', 'a\\b', '\u2028', '\ud800', 'P1.1'),
  fc.double(),
  fc.integer(),
  fc.constantFrom(true, false, null, undefined, 0, -0, 1e21, Number.NaN, Infinity),
  fc.date({ noInvalidDate: true }),
);
const { tree } = fc.letrec((tie) => ({
  tree: fc.oneof({ depthSize: 'small', withCrossShrink: true }, scalar, tie('array'), tie('object')),
  array: fc.array(tie('tree'), { maxLength: 5 }),
  object: fc.dictionary(fc.oneof(fc.string({ maxLength: 6 }), fc.constantFrom('0', '10', '-1', 'tasks', '__proto__')), tie('tree'), { maxKeys: 5 }),
}));
const root = fc.oneof(fc.dictionary(fc.string({ maxLength: 6 }), tree, { maxKeys: 6 }), fc.array(tree, { maxLength: 6 }));

const expected = (raw: unknown, format: JsonFormat) => Buffer.from(serializeJson(raw, format), 'utf8');

describe('JsonBytes', () => {
  it('writes what serializeJson writes, for any tree and any format', () => {
    fc.assert(
      fc.property(root, formats, fc.constantFrom(1, 2, 32), (raw, format, blockSize) => {
        expect(new JsonBytes(format, { blockSize }).bytes(raw).equals(expected(raw, format))).toBe(true);
      }),
      { numRuns: runs(500) },
    );
  });

  it('keeps writing what serializeJson writes while the tree is changed through trackWrites', () => {
    // A write: a path of choices down the tree's objects and arrays, then what to do there.
    const write = fc.record({
      path: fc.array(fc.nat(), { maxLength: 4 }),
      key: fc.oneof(fc.string({ maxLength: 4 }), fc.constantFrom('status', 'tasks', '0')),
      op: fc.constantFrom('set', 'delete', 'push', 'pop', 'length'),
      value: fc.oneof(scalar, tree),
    });
    fc.assert(
      fc.property(root, formats, fc.array(fc.array(write, { maxLength: 3 }), { minLength: 1, maxLength: 6 }), fc.constantFrom(1, 2, 3, 32), (raw, format, batches, blockSize) => {
        const bytes = new JsonBytes(format, { blockSize });
        const view = trackWrites(raw, { written: (n, via) => bytes.forget(n, via), lost: () => bytes.disable() });
        expect(bytes.bytes(raw).equals(expected(raw, format))).toBe(true);
        for (const batch of batches) {
          for (const w of batch) apply(view, w);
          expect(bytes.bytes(raw).toString('utf8')).toBe(expected(raw, format).toString('utf8'));
        }
      }),
      { numRuns: runs(400) },
    );
  });

  it('falls back to serializeJson for a gap that is not spaces and tabs', () => {
    fc.assert(
      fc.property(root, formats, fc.constantFrom('x', '1', '"', '-\n', '  a'), (raw, format, indent) => {
        const f = { ...format, indent };
        expect(new JsonBytes(f).bytes(raw).equals(expected(raw, f))).toBe(true);
      }),
      { numRuns: runs(100) },
    );
  });

  it('does not reuse text once one object sits in two places', () => {
    const raw = { a: { x: 1 }, b: {} as Record<string, unknown> };
    const format = detectFormat('{\n  "a": 1\n}\n', false);
    const bytes = new JsonBytes(format);
    const view = trackWrites(raw, { written: (n, via) => bytes.forget(n, via), lost: () => bytes.disable() });
    bytes.bytes(raw);
    view.b.shared = view.a;
    bytes.bytes(raw);
    // Through `a` only: `b` would keep its old text if the shared object were tracked by one parent.
    view.a.x = 2;
    expect(bytes.bytes(raw).toString()).toBe(serializeJson(raw, format));
    expect(bytes.bytes(raw).toString()).toContain('"shared": {\n      "x": 2');
  });

  it('follows a write through a reference taken before its array was rearranged', () => {
    let lost = false;
    const raw = { tasks: [{ id: 'a', n: 0 }, { id: 'b', n: 0 }, { id: 'c', n: 0 }, { id: 'd', n: 0 }] };
    const format = detectFormat('{\n  "a": 1\n}\n', false);
    const bytes = new JsonBytes(format, { blockSize: 2 });
    const view = trackWrites(raw, {
      written: (n, via) => bytes.forget(n, via),
      lost: () => {
        lost = true;
        bytes.disable();
      },
    });
    const c = view.tasks[2]!;
    bytes.bytes(raw);
    view.tasks.splice(0, 1);
    // `c` is now at index 1, in the first block, though it was reached as index 2 (the second block).
    c.n = 7;
    expect(lost).toBe(true);
    expect(bytes.bytes(raw).toString()).toBe(serializeJson(raw, format));
  });

  it('stores written values, never the views it hands out', () => {
    const raw = { a: { x: 1 }, list: [] as unknown[] };
    const view = trackWrites(raw, { written: () => undefined, lost: () => undefined });
    view.list.push(view.a);
    expect(raw.list[0]).toBe(raw.a);
  });
});

describe('PlanDocument written by every plan shape', () => {
  const fixtures = [
    'examples/canonical/PROGRESS.json',
    'test/fixtures/plans/ccasp-phase-dev/PROGRESS.json',
    'test/fixtures/plans/ccasp-phase-dev-plan-command/PROGRESS.json',
    'test/fixtures/plans/ccasp-vision/PROGRESS.json',
    'test/fixtures/plans/ccasp-roadmap/phase-1.json',
  ];

  it.each(fixtures)('%s: its bytes after any series of progress updates are serializeJson of the same updates', async (rel) => {
    const text = readFileSync(new URL(`../../${rel}`, import.meta.url), 'utf8');
    const bom = text.startsWith('\ufeff');
    const body = bom ? text.slice(1) : text;
    const reader = shapeFor(JSON.parse(body));
    const read = await reader.read(JSON.parse(body), rel);
    if (!read.ok) throw new Error(`${rel} does not read: ${JSON.stringify(read.problems)}`);
    const plan = read.plan;
    const update = fc.oneof(
      fc.record({ kind: fc.constant('task' as const), index: fc.nat(), status: fc.constantFrom(...TASK_STATUSES), at: fc.option(fc.constant('2026-02-03T04:05:06.000Z')), attempts: fc.option(fc.integer({ min: 1, max: 9 }), { nil: undefined }) }),
      fc.record({ kind: fc.constant('phase' as const), index: fc.nat(), status: fc.constantFrom(...PHASE_STATUSES) }),
      fc.record({ kind: fc.constant('plan' as const), percent: fc.integer({ min: 0, max: 100 }), status: fc.option(fc.constantFrom('in_progress', 'completed'), { nil: undefined }) }),
    );
    fc.assert(
      fc.property(fc.constantFrom<JsonFormat>(detectFormat(body, bom)), formats, fc.array(update, { minLength: 1, maxLength: 12 }), (own, other, updates) => {
        for (const format of [own, other]) {
          const raw: unknown = JSON.parse(body);
          const reference: unknown = JSON.parse(body);
          const doc = new PlanDocument(rel, raw, format, reader, plan);
          const tasks = plan.phases.flatMap((p, i) => p.tasks.map((t, j) => ({ id: t.id, i, j })));
          for (const u of updates) {
            if (u.kind === 'task') {
              const t = tasks[u.index % tasks.length]!;
              const patch = { status: u.status, completedAt: u.at, attempts: u.attempts, blocker: u.status === 'blocked' ? 'waiting' : null };
              doc.updateTask(t.id, patch);
              reader.writeTask(reference, t.i, t.j, patch);
            } else if (u.kind === 'phase') {
              const i = u.index % plan.phases.length;
              const patch = { status: u.status, completedAt: u.status === 'completed' ? '2026-02-03T04:05:06.000Z' : null };
              doc.updatePhase(plan.phases[i]!.id, patch);
              reader.writePhase(reference, i, patch);
            } else {
              const patch = { completionPercentage: u.percent, ...(u.status ? { status: u.status } : {}) };
              doc.updatePlan(patch);
              reader.writePlan(reference, patch);
            }
            expect(doc.serialize()).toBe(serializeJson(reference, format));
          }
        }
      }),
      { numRuns: runs(60) },
    );
  });

  it('reproduces the example plan byte for byte before anything changed', async () => {
    const text = readFileSync(new URL('../../examples/canonical/PROGRESS.json', import.meta.url), 'utf8');
    const raw: unknown = JSON.parse(text);
    const reader = shapeFor(raw);
    const read = await reader.read(JSON.parse(text), 'PROGRESS.json');
    if (!read.ok) throw new Error('example plan does not read');
    expect(new PlanDocument('PROGRESS.json', raw, detectFormat(text, false), reader, read.plan).serialize()).toBe(text);
  });
});

type Node = Record<string, unknown> | unknown[];

function apply(view: unknown, w: { path: number[]; key: string; op: string; value: unknown }): void {
  let node = view;
  for (const step of w.path) {
    const children = containers(node);
    if (children.length === 0) break;
    node = children[step % children.length];
  }
  if (typeof node !== 'object' || node === null) return;
  const n = node as Node;
  if (Array.isArray(n)) {
    if (w.op === 'push') n.push(w.value);
    else if (w.op === 'pop') n.pop();
    else if (w.op === 'length') n.length = Math.min(n.length, 2);
    else if (w.op === 'delete' && n.length > 0) n.splice(0, 1);
    else if (n.length > 0) n[w.key.length % n.length] = w.value;
  } else if (w.op === 'delete') {
    delete n[w.key];
  } else {
    n[w.key] = w.value;
  }
}

function containers(node: unknown): unknown[] {
  if (typeof node !== 'object' || node === null) return [];
  return Object.values(node).filter((v) => typeof v === 'object' && v !== null && !(v instanceof Date));
}
