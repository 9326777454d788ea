import type { PlanDocument } from '../plan/document.js';
import type { Task } from '../plan/model.js';
import { planProgress } from '../plan/progress.js';
import type { StateRead } from '../state/read-state.js';
import type { AttemptRecord, OrchestratorState } from '../state/schema.js';
import { totalTokens } from '../state/usage.js';
import type { EventFacts } from './event-facts.js';
import type { DashboardView, RunState, TaskState, TaskView } from './view.js';

export interface ViewSources {
  readonly doc: PlanDocument;
  /** The plan's path as the page names it. */
  readonly planFile: string;
  readonly state: StateRead;
  readonly facts: EventFacts;
  /** A live process holds the project's lock: a run is going on. */
  readonly locked: boolean;
  readonly now: Date;
}

/** The page's one object, from what is on disk: the plan, state.json and the run's events. */
export function buildView(s: ViewSources): DashboardView {
  const { plan } = s.doc;
  const state = s.state.kind === 'ok' && s.state.state.planId === plan.id ? s.state.state : undefined;
  const progress = planProgress(plan);
  const ready = new Set(progress.ready.map((t) => t.id));
  const attemptsOf = groupAttempts(state?.attempts ?? []);
  const agents = new Map((state?.activeAgents ?? []).map((a) => [a.taskId, a]));

  const tasks: TaskView[] = plan.phases.flatMap((phase) =>
    phase.tasks.map((task) => {
      const history = attemptsOf.get(task.id) ?? [];
      const agent = agents.get(task.id);
      const live = s.facts.progress.get(task.id);
      const started = s.facts.started.get(task.id);
      const running =
        agent && task.status === 'in_progress'
          ? {
              attempt: agent.attempt,
              since: agent.spawnedAt,
              tokens: live?.attempt === agent.attempt ? live.tokens : 0,
              toolCalls: live?.attempt === agent.attempt ? live.toolCalls : 0,
              worker: agent.worker ?? null,
            }
          : null;
      return {
        id: task.id,
        title: task.title,
        details: task.details ?? null,
        phaseId: phase.id,
        status: taskState(task, ready),
        dependencies: [...task.dependencies],
        specialist: agent?.specialist ?? started?.specialist ?? null,
        model: agent?.model ?? started?.model ?? null,
        attempts: history.length,
        durationMs: sum(history, (a) => a.durationMs),
        tokens: sum(history, (a) => totalTokens(a.usage)),
        costUsd: sum(history, (a) => a.costUsd),
        running,
        blocker: task.blocker ?? state?.blockedTasks.find((b) => b.taskId === task.id)?.blocker ?? null,
        history: history.map((a) => ({
          attempt: a.attempt,
          outcome: a.outcome,
          reason: a.reason ?? null,
          startedAt: a.startedAt,
          durationMs: a.durationMs,
          tokens: totalTokens(a.usage),
          costUsd: a.costUsd,
        })),
      };
    }),
  );
  const byPhase = (id: string) => tasks.filter((t) => t.phaseId === id);
  const run = runState(s, state);
  return {
    plan: { id: plan.id, name: plan.name, file: s.planFile },
    run: { ...run, startedAt: s.facts.startedAt, finishedAt: s.facts.finished?.time ?? null, now: s.now.toISOString() },
    progress: { tasksDone: progress.doneTasks, tasksTotal: progress.totalTasks, phasesDone: progress.donePhases, phasesTotal: plan.phases.length },
    budget: {
      tokens: state?.tokenBudget.used ?? 0,
      tokenLimit: state?.tokenBudget.limit ?? null,
      costUsd: state?.tokenBudget.costUsd ?? 0,
      costLimitUsd: state?.tokenBudget.costLimitUsd ?? null,
    },
    activeAgents: run.state === 'running' ? tasks.filter((t) => t.running).length : 0,
    github: state?.githubConfig
      ? {
          target: `${state.githubConfig.owner}/${state.githubConfig.repo}#${state.githubConfig.issueNumber}`,
          enabled: state.githubConfig.enabled,
          lastSyncAt: state.githubConfig.lastSyncAt,
          lastResult: state.githubConfig.lastResult,
          pending: state.githubConfig.pending,
        }
      : null,
    blocked: progress.blocked.map((t) => {
      const b = state?.blockedTasks.find((x) => x.taskId === t.id);
      return { taskId: t.id, title: t.title, blocker: t.blocker ?? b?.blocker ?? 'blocked', suggestedAction: b?.suggestedAction ?? null };
    }),
    phases: progress.phases.map(({ phase, done, total }) => ({
      id: phase.id,
      name: phase.name,
      status: phase.status,
      done,
      total,
      tokens: sum(byPhase(phase.id), (t) => t.tokens),
      costUsd: sum(byPhase(phase.id), (t) => t.costUsd),
    })),
    tasks,
    notices: [...s.facts.notices],
    problems: s.state.kind === 'invalid' ? s.state.problems.map((p) => `${p.file}${p.path ? ` ${p.path}` : ''}: ${p.message}`) : [],
  };
}

function taskState(task: Task, ready: ReadonlySet<string>): TaskState {
  if (task.status === 'in_progress') return 'running';
  if (task.status === 'pending') return ready.has(task.id) ? 'ready' : 'pending';
  return task.status;
}

function runState(s: ViewSources, state: OrchestratorState | undefined): { state: RunState; message: string } {
  const finished = s.facts.finished?.event;
  if (s.locked && !finished) return { state: 'running', message: 'Running' };
  if (!state) {
    if (s.state.kind === 'ok') return { state: 'not-started', message: 'Not running: the state on disk is of another plan; no run of this plan yet' };
    return { state: 'not-started', message: 'Not running: no run of this plan yet' };
  }
  const why = finished ? `: ${finished.reason}` : '';
  switch (state.status) {
    case 'completed':
      return { state: 'finished', message: `Finished: plan completed${why}` };
    case 'blocked':
      return { state: 'finished', message: `Finished: tasks are blocked${why}` };
    case 'failed':
      return { state: 'finished', message: `Finished: the run failed${why}` };
    case 'paused':
      return { state: 'paused', message: `Not running: paused${why}; \`ccasp run\` goes on` };
    case 'active':
      // Active in the books with nobody holding the lock: the run was killed.
      return { state: 'interrupted', message: 'Not running: the last run was interrupted (killed); `ccasp run` goes on' };
  }
}

function groupAttempts(records: readonly AttemptRecord[]): Map<string, AttemptRecord[]> {
  const by = new Map<string, AttemptRecord[]>();
  for (const r of records) by.set(r.taskId, [...(by.get(r.taskId) ?? []), r]);
  for (const list of by.values()) list.sort((a, b) => a.attempt - b.attempt);
  return by;
}

function sum<T>(items: readonly T[], f: (item: T) => number): number {
  return items.reduce((n, item) => n + f(item), 0);
}
