import { canonicalShape } from './canonical.js';
import { ccaspPhaseDevShape } from './ccasp-phase-dev.js';
import { ccaspPlanCommandShape } from './ccasp-plan-command.js';
import { ccaspRoadmapShape } from './ccasp-roadmap.js';
import { ccaspVisionShape } from './ccasp-vision.js';
import type { PlanShapeReader } from './shape.js';
import { taskMasterShape } from './taskmaster.js';

/**
 * Checked in order. The CCASP shapes follow docs/ccasp-shapes.md §1, whose order matters: a vision
 * plan's backup check and the `/phase-dev-plan` one would both accept some of the others. Canonical
 * comes last because it accepts any object and reports what is missing. Task Master's files
 * have no `phases`, which every other shape has.
 */
export const PLAN_SHAPES: readonly PlanShapeReader[] = [
  ccaspPhaseDevShape,
  ccaspRoadmapShape,
  ccaspVisionShape,
  ccaspPlanCommandShape,
  taskMasterShape,
  canonicalShape,
];

export function shapeFor(raw: unknown): PlanShapeReader {
  return PLAN_SHAPES.find((s) => s.matches(raw)) ?? canonicalShape;
}
