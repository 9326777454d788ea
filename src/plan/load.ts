import { InvalidPlanError } from '../errors.js';
import { PlanDocument } from './document.js';
import { checkGraph } from './graph.js';
import { readJsonFile, resolvePlanFile } from './read-file.js';
import { shapeFor } from './shapes/index.js';

/**
 * Reads, recognises and validates a plan. Every problem found is reported at once, each naming the
 * file and the JSON path; nothing is written.
 */
export async function loadPlan(input: string): Promise<PlanDocument> {
  const file = await resolvePlanFile(input);
  const read = await readJsonFile(file);
  if (!read.ok) throw new InvalidPlanError([read.problem]);
  if (typeof read.raw !== 'object' || read.raw === null || Array.isArray(read.raw)) {
    throw new InvalidPlanError([{ file, path: '', message: `expected a JSON object, found ${describe(read.raw)}` }]);
  }
  const reader = shapeFor(read.raw);
  const result = await reader.read(read.raw, file);
  if (!result.ok) throw new InvalidPlanError(result.problems);
  const problems = checkGraph(result.plan, file);
  if (problems.length > 0) throw new InvalidPlanError(problems);
  return new PlanDocument(file, read.raw, read.format, reader, result.plan);
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return `a ${typeof value}`;
}
