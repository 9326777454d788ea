import type { OrchestratorEvent } from '../../src/orchestrator/events.js';
import type { Phase, Plan, Task, TaskStatus } from '../../src/plan/model.js';
import type { LimitEvent } from '../../src/github/client.js';
import type { GithubFlags } from '../../src/github/options.js';
import { resolveGithubTarget, startGithubSync, type GithubSync, type StartOptions } from '../../src/github/start.js';
import { createRedactor, secretsFromEnv } from '../../src/secrets/redact.js';
import type { Notice } from '../../src/github/worker.js';
import { startGithub, type GithubServer } from '../support/github-server.js';
import { tempDir } from '../support/tmp.js';

/** Shaped like a real classic token, so the shape-based redaction would catch it too. */
export const TOKEN = 'ghp_TestToken0123456789abcdefghijklmnopq';
export const ANTHROPIC_KEY = 'sk-ant-api03-SecretKey_abcdefghijklmnop';

export function task(id: string, title: string, status: TaskStatus = 'pending'): Task {
  return { id, title, files: [], fileAt: [], simple: false, dependencies: [], status, at: `tasks.${id}`, dependencyField: 'dependencies' };
}

export function phase(id: string, name: string, tasks: Task[]): Phase {
  return { id, name, status: 'pending', tasks, at: `phases.${id}` };
}

/** Two phases: P1 (P1.1, P1.2) and P2 (P2.1). */
export function twoPhasePlan(): Plan {
  return {
    id: 'todo-service',
    name: 'Todo service',
    shape: 'canonical',
    phases: [phase('P1', 'Foundation', [task('P1.1', 'Todo model'), task('P1.2', 'Storage')]), phase('P2', 'API', [task('P2.1', 'HTTP routes')])],
  };
}

/** acme/widgets with issue 7, for TOKEN. */
export function startServer(): Promise<GithubServer> {
  return startGithub({ token: TOKEN, owner: 'acme', repo: 'widgets', issues: [7] });
}

export interface Harness {
  readonly sync: GithubSync;
  readonly root: string;
  readonly notices: Notice[];
  readonly limits: LimitEvent[];
  emit(...events: OrchestratorEvent[]): void;
}

export async function startHarness(
  server: GithubServer,
  flags: Partial<GithubFlags> = {},
  extra: Partial<StartOptions> & { root?: string } = {},
): Promise<Harness> {
  const root = extra.root ?? tempDir('ccasp-github-');
  const notices: Notice[] = [];
  const limits: LimitEvent[] = [];
  const plan = extra.plan ?? twoPhasePlan();
  const allFlags: GithubFlags = {
    github: { owner: 'acme', repo: 'widgets', issue: 7 },
    githubToken: TOKEN,
    githubApiUrl: server.baseUrl,
    githubMode: 'comments',
    close: true,
    ...flags,
  };
  const env = { ANTHROPIC_API_KEY: ANTHROPIC_KEY };
  // As a run does: the target first, then one redactor that knows its token.
  const target = await resolveGithubTarget({ plan, projectRoot: root, flags: allFlags, env, ghAuthToken: async () => undefined });
  const sync = await startGithubSync(target, {
    plan,
    projectRoot: root,
    flags: allFlags,
    redact: createRedactor([...secretsFromEnv(env), target.kind === 'on' ? target.token.token : undefined]),
    notify: (n) => notices.push(n),
    client: { retryAfterBaseMs: 1, paceWrites: false, onLimit: (e) => limits.push(e) },
    backoff: { firstMs: 5, maxMs: 20 },
    ...extra,
  });
  if (!sync) throw new Error(`sync did not start: ${notices.map((n) => n.message).join('; ')}`);
  return { sync, root, notices, limits, emit: (...events) => events.forEach((e) => sync.listener(e)) };
}

const usage = { inputTokens: 1000, outputTokens: 200, cacheCreationTokens: 0, cacheReadTokens: 34 };

export const ev = {
  started: (resumed = false): OrchestratorEvent => ({ type: 'run.started', planId: 'todo-service', planName: 'Todo service', phases: 2, tasks: 3, concurrency: 1, resumed }),
  phaseStarted: (phaseId: string, name: string): OrchestratorEvent => ({ type: 'phase.started', phaseId, name }),
  taskStarted: (taskId: string, title: string, attempt = 1): OrchestratorEvent => ({
    type: 'task.started',
    taskId,
    title,
    attempt,
    specialist: 'l2-backend-specialist',
    model: 'sonnet',
    sessionId: `s-${taskId}-${attempt}`,
  }),
  taskCompleted: (taskId: string, title: string, attempt = 1, summary = `did ${taskId}`): OrchestratorEvent => ({
    type: 'task.completed',
    taskId,
    title,
    attempt,
    summary,
    artifacts: [`src/${taskId}.js`],
    durationMs: 65_000,
    costUsd: 0.0123,
    usage,
  }),
  taskBlocked: (taskId: string, title: string, blocker: string): OrchestratorEvent => ({
    type: 'task.blocked',
    taskId,
    title,
    blocker,
    suggestedAction: 'give the agent database credentials',
  }),
  phaseCompleted: (phaseId: string, name: string, percent: number): OrchestratorEvent => ({ type: 'phase.completed', phaseId, name, percent }),
  phaseFailed: (phaseId: string, name: string, reason: string): OrchestratorEvent => ({ type: 'phase.failed', phaseId, name, reason }),
  finished: (outcome: 'completed' | 'blocked' | 'failed', completed = 3): OrchestratorEvent => ({
    type: 'run.finished',
    outcome,
    reason: outcome === 'completed' ? 'all phases completed' : 'stopped',
    completed,
    total: 3,
    blocked: [],
    durationMs: 200_000,
    costUsd: 0.0369,
    tokens: 3702,
    tokensSaved: 1700,
    agentsSpawned: 3,
    concurrency: 1,
  }),
};

/** The events of a whole successful run of twoPhasePlan(). */
export function successfulRun(): OrchestratorEvent[] {
  return [
    ev.started(),
    ev.phaseStarted('P1', 'Foundation'),
    ev.taskStarted('P1.1', 'Todo model'),
    ev.taskCompleted('P1.1', 'Todo model'),
    ev.taskStarted('P1.2', 'Storage'),
    ev.taskCompleted('P1.2', 'Storage'),
    ev.phaseCompleted('P1', 'Foundation', 50),
    ev.phaseStarted('P2', 'API'),
    ev.taskStarted('P2.1', 'HTTP routes'),
    ev.taskCompleted('P2.1', 'HTTP routes'),
    ev.phaseCompleted('P2', 'API', 100),
    ev.finished('completed'),
  ];
}

/** The `eventId`s of the ccasp markers in the issue's comments, in order. */
export function markerIds(server: GithubServer, issue = 7): string[] {
  return server.issue(issue).comments.flatMap((c) => [...c.body.matchAll(/<!-- ccasp:([\w.-]+):([\w.:-]+) -->/g)].map((m) => m[2]!));
}
