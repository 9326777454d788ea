import { describe, expect, it } from 'vitest';
import {
  changedPaths,
  fixtureText,
  itReportsEach,
  load,
  objAt,
  shapeOf,
  taskById,
  unchanged,
  valueAt,
  variant,
  written,
  type InvalidCase,
} from './support.js';

const MAIN = 'ccasp-phase-dev-plan-command/PROGRESS.json';
const AT = '.claude/phase-plans/checkout-redesign/PROGRESS.json';
const WHEN = '2026-12-01T10:00:00.000Z';

describe('CCASP /phase-dev-plan plans', () => {
  it('is recognised, and still is once ccasp has added task statuses', () => {
    expect(shapeOf(MAIN)).toBe('ccasp-plan-command');
    expect(shapeOf(MAIN, (j) => void (objAt(j, 'phases[0].tasks[0]').status = 'completed'))).toBe('ccasp-plan-command');
  });

  it('reads the fixture', async () => {
    const { plan } = await load(fixtureText(MAIN), AT);
    expect(plan).toMatchObject({
      id: 'checkout-redesign',
      name: 'Checkout Redesign',
      shape: 'ccasp-plan-command',
      completionPercentage: 0,
      github: { owner: 'acme', repo: 'shop', issue: 204 },
    });
    expect(plan.status).toBeUndefined();
    expect(plan.maxParallel).toBeUndefined();
    expect(plan.testCommand).toBeUndefined();
    expect(plan.phases.map((p) => [p.id, p.name, p.status, p.at])).toEqual([
      ['1', 'Cart & Order API', 'pending', 'phases[0]'],
      ['2', 'Checkout UI', 'pending', 'phases[1]'],
    ]);
    expect(plan.phases.flatMap((p) => p.tasks).map((t) => [t.id, t.title, t.status, t.dependencies, t.at])).toEqual([
      ['1.1', 'Add Order model and Prisma migration', 'pending', [], 'phases[0].tasks[0]'],
      ['1.2', 'Implement POST /api/orders endpoint', 'pending', [], 'phases[0].tasks[1]'],
      ['2.1', 'Build CartSummary and PaymentForm components', 'pending', [], 'phases[1].tasks[0]'],
      ['2.2', 'Add Playwright checkout e2e test', 'pending', [], 'phases[1].tasks[1]'],
    ]);
  });

  it('reads what /phase-track writes', async () => {
    const text = variant(MAIN, (j) => {
      objAt(j, 'phases[0].tasks[0]').completed = true;
      objAt(j, 'phases[0].tasks[0]').completedAt = '2026-11-26T08:00:00.000Z';
      objAt(j, 'phases[0]').status = 'partial';
      j.status = 'partial';
      j.completion_percentage = 0;
    });
    const doc = await load(text, AT);
    expect(doc.plan.status).toBe('in_progress');
    expect(doc.plan.phases[0]!.status).toBe('in_progress');
    expect(taskById(doc, '1.1')).toMatchObject({ status: 'completed', completedAt: '2026-11-26T08:00:00.000Z' });
  });

  it('reproduces the file byte for byte', async () => {
    const text = fixtureText(MAIN);
    expect(unchanged(await load(text, AT))).toBe(text);
  });

  it('writes a completion as both the boolean and a status', async () => {
    const { edit, before, after } = await written(MAIN, AT, (d) => {
      d.task('1.1', { status: 'completed', completedAt: WHEN, completedBy: 'ccasp' });
    });
    const t = 'phases[0].tasks[0]';
    expect(changedPaths(before, after)).toEqual([`${t}.completed`, `${t}.status`, `${t}.completedAt`, `${t}.completedBy`]);
    expect(Object.keys(objAt(after, t))).toEqual(['id', 'description', 'completed', 'status', 'completedAt', 'completedBy']);
    expect(valueAt(after, t)).toMatchObject({ completed: true, status: 'completed' });
    const reread = await load(edit.text(), AT);
    expect(reread.plan.shape).toBe('ccasp-plan-command');
    expect(taskById(reread, '1.1').status).toBe('completed');
  });

  it('writes a blocked task with its blocker', async () => {
    const { before, after } = await written(MAIN, AT, (d) => d.task('2.2', { status: 'blocked', blocker: 'Playwright browsers missing' }));
    expect(changedPaths(before, after)).toEqual(['phases[1].tasks[1].status', 'phases[1].tasks[1].blocker']);
    expect(valueAt(after, 'phases[1].tasks[1]')).toMatchObject({ completed: false, status: 'blocked', blocker: 'Playwright browsers missing' });
  });

  it('writes phase completion and plan progress', async () => {
    const { before, after } = await written(MAIN, AT, (d) => {
      d.phase('1', { status: 'completed', completedAt: WHEN });
      d.plan({ completionPercentage: 50 });
    });
    expect(changedPaths(before, after)).toEqual(['phases[0].status', 'phases[0].completedAt', 'completion_percentage']);
    expect(after).toMatchObject({ completion_percentage: 50, phases: [{ status: 'completed', completedAt: WHEN }, { status: 'pending' }] });
  });

  it('takes dependencies from depends_on when that is the name used', async () => {
    const doc = await load(variant(MAIN, (j) => void (objAt(j, 'phases[0].tasks[1]').depends_on = ['1.1'])), AT);
    expect(taskById(doc, '1.2')).toMatchObject({ dependencies: ['1.1'], dependencyField: 'depends_on' });
  });

  describe('invalid files', () => {
    const cases: InvalidCase[] = [
      { name: 'a wrong type', edit: (j) => void (objAt(j, 'phases[0].tasks[1]').completed = 'no'), path: 'phases[0].tasks[1].completed', message: /expected boolean/ },
      { name: 'a missing description', edit: (j) => void delete objAt(j, 'phases[1].tasks[0]').description, path: 'phases[1].tasks[0].description', message: /non-empty description or title/ },
      { name: 'an unknown status', edit: (j) => void (objAt(j, 'phases[0].tasks[0]').status = 'finished'), path: 'phases[0].tasks[0].status', message: /"completed"/ },
      { name: 'an unknown phase status', edit: (j) => void (objAt(j, 'phases[1]').status = 'later'), path: 'phases[1].status', message: /"partial"/ },
      { name: 'an unknown blockedBy id', edit: (j) => void (objAt(j, 'phases[1].tasks[1]').blockedBy = ['2.1', '3.1']), path: 'phases[1].tasks[1].blockedBy[1]', message: /unknown task "3\.1"/ },
      { name: 'an unknown depends_on id', edit: (j) => void (objAt(j, 'phases[0].tasks[1]').depends_on = ['1.7']), path: 'phases[0].tasks[1].depends_on[0]', message: /unknown task "1\.7"/ },
      { name: 'a later-phase dependency', edit: (j) => void (objAt(j, 'phases[0].tasks[0]').blockedBy = ['2.2']), path: 'phases[0].tasks[0].blockedBy[0]', message: /later phase \(2\)/ },
    ];
    itReportsEach(cases, MAIN, AT);
  });
});
