import path from 'node:path';
import { InvalidStateError, UsageError } from '../errors.js';
import { loadPlan } from '../plan/load.js';
import type { PlanReadOptions } from '../plan/shapes/shape.js';
import type { TaskStatus } from '../plan/model.js';
import { acquireLock } from '../state/lock.js';
import { makeOrchestratorDir } from '../state/orchestrator-files.js';
import { lockPath, statePath } from '../state/paths.js';
import { findProjectRoot } from '../project-root.js';
import { readState } from '../state/read-state.js';
import { RunState } from '../orchestrator/run-state.js';
import { newState } from '../state/new-state.js';
import { RunFiles } from '../state/run-files.js';

/**
 * Puts one task back to pending, under the project's lock so it cannot race a running `ccasp run`.
 * Returns the status the task had.
 */
export async function reopenTask(planDir: string, taskId: string, allowed: readonly TaskStatus[], options: PlanReadOptions): Promise<TaskStatus> {
  const first = await loadPlan(planDir, options);
  const root = findProjectRoot(path.dirname(first.file));
  await makeOrchestratorDir(root);
  const lock = await acquireLock(lockPath(root), { command: `ccasp reopen ${taskId}` });
  try {
    // Read under the lock, so a run that just finished cannot have its progress overwritten.
    const doc = await loadPlan(first.file, first.readOptions);
    const task = doc.plan.phases.flatMap((p) => p.tasks).find((t) => t.id === taskId);
    if (!task) throw new UsageError(`${doc.file}: no task with id "${taskId}"`);
    if (!allowed.includes(task.status)) {
      throw new UsageError(`${taskId} is ${task.status}; only ${allowed.join(' or ')} tasks can be changed this way`);
    }
    const stateFile = statePath(root);
    const read = await readState(stateFile);
    if (read.kind === 'invalid') throw new InvalidStateError([...read.problems]);
    const planPath = path.relative(root, doc.file) || doc.file;
    const now = new Date().toISOString();
    const run = new RunState(doc.plan, read.kind === 'ok' && read.state.planId === doc.plan.id ? read.state : newState(doc.plan, planPath, now));
    run.reopened(taskId, now);
    await new RunFiles(() => run.files(doc, stateFile, now)).save();
    return task.status;
  } finally {
    await lock.release();
  }
}
