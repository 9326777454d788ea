import path from 'node:path';
import { InvalidPlanError, type Problem } from '../errors.js';
import { checkProjectPaths } from '../project-paths.js';
import { findProjectRoot } from '../project-root.js';
import { PlanDocument } from './document.js';
import { checkGraph } from './graph.js';
import type { Plan } from './model.js';
import { parseJsonBytes, readJsonFile, resolvePlanFile, type JsonFileResult } from './read-file.js';
import { shapeFor } from './shapes/index.js';
import type { PlanReadOptions } from './shapes/shape.js';

/**
 * Reads, recognises and validates a plan. Every problem found is reported at once, each naming the
 * file and the JSON path; nothing is written.
 */
export async function loadPlan(input: string, options: PlanReadOptions = {}): Promise<PlanDocument> {
  const file = await resolvePlanFile(input);
  return planOf(file, await readJsonFile(file), options);
}

/** The plan in `bytes`, read from `file` (as `loadPlan` resolved it), validated as `loadPlan` does. */
export function parsePlan(file: string, bytes: Buffer, options: PlanReadOptions = {}): Promise<PlanDocument> {
  return planOf(file, parseJsonBytes(file, bytes), options);
}

async function planOf(file: string, read: JsonFileResult, options: PlanReadOptions): Promise<PlanDocument> {
  if (!read.ok) throw new InvalidPlanError([read.problem]);
  if (typeof read.raw !== 'object' || read.raw === null || Array.isArray(read.raw)) {
    throw new InvalidPlanError([{ file, path: '', message: `expected a JSON object, found ${describe(read.raw)}` }]);
  }
  const reader = shapeFor(read.raw);
  const result = await reader.read(read.raw, file, options);
  if (!result.ok) throw new InvalidPlanError(result.problems);
  const problems = [...checkGraph(result.plan, file), ...checkDeclaredFiles(result.plan, file, findProjectRoot(path.dirname(file)))];
  if (problems.length > 0) throw new InvalidPlanError(problems);
  return new PlanDocument(file, read.raw, read.format, result.writer, result.plan, read.bytes);
}

/**
 * A task's declared files are named to its agent as the files to write: one leading out of the
 * project (`..`, an absolute path elsewhere, a symlink) is refused before anything runs.
 */
function checkDeclaredFiles(plan: Plan, file: string, root: string): Problem[] {
  const tasks = plan.phases.flatMap((p) => p.tasks);
  const { outside } = checkProjectPaths(root, tasks.flatMap((t) => t.files));
  if (outside.length === 0) return [];
  const out = new Set(outside);
  return tasks.flatMap((t) =>
    t.files.flatMap((f, k) =>
      out.has(f) ? [{ file, path: `${t.at}.${t.fileAt[k] ?? 'files'}`, message: `"${f}" leads out of the project (${root}); a task's files must be inside it` }] : [],
    ),
  );
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return `a ${typeof value}`;
}
