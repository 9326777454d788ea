import { describe, expect, it } from 'vitest';
import { normaliseFile, overlaps, Schedule } from '../../src/orchestrator/schedule.js';
import type { Phase, Plan, Task, TaskStatus } from '../../src/plan/model.js';

function task(id: string, fields: Partial<Task> = {}): Task {
  return { id, title: `Task ${id}`, files: [], fileAt: [], simple: false, dependencies: [], status: 'pending', at: id, dependencyField: 'dependencies', ...fields };
}

function phase(id: string, tasks: Task[]): Phase {
  return { id, name: `Phase ${id}`, status: 'pending', tasks, at: id };
}

function plan(...phases: Phase[]): Plan {
  return { id: 'plan', name: 'Plan', shape: 'canonical', phases };
}

/** The schedule asked with statuses the test keeps, as the run state keeps them for the loop. */
function schedule(p: Plan, statuses: Record<string, TaskStatus> = {}) {
  const s = new Schedule(p);
  const map = new Map(Object.entries(statuses));
  const statusOf = (id: string): TaskStatus => map.get(id) ?? 'pending';
  return {
    currentPhase: () => s.currentPhase(statusOf),
    isReady: (t: Task) => s.isReady(t, statusOf),
    next: (phaseIndex: number, running: readonly Task[], slots: number) => s.next(phaseIndex, statusOf, running, slots),
    stuck: (phaseIndex: number) => s.stuck(phaseIndex, statusOf),
    set: (id: string, status: TaskStatus) => void map.set(id, status),
  };
}

const ids = (tasks: readonly Task[]) => tasks.map((t) => t.id);

describe('Schedule.currentPhase', () => {
  const p = plan(phase('P1', [task('A'), task('B')]), phase('P2', [task('C')]));

  it('is the first phase with a task not done', () => {
    expect(schedule(p).currentPhase()).toBe(0);
    expect(schedule(p, { A: 'completed' }).currentPhase()).toBe(0);
    expect(schedule(p, { A: 'completed', B: 'skipped' }).currentPhase()).toBe(1);
  });

  it('is -1 when every task is done', () => {
    expect(schedule(p, { A: 'completed', B: 'completed', C: 'skipped' }).currentPhase()).toBe(-1);
  });

  it('stays on a phase with a failed or blocked task', () => {
    expect(schedule(p, { A: 'completed', B: 'failed' }).currentPhase()).toBe(0);
    expect(schedule(p, { A: 'blocked', B: 'completed' }).currentPhase()).toBe(0);
  });

  it('holds no status of its own: it answers from the statuses it is asked with', () => {
    const s = schedule(p);
    s.set('A', 'completed');
    s.set('B', 'completed');
    expect(s.currentPhase()).toBe(1);
  });
});

describe('Schedule.isReady', () => {
  const p = plan(phase('P1', [task('A'), task('B', { dependencies: ['A'] })]), phase('P2', [task('C', { dependencies: ['A', 'B'] })]));

  it('a task without dependencies is ready while pending', () => {
    const s = schedule(p);
    expect(s.isReady(task('A'))).toBe(true);
  });

  it.each<TaskStatus>(['in_progress', 'completed', 'blocked', 'failed', 'skipped'])('a %s task is not ready', (status) => {
    expect(schedule(p, { A: status }).isReady(p.phases[0]!.tasks[0]!)).toBe(false);
  });

  it.each<[TaskStatus, boolean]>([
    ['pending', false],
    ['in_progress', false],
    ['blocked', false],
    ['failed', false],
    ['completed', true],
    ['skipped', true],
  ])('with its dependency %s → ready %s', (status, ready) => {
    expect(schedule(p, { A: status }).isReady(p.phases[0]!.tasks[1]!)).toBe(ready);
  });

  it('needs every dependency done, across phases', () => {
    const c = p.phases[1]!.tasks[0]!;
    expect(schedule(p, { A: 'completed' }).isReady(c)).toBe(false);
    expect(schedule(p, { A: 'completed', B: 'skipped' }).isReady(c)).toBe(true);
  });
});

describe('Schedule.next', () => {
  it('picks independent ready tasks in plan order up to the free slots', () => {
    const p = plan(phase('P1', [task('A'), task('B'), task('C'), task('D')]));
    expect(ids(schedule(p).next(0, [], 2))).toEqual(['A', 'B']);
    expect(ids(schedule(p).next(0, [], 10))).toEqual(['A', 'B', 'C', 'D']);
    expect(schedule(p).next(0, [], 0)).toEqual([]);
  });

  it('skips tasks that are not ready and fills the slots from later ones', () => {
    const p = plan(phase('P1', [task('A', { dependencies: ['X'] }), task('B'), task('C', { dependencies: ['B'] }), task('D')]), phase('P0', [task('X')]));
    expect(ids(schedule(p, { B: 'completed' }).next(0, [], 2))).toEqual(['C', 'D']);
  });

  it('starts the task with the longest chain of its phase waiting on it first, plan order among equals', () => {
    // A alone; B → C → D a chain; E → F; X in the next phase waits on A but runs after this phase anyway.
    const p = plan(
      phase('P1', [task('A'), task('B'), task('E'), task('C', { dependencies: ['B'] }), task('D', { dependencies: ['C'] }), task('F', { dependencies: ['E'] })]),
      phase('P2', [task('X', { dependencies: ['A'] })]),
    );
    const s = schedule(p);
    expect(ids(s.next(0, [], 1))).toEqual(['B']);
    expect(ids(s.next(0, [], 3))).toEqual(['B', 'E', 'A']);
    s.set('B', 'completed');
    // C (chain of 2) and E (chain of 2) tie: plan order; A last.
    expect(ids(s.next(0, [], 3))).toEqual(['E', 'C', 'A']);
    s.set('E', 'in_progress');
    expect(ids(s.next(0, [], 3))).toEqual(['C', 'A']);
  });

  it('ranks a task by its longest chain, not by how many tasks wait on it', () => {
    const p = plan(phase('P1', [task('W'), task('L'), task('w1', { dependencies: ['W'] }), task('w2', { dependencies: ['W'] }), task('w3', { dependencies: ['W'] }), task('l1', { dependencies: ['L'] }), task('l2', { dependencies: ['l1'] }), task('l3', { dependencies: ['l2'] })]));
    expect(ids(schedule(p).next(0, [], 1))).toEqual(['L']);
  });

  it('only picks from the phase asked for', () => {
    const p = plan(phase('P1', [task('A')]), phase('P2', [task('B')]));
    expect(ids(schedule(p).next(1, [], 5))).toEqual(['B']);
    expect(schedule(p).next(7, [], 5)).toEqual([]);
  });

  it.each([
    ['the same file', 'src/a.ts', 'src/a.ts'],
    ['./a against a', './src/a.ts', 'src/a.ts'],
    ['a against ././a', 'src/a.ts', '././src/a.ts'],
    ['backslashes', 'src\\a.ts', 'src/a.ts'],
    ['a directory and a file inside it', 'src', 'src/a.ts'],
    ['a directory with a trailing slash and a file inside it', 'src/', 'src/deep/a.ts'],
    ['a file and the directory around it', 'src/deep/a.ts', './src/deep'],
    ['a doubled slash', 'src//a.ts', 'src/a.ts'],
    ['a dot segment', 'src/./a.ts', 'src/a.ts'],
    ['a dot-dot segment', 'lib/../src/a.ts', 'src/a.ts'],
  ])('never picks two tasks that share a file: %s', (_name, first, second) => {
    const p = plan(phase('P1', [task('A', { files: [first] }), task('B', { files: [second] }), task('C', { files: ['other.ts'] })]));
    expect(ids(schedule(p).next(0, [], 3))).toEqual(['A', 'C']);
  });

  it.each([
    ['the same file', 'src/a.ts', 'src/a.ts'],
    ['./a against a', './src/a.ts', 'src/a.ts'],
    ['a running directory', 'src', 'src/a.ts'],
    ['a running file inside the directory', 'src/a.ts', 'src'],
  ])('never picks a task sharing a file with a running one: %s', (_name, runningFile, file) => {
    const running = task('R', { files: [runningFile], status: 'in_progress' });
    const p = plan(phase('P1', [running, task('A', { files: [file] }), task('B', { files: ['other.ts'] })]));
    expect(ids(schedule(p, { R: 'in_progress' }).next(0, [running], 3))).toEqual(['B']);
  });

  it('lets through files that only share a prefix', () => {
    const p = plan(phase('P1', [task('A', { files: ['src/a'] }), task('B', { files: ['src/a.ts', 'src/ab/c.ts'] })]));
    expect(ids(schedule(p).next(0, [], 3))).toEqual(['A', 'B']);
  });

  it('tasks without declared files never conflict', () => {
    const p = plan(phase('P1', [task('A'), task('B'), task('C', { files: ['x.ts'] })]));
    expect(ids(schedule(p).next(0, [task('R', { files: ['x.ts'] })], 5))).toEqual(['A', 'B']);
  });

  it('a task held back by a conflict does not take a slot', () => {
    const p = plan(phase('P1', [task('A', { files: ['a.ts'] }), task('B', { files: ['a.ts'] }), task('C', { files: ['c.ts'] })]));
    expect(ids(schedule(p).next(0, [], 2))).toEqual(['A', 'C']);
  });
});

describe('Schedule.stuck', () => {
  it('lists tasks neither done nor able to run', () => {
    const p = plan(
      phase('P1', [
        task('A'),
        task('B', { dependencies: ['A'] }),
        task('C'),
        task('D'),
        task('E', { dependencies: ['C'] }),
        task('F', { dependencies: ['D'] }),
      ]),
    );
    const s = schedule(p, { A: 'failed', C: 'blocked', D: 'completed' });
    // A failed, B waits on A, C blocked, E waits on C; D is done; F is ready.
    expect(ids(s.stuck(0))).toEqual(['A', 'B', 'C', 'E']);
  });

  it('counts a running task as stuck: it is neither done nor ready', () => {
    const p = plan(phase('P1', [task('A')]));
    expect(ids(schedule(p, { A: 'in_progress' }).stuck(0))).toEqual(['A']);
  });

  it('is empty for a phase that can go on or is done', () => {
    const p = plan(phase('P1', [task('A'), task('B', { dependencies: ['A'] })]));
    expect(schedule(p).stuck(0)).toEqual(['B'].map((id) => p.phases[0]!.tasks.find((t) => t.id === id)));
    expect(schedule(p, { A: 'completed', B: 'completed' }).stuck(0)).toEqual([]);
    expect(schedule(p).stuck(5)).toEqual([]);
  });
});

describe('normaliseFile and overlaps', () => {
  it.each([
    ['./a', 'a'],
    ['././a/', 'a'],
    ['a\\b\\c.ts', 'a/b/c.ts'],
    ['src/', 'src'],
    ['src//a.ts', 'src/a.ts'],
    ['src/./a.ts', 'src/a.ts'],
    ['lib/../src/a.ts', 'src/a.ts'],
  ])('normaliseFile(%s) = %s', (input, output) => {
    expect(normaliseFile(input)).toBe(output);
  });

  it('overlaps is symmetric and means same or inside', () => {
    expect(overlaps('a', 'a')).toBe(true);
    expect(overlaps('a', 'a/b')).toBe(true);
    expect(overlaps('a/b', 'a')).toBe(true);
    expect(overlaps('a', 'ab')).toBe(false);
    expect(overlaps('a/b', 'a/c')).toBe(false);
  });
});
