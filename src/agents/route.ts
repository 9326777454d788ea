import type { Domain, Task } from '../plan/model.js';

export const SPECIALISTS: Readonly<Record<Domain, string>> = {
  frontend: 'l2-frontend-specialist',
  backend: 'l2-backend-specialist',
  testing: 'l2-testing-specialist',
  deployment: 'l2-deployment-specialist',
  general: 'l2-general-specialist',
};

// Order matters: a task titled "Test the login page" is testing work, not frontend work.
const SIGNALS: readonly (readonly [Domain, RegExp])[] = [
  ['general', /\b(docs?|documentation|readme|changelog)\b|\.(md|mdx|rst|txt)$/i],
  ['testing', /\b(tests?|testing|spec|e2e|coverage|vitest|jest|playwright|cypress|assert)\b|\.(test|spec)\.[jt]sx?$/i],
  ['deployment', /\b(deploy(ment)?|docker(file)?|kubernetes|k8s|helm|terraform|ci\/cd|pipeline|github actions|workflow|release|infra(structure)?|nginx)\b|^\.github\/|Dockerfile$/i],
  ['frontend', /\b(ui|ux|frontend|front-end|component|page|css|html|react|vue|svelte|angular|tailwind|layout|button|form|style)\b|\.(tsx|jsx|vue|svelte|css|scss|html)$/i],
  ['backend', /\b(api|backend|back-end|server|endpoint|database|db|schema|model|migration|sql|auth|middleware|route|store|queue|service)\b|(^|\/)(server|api|db)\//i],
];

export interface Route {
  readonly domain: Domain;
  readonly specialist: string;
  readonly model: string;
  readonly inferred: boolean;
}

export function inferDomain(task: Pick<Task, 'title' | 'details' | 'files'>): Domain {
  const text = [task.title, task.details ?? ''].join('\n');
  for (const [domain, pattern] of SIGNALS) {
    if (pattern.test(text) || task.files.some((f) => pattern.test(f))) return domain;
  }
  return 'general';
}

/** The specialist from the task's domain (or one inferred from its text), the model from the task. */
export function routeTask(task: Task, defaults: { model: string; simpleModel: string }): Route {
  const domain = task.domain ?? inferDomain(task);
  return {
    domain,
    specialist: SPECIALISTS[domain],
    model: task.model ?? (task.simple ? defaults.simpleModel : defaults.model),
    inferred: task.domain === undefined,
  };
}
