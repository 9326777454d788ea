import { canonicalShape } from './canonical.js';
import type { PlanShapeReader } from './shape.js';

/** Checked in order; canonical comes last because it accepts any object and reports what is missing. */
export const PLAN_SHAPES: readonly PlanShapeReader[] = [canonicalShape];

export function shapeFor(raw: unknown): PlanShapeReader {
  return PLAN_SHAPES.find((s) => s.matches(raw)) ?? canonicalShape;
}
