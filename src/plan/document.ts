import type { Plan } from './model.js';
import { serializeJson, type JsonFormat } from './read-file.js';
import type { PhasePatch, PlanPatch, PlanShapeReader, TaskPatch } from './shapes/shape.js';

/**
 * A plan as read from disk: the normalised model for everyone, and the parsed JSON kept whole so that
 * progress is written back into the file's own shape with every other field untouched.
 */
export class PlanDocument {
  readonly file: string;
  readonly plan: Plan;
  readonly format: JsonFormat;
  private readonly raw: unknown;
  private readonly reader: PlanShapeReader;
  private readonly taskIndex = new Map<string, readonly [number, number]>();
  private readonly phaseIndex = new Map<string, number>();

  constructor(file: string, raw: unknown, format: JsonFormat, reader: PlanShapeReader, plan: Plan) {
    this.file = file;
    this.raw = raw;
    this.format = format;
    this.reader = reader;
    this.plan = plan;
    plan.phases.forEach((phase, i) => {
      this.phaseIndex.set(phase.id, i);
      phase.tasks.forEach((task, j) => this.taskIndex.set(task.id, [i, j]));
    });
  }

  updateTask(taskId: string, patch: TaskPatch): void {
    const at = this.taskIndex.get(taskId);
    if (!at) throw new Error(`unknown task ${taskId}`);
    this.reader.writeTask(this.raw, at[0], at[1], patch);
  }

  updatePhase(phaseId: string, patch: PhasePatch): void {
    const at = this.phaseIndex.get(phaseId);
    if (at === undefined) throw new Error(`unknown phase ${phaseId}`);
    this.reader.writePhase(this.raw, at, patch);
  }

  updatePlan(patch: PlanPatch): void {
    this.reader.writePlan(this.raw, patch);
  }

  serialize(): string {
    return serializeJson(this.raw, this.format);
  }
}
