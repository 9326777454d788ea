import { describe, expect, it } from 'vitest';
import type { PlanDocument } from '../../../src/plan/document.js';
import { loadPlan } from '../../../src/plan/load.js';
import { shapeFor } from '../../../src/plan/shapes/index.js';
import {
  ccaspText,
  changedPaths,
  fixtureJson,
  fixtureText,
  itReportsEach,
  load,
  objAt,
  place,
  shapeOf,
  taskById,
  edit,
  unchanged,
  valueAt,
  variant,
  written,
  type Edit,
  type InvalidCase,
} from './support.js';

const DIR = '.claude/roadmaps/checkout-platform';
const PHASE_1 = 'ccasp-roadmap/phase-1.json';
const WHEN = '2026-12-01T10:00:00.000Z';

/** What stands beside a phase file in its roadmap directory: the ROADMAP.json that holds its GitHub issue. */
const ROADMAP = { [`${DIR}/ROADMAP.json`]: fixtureText('ccasp-roadmap/ROADMAP.json') };

/** A phase file in its roadmap directory. */
function inRoadmap(text: string, n = 1): Promise<PlanDocument> {
  return load(text, `${DIR}/phase-${n}.json`, ROADMAP);
}

/** `written` for phase-1.json in its roadmap directory. */
const writtenInRoadmap = (write: (edit: Edit) => void) => written(PHASE_1, `${DIR}/phase-1.json`, write, ROADMAP);

describe('CCASP roadmap phase plans', () => {
  const expected = [
    { n: 1, name: 'Foundation & Data Layer', tasks: ['Set up project structure', 'Configure dependencies', 'Create base files'] },
    { n: 2, name: 'API & Services', tasks: ['Complete phase implementation', 'Verify deliverables'] },
    { n: 3, name: 'UI & Components', tasks: ['Build UI components', 'Add styling', 'Connect to API'] },
    { n: 4, name: 'Testing & Validation', tasks: ['Write unit tests', 'Write integration tests', 'Run test suite and fix failures'] },
    { n: 5, name: 'Additional Tasks', tasks: ['Complete phase implementation', 'Verify deliverables'] },
  ];

  for (const e of expected) {
    it(`reads phase-${e.n}.json with its GitHub issue from ROADMAP.json`, async () => {
      const text = fixtureText(`ccasp-roadmap/phase-${e.n}.json`);
      expect(shapeFor(JSON.parse(text)).shape).toBe('ccasp-roadmap');
      const doc = await inRoadmap(text, e.n);
      const { plan } = doc;
      expect(plan).toMatchObject({
        id: `checkout-platform-phase-${e.n}`,
        name: e.name,
        shape: 'ccasp-roadmap',
        completionPercentage: 0,
        github: { owner: 'acme', repo: 'shop', issue: 301 + e.n },
        testCommand: 'npx playwright test',
      });
      expect(plan.maxParallel).toBeUndefined();
      expect(plan.status).toBeUndefined();
      expect(plan.phases).toHaveLength(1);
      expect(plan.phases[0]).toMatchObject({ id: `phase-${e.n}`, name: e.name, status: 'pending', at: 'phases[0]' });
      expect(plan.phases[0]!.tasks.map((t) => [t.id, t.title, t.status, t.dependencies])).toEqual(
        e.tasks.map((title, j) => [`1.${j + 1}`, title, 'pending', []]),
      );
      expect(plan.phases[0]!.tasks.every((t) => t.dependencyField === 'blockedBy' && t.systemStep === undefined)).toBe(true);
      expect(unchanged(doc)).toBe(text);
    });
  }

  it('has no GitHub link away from its roadmap', async () => {
    const { plan } = await load(fixtureText(PHASE_1), 'elsewhere/phase-1.json');
    expect(plan.github).toBeUndefined();
  });

  it('reads the package\'s own completeTask result', async () => {
    const text = fixtureText('ccasp-roadmap/phase-1.after-completeTask.json');
    const doc = await inRoadmap(text);
    expect(doc.plan).toMatchObject({ status: 'in_progress', completionPercentage: 33 });
    // The file's phase status stays "pending" for ever; the tasks say otherwise.
    expect(doc.plan.phases[0]!.status).toBe('in_progress');
    expect(taskById(doc, '1.1')).toMatchObject({ status: 'completed', completedAt: '2026-11-26T07:13:57.286Z' });
    expect(unchanged(doc)).toBe(text);
  });

  it('is not fooled by ROADMAP.json, which is not a plan', () => {
    for (const rel of ['ccasp-roadmap/ROADMAP.json', 'ccasp-roadmap/ROADMAP.after-startPhase.json']) expect(shapeOf(rel)).toBe('canonical');
  });

  it('writes a completion the way CCASP\'s completeTask does', async () => {
    const doc = await inRoadmap(fixtureText(PHASE_1));
    const e = edit(doc);
    e.task('1.1', { status: 'completed', completedAt: '2026-11-26T07:13:57.286Z', completedBy: null });
    const ours = JSON.parse(e.text());
    // CCASP's startPhase stamped started_at a millisecond before the completion; nothing else differs.
    expect(changedPaths(ours, fixtureJson('ccasp-roadmap/phase-1.after-completeTask.json'))).toEqual(['started_at']);
    expect(Object.keys(objAt(ours, 'phases[0].tasks[0]'))).toEqual(['id', 'description', 'completed', 'blocked', 'blockedBy', 'completedAt']);
  });

  it('stamps completed_at when the last task completes', async () => {
    const doc = await inRoadmap(fixtureText(PHASE_1));
    const e = edit(doc);
    for (const id of ['1.1', '1.2', '1.3']) e.task(id, { status: 'completed', completedAt: WHEN });
    expect(JSON.parse(e.text())).toMatchObject({ metrics: { completedTasks: 3 }, started_at: WHEN, completed_at: WHEN });
  });

  it('writes blocked with the booleans, and a status only for states they cannot say', async () => {
    const { edit: e, before, after } = await writtenInRoadmap((d) => {
      d.task('1.2', { status: 'blocked', blocker: 'no database credentials' });
      d.task('1.3', { status: 'in_progress', attempts: 1 });
    });
    expect(changedPaths(before, after)).toEqual([
      'phases[0].tasks[1].blocked',
      'phases[0].tasks[1].blocker',
      'phases[0].tasks[2].status',
      'phases[0].tasks[2].attempts',
    ]);
    expect(valueAt(after, 'phases[0].tasks[1]')).toMatchObject({ completed: false, blocked: true, blocker: 'no database credentials' });
    expect(valueAt(after, 'phases[0].tasks[2].status')).toBe('in_progress');

    const reread = await inRoadmap(e.text());
    const r = edit(reread);
    expect(taskById(reread, '1.2').status).toBe('blocked');
    expect(taskById(reread, '1.3').status).toBe('in_progress');
    // Unblocking clears the flag and, once a status key exists, keeps it in step.
    r.task('1.2', { status: 'pending', blocker: null });
    r.task('1.3', { status: 'completed', completedAt: WHEN });
    const last = JSON.parse(r.text());
    expect(valueAt(last, 'phases[0].tasks[1]')).toEqual(objAt(before, 'phases[0].tasks[1]'));
    expect(valueAt(last, 'phases[0].tasks[2]')).toMatchObject({ completed: true, blocked: false, status: 'completed', completedAt: WHEN });
  });

  it('writes phase completion into the phase and the file\'s completed_at', async () => {
    const { edit: e, before, after } = await writtenInRoadmap((d) => {
      d.phase('phase-1', { status: 'completed', completedAt: WHEN });
    });
    expect(changedPaths(before, after)).toEqual(['phases[0].status', 'completed_at']);
    expect(after).toMatchObject({ completed_at: WHEN, phases: [{ status: 'completed' }] });
    // Clearing it keeps the generator's `null` rather than dropping the key.
    e.phase('phase-1', { status: 'in_progress', completedAt: null });
    expect(JSON.parse(e.text())).toMatchObject({ completed_at: null });
  });

  it('keeps the plan percentage in metrics and its status in an extra key', async () => {
    const before = fixtureJson(PHASE_1);
    const doc = await inRoadmap(fixtureText(PHASE_1));
    const e = edit(doc);
    e.plan({ completionPercentage: 50 });
    expect(e.text()).toBe(fixtureText(PHASE_1));
    e.plan({ status: 'completed' });
    const after = JSON.parse(e.text());
    expect(changedPaths(before, after)).toEqual(['status']);
    expect((await inRoadmap(e.text())).plan.status).toBe('completed');
  });

  it('accepts a single blockedBy id', async () => {
    const doc = await inRoadmap(variant(PHASE_1, (j) => void (objAt(j, 'phases[0].tasks[1]').blockedBy = '1.1')));
    expect(taskById(doc, '1.2').dependencies).toEqual(['1.1']);
  });

  describe('invalid files', () => {
    const cases: InvalidCase[] = [
      { name: 'a wrong type', edit: (j) => void (objAt(j, 'phases[0].tasks[0]').completed = 'yes'), path: 'phases[0].tasks[0].completed', message: /expected boolean/ },
      { name: 'an empty title', edit: (j) => void (objAt(j, 'phases[0].tasks[2]').description = ''), path: 'phases[0].tasks[2].description', message: /non-empty description or title/ },
      { name: 'an unknown status', edit: (j) => void (objAt(j, 'phases[0].tasks[0]').status = 'finished'), path: 'phases[0].tasks[0].status', message: /"completed"/ },
      { name: 'an unknown blockedBy id', edit: (j) => void (objAt(j, 'phases[0].tasks[1]').blockedBy = ['1.1', '2.1']), path: 'phases[0].tasks[1].blockedBy[1]', message: /unknown task "2\.1"/ },
      { name: 'a bad timestamp', edit: (j) => void (objAt(j, 'phases[0].tasks[0]').completedAt = 'today'), path: 'phases[0].tasks[0].completedAt', message: /ISO-8601/ },
      { name: 'a missing name', edit: (j) => void delete j.project_name, path: 'project_name', message: /expected string/ },
      {
        name: 'a cycle',
        edit: (j) => {
          objAt(j, 'phases[0].tasks[0]').blockedBy = ['1.2'];
          objAt(j, 'phases[0].tasks[1]').blockedBy = ['1.1'];
        },
        path: 'phases[0].tasks[0].blockedBy[0]',
        message: /dependency cycle: 1\.1 → 1\.2 → 1\.1/,
      },
    ];
    itReportsEach(cases, PHASE_1, `${DIR}/phase-1.json`);
  });

  it('loads a phase file named directly, with the file as the plan argument', async () => {
    const file = place(fixtureText('ccasp-roadmap/phase-3.json'), `${DIR}/phase-3.json`);
    expect((await loadPlan(file)).plan.id).toBe('checkout-platform-phase-3');
    expect(ccaspText(fixtureJson('ccasp-roadmap/phase-3.json'))).toBe(fixtureText('ccasp-roadmap/phase-3.json'));
  });
});
