import { describe, expect, it } from 'vitest';
import type { Plan, Task } from '../../src/plan/model.js';
import { planEdits } from '../../src/plan/plan-edits.js';
import { phase, plan, task } from '../orchestrator/harness.js';

const BEFORE = plan(phase('P1', [task('A', { status: 'in_progress' }), task('B')]), phase('P2', [task('C'), task('D', { status: 'blocked', blocker: 'no key' })]));

/** BEFORE with `changes` applied to the tasks they name. */
function editing(changes: Record<string, Partial<Task>>): Plan {
  return { ...BEFORE, phases: BEFORE.phases.map((p) => ({ ...p, tasks: p.tasks.map((t) => ({ ...t, ...changes[t.id] })) })) };
}

describe('planEdits', () => {
  it('takes a plan nothing changed in, and one whose text changed', () => {
    expect(planEdits(BEFORE, BEFORE)).toEqual({ kind: 'taken', skipped: [] });
    expect(planEdits(BEFORE, editing({ B: { title: 'Renamed', details: 'more', files: ['x.ts'], dependencies: ['A'] } }))).toEqual({ kind: 'taken', skipped: [] });
  });

  it('takes pending and blocked tasks set to skipped, as they now read', () => {
    const after = editing({ B: { status: 'skipped' }, D: { status: 'skipped' } });
    expect(planEdits(BEFORE, after)).toEqual({ kind: 'taken', skipped: [after.phases[0]!.tasks[1], after.phases[1]!.tasks[1]] });
  });

  it.each([
    ['a task running as the file said', editing({ A: { status: 'skipped' } }), 'task "A" was set to skipped while its agent was running'],
    ['another status', editing({ B: { status: 'completed' } }), 'task "B": its status changed from pending to completed'],
    ['a progress field ccasp keeps', editing({ D: { blocker: 'the key came' } }), 'task "D": its blocker changed'],
    ['a removed task', plan(phase('P1', [task('A', { status: 'in_progress' })]), BEFORE.phases[1]!), 'task "B" was removed'],
    ['an added task', plan(BEFORE.phases[0]!, phase('P2', [...BEFORE.phases[1]!.tasks, task('E')])), 'task "E" was added'],
    ['reordered tasks', plan(phase('P1', [task('B'), task('A', { status: 'in_progress' })]), BEFORE.phases[1]!), 'the tasks were reordered ("B" is now where "A" was)'],
    ['a task moved to another phase', plan(phase('P1', [task('A', { status: 'in_progress' })]), phase('P2', [task('B'), ...BEFORE.phases[1]!.tasks])), 'task "B" moved from phase "P1" to "P2"'],
    ['a removed phase', plan(BEFORE.phases[0]!), 'phase "P2" was removed'],
    ['another plan id', { ...BEFORE, id: 'other' }, 'its plan id changed from "plan" to "other"'],
    ['another shape', { ...BEFORE, shape: 'ccasp-phase-dev' as const }, 'it now reads as a ccasp-phase-dev plan, not a canonical one'],
  ])('refuses %s', (_, after, reason) => {
    expect(planEdits(BEFORE, after)).toEqual({ kind: 'refused', reason });
  });
});
