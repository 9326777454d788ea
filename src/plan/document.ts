import { JsonBytes } from './json-bytes.js';
import type { Plan } from './model.js';
import type { JsonFormat } from './read-file.js';
import type { PhasePatch, PlanPatch, PlanShapeReader, TaskPatch } from './shapes/shape.js';
import { trackWrites } from './track-writes.js';

/**
 * A plan as read from disk: the normalised model for everyone, and the parsed JSON kept whole so that
 * progress is written back into the file's own shape with every other field untouched.
 *
 * The shape writers change the JSON through a view that reports what they wrote, so the file's text
 * is made again only for what changed: a run rewrites PROGRESS.json after every task, and stringifying
 * all of it each time made a run's cost grow with the square of the plan's size. A writer must
 * therefore reach the JSON only through the `raw` it is handed, never through objects it kept.
 */
export class PlanDocument {
  readonly file: string;
  readonly plan: Plan;
  readonly format: JsonFormat;
  private readonly raw: unknown;
  private readonly writable: unknown;
  private readonly text: JsonBytes;
  private readonly reader: PlanShapeReader;
  private readonly taskIndex = new Map<string, readonly [number, number]>();
  private readonly phaseIndex = new Map<string, number>();

  constructor(file: string, raw: unknown, format: JsonFormat, reader: PlanShapeReader, plan: Plan) {
    this.file = file;
    this.raw = raw;
    this.format = format;
    this.reader = reader;
    this.plan = plan;
    const text = new JsonBytes(format);
    this.text = text;
    this.writable = typeof raw === 'object' && raw !== null ? trackWrites(raw, { written: (node, via) => text.forget(node, via), lost: () => text.disable() }) : raw;
    plan.phases.forEach((phase, i) => {
      this.phaseIndex.set(phase.id, i);
      phase.tasks.forEach((task, j) => this.taskIndex.set(task.id, [i, j]));
    });
  }

  updateTask(taskId: string, patch: TaskPatch): void {
    const at = this.taskIndex.get(taskId);
    if (!at) throw new Error(`unknown task ${taskId}`);
    this.reader.writeTask(this.writable, at[0], at[1], patch);
  }

  updatePhase(phaseId: string, patch: PhasePatch): void {
    const at = this.phaseIndex.get(phaseId);
    if (at === undefined) throw new Error(`unknown phase ${phaseId}`);
    this.reader.writePhase(this.writable, at, patch);
  }

  updatePlan(patch: PlanPatch): void {
    this.reader.writePlan(this.writable, patch);
  }

  /** The file's new contents, as serializeJson would write them. */
  bytes(): Buffer {
    return this.text.bytes(this.raw);
  }

  /** `bytes()` in pieces, for a writer that copies them into a buffer of its own. */
  pieces(): readonly Buffer[] {
    return this.text.pieces(this.raw);
  }

  serialize(): string {
    return this.bytes().toString('utf8');
  }
}
