import { describe, expect, it } from 'vitest';
import {
  changedPaths,
  fixtureText,
  itReportsEach,
  load,
  objAt,
  problemsOf,
  shapeOf,
  taskById,
  valueAt,
  variant,
  unchanged,
  written,
  type InvalidCase,
} from './support.js';

const MAIN = 'ccasp-phase-dev/PROGRESS.json';
const VARIANTS = [
  MAIN,
  'ccasp-phase-dev/PROGRESS.autonomous.json',
  'ccasp-phase-dev/PROGRESS.l2.json',
  'ccasp-phase-dev/PROGRESS.after-progress-tracker.json',
];
const AT = '.claude/phase-dev/checkout-redesign/PROGRESS.json';
const WHEN = '2026-12-01T10:00:00.000Z';

describe('CCASP phase-dev v3.0 plans', () => {
  it('recognises every variant, and the backup check without metadata', () => {
    for (const rel of VARIANTS) expect(shapeOf(rel)).toBe('ccasp-phase-dev');
    expect(shapeOf(MAIN, (j) => void delete j.metadata)).toBe('ccasp-phase-dev');
  });

  it("reads ccasp's own orchestration.worktree_setup, and refuses an empty one", async () => {
    const withSetup = (value: unknown) => variant(MAIN, (j) => void ((j.orchestration as Record<string, unknown>).worktree_setup = value));
    expect((await load(withSetup('npm ci'), AT)).plan.worktreeSetup).toBe('npm ci');
    expect((await load(fixtureText(MAIN), AT)).plan.worktreeSetup).toBeUndefined();
    expect(await problemsOf(withSetup(''), AT)).toEqual([expect.objectContaining({ path: 'orchestration.worktree_setup' })]);
  });

  it('reads the main fixture', async () => {
    const { plan } = await load(fixtureText(MAIN), AT);
    expect(plan).toMatchObject({
      id: 'checkout-redesign',
      name: 'Checkout Redesign',
      shape: 'ccasp-phase-dev',
      completionPercentage: 0,
      github: { owner: 'acme', repo: 'shop', issue: 42 },
      maxParallel: 3,
      testCommand: 'npm test',
    });
    expect(plan.status).toBeUndefined();
    expect(plan.phases.map((p) => [p.id, p.name, p.status, p.tasks.length, p.at])).toEqual([
      ['phase-1', 'Foundation', 'pending', 10, 'phases[0]'],
      // The generator's "not unlocked yet" blocked.
      ['phase-2', 'Polish & Deploy', 'pending', 9, 'phases[1]'],
    ]);
    const [one] = plan.phases;
    expect(one!.tasks.map((t) => [t.id, t.systemStep])).toEqual([
      ['1.0-context-check', 'context-check'],
      ['1.0-batch-plan', 'batch-plan'],
      ['1.1', undefined],
      ['1.2', undefined],
      ['1.3', undefined],
      ['1.4', undefined],
      ['1.5', undefined],
      ['1.6', undefined],
      ['1.99-compact', 'compact'],
      ['1.99-gate', 'gate'],
    ]);
    expect(one!.tasks.every((t) => t.status === 'pending' && t.dependencyField === 'blockedBy' && !t.simple)).toBe(true);
  });

  it("reads ccasp's own tool rules, plan-wide and per task, and names a bad one's field", async () => {
    const text = variant(MAIN, (json) => {
      json.permissions = { allow: ['Bash(npm run lint:*)'] };
      objAt(json, 'phases[0].tasks[3]').permissions = { deny: ['WebFetch'] };
    });
    const doc = await load(text, AT);
    expect(doc.plan.permissions).toEqual({ allow: ['Bash(npm run lint:*)'], deny: [] });
    expect(taskById(doc, '1.2').permissions).toEqual({ allow: [], deny: ['WebFetch'] });
    expect(taskById(doc, '1.1').permissions).toBeUndefined();
    const problems = await problemsOf(variant(MAIN, (json) => (objAt(json, 'phases[0].tasks[3]').permissions = { allow: ['npm test'] })), AT);
    expect(problems).toEqual([expect.objectContaining({ path: 'phases[0].tasks[3].permissions.allow[0]', message: expect.stringMatching(/claude's syntax/) })]);
  });

  it('maps task fields', async () => {
    const doc = await load(fixtureText(MAIN), AT);
    const t = taskById(doc, '1.2');
    expect(t).toMatchObject({
      title: 'Implement core functionality',
      files: [],
      dependencies: ['1.1'],
      at: 'phases[0].tasks[3]',
      dependencyField: 'blockedBy',
    });
    expect(t.details).toBe('Implement: implement core functionality\n\nAcceptance criteria:\n- Implementation complete\n- Code reviewed\n- No build errors');
    expect(t.domain).toBeUndefined();
    expect(taskById(doc, '2.1').dependencies).toEqual(['1.4']);
    expect(taskById(doc, '1.0-batch-plan').dependencies).toEqual(['1.0-context-check']);
  });

  it('makes each N.99 task wait on the whole phase, in the model only', async () => {
    const text = fixtureText(MAIN);
    const doc = await load(text, AT);
    const others = ['1.0-context-check', '1.0-batch-plan', '1.1', '1.2', '1.3', '1.4', '1.5'];
    // The file's own dependency stays first, so messages keep pointing at blockedBy[0].
    expect(taskById(doc, '1.99-compact').dependencies).toEqual(['1.6', ...others]);
    expect(taskById(doc, '1.99-gate').dependencies).toEqual(['1.99-compact', ...others, '1.6']);
    expect(taskById(doc, '2.99-gate').dependencies).toContain('2.1');
    expect(taskById(doc, '2.99-gate').dependencies).not.toContain('1.4');
    expect(unchanged(doc)).toBe(text);
  });

  it('reads the autonomous and L2 variants', async () => {
    const auto = (await load(fixtureText('ccasp-phase-dev/PROGRESS.autonomous.json'), AT)).plan;
    expect(auto.github).toBeUndefined();
    expect(auto.maxParallel).toBe(2);
    expect(auto.phases.map((p) => p.tasks.length)).toEqual([10, 9]);

    const l2 = await load(fixtureText('ccasp-phase-dev/PROGRESS.l2.json'), AT);
    expect(l2.plan.phases.map((p) => p.status)).toEqual(['pending', 'pending']);
    expect(taskById(l2, '1.4')).toMatchObject({ files: ['tests/checkout.spec.ts'], domain: 'testing', dependencies: [] });
    expect(taskById(l2, '2.4').domain).toBe('deployment');
    // `general-implementation-agent` says nothing; ccasp infers a domain from the text instead.
    expect(taskById(l2, '1.1').domain).toBeUndefined();
    expect(taskById(l2, '2.1').dependencies).toEqual(['1.6']);
  });

  it('reads the progress-tracker hook\'s "complete" as completed', async () => {
    const doc = await load(fixtureText('ccasp-phase-dev/PROGRESS.after-progress-tracker.json'), AT);
    expect(doc.plan.phases[0]!.tasks.slice(0, 5).map((t) => [t.id, t.status])).toEqual([
      ['1.0-context-check', 'completed'],
      ['1.0-batch-plan', 'completed'],
      ['1.1', 'completed'],
      ['1.2', 'blocked'],
      ['1.3', 'pending'],
    ]);
    expect(taskById(doc, '1.1').completedAt).toBe('2026-11-26T07:12:23.360Z');
  });

  it("carries the issue's auto_close: false, and nothing when it is true or absent", async () => {
    const keepOpen = await load(variant(MAIN, (json) => (objAt(json, 'workflow.github_issue').auto_close = false)), AT);
    expect(keepOpen.plan.github).toEqual({ owner: 'acme', repo: 'shop', issue: 42, autoClose: false });
    expect((await load(fixtureText(MAIN), AT)).plan.github).toEqual({ owner: 'acme', repo: 'shop', issue: 42 });
    const absent = await load(variant(MAIN, (json) => delete objAt(json, 'workflow.github_issue').auto_close), AT);
    expect(absent.plan.github).toEqual({ owner: 'acme', repo: 'shop', issue: 42 });
  });

  it('normalises the other status spellings CCASP writes', async () => {
    const text = variant(MAIN, (json) => {
      objAt(json, 'phases[0]').status = 'partial';
      objAt(json, 'phases[0].tasks[2]').completed = true; // /phase-track leaves status "pending"
      objAt(json, 'phases[0].tasks[3]').status = 'failed';
      objAt(json, 'phases[0].tasks[3]').error = 'tests fail';
      objAt(json, 'phases[0].tasks[4]').status = 'active';
      objAt(json, 'phases[1].tasks[3]').status = 'blocked';
      json.status = 'partial';
    });
    const doc = await load(text, AT);
    expect(doc.plan.status).toBe('in_progress');
    expect(doc.plan.phases.map((p) => p.status)).toEqual(['failed', 'blocked']);
    expect(taskById(doc, '1.1').status).toBe('completed');
    expect(taskById(doc, '1.2')).toMatchObject({ status: 'failed', blocker: 'tests fail' });
    expect(taskById(doc, '1.3').status).toBe('in_progress');
  });

  it('reproduces every variant byte for byte', async () => {
    for (const rel of VARIANTS) {
      const text = fixtureText(rel);
      expect(text.endsWith('}')).toBe(true);
      expect(unchanged(await load(text, AT))).toBe(text);
    }
  });

  it('writes a completion into status and the completed boolean, keeping everything else', async () => {
    const { edit, before, after } = await written(MAIN, AT, (d) => {
      d.task('1.1', { status: 'completed', completedAt: WHEN, completedBy: 'ccasp', attempts: 1 });
    });
    const t = 'phases[0].tasks[2]';
    expect(changedPaths(before, after)).toEqual([`${t}.status`, `${t}.completed`, `${t}.completedAt`, `${t}.completedBy`, `${t}.attempts`]);
    expect(valueAt(after, t)).toMatchObject({ status: 'completed', completed: true, completedAt: WHEN, completedBy: 'ccasp', attempts: 1 });
    expect(Object.keys(objAt(after, t)).slice(-5)).toEqual(['codePatternRef', 'completed', 'completedAt', 'completedBy', 'attempts']);
    expect(edit.text().endsWith('}')).toBe(true);
  });

  it('replaces the hook\'s "complete" and clears a stale completedAt', async () => {
    const rel = 'ccasp-phase-dev/PROGRESS.after-progress-tracker.json';
    const { edit, before, after } = await written(rel, AT, (d) => {
      d.task('1.0-context-check', { status: 'completed', completedAt: WHEN });
      d.task('1.2', { status: 'pending', completedAt: null, blocker: null });
    });
    expect(changedPaths(before, after)).toEqual([
      'phases[0].tasks[0].status',
      'phases[0].tasks[0].completedAt',
      'phases[0].tasks[0].completed',
      'phases[0].tasks[3].status',
      'phases[0].tasks[3].completedAt',
      'phases[0].tasks[3].completed',
    ]);
    expect(valueAt(after, 'phases[0].tasks[0].status')).toBe('completed');
    expect(valueAt(after, 'phases[0].tasks[3]')).toMatchObject({ status: 'pending', completed: false });
    // The two tasks left alone keep the hook's spelling; ccasp rewrites only what it touches.
    expect(edit.text().match(/"complete"/g)).toHaveLength(2);
  });

  it('writes a blocked task with its blocker', async () => {
    const { before, after } = await written(MAIN, AT, (d) => d.task('2.2', { status: 'blocked', blocker: 'needs design sign-off' }));
    const t = 'phases[1].tasks[3]';
    expect(changedPaths(before, after)).toEqual([`${t}.status`, `${t}.completed`, `${t}.blocker`]);
    expect(valueAt(after, t)).toMatchObject({ status: 'blocked', completed: false, blocker: 'needs design sign-off' });
  });

  it('writes phase completion and plan progress into the shape\'s own fields', async () => {
    const { edit, before, after } = await written(MAIN, AT, (d) => {
      d.phase('phase-1', { status: 'completed', completedAt: WHEN });
      d.phase('phase-2', { status: 'in_progress' });
      d.plan({ completionPercentage: 50 });
    });
    expect(changedPaths(before, after)).toEqual(['phases[0].status', 'phases[0].completedAt', 'phases[1].status', 'completion_percentage']);
    expect(valueAt(after, 'phases[0]')).toMatchObject({ status: 'completed', completedAt: WHEN });
    expect(Object.keys(after).at(-1)).toBe('completion_percentage');
    edit.plan({ status: 'completed', completionPercentage: 100 });
    expect(JSON.parse(edit.text())).toMatchObject({ status: 'completed', completion_percentage: 100 });
  });

  describe('invalid files', () => {
    const cases: InvalidCase[] = [
      { name: 'a wrong type', edit: (j) => void (objAt(j, 'phases[0].tasks[2]').title = 42), path: 'phases[0].tasks[2].title', message: /expected string/ },
      { name: 'blockedBy that is not a list', edit: (j) => void (objAt(j, 'phases[0].tasks[3]').blockedBy = '1.1'), path: 'phases[0].tasks[3].blockedBy', message: /expected array/ },
      { name: 'an unknown task status', edit: (j) => void (objAt(j, 'phases[0].tasks[2]').status = 'finished'), path: 'phases[0].tasks[2].status', message: /"complete"/ },
      { name: 'an unknown phase status', edit: (j) => void (objAt(j, 'phases[1]').status = 'waiting'), path: 'phases[1].status', message: /"not_started"/ },
      {
        name: 'a task without any label',
        edit: (j) => {
          const t = objAt(j, 'phases[0].tasks[2]');
          for (const k of ['title', 'subject', 'description']) delete t[k];
        },
        path: 'phases[0].tasks[2].title',
        message: /title, subject or description/,
      },
      { name: 'an unknown blockedBy id', edit: (j) => void (objAt(j, 'phases[0].tasks[3]').blockedBy = ['1.1', '9.9']), path: 'phases[0].tasks[3].blockedBy[1]', message: /unknown task "9\.9"/ },
      { name: 'a dependency on a later phase', edit: (j) => void (objAt(j, 'phases[0].tasks[2]').blockedBy = ['2.1']), path: 'phases[0].tasks[2].blockedBy[0]', message: /later phase \(phase-2\)/ },
      { name: 'a duplicate task id', edit: (j) => void (objAt(j, 'phases[1].tasks[2]').id = '1.1'), path: 'phases[1].tasks[2].id', message: /duplicate task id "1\.1"/ },
      { name: 'a missing project name', edit: (j) => void delete objAt(j, 'project').name, path: 'project.name', message: /expected string/ },
    ];
    itReportsEach(cases, MAIN, AT);

    it('names a real blockedBy entry for a cycle, never an implicit one', async () => {
      const text = variant(MAIN, (j) => void (objAt(j, 'phases[0].tasks[2]').blockedBy = ['1.4']));
      const problems = await problemsOf(text, AT);
      expect(problems).toHaveLength(1);
      expect(problems[0]!.message).toMatch(/dependency cycle/);
      expect(valueAt(JSON.parse(text), problems[0]!.path)).toBeTypeOf('string');
    });
  });

  it('accepts a task that waits on its own phase gate, without inventing a cycle', async () => {
    const doc = await load(variant(MAIN, (j) => void (objAt(j, 'phases[0].tasks[6]').blockedBy = ['1.99-gate'])), AT);
    expect(taskById(doc, '1.99-compact').dependencies).not.toContain('1.5');
    expect(taskById(doc, '1.99-gate').dependencies).not.toContain('1.5');
    expect(taskById(doc, '1.99-gate').dependencies).toContain('1.4');
  });
});

