import * as z from 'zod';
import { InvalidPlanError, type Problem } from '../errors.js';
import { parsePlan } from '../plan/load.js';
import { plan as canonicalPlan } from '../plan/shapes/schemas/canonical.js';
import { serializeJson } from '../plan/read-file.js';
import { zodProblems } from '../plan/zod-problems.js';
import type { PlanCheck } from './plan-author.js';

/**
 * What claude writes for `ccasp plan`: the canonical plan's own schema (plan/shapes/schemas/canonical.ts)
 * cut down to the fields a new plan has, so the two cannot drift apart. Progress fields (status,
 * attempts, completion) are ccasp's to keep and are added as `pending` when the plan is written;
 * strict objects, so a misspelt field comes back to claude as a problem instead of being dropped.
 */
export function authoredPlanSchema() {
  const phase = canonicalPlan.shape.phases.element;
  const task = phase.shape.tasks.element.pick({
    id: true,
    title: true,
    details: true,
    file: true,
    domain: true,
    complexity: true,
    dependencies: true,
    verify: true,
  });
  const authoredPhase = z.strictObject({ ...phase.pick({ id: true, name: true }).shape, tasks: z.array(z.strictObject(task.shape)).min(1) });
  return z.strictObject({ ...canonicalPlan.pick({ name: true, test_command: true }).shape, phases: z.array(authoredPhase).min(1) });
}

type AuthoredPlanSchema = ReturnType<typeof authoredPlanSchema>;
export type AuthoredPlan = z.infer<AuthoredPlanSchema>;

/**
 * The value of `claude --json-schema`. Draft 7 without `$schema`: claude compiles it with Ajv's
 * default class, which knows no 2020-12 meta-schema and would drop the tool silently
 * (docs/claude-stream.md, "Structured output"). The input side, since claude checks what the model writes.
 */
export function authoredPlanJsonSchema(): Record<string, unknown> {
  const { $schema: _meta, ...schema } = z.toJSONSchema(authoredPlanSchema(), { target: 'draft-7', io: 'input' });
  return schema;
}

/** The plan file ccasp writes from claude's plan: every task pending, fields in the canonical order. */
function canonicalPlanOf(authored: AuthoredPlan): Record<string, unknown> {
  return {
    name: authored.name,
    ...(authored.test_command !== undefined ? { test_command: authored.test_command } : {}),
    phases: authored.phases.map((phase) => ({
      id: phase.id,
      name: phase.name,
      tasks: phase.tasks.map((task) => ({ ...task, status: 'pending' })),
    })),
  };
}

/**
 * claude's plan checked as `ccasp validate` checks a plan in `file` (schema, ids, dependencies,
 * cycles, files inside the project), after the authored schema once more: claude drops a schema it
 * cannot compile silently, and the value is another program's output. Problems name JSON paths
 * within the plan, as claude wrote it.
 */
export async function checkAuthoredPlan(value: unknown, file: string): Promise<PlanCheck> {
  const parsed = (await authoredPlanSchema()).safeParse(value);
  if (!parsed.success) return { ok: false, problems: zodProblems(file, parsed.error).map(describeProblem) };
  const text = serializeJson(canonicalPlanOf(parsed.data), { indent: '  ', eol: '\n', finalNewline: true, bom: false, inlineScalarArrays: true });
  try {
    await parsePlan(file, Buffer.from(text, 'utf8'));
  } catch (error) {
    if (error instanceof InvalidPlanError) return { ok: false, problems: error.problems.map(describeProblem) };
    throw error;
  }
  return { ok: true, text };
}

function describeProblem(p: Problem): string {
  return p.path ? `${p.path}: ${p.message}` : p.message;
}
