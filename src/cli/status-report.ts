import path from 'node:path';
import type { PlanDocument } from '../plan/document.js';
import type { TaskStatus } from '../plan/model.js';
import { planProgress } from '../plan/progress.js';
import type { Problem } from '../errors.js';
import type { StateRead } from '../state/read-state.js';
import type { AttemptRecord } from '../state/schema.js';
import { totalTokens } from '../state/usage.js';
import type { PlanWorktree } from '../worktree/plan-worktrees.js';

/** The `ccasp status --json` object; its field names are a documented contract. */
export interface StatusReport {
  readonly plan: { id: string; name: string; shape: string; file: string; status: string | null };
  readonly completion: {
    tasks: { done: number; total: number; percent: number };
    phases: { done: number; total: number; percent: number };
  };
  readonly counts: Record<TaskStatus, number>;
  readonly currentPhase: string | null;
  readonly phases: { id: string; name: string; status: string; done: number; total: number; percent: number }[];
  readonly ready: { id: string; title: string }[];
  readonly blocked: { id: string; title: string; blocker: string | null }[];
  readonly failed: { id: string; title: string; blocker: string | null }[];
  readonly orchestrator: OrchestratorSummary | null;
  readonly stateProblems: Problem[];
  /** Task worktrees and branches ccasp keeps (`--isolation worktree`): blocked, failed or interrupted tasks' work. */
  readonly worktrees: WorktreeSummary[];
}

export interface WorktreeSummary {
  readonly taskId: string;
  /** The task's status in the plan; null for a worktree of a task the plan no longer has. */
  readonly taskStatus: string | null;
  /** ready, half-created, missing-folder, other-branch, unregistered-folder, branch-only or saved-only (see src/worktree). */
  readonly condition: string;
  readonly path: string | null;
  readonly branch: string | null;
  /** Commits on the task's branch not yet on the integration branch, for a ready worktree. */
  readonly ahead: number | null;
  /** Changed or untracked files in a ready worktree. */
  readonly uncommitted: number | null;
  /** Branches keeping an earlier attempt's work (`ccasp-saved/...`). */
  readonly saved: string[];
}

export interface OrchestratorSummary {
  readonly file: string;
  readonly status: string;
  readonly lastUpdated: string;
  readonly forThisPlan: boolean;
  readonly activeAgents: { taskId: string; attempt: number; specialist: string; model: string; spawnedAt: string; worker?: string }[];
  readonly tokens: { used: number; limit: number | null };
  readonly costUsd: number;
  readonly costLimitUsd: number | null;
  readonly lastCompaction: string | null;
  /** Agents at once as the last run left it (lowered after rate limits), or null before any run recorded it. */
  readonly concurrency: { current: number; max: number } | null;
  /** Tokens and cost measured per phase and per task (tasks that ran at least once). */
  readonly byPhase: { id: string; tokens: number; costUsd: number }[];
  readonly byTask: { id: string; phaseId: string; attempts: number; tokens: number; costUsd: number }[];
}

export function statusReport(doc: PlanDocument, stateFile: string, state: StateRead, cwd: string, worktrees: readonly PlanWorktree[] = []): StatusReport {
  const { plan } = doc;
  const progress = planProgress(plan);
  const brief = (t: { id: string; title: string }) => ({ id: t.id, title: t.title });
  const withBlocker = (t: { id: string; title: string; blocker?: string }) => ({ ...brief(t), blocker: t.blocker ?? null });
  return {
    plan: {
      id: plan.id,
      name: plan.name,
      shape: plan.shape,
      file: displayPath(doc.file, cwd),
      status: plan.status ?? null,
    },
    completion: {
      tasks: { done: progress.doneTasks, total: progress.totalTasks, percent: progress.taskPercent },
      phases: { done: progress.donePhases, total: plan.phases.length, percent: progress.phasePercent },
    },
    counts: { ...progress.counts },
    currentPhase: progress.currentPhase?.id ?? null,
    phases: progress.phases.map((p) => ({
      id: p.phase.id,
      name: p.phase.name,
      status: p.phase.status,
      done: p.done,
      total: p.total,
      percent: p.total === 0 ? 100 : Math.round((p.done / p.total) * 100),
    })),
    ready: progress.ready.map(brief),
    blocked: progress.blocked.map(withBlocker),
    failed: progress.failed.map(withBlocker),
    orchestrator:
      state.kind === 'ok'
        ? {
            file: displayPath(stateFile, cwd),
            status: state.state.status,
            lastUpdated: state.state.lastUpdated,
            forThisPlan: state.state.planId === plan.id,
            activeAgents: state.state.activeAgents.map((a) => ({
              taskId: a.taskId,
              attempt: a.attempt,
              specialist: a.specialist,
              model: a.model,
              spawnedAt: a.spawnedAt,
              ...(a.worker ? { worker: a.worker } : {}),
            })),
            tokens: { used: state.state.tokenBudget.used, limit: state.state.tokenBudget.limit },
            costUsd: state.state.tokenBudget.costUsd,
            costLimitUsd: state.state.tokenBudget.costLimitUsd,
            lastCompaction: state.state.tokenBudget.lastCompaction,
            concurrency: state.state.concurrency ?? null,
            ...spending(plan, state.state.attempts),
          }
        : null,
    stateProblems: state.kind === 'invalid' ? [...state.problems] : [],
    worktrees: worktrees.map((w) => worktreeSummary(w, cwd)),
  };
}

function worktreeSummary({ info, task }: PlanWorktree, cwd: string): WorktreeSummary {
  return {
    taskId: task?.id ?? info.slug,
    taskStatus: task?.status ?? null,
    condition: info.condition,
    path: info.path ? displayPath(info.path, cwd) : null,
    branch: info.branch ?? null,
    ahead: info.ahead ?? null,
    uncommitted: info.uncommitted ?? null,
    saved: [...info.saved],
  };
}

/** Relative to where the user stands when that is shorter, else absolute. */
export function displayPath(file: string, cwd: string): string {
  const relative = path.relative(cwd, file);
  return relative && !relative.startsWith('..') && !path.isAbsolute(relative) ? relative : file;
}

function spending(plan: PlanDocument['plan'], attempts: readonly AttemptRecord[]): Pick<OrchestratorSummary, 'byPhase' | 'byTask'> {
  const perTask = new Map<string, { attempts: number; tokens: number; costUsd: number }>();
  for (const a of attempts) {
    const t = perTask.get(a.taskId) ?? { attempts: 0, tokens: 0, costUsd: 0 };
    t.attempts++;
    t.tokens += totalTokens(a.usage);
    t.costUsd += a.costUsd;
    perTask.set(a.taskId, t);
  }
  const byTask: OrchestratorSummary['byTask'] = [];
  const byPhase = plan.phases.map((phase) => {
    let tokens = 0;
    let costUsd = 0;
    for (const task of phase.tasks) {
      const t = perTask.get(task.id);
      if (!t) continue;
      byTask.push({ id: task.id, phaseId: phase.id, ...t });
      tokens += t.tokens;
      costUsd += t.costUsd;
    }
    return { id: phase.id, tokens, costUsd };
  });
  return { byPhase, byTask };
}
