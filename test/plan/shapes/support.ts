import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { expect, it } from 'vitest';
import { InvalidPlanError, type Problem } from '../../../src/errors.js';
import { loadPlan } from '../../../src/plan/load.js';
import type { PlanShape, Task } from '../../../src/plan/model.js';
import type { PlanDocument } from '../../../src/plan/document.js';
import type { PhasePatch, PlanPatch, TaskPatch } from '../../../src/plan/shapes/shape.js';
import { shapeFor } from '../../../src/plan/shapes/index.js';
import { tempDir, writeFile } from '../../support/tmp.js';

export type Json = Record<string, unknown>;

const FIXTURES = fileURLToPath(new URL('../../fixtures/plans/', import.meta.url));

export function fixtureText(rel: string): string {
  return readFileSync(FIXTURES + rel, 'utf8');
}

export function fixtureJson(rel: string): Json {
  return JSON.parse(fixtureText(rel)) as Json;
}

/** A copy of a fixture changed by `edit`, formatted as CCASP writes it. */
export function variant(rel: string, edit: (json: Json) => void): string {
  const json = fixtureJson(rel);
  edit(json);
  return ccaspText(json);
}

/** The shape a fixture is recognised as, once `edit` has changed it. */
export function shapeOf(rel: string, edit: (json: Json) => void = () => undefined): PlanShape {
  const json = fixtureJson(rel);
  edit(json);
  return shapeFor(json).shape;
}

/** The object at a message path, for editing a fixture in place. */
export function objAt(json: unknown, path: string): Json {
  const node = valueAt(json, path);
  if (typeof node !== 'object' || node === null || Array.isArray(node)) throw new Error(`no object at ${path}`);
  return node as Json;
}

/** Formatted as CCASP writes: two spaces, no trailing newline. */
export function ccaspText(json: unknown): string {
  return JSON.stringify(json, null, 2);
}

/** Writes `text` into a fresh project at `rel` (e.g. `.claude/phase-dev/x/PROGRESS.json`); returns the file. */
export function place(text: string, rel: string, extra: Record<string, string> = {}): string {
  const dir = tempDir();
  for (const [name, content] of Object.entries(extra)) writeFile(dir, name, content);
  return writeFile(dir, rel, text);
}

export async function load(text: string, rel = 'plan/PROGRESS.json', extra: Record<string, string> = {}): Promise<PlanDocument> {
  return loadPlan(place(text, rel, extra));
}

/** Progress changes gathered as a run makes them, and the file's text with them written. */
export interface Edit {
  task(id: string, patch: TaskPatch): void;
  phase(id: string, patch: PhasePatch): void;
  plan(patch: PlanPatch): void;
  text(): string;
}

export function edit(doc: PlanDocument): Edit {
  const tasks = new Map<string, TaskPatch>();
  const phases = new Map<string, PhasePatch>();
  let plan: PlanPatch | undefined;
  return {
    task: (id, patch) => void tasks.set(id, { ...tasks.get(id), ...patch }),
    phase: (id, patch) => void phases.set(id, { ...phases.get(id), ...patch }),
    plan: (patch) => void (plan = { ...plan, ...patch }),
    text: () => doc.render({ tasks, phases, ...(plan ? { plan } : {}) }),
  };
}

/** The file's text as a run that changed nothing writes it. */
export function unchanged(doc: PlanDocument): string {
  return edit(doc).text();
}

/**
 * Fixture `rel` loaded at `at` (beside the `extra` files) and changed through the model by `write`:
 * the edit, and the file's JSON before and after, for comparing with `changedPaths`.
 */
export async function written(
  rel: string,
  at: string,
  write: (edit: Edit) => void,
  extra: Record<string, string> = {},
): Promise<{ doc: PlanDocument; edit: Edit; before: Json; after: Json }> {
  const before = fixtureJson(rel);
  const doc = await load(fixtureText(rel), at, extra);
  const e = edit(doc);
  write(e);
  return { doc, edit: e, before, after: JSON.parse(e.text()) as Json };
}

export async function problemsOf(text: string, rel = 'plan/PROGRESS.json'): Promise<readonly Problem[]> {
  const file = place(text, rel);
  const error = await loadPlan(file).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(InvalidPlanError);
  // Validation never touches the file.
  expect(readFileSync(file, 'utf8')).toBe(text);
  return (error as InvalidPlanError).problems;
}

/** A broken copy of a fixture, and the problem it must be reported with. */
export interface InvalidCase {
  readonly name: string;
  readonly edit: (json: Json) => void;
  /** The fixture to break, when not the one `itReportsEach` names. */
  readonly fixture?: string;
  readonly path: string;
  readonly message: RegExp;
}

/** One test a case: the broken copy of `fixture`, placed at `at`, is rejected with a problem at the case's path. */
export function itReportsEach(cases: readonly InvalidCase[], fixture: string, at: string): void {
  for (const c of cases) {
    it(`reports ${c.name} at its path`, async () => {
      const problem = problemAt(await problemsOf(variant(c.fixture ?? fixture, c.edit), at), c.path);
      expect(problem.message).toMatch(c.message);
    });
  }
}

/** The problem at `path`, failing with every problem found when there is none. */
export function problemAt(problems: readonly Problem[], path: string): Problem {
  const match = problems.find((p) => p.path === path);
  expect(match, JSON.stringify(problems, null, 2)).toBeDefined();
  return match!;
}

export function taskById(doc: PlanDocument, id: string): Task {
  const task = doc.plan.phases.flatMap((p) => p.tasks).find((t) => t.id === id);
  expect(task, `task ${id}`).toBeDefined();
  return task!;
}

/** JSON paths (as messages write them) whose values differ between `a` and `b`. */
export function changedPaths(a: unknown, b: unknown, at = ''): string[] {
  const aObj = typeof a === 'object' && a !== null;
  const bObj = typeof b === 'object' && b !== null;
  if (!aObj || !bObj || Array.isArray(a) !== Array.isArray(b)) return Object.is(a, b) ? [] : [at];
  const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
  return [...keys].flatMap((k) => {
    const child = Array.isArray(a) ? `${at}[${k}]` : at ? `${at}.${k}` : k;
    const inA = k in a;
    const inB = k in b;
    if (inA !== inB) return [child];
    return changedPaths((a as Json)[k], (b as Json)[k], child);
  });
}

/** The value at a message path such as `phases[0].tasks[1].blockedBy[0]`, to prove the path is real. */
export function valueAt(json: unknown, path: string): unknown {
  let node: unknown = json;
  for (const [, key, index] of path.matchAll(/\.?([A-Za-z_$][\w$]*)|\[(\d+)\]/g)) {
    if (typeof node !== 'object' || node === null) return undefined;
    node = (node as Json)[key ?? Number(index)];
  }
  return node;
}
