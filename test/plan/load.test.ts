import { readFileSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { InvalidPlanError, ExitCode, type Problem } from '../../src/errors.js';
import { loadPlan } from '../../src/plan/load.js';
import { tempDir, writeFile } from '../support/tmp.js';

type Json = Record<string, unknown>;

function plan(phases: Json[], extra: Json = {}): Json {
  return { name: 'Test plan', ...extra, phases };
}
function phase(id: string, tasks: Json[], extra: Json = {}): Json {
  return { id, name: `Phase ${id}`, ...extra, tasks };
}
function task(id: string, extra: Json = {}): Json {
  return { id, title: `Task ${id}`, status: 'pending', ...extra };
}

async function problemsFor(content: unknown): Promise<{ problems: readonly Problem[]; file: string; before: Buffer }> {
  const dir = tempDir();
  const file = writeFile(dir, 'PROGRESS.json', content);
  const before = readFileSync(file);
  const error = await loadPlan(dir).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(InvalidPlanError);
  const invalid = error as InvalidPlanError;
  expect(invalid.exitCode).toBe(ExitCode.invalidInput);
  // Validation never touches the file.
  expect(readFileSync(file).equals(before)).toBe(true);
  return { problems: invalid.problems, file, before };
}

describe('loadPlan validation', () => {
  const cases: { name: string; content: unknown; path: string; message: RegExp }[] = [
    {
      name: 'duplicate task id',
      content: plan([phase('P1', [task('A'), task('A')])]),
      path: 'phases[0].tasks[1].id',
      message: /duplicate task id "A" \(first at phases\[0\]\.tasks\[0\]\)/,
    },
    {
      name: 'duplicate task id across phases',
      content: plan([phase('P1', [task('A')]), phase('P2', [task('A')])]),
      path: 'phases[1].tasks[0].id',
      message: /duplicate task id "A"/,
    },
    {
      name: 'duplicate phase id',
      content: plan([phase('P1', [task('A')]), phase('P1', [task('B')])]),
      path: 'phases[1].id',
      message: /duplicate phase id "P1"/,
    },
    {
      name: 'unknown dependency',
      content: plan([phase('P1', [task('A'), task('B', { dependencies: ['A', 'Z'] })])]),
      path: 'phases[0].tasks[1].dependencies[1]',
      message: /unknown task "Z"/,
    },
    {
      name: 'self dependency',
      content: plan([phase('P1', [task('A', { dependencies: ['A'] })])]),
      path: 'phases[0].tasks[0].dependencies[0]',
      message: /depends on itself/,
    },
    {
      name: 'dependency cycle',
      content: plan([
        phase('P1', [task('A', { dependencies: ['C'] }), task('B', { dependencies: ['A'] }), task('C', { dependencies: ['B'] })]),
      ]),
      path: 'phases[0].tasks[0].dependencies[0]',
      message: /dependency cycle: A → C → B → A/,
    },
    {
      name: 'dependency on a later phase',
      content: plan([phase('P1', [task('A', { dependencies: ['B'] })]), phase('P2', [task('B')])]),
      path: 'phases[0].tasks[0].dependencies[0]',
      message: /later phase \(P2\)/,
    },
    {
      name: 'wrong type',
      content: plan([phase('P1', [task('A', { title: 42 })])]),
      path: 'phases[0].tasks[0].title',
      message: /expected string, received number/,
    },
    {
      name: 'unknown task status',
      content: plan([phase('P1', [task('A', { status: 'done' })])]),
      path: 'phases[0].tasks[0].status',
      message: /"pending"/,
    },
    {
      name: 'unknown phase status',
      content: plan([phase('P1', [task('A')], { status: 'started' })]),
      path: 'phases[0].status',
      message: /"in_progress"/,
    },
    {
      name: 'missing task status',
      content: plan([phase('P1', [{ id: 'A', title: 'x' }])]),
      path: 'phases[0].tasks[0].status',
      message: /expected one of|Invalid option/,
    },
    {
      name: 'bad timestamp',
      content: plan([phase('P1', [task('A', { status: 'completed', completedAt: 'yesterday' })])]),
      path: 'phases[0].tasks[0].completedAt',
      message: /ISO-8601/,
    },
    {
      name: 'unknown domain',
      content: plan([phase('P1', [task('A', { domain: 'mobile' })])]),
      path: 'phases[0].tasks[0].domain',
      message: /"frontend"/,
    },
    {
      name: 'missing phases',
      content: { name: 'No phases' },
      path: 'phases',
      message: /expected array/,
    },
    {
      name: "a task's tool rule that is not in claude's syntax",
      content: plan([phase('P1', [task('A', { permissions: { allow: ['Bash (npm test)'] } })])]),
      path: 'phases[0].tasks[0].permissions.allow[0]',
      message: /expected a rule in claude's syntax/,
    },
    {
      name: 'a misspelt key in the plan-wide permissions',
      content: plan([phase('P1', [task('A')])], { permissions: { allowed: ['Read'] } }),
      path: 'permissions',
      message: /allowed/,
    },
    {
      name: 'top level is not an object',
      content: '[1, 2]\n',
      path: '',
      message: /expected a JSON object, found an array/,
    },
  ];

  for (const c of cases) {
    it(`reports ${c.name} with its JSON path`, async () => {
      const { problems, file } = await problemsFor(c.content);
      const match = problems.find((p) => p.path === c.path);
      expect(match, JSON.stringify(problems)).toBeDefined();
      expect(match?.message).toMatch(c.message);
      expect(match?.file).toBe(file);
    });
  }

  it('reports every problem, not just the first', async () => {
    const { problems } = await problemsFor(
      plan([phase('P1', [task('A', { status: 'nope' }), task('B', { title: 7 }), task('C', { attempts: -1 })])]),
    );
    expect(problems.map((p) => p.path).sort()).toEqual([
      'phases[0].tasks[0].status',
      'phases[0].tasks[1].title',
      'phases[0].tasks[2].attempts',
    ]);
  });

  it('reports graph problems together', async () => {
    const { problems } = await problemsFor(
      plan([phase('P1', [task('A', { dependencies: ['X'] }), task('A'), task('B', { dependencies: ['B'] })])]),
    );
    expect(problems).toHaveLength(3);
  });

  it('names the line and column of broken JSON', async () => {
    const { problems } = await problemsFor('{\n  "name": "x",\n  "phases": [,]\n}\n');
    expect(problems[0]?.message).toMatch(/not valid JSON: .*\(line 3, column 14\)/);
  });

  it('refuses a file that is not UTF-8, naming the byte', async () => {
    const bytes = Buffer.concat([Buffer.from('{"name": "caf'), Buffer.from([0xe9]), Buffer.from('", "phases": []}')]);
    const { problems } = await problemsFor(bytes);
    expect(problems[0]?.message).toBe('is not valid UTF-8 text (first bad byte at offset 13)');
  });

  it('refuses an empty file', async () => {
    const { problems } = await problemsFor('');
    expect(problems[0]?.message).toMatch(/is empty/);
  });

  it('reports a missing PROGRESS.json', async () => {
    const dir = tempDir();
    await expect(loadPlan(dir)).rejects.toThrow(`${path.join(dir, 'PROGRESS.json')}: not found`);
  });

  it('reports a directory where the file should be', async () => {
    const dir = tempDir();
    mkdirSync(path.join(dir, 'PROGRESS.json'));
    await expect(loadPlan(dir)).rejects.toThrow(/PROGRESS\.json: is a directory/);
  });

  it('finds a cycle in a long chain without overflowing the stack', async () => {
    const tasks = Array.from({ length: 20_000 }, (_, i) => task(`T${i}`, { dependencies: [`T${(i + 1) % 20_000}`] }));
    const { problems } = await problemsFor(plan([phase('P1', tasks)]));
    expect(problems).toHaveLength(1);
    expect(problems[0]?.message).toMatch(/^dependency cycle: T0 → T1 → T2 → .* → T19999 → T0$/);
  });

  it('accepts a valid plan and normalises it', async () => {
    const dir = tempDir();
    writeFile(
      dir,
      'PROGRESS.json',
      plan(
        [
          phase('P1', [task('P1.1', { file: 'a.ts', status: 'completed' }), task('P1.2', { file: ['b.ts', 'c.ts'], complexity: 'simple' })]),
          phase('P2', [task('P2.1', { dependencies: ['P1.1', 'P1.2'], domain: 'testing' })]),
        ],
        { plan_id: 'p-1', github: { owner: 'o', repo: 'r', issue: 7 } },
      ),
    );
    const doc = await loadPlan(dir);
    expect(doc.plan.id).toBe('p-1');
    expect(doc.plan.github).toEqual({ owner: 'o', repo: 'r', issue: 7 });
    expect(doc.plan.phases.map((p) => p.status)).toEqual(['in_progress', 'pending']);
    const [t1, t2] = doc.plan.phases[0]!.tasks;
    expect(t1?.files).toEqual(['a.ts']);
    expect(t2?.files).toEqual(['b.ts', 'c.ts']);
    expect(t2?.simple).toBe(true);
    expect(doc.plan.phases[1]!.tasks[0]?.dependencies).toEqual(['P1.1', 'P1.2']);
  });
});
