import { describe, expect, it } from 'vitest';
import { inferDomain, routeTask, SPECIALISTS } from '../../src/agents/route.js';
import { DOMAINS, type Domain, type Task } from '../../src/plan/model.js';

function task(fields: Partial<Task> & { title: string }): Task {
  return { id: 'P1.1', files: [], fileAt: [], simple: false, dependencies: [], status: 'pending', at: 'phases[0].tasks[0]', dependencyField: 'dependencies', ...fields };
}

const DEFAULTS = { model: 'claude-sonnet-4-5', simpleModel: 'claude-haiku-4-5' };

describe('routeTask: domain', () => {
  it.each(DOMAINS)('an explicit %s domain wins over the text', (domain) => {
    // The title and file point at testing and frontend; the declared domain still decides.
    const route = routeTask(task({ title: 'Write the tests for the login page', files: ['src/Login.test.tsx'], domain }), DEFAULTS);
    expect(route).toMatchObject({ domain, specialist: SPECIALISTS[domain], inferred: false });
  });

  it('infers the domain when none is declared and says so', () => {
    const route = routeTask(task({ title: 'Add the Dockerfile' }), DEFAULTS);
    expect(route).toMatchObject({ domain: 'deployment', specialist: 'l2-deployment-specialist', inferred: true });
  });

  it('names one specialist per domain', () => {
    expect(new Set(Object.values(SPECIALISTS)).size).toBe(DOMAINS.length);
  });
});

describe('inferDomain', () => {
  const cases: { name: string; t: Pick<Task, 'title' | 'details' | 'files'>; domain: Domain }[] = [
    // testing
    { name: 'title about tests', t: { title: 'Write unit tests for the parser', files: [] }, domain: 'testing' },
    { name: 'details about coverage', t: { title: 'Parser work', details: 'raise coverage to 90%', files: [] }, domain: 'testing' },
    { name: 'a .test.ts file', t: { title: 'Parser work', files: ['src/parser.test.ts'] }, domain: 'testing' },
    { name: 'a .spec.js file', t: { title: 'Parser work', files: ['src/parser.spec.js'] }, domain: 'testing' },
    { name: 'testing beats frontend in a title', t: { title: 'Test the login page', files: [] }, domain: 'testing' },
    { name: 'a .test.tsx file beats .tsx', t: { title: 'Cover the button', files: ['src/Button.test.tsx'] }, domain: 'testing' },
    // deployment
    { name: 'a Dockerfile', t: { title: 'Container image', files: ['Dockerfile'] }, domain: 'deployment' },
    { name: 'a nested Dockerfile', t: { title: 'Container image', files: ['services/web/Dockerfile'] }, domain: 'deployment' },
    { name: 'a GitHub workflow file', t: { title: 'Automation', files: ['.github/workflows/ci.yml'] }, domain: 'deployment' },
    { name: 'title about deploying', t: { title: 'Deploy to staging with helm', files: [] }, domain: 'deployment' },
    { name: 'details about terraform', t: { title: 'Infra', details: 'write the terraform module', files: [] }, domain: 'deployment' },
    // frontend
    { name: 'a .tsx file', t: { title: 'Header', files: ['src/Header.tsx'] }, domain: 'frontend' },
    { name: 'a .vue file', t: { title: 'Header', files: ['src/Header.vue'] }, domain: 'frontend' },
    { name: 'a .css file', t: { title: 'Colours', files: ['styles/main.css'] }, domain: 'frontend' },
    { name: 'title about a component', t: { title: 'Build the settings component', files: [] }, domain: 'frontend' },
    { name: 'details about react', t: { title: 'Header', details: 'a React header bar', files: [] }, domain: 'frontend' },
    // backend
    { name: 'title about an endpoint', t: { title: 'Add the /users endpoint', files: [] }, domain: 'backend' },
    { name: 'details about a migration', t: { title: 'Users', details: 'write the SQL migration', files: [] }, domain: 'backend' },
    { name: 'a file under server/', t: { title: 'Users', files: ['server/users.ts'] }, domain: 'backend' },
    { name: 'a file under src/api/', t: { title: 'Users', files: ['src/api/users.ts'] }, domain: 'backend' },
    // general
    { name: 'README', t: { title: 'Update the README', files: [] }, domain: 'general' },
    { name: 'a README.md file', t: { title: 'Describe install', files: ['README.md'] }, domain: 'general' },
    { name: 'a docs/ file', t: { title: 'Describe install', files: ['docs/install.md'] }, domain: 'general' },
    { name: 'title about documentation', t: { title: 'Write documentation for the CLI', files: [] }, domain: 'general' },
    { name: 'nothing to go on', t: { title: 'Tidy up', files: ['src/util.ts'] }, domain: 'general' },
  ];

  it.each(cases)('$name → $domain', ({ t, domain }) => {
    expect(inferDomain(t)).toBe(domain);
  });

  it('does not read a domain word inside another word', () => {
    // "contest" contains "test", "platform" contains "form", "apiary" contains "api".
    expect(inferDomain({ title: 'Contest platform for the apiary', files: ['src/contest.ts'] })).toBe('general');
  });

  it('is case-insensitive', () => {
    expect(inferDomain({ title: 'DEPLOY THE APP', files: [] })).toBe('deployment');
    expect(inferDomain({ title: 'x', files: ['SRC/APP.TSX'] })).toBe('frontend');
  });
});

describe('routeTask: model', () => {
  it("uses the task's own model first", () => {
    expect(routeTask(task({ title: 't', model: 'claude-opus-4-1', simple: true }), DEFAULTS).model).toBe('claude-opus-4-1');
    expect(routeTask(task({ title: 't', model: 'claude-opus-4-1', simple: false }), DEFAULTS).model).toBe('claude-opus-4-1');
  });

  it('uses the simple model for a simple task without a model', () => {
    expect(routeTask(task({ title: 't', simple: true }), DEFAULTS).model).toBe(DEFAULTS.simpleModel);
  });

  it('uses the default model otherwise', () => {
    expect(routeTask(task({ title: 't', simple: false }), DEFAULTS).model).toBe(DEFAULTS.model);
  });
});
