import { formatProblem, InvalidPlanError, PlanEditedError } from '../errors.js';
import type { RunState } from '../orchestrator/run-state.js';
import type { PlanDocument } from '../plan/document.js';
import { parsePlan } from '../plan/load.js';
import { planEdits } from '../plan/plan-edits.js';
import type { EditableFile } from '../state/run-files.js';

/**
 * PROGRESS.json as a run keeps it: the document the run's changes are written into. When a person
 * edited the file since ccasp last wrote it, the edit is taken if the run can go on from it (tasks
 * set to skipped, text and other fields ccasp does not keep): the file as it now is becomes the
 * document, so the next write keeps the edit. Anything else is refused with a PlanEditedError, which
 * stops the run and leaves the file as the person wrote it.
 */
export class RunPlanFile implements EditableFile {
  private current: PlanDocument;

  constructor(
    doc: PlanDocument,
    private readonly run: RunState,
    private readonly notify: (message: string) => void,
  ) {
    this.current = doc;
  }

  get file(): string {
    return this.current.file;
  }

  get bytes(): Buffer {
    return this.current.bytes;
  }

  /** The document the run's changes are rendered into. */
  get doc(): PlanDocument {
    return this.current;
  }

  async edited(onDisk: Buffer | undefined, lastWritten: Buffer): Promise<void> {
    if (!onDisk) throw new PlanEditedError(this.file, 'it was removed or cannot be read');
    const now = await parsePlan(this.file, onDisk, this.current.readOptions).catch((error: unknown) => {
      if (!(error instanceof InvalidPlanError)) throw error;
      const [first] = error.problems;
      const more = error.problems.length > 1 ? ` (and ${error.problems.length - 1} more problems)` : '';
      throw new PlanEditedError(this.file, `it is no longer a valid plan (${first ? formatProblem(first) : 'invalid'}${more})`);
    });
    const was = await parsePlan(this.file, lastWritten, this.current.readOptions);
    const edits = planEdits(was.plan, now.plan);
    if (edits.kind === 'refused') throw new PlanEditedError(this.file, edits.reason);
    const running = this.run.planEdited(now.plan, edits.skipped, new Date().toISOString());
    if (running.length > 0) throw new PlanEditedError(this.file, `task ${names(running)} was set to skipped while its agent was running`);
    this.current = now;
    const skipped = edits.skipped.length > 0 ? `; ${names(edits.skipped.map((t) => t.id))} skipped, so ${edits.skipped.length === 1 ? 'it does' : 'they do'} not run` : '';
    this.notify(`${this.file} was edited during the run: your edits are kept${skipped}. This run keeps working from the tasks as it first read them; changes to their text, files or dependencies apply from the next run.`);
  }
}

function names(ids: readonly string[]): string {
  return ids.map((id) => `"${id}"`).join(', ');
}
