import type { Plan } from './model.js';
import { serializeJson, type JsonFormat } from './read-file.js';
import type { PhasePatch, PlanPatch, PlanReadOptions, PlanWriter, TaskPatch } from './shapes/shape.js';

/** What a run changed in a plan's progress, by task and phase id; everything absent stays as read. */
export interface ProgressChanges {
  readonly tasks: ReadonlyMap<string, TaskPatch>;
  readonly phases: ReadonlyMap<string, PhasePatch>;
  readonly plan?: PlanPatch;
}

/**
 * A plan as read from disk: the normalised model for everyone, and the parsed JSON kept as read so
 * that progress is written back into the file's own shape, every other field, key order, indentation
 * and line ending untouched. The JSON is never changed in place: each write starts from a copy of
 * what was read, so the file on disk always says exactly what the changes say. `bytes` are the file's
 * as read, so that a writer can tell a person's edit from its own.
 */
export class PlanDocument {
  private readonly taskIndex = new Map<string, readonly [number, number]>();
  private readonly phaseIndex = new Map<string, number>();

  constructor(
    readonly file: string,
    private readonly raw: unknown,
    readonly format: JsonFormat,
    private readonly writer: PlanWriter,
    readonly plan: Plan,
    readonly bytes: Buffer,
  ) {
    plan.phases.forEach((phase, i) => {
      this.phaseIndex.set(phase.id, i);
      phase.tasks.forEach((task, j) => this.taskIndex.set(task.id, [i, j]));
    });
  }

  /** What reading the file again must be told to read this same plan (Task Master's tag). */
  get readOptions(): PlanReadOptions {
    return this.plan.tag === undefined ? {} : { tag: this.plan.tag };
  }

  /** The file's text with `changes` written in the plan's own fields. */
  render(changes: ProgressChanges): string {
    const raw = structuredClone(this.raw);
    for (const [taskId, patch] of changes.tasks) {
      const at = this.taskIndex.get(taskId);
      if (!at) throw new Error(`unknown task ${taskId}`);
      this.writer.writeTask(raw, at[0], at[1], patch);
    }
    for (const [phaseId, patch] of changes.phases) {
      const at = this.phaseIndex.get(phaseId);
      if (at === undefined) throw new Error(`unknown phase ${phaseId}`);
      this.writer.writePhase(raw, at, patch);
    }
    if (changes.plan) this.writer.writePlan(raw, changes.plan);
    return serializeJson(raw, this.format);
  }
}
