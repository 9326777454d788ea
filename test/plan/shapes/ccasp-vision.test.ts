import { describe, expect, it } from 'vitest';
import {
  ccaspText,
  changedPaths,
  fixtureJson,
  fixtureText,
  itReportsEach,
  load,
  objAt,
  problemAt,
  problemsOf,
  shapeOf,
  taskById,
  edit,
  unchanged,
  valueAt,
  variant,
  written,
  type InvalidCase,
} from './support.js';

const MAIN = 'ccasp-vision/PROGRESS.json';
const SYNCED = 'ccasp-vision/PROGRESS.after-completeTaskAndSync.json';
const VARIANTS = [MAIN, SYNCED, 'ccasp-vision/PROGRESS.task-list.json', 'ccasp-vision/PROGRESS.phase-dev-plan.json'];
const AT = '.claude/phase-plans/shop-checkout-roadmap-1-phase-1/PROGRESS.json';
const WHEN = '2026-12-01T10:00:00.000Z';

/** Two phases whose task ids both restart at 1, as the planner's phase-dev-plan variant numbers them. */
function twoPhases(): string {
  return variant('ccasp-vision/PROGRESS.phase-dev-plan.json', (j) => {
    const phases = j.phases as Record<string, unknown>[];
    const second = structuredClone(phases[0]!);
    second.id = 11;
    second.name = 'Second';
    second.tasks = (second.tasks as unknown[]).slice(0, 2);
    phases.push(second);
  });
}

describe('CCASP vision plans', () => {
  it('recognises every variant, and the backup check without metadata', () => {
    for (const rel of VARIANTS) expect(shapeOf(rel)).toBe('ccasp-vision');
    expect(shapeOf(MAIN, (j) => void delete j.metadata)).toBe('ccasp-vision');
  });

  it('reads the main fixture with qualified task ids', async () => {
    const { plan } = await load(fixtureText(MAIN), AT);
    expect(plan).toMatchObject({
      id: 'shop-checkout-roadmap-1-phase-1',
      name: 'Additional Implementation',
      shape: 'ccasp-vision',
      status: 'pending',
      completionPercentage: 0,
      github: { owner: 'acme', repo: 'shop', issue: 203 },
    });
    expect(plan.maxParallel).toBeUndefined();
    expect(plan.testCommand).toBeUndefined();
    expect(plan.phases.map((p) => [p.id, p.name, p.status, p.at])).toEqual([['1', 'Additional Implementation', 'pending', 'phases[0]']]);
    expect(plan.phases[0]!.tasks.map((t) => [t.id, t.title, t.details, t.status, t.dependencies, t.at])).toEqual([
      ['1.1', 'forms', undefined, 'pending', [], 'phases[0].tasks[0]'],
      ['1.2', 'authentication', undefined, 'pending', [], 'phases[0].tasks[1]'],
      ['1.3', 'database', undefined, 'pending', [], 'phases[0].tasks[2]'],
      ['1.4', 'api', undefined, 'pending', [], 'phases[0].tasks[3]'],
    ]);
  });

  it('reads the variants without a GitHub issue', async () => {
    for (const rel of ['ccasp-vision/PROGRESS.task-list.json', 'ccasp-vision/PROGRESS.phase-dev-plan.json']) {
      const { plan } = await load(fixtureText(rel), '.claude/phase-plans/shop-checkout/PROGRESS.json');
      expect(plan).toMatchObject({ id: 'shop-checkout', name: 'Shop Checkout', status: 'pending' });
      expect(plan.github).toBeUndefined();
      expect(plan.phases[0]!.tasks).toHaveLength(4);
    }
  });

  it('reads the package\'s own completeTaskAndSync result', async () => {
    const doc = await load(fixtureText(SYNCED), AT);
    expect(doc.plan).toMatchObject({ status: 'in_progress', completionPercentage: 25 });
    expect(doc.plan.phases[0]!.status).toBe('in_progress');
    expect(taskById(doc, '1.2')).toMatchObject({ status: 'completed', completedAt: '2026-11-26T07:12:09.851Z' });
  });

  it('reproduces every variant byte for byte', async () => {
    for (const rel of VARIANTS) {
      const text = fixtureText(rel);
      expect(unchanged(await load(text, AT))).toBe(text);
    }
  });

  it('writes a completion exactly as CCASP\'s completeTaskAndSync does', async () => {
    const doc = await load(fixtureText(MAIN), AT);
    const e = edit(doc);
    e.task('1.2', { status: 'completed', completedAt: '2026-11-26T07:12:09.851Z', completedBy: null });
    e.phase('1', { status: 'in_progress' });
    e.plan({ status: 'in_progress', completionPercentage: 25 });
    const ours = JSON.parse(e.text());
    // Only CCASP's own last-updated stamp differs; ccasp has no clock reading to put there.
    expect(changedPaths(ours, fixtureJson(SYNCED))).toEqual(['metadata.updated']);
    expect(valueAt(ours, 'phases[0].tasks[1].id')).toBe(2);
  });

  it('writes a blocked task and keeps the phase percentage', async () => {
    const { before, after } = await written(MAIN, AT, (d) => d.task('1.3', { status: 'blocked', blocker: 'no schema yet', attempts: 2 }));
    expect(changedPaths(before, after)).toEqual([
      'phases[0].tasks[2].status',
      'phases[0].tasks[2].blocker',
      'phases[0].tasks[2].attempts',
      'phases[0].completion_percentage',
    ]);
    expect(valueAt(after, 'phases[0].tasks[2]')).toMatchObject({ id: 3, status: 'blocked', completed: false, blocker: 'no schema yet' });
    expect(valueAt(after, 'phases[0].completion_percentage')).toBe(0);
  });

  it('writes phase completion with completed_at, and "not_started" for pending', async () => {
    const before = fixtureJson(MAIN);
    const doc = await load(fixtureText(MAIN), AT);
    const e = edit(doc);
    e.phase('1', { status: 'completed', completedAt: WHEN });
    let after = JSON.parse(e.text());
    expect(changedPaths(before, after)).toEqual(['phases[0].status', 'phases[0].completed_at']);
    e.phase('1', { status: 'pending', completedAt: null });
    e.plan({ status: 'pending' });
    after = JSON.parse(e.text());
    expect(changedPaths(before, after)).toEqual([]);
  });

  it('finds tasks by phase, never rewriting their numeric ids', async () => {
    const text = twoPhases();
    const doc = await load(text, AT);
    const e = edit(doc);
    expect(doc.plan.phases.map((p) => [p.id, p.tasks.map((t) => t.id)])).toEqual([
      ['1', ['1.1', '1.2', '1.3', '1.4']],
      ['11', ['11.1', '11.2']],
    ]);
    e.task('11.2', { status: 'completed', completedAt: WHEN });
    const after = JSON.parse(e.text());
    expect(changedPaths(JSON.parse(text), after)).toEqual([
      'phases[1].tasks[1].status',
      'phases[1].tasks[1].completed',
      'phases[1].tasks[1].completed_at',
      'phases[1].completion_percentage',
    ]);
    expect(valueAt(after, 'phases[1]')).toMatchObject({ id: 11, completion_percentage: 50, tasks: [{ id: 1 }, { id: 2 }] });
  });

  it('qualifies hand-added dependencies within their phase', async () => {
    const doc = await load(
      variant(MAIN, (j) => {
        objAt(j, 'phases[0].tasks[1]').blockedBy = [1];
        objAt(j, 'phases[0].tasks[3]').blockedBy = ['1.2', 3];
      }),
      AT,
    );
    expect(taskById(doc, '1.2').dependencies).toEqual(['1.1']);
    expect(taskById(doc, '1.4').dependencies).toEqual(['1.2', '1.3']);
  });

  describe('invalid files', () => {
    const cases: InvalidCase[] = [
      { name: 'a wrong type', edit: (j) => void (objAt(j, 'phases[0].tasks[0]').name = 5), path: 'phases[0].tasks[0].name', message: /expected string/ },
      { name: 'a fractional task id', edit: (j) => void (objAt(j, 'phases[0].tasks[0]').id = 1.5), path: 'phases[0].tasks[0].id', message: /whole-number id/ },
      { name: 'an unknown task status', edit: (j) => void (objAt(j, 'phases[0].tasks[0]').status = 'finished'), path: 'phases[0].tasks[0].status', message: /"pending"/ },
      { name: 'an unknown phase status', edit: (j) => void (objAt(j, 'phases[0]').status = 'started'), path: 'phases[0].status', message: /"not_started"/ },
      { name: 'an unknown blockedBy id', edit: (j) => void (objAt(j, 'phases[0].tasks[1]').blockedBy = [1, 9]), path: 'phases[0].tasks[1].blockedBy[1]', message: /unknown task "1\.9"/ },
      { name: 'a task id repeated in its phase', edit: (j) => void (objAt(j, 'phases[0].tasks[2]').id = 1), path: 'phases[0].tasks[2].id', message: /duplicate task id "1\.1"/ },
      { name: 'a bad completed_at', fixture: SYNCED, edit: (j) => void (objAt(j, 'phases[0].tasks[1]').completed_at = 'now'), path: 'phases[0].tasks[1].completed_at', message: /ISO-8601/ },
    ];
    itReportsEach(cases, MAIN, AT);

    it('reports a duplicate phase id at the phase', async () => {
      const text = ccaspText({ ...JSON.parse(twoPhases()), phases: JSON.parse(twoPhases()).phases.map((p: { id: number }) => ({ ...p, id: 1 })) });
      const problems = await problemsOf(text, AT);
      expect(problemAt(problems, 'phases[1].id').message).toMatch(/duplicate phase id "1"/);
    });
  });
});
