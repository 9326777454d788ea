import { InvalidStateError, StateConflictError } from '../errors.js';
import { newState } from '../state/new-state.js';
import type { Plan } from '../plan/model.js';
import { readState } from '../state/read-state.js';
import type { OrchestratorState } from '../state/schema.js';
import { displayPath } from './status-report.js';

/**
 * The run's books from state.json, or new ones: an earlier run of the same plan goes on from its
 * books; a state file of another plan, or one that cannot be read, stops the run unless `--fresh`
 * replaces it.
 */
export async function loadBooks(
  stateFile: string,
  plan: Plan,
  planPath: string,
  options: { readonly fresh: boolean; readonly cwd: string; readonly now: string },
): Promise<{ books: OrchestratorState; resumed: boolean }> {
  const existing = await readState(stateFile);
  if (options.fresh || existing.kind === 'absent') return { books: newState(plan, planPath, options.now), resumed: false };
  if (existing.kind === 'invalid') throw new InvalidStateError([...existing.problems]);
  const { planId, planPath: recordedPath } = existing.state;
  if (planId !== plan.id || recordedPath !== planPath) {
    throw new StateConflictError(
      `${displayPath(stateFile, options.cwd)} belongs to plan "${planId}" (${recordedPath}), not "${plan.id}" (${planPath}). ` +
        'Finish that plan, or start over with --fresh (its run history is replaced).',
    );
  }
  return { books: existing.state, resumed: true };
}
