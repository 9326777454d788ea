import { Ajv } from 'ajv';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { authoredPlanJsonSchema, checkAuthoredPlan } from '../../src/agents/plan-schema.js';
import { loadPlan } from '../../src/plan/load.js';
import { DOMAINS } from '../../src/plan/model.js';
import { COMPLEXITIES } from '../../src/plan/shapes/fields.js';
import { tempDir, writeFile } from '../support/tmp.js';

const task = (id: string, extra: Record<string, unknown> = {}) => ({ id, title: `Build ${id}`, file: `src/${id}.js`, domain: 'backend', complexity: 'simple', ...extra });
const draft = (second: Record<string, unknown> = {}) => ({
  name: 'Greeter',
  phases: [
    { id: 'P1', name: 'Core', tasks: [task('P1.1')] },
    { id: 'P2', name: 'Tests', tasks: [task('P2.1', { dependencies: ['P1.1'], verify: 'npm test', ...second })] },
  ],
});

type JsonSchema = { properties: Record<string, JsonSchema>; items: JsonSchema; required?: string[]; enum?: string[]; minLength?: number; additionalProperties?: boolean };

describe('the JSON schema claude writes a plan against', () => {
  it("is the canonical plan's own fields, less progress: enums, required fields and limits come from its zod schema", async () => {
    const schema = authoredPlanJsonSchema() as unknown as JsonSchema;
    const phase = schema.properties['phases']!.items;
    const taskSchema = phase.properties['tasks']!.items;
    expect(Object.keys(schema.properties)).toEqual(['name', 'test_command', 'phases']);
    expect(Object.keys(phase.properties)).toEqual(['id', 'name', 'tasks']);
    expect(Object.keys(taskSchema.properties)).toEqual(['id', 'title', 'details', 'file', 'domain', 'complexity', 'dependencies', 'verify']);
    expect(taskSchema.required).toEqual(['id', 'title']);
    expect(taskSchema.properties['domain']!.enum).toEqual([...DOMAINS]);
    expect(taskSchema.properties['complexity']!.enum).toEqual([...COMPLEXITIES]);
    expect(taskSchema.properties['title']!.minLength).toBe(1);
    expect(taskSchema.additionalProperties).toBe(false);
  });

  it("compiles with Ajv's default class, as claude compiles it (a schema that does not is dropped silently), with no union at the top", async () => {
    const schema = authoredPlanJsonSchema();
    expect(schema).not.toHaveProperty('$schema');
    for (const key of ['oneOf', 'anyOf', 'allOf']) expect(schema).not.toHaveProperty(key);
    const validate = new Ajv({ allErrors: true }).compile(schema);
    expect(validate(draft())).toBe(true);
    expect(validate(draft({ status: 'pending' }))).toBe(false);
    expect(validate(draft({ domain: 'database' }))).toBe(false);
  });
});

describe('checkAuthoredPlan: claude\'s plan checked as validate checks a plan', () => {
  const file = () => path.join(tempDir('ccasp-plan-check-'), 'PROGRESS.json');

  it('turns a valid plan into a canonical plan file, every task pending, that loads as it is', async () => {
    const target = file();
    const checked = await checkAuthoredPlan(draft(), target);
    if (!checked.ok) throw new Error(checked.problems.join('\n'));
    const written = writeFile(path.dirname(target), 'PROGRESS.json', checked.text);
    const doc = await loadPlan(written);
    expect(doc.plan.shape).toBe('canonical');
    expect(doc.plan.phases.flatMap((p) => p.tasks.map((t) => [t.id, t.status]))).toEqual([
      ['P1.1', 'pending'],
      ['P2.1', 'pending'],
    ]);
    expect(checked.text).toContain('"dependencies": ["P1.1"]');
  });

  it.each([
    ['a dependency on an unknown task', draft({ dependencies: ['P9.9'] }), 'phases[1].tasks[0].dependencies[0]', 'P9.9'],
    ['a field the plan has no place for', draft({ status: 'completed' }), 'phases[1].tasks[0]', 'status'],
    ['a domain that is none', draft({ domain: 'database' }), 'phases[1].tasks[0].domain', 'frontend'],
    ['a file outside the project', draft({ file: '../elsewhere.js' }), 'phases[1].tasks[0].file', 'leads out of the project'],
    ['two tasks with one id', draft({ id: 'P1.1', dependencies: [] }), 'phases[1].tasks[0].id', 'P1.1'],
  ])('sends back %s, by its path in the plan', async (_what, value, at, words) => {
    const checked = await checkAuthoredPlan(value, file());
    expect(checked.ok).toBe(false);
    const problems = checked.ok ? [] : checked.problems;
    expect(problems.some((p) => p.startsWith(`${at}`) && p.includes(words)), problems.join('\n')).toBe(true);
  });

  it('sends back a value that is no plan at all', async () => {
    const checked = await checkAuthoredPlan('a plan', file());
    expect(checked).toEqual({ ok: false, problems: [expect.stringContaining('expected object')] });
  });
});
