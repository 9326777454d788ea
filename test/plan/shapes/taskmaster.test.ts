import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { InvalidPlanError, type Problem } from '../../../src/errors.js';
import { discoverPlan, resolvePlanArgument } from '../../../src/plan/discover.js';
import { loadPlan } from '../../../src/plan/load.js';
import type { PlanReadOptions } from '../../../src/plan/shapes/shape.js';
import { changedPaths, edit, fixtureJson, fixtureText, load, place, problemAt, shapeOf, taskById, unchanged, type Json } from './support.js';
import { writeFile } from '../../support/tmp.js';

const TAGGED = 'taskmaster/tagged/.taskmaster/tasks/tasks.json';
const STATE = 'taskmaster/tagged/.taskmaster/state.json';
const LEGACY = 'taskmaster/legacy/tasks.json';
const AT = '.taskmaster/tasks/tasks.json';
const KIRO = '["cc-kiro-hooks"]';

/** The tagged fixture in a project, beside Task Master's state file unless `state` says otherwise. */
function placeTagged(text = fixtureText(TAGGED), state: string | undefined = fixtureText(STATE)): string {
  return place(text, AT, state === undefined ? {} : { '.taskmaster/state.json': state });
}

/** Task Master writes with two-space JSON.stringify and no final newline. */
function tmText(json: unknown): string {
  return JSON.stringify(json, null, 2);
}

function tagged(editJson: (json: Json) => void): string {
  const json = fixtureJson(TAGGED);
  editJson(json);
  return tmText(json);
}

function kiroTask(json: Json, i: number): Json {
  return ((json['cc-kiro-hooks'] as Json).tasks as Json[])[i]!;
}

async function problemsFor(file: string, options: PlanReadOptions = {}): Promise<readonly Problem[]> {
  const error = await loadPlan(file, options).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(InvalidPlanError);
  return (error as InvalidPlanError).problems;
}

describe("Task Master's tasks.json", () => {
  it('is recognised in its tagged and its legacy format, and nothing with phases is', () => {
    expect(shapeOf(TAGGED)).toBe('taskmaster');
    expect(shapeOf(LEGACY)).toBe('taskmaster');
    expect(shapeOf(LEGACY, (j) => void (j.phases = []))).toBe('canonical');
  });

  it("reads the tag Task Master is on, a task with subtasks as its subtasks, in waves by dependency", async () => {
    const { plan } = await loadPlan(placeTagged());
    expect(plan).toMatchObject({ id: 'taskmaster-cc-kiro-hooks', shape: 'taskmaster', tag: 'cc-kiro-hooks' });
    expect(plan.phases.map((p) => [p.id, p.name, p.tasks.length])).toEqual([
      ['wave-1', 'Task 1', 5],
      ['wave-2', 'Tasks 2, 3, 5, 6, 7', 25],
      ['wave-3', 'Tasks 4, 9', 10],
      ['wave-4', 'Tasks 8, 10', 10],
    ]);
    const task = plan.phases[1]!.tasks[3]!;
    expect(task).toMatchObject({ id: '2.4', status: 'pending', at: `${KIRO}.tasks[1].subtasks[3]`, dependencyField: 'dependencies' });
    // Its own `["2.2", "2.3"]` first, then task 2's dependency on task 1: all of task 1's subtasks.
    expect(task.dependencies).toEqual(['2.2', '2.3', '1.1', '1.2', '1.3', '1.4', '1.5']);
    expect(task.details).toMatch(/^Part of task 2: Develop Dependency Monitor with Taskmaster MCP Integration\n\n/);
    expect(task.details).toMatch(/\n\nImplementation details:\n[\s\S]+\n\nTest strategy:\n[\s\S]+\n\nPriority: high$/);
  });

  it('orders tasks by what they wait for, not by their place in the file, and takes --tag over the state file', async () => {
    const { plan } = await loadPlan(placeTagged(), { tag: 'tm-start' });
    expect(plan.id).toBe('taskmaster-tm-start');
    expect(plan.phases.map((p) => p.tasks.map((t) => [t.id, t.status, t.dependencies]))).toEqual([
      [
        ['1', 'completed', []],
        ['8', 'pending', []],
      ],
      [['3', 'completed', ['1']]],
      [['4', 'completed', ['3']]],
      [['7', 'completed', ['3', '4']]],
      [['2', 'completed', ['7']]],
    ]);
  });

  it('reads the legacy format as the master tag, with bare subtask dependencies naming siblings', async () => {
    const doc = await load(fixtureText(LEGACY), AT);
    expect(doc.plan.tag).toBe('master');
    expect(doc.plan.phases.flatMap((p) => p.tasks).map((t) => [t.id, t.status, t.dependencies, t.at])).toEqual([
      ['1', 'completed', [], 'tasks[0]'],
      ['2.1', 'completed', ['1'], 'tasks[1].subtasks[0]'],
      ['2.2', 'pending', ['2.1', '1'], 'tasks[1].subtasks[1]'],
      ['3.1', 'pending', ['2.1', '2.2'], 'tasks[2].subtasks[0]'],
      ['3.2', 'pending', ['2.1', '2.2'], 'tasks[2].subtasks[1]'],
    ]);
  });

  it('maps every Task Master status, review and deferred as waiting for a person', async () => {
    const statuses = ['pending', 'in-progress', 'done', 'completed', 'review', 'deferred', 'cancelled', 'blocked'];
    const doc = await loadPlan(
      placeTagged(
        tagged((j) => {
          const subs = kiroTask(j, 0).subtasks as Json[];
          statuses.forEach((s, k) => {
            if (subs[k]) subs[k].status = s;
            else subs.push({ ...subs[0], id: k + 1, status: s });
          });
        }),
      ),
    );
    expect(statuses.map((_, k) => taskById(doc, `1.${k + 1}`)).map((t) => [t.status, t.blocker])).toEqual([
      ['pending', undefined],
      ['in_progress', undefined],
      ['completed', undefined],
      ['completed', undefined],
      ['blocked', 'waiting for review (Task Master status "review")'],
      ['blocked', 'deferred in Task Master'],
      ['skipped', undefined],
      ['blocked', undefined],
    ]);
  });

  it("settles a task's subtasks with it when it is done or cancelled, and holds them while it is deferred", async () => {
    const doc = await loadPlan(
      placeTagged(
        tagged((j) => {
          kiroTask(j, 0).status = 'done';
          kiroTask(j, 1).status = 'cancelled';
          (kiroTask(j, 1).subtasks as Json[])[0]!.status = 'done';
          kiroTask(j, 2).status = 'deferred';
          (kiroTask(j, 2).subtasks as Json[])[0]!.status = 'done';
        }),
      ),
    );
    expect(['1.1', '2.1', '2.2', '3.1', '3.2'].map((id) => [taskById(doc, id).status, taskById(doc, id).blocker])).toEqual([
      ['completed', undefined],
      ['completed', undefined],
      ['skipped', undefined],
      ['completed', undefined],
      ['blocked', 'task 3 is deferred in Task Master'],
    ]);
  });

  it('reproduces an untouched file byte for byte', async () => {
    expect(unchanged(await loadPlan(placeTagged()))).toBe(fixtureText(TAGGED));
    expect(unchanged(await load(fixtureText(LEGACY), AT))).toBe(fixtureText(LEGACY));
  });

  it("writes statuses back in Task Master's words and nothing else; a task follows its subtasks", async () => {
    const doc = await loadPlan(placeTagged());
    const e = edit(doc);
    for (const k of [1, 2, 3, 4]) e.task(`1.${k}`, { status: 'completed', completedAt: '2026-12-01T10:00:00.000Z', completedBy: 'agent-1', attempts: 1 });
    e.task('1.5', { status: 'in_progress', attempts: 1 });
    e.task('3.1', { status: 'failed', blocker: 'gave up' });
    e.task('3.2', { status: 'skipped' });
    e.phase('wave-1', { status: 'in_progress' });
    e.plan({ status: 'in_progress', completionPercentage: 8 });
    const after = JSON.parse(e.text()) as Json;
    const before = fixtureJson(TAGGED);
    // changedPaths writes the tag as a plain key.
    const tag = 'cc-kiro-hooks';
    expect(changedPaths(before, after).sort()).toEqual(
      [
        `${tag}.tasks[0].status`,
        ...[0, 1, 2, 3, 4].map((k) => `${tag}.tasks[0].subtasks[${k}].status`),
        `${tag}.tasks[2].status`,
        `${tag}.tasks[2].subtasks[0].status`,
        `${tag}.tasks[2].subtasks[1].status`,
      ].sort(),
    );
    const [one, , three] = ((after['cc-kiro-hooks'] as Json).tasks as Json[]) as [Json, Json, Json];
    expect((one.subtasks as Json[]).map((s) => s.status)).toEqual(['done', 'done', 'done', 'done', 'in-progress']);
    expect(one.status).toBe('in-progress');
    expect((three.subtasks as Json[]).slice(0, 2).map((s) => s.status)).toEqual(['blocked', 'cancelled']);

    e.task('1.5', { status: 'completed' });
    const done = JSON.parse(e.text()) as Json;
    expect(kiroTask(done, 0).status).toBe('done');
  });

  it('leaves a status in its own words when it already reads as the one written', async () => {
    const text = tagged((j) => void ((kiroTask(j, 0).subtasks as Json[])[0]!.status = 'review'));
    const doc = await loadPlan(placeTagged(text));
    const e = edit(doc);
    e.task('1.1', { status: 'blocked', blocker: 'still waiting' });
    expect(e.text()).toBe(text);
  });

  it('reads the file again with the tag it was first read with', async () => {
    const file = placeTagged();
    const first = await loadPlan(file, { tag: 'tm-start' });
    const again = await loadPlan(first.file, { tag: first.plan.tag });
    expect(again.plan.id).toBe('taskmaster-tm-start');
  });
});

describe('bad Task Master files are reported by file and JSON path', () => {
  it('names the tags when the one asked for is missing', async () => {
    const file = placeTagged();
    const [problem] = await problemsFor(file, { tag: 'nope' });
    expect(problem).toEqual({ file, path: '', message: expect.stringMatching(/has no tag "nope" \(--tag nope\); its tags are tm-start, cc-kiro-hooks, test-tag/) });
  });

  it("says a missing tag came from Task Master's state file", async () => {
    const file = placeTagged(undefined, tmText({ currentTag: 'gone' }));
    const [problem] = await problemsFor(file);
    expect(problem?.message).toMatch(/has no tag "gone" \(the current tag in .*\.taskmaster\/state\.json\)/);
  });

  it("reports a broken state file as that file's problem", async () => {
    const file = placeTagged(undefined, tmText({ currentTag: 5 }));
    const [problem] = await problemsFor(file);
    expect(problem).toMatchObject({ file: expect.stringMatching(/\.taskmaster\/state\.json$/), path: 'currentTag' });
  });

  it('refuses --tag on a legacy file', async () => {
    const [problem] = await problemsFor(place(fixtureText(LEGACY), AT), { tag: 'feature' });
    expect(problem?.message).toMatch(/untagged format\), so --tag feature names nothing/);
  });

  const cases: { name: string; edit: (tasks: Json[]) => void; path: string; message: RegExp }[] = [
    { name: 'an unknown status', edit: (t) => void ((t[1]!.subtasks as Json[])[0]!.status = 'started'), path: 'tasks[1].subtasks[0].status', message: /expected one of pending, in-progress, done/ },
    { name: 'a missing title', edit: (t) => void delete t[0]!.title, path: 'tasks[0].title', message: /string/ },
    { name: 'an unknown task', edit: (t) => void (t[2]!.dependencies = [2, 9]), path: 'tasks[2].dependencies[1]', message: /depends on unknown task 9/ },
    { name: 'an unknown sibling subtask', edit: (t) => void ((t[1]!.subtasks as Json[])[1]!.dependencies = [7]), path: 'tasks[1].subtasks[1].dependencies[0]', message: /depends on unknown subtask 2\.7/ },
    { name: 'a self dependency', edit: (t) => void ((t[1]!.subtasks as Json[])[1]!.dependencies = ['2.2']), path: 'tasks[1].subtasks[1].dependencies[0]', message: /subtask 2\.2 depends on itself/ },
    { name: "a task's own id", edit: (t) => void (t[0]!.dependencies = [1]), path: 'tasks[0].dependencies[0]', message: /task 1 depends on itself/ },
    { name: "a task's own subtask", edit: (t) => void (t[1]!.dependencies = [1, '2.1']), path: 'tasks[1].dependencies[1]', message: /task 2 depends on its own subtask 2\.1/ },
    { name: 'a cycle between tasks', edit: (t) => void (t[0]!.dependencies = [3]), path: 'tasks[0].dependencies[0]', message: /dependency cycle between tasks: 1 → 3 → 2 → 1/ },
    { name: 'a cycle between subtasks', edit: (t) => void ((t[1]!.subtasks as Json[])[0]!.dependencies = [2]), path: 'tasks[1].subtasks[0].dependencies[0]', message: /dependency cycle: 2\.1 → 2\.2 → 2\.1/ },
    { name: 'a duplicate task id', edit: (t) => void (t[2]!.id = 2), path: 'tasks[2].id', message: /duplicate task id 2 \(first at tasks\[1\]\)/ },
    { name: 'a malformed dependency', edit: (t) => void (t[2]!.dependencies = ['two']), path: 'tasks[2].dependencies[0]', message: /task id such as 3 or "3\.2"/ },
  ];
  for (const c of cases) {
    it(`reports ${c.name}`, async () => {
      const json = fixtureJson(LEGACY);
      c.edit(json.tasks as Json[]);
      const text = tmText(json);
      const file = place(text, AT);
      const problem = problemAt(await problemsFor(file), c.path);
      expect(problem.file).toBe(file);
      expect(problem.message).toMatch(c.message);
    });
  }

  it('reports a tag that is not a task list as Task Master problem, not as a plan without phases', async () => {
    const text = tagged((j) => void (j['cc-kiro-hooks'] = { tasks: 'none' }));
    const [problem, ...more] = await problemsFor(placeTagged(text));
    expect(more).toEqual([]);
    expect(problem?.path).toBe(`${KIRO}.tasks`);
  });

  it('puts the tag in the path of a problem in a tagged file', async () => {
    const text = tagged((j) => void ((kiroTask(j, 3).subtasks as Json[])[1]!.dependencies = ['4.9']));
    const problem = problemAt(await problemsFor(placeTagged(text)), `${KIRO}.tasks[3].subtasks[1].dependencies[0]`);
    expect(problem.message).toMatch(/depends on unknown subtask 4\.9/);
  });
});

describe("finding Task Master's tasks", () => {
  function project(files: readonly string[]): string {
    const file = placeTagged();
    const root = path.dirname(path.dirname(path.dirname(file)));
    mkdirSync(path.join(root, '.git'));
    for (const f of files) writeFile(root, f, { name: 'p', phases: [] });
    return root;
  }

  it('finds .taskmaster/tasks/tasks.json from anywhere in the project, and from the project, .taskmaster or its tasks folder', () => {
    const root = project([]);
    const file = path.join(root, AT);
    expect(discoverPlan(path.join(root, 'src'))).toBe(file);
    for (const dir of ['.', '.taskmaster', '.taskmaster/tasks']) expect(resolvePlanArgument(dir, root)).toBe(file);
  });

  it('lists it beside a plan under .claude rather than guess', () => {
    const root = project(['.claude/phase-dev/x/PROGRESS.json']);
    expect(() => discoverPlan(root)).toThrow(/Several plans found[\s\S]*\.claude\/phase-dev\/x\/PROGRESS\.json\n {2}\.taskmaster\/tasks\/tasks\.json/);
  });
});
