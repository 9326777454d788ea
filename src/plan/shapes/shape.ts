import type * as z from 'zod';
import type { Problem } from '../../errors.js';
import type { Plan, PlanShape, TaskStatus, PhaseStatus } from '../model.js';
import { zodProblems } from '../zod-problems.js';

/** A change to one task's progress fields; `null` removes the field. */
export interface TaskPatch {
  readonly status?: TaskStatus;
  readonly completedAt?: string | null;
  readonly completedBy?: string | null;
  readonly blocker?: string | null;
  readonly attempts?: number;
}

export interface PhasePatch {
  readonly status?: PhaseStatus;
  readonly completedAt?: string | null;
}

export interface PlanPatch {
  readonly status?: string;
  readonly completionPercentage?: number;
}

/** What the command line says about which plan in a file to read (Task Master's `--tag`). */
export interface PlanReadOptions {
  readonly tag?: string;
}

/**
 * Writes progress back into the file's own fields. Writers mutate the parsed JSON in place, so every
 * field ccasp does not understand stays where it was. Phase and task indexes are those of the
 * normalised plan.
 */
export interface PlanWriter {
  writeTask(raw: unknown, phase: number, task: number, patch: TaskPatch): void;
  writePhase(raw: unknown, phase: number, patch: PhasePatch): void;
  writePlan(raw: unknown, patch: PlanPatch): void;
}

/** A plan read, and the writer for it: one that knows where in the file the plan it read lives. */
export type ReadResult =
  | { readonly ok: true; readonly plan: Plan; readonly writer: PlanWriter }
  | { readonly ok: false; readonly problems: Problem[] };

/** One plan shape found in the wild: how to recognise it and read it into the model. */
export interface PlanShapeReader {
  readonly shape: PlanShape;
  matches(raw: unknown): boolean;
  read(raw: unknown, file: string, options: PlanReadOptions): Promise<ReadResult>;
}

/**
 * Every shape's `read`: the file is checked against the shape's plan schema, and only one that fits
 * is turned into the model, so a reader never sees a field of the wrong type.
 */
export function readWith<S extends z.ZodType>(schema: S, raw: unknown, file: string, toPlan: (parsed: z.output<S>) => Plan, writer: PlanWriter): ReadResult {
  const parsed = schema.safeParse(raw);
  return parsed.success ? { ok: true, plan: toPlan(parsed.data), writer } : { ok: false, problems: zodProblems(file, parsed.error) };
}

export type JsonObject = Record<string, unknown>;

export function isObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Sets a field, or removes it for `null`; `undefined` leaves it alone. */
export function setField(target: JsonObject, key: string, value: unknown): void {
  if (value === undefined) return;
  if (value === null) delete target[key];
  else target[key] = value;
}

/** Walks `keys` from `root`, failing loudly when the file changed shape under us. */
export function objectAt(root: unknown, keys: readonly (string | number)[]): JsonObject {
  let node: unknown = root;
  for (const key of keys) {
    node = isObject(node) || Array.isArray(node) ? (node as Record<string | number, unknown>)[key] : undefined;
  }
  if (!isObject(node)) throw new Error(`plan structure changed: nothing at ${keys.join('.')}`);
  return node;
}
