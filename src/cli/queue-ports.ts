import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { AttemptResult } from '../agents/attempt.js';
import type { RunPorts } from '../orchestrator/ports.js';
import type { AttemptQueue, QueuedAttempt } from '../queue/attempt-queue.js';
import { QUEUE_PROTOCOL, type AgentSettings, type AttemptJob, type AttemptJobResult, type MergeTip } from '../queue/job.js';
import { attemptBase, dropRemoteBranches, dropTaskBranch, fetchTaskBranch, pushIntegration, pushTip, tipBranch } from '../queue/task-branch.js';
import { redactError, type Redactor } from '../secrets/redact.js';
import { logPath } from '../state/paths.js';
import type { WorktreeIsolation } from '../worktree/isolation.js';
import { slug, taskBranch } from '../worktree/names.js';
import { mergeTaskBranch } from '../worktree/run-ports.js';
import { writeSetupLog } from './run-ports.js';

export interface QueueRun {
  readonly queue: AttemptQueue;
  readonly iso: WorktreeIsolation;
  readonly planId: string;
  /** The project root: the attempts' transcripts are kept in its logs folder, as for a local run. */
  readonly root: string;
  /** The git remote's name (`--remote`) and its URL as jobs carry it. */
  readonly remote: string;
  readonly remoteUrl: string;
  /** `--push`: the integration branch goes to the remote after each merge. */
  readonly push: boolean;
  readonly agent: AgentSettings;
  readonly redact: Redactor;
}

/**
 * `run --queue`: the loop's ports with each attempt sent to a worker instead of run here. The worker
 * runs the agent, checks the work and pushes the task's branch; the coordinator keeps the transcript,
 * answers the loop's check with the worker's, and merges the fetched branch into the integration
 * branch in order, as worktree mode does. Everything else (state, events, gates, memory) stays local.
 */
export function queueRunPorts(local: RunPorts, q: QueueRun): { ports: RunPorts; integrated(): number; finish(completed: readonly string[]): Promise<void> } {
  const { iso } = q;
  let integrated = 0;
  /**
   * What each task's latest attempt came back with (its check, what it left unresolved, its files'
   * fingerprint), read by the ports decide asks next; one attempt per task runs at a time.
   */
  const results = new Map<string, AttemptJobResult>();
  /**
   * Tasks whose branch is to have the integration branch's tip merged in (after a conflict), until a
   * worker pushes that merge: as a local worktree keeps an unfinished merge for the next attempt.
   */
  const toMerge = new Set<string>();
  const scrubbed = <A extends unknown[], R>(fn: (...args: A) => Promise<R>) => (...args: A): Promise<R> =>
    fn(...args).catch((error: unknown) => {
      throw redactError(error, q.redact);
    });

  const ports: RunPorts = {
    ...local,
    // The session is on the machine of the worker that ran it: the worker taking the retry looks for
    // it there and starts afresh without it, and its result says which it did.
    sessionExists: async () => true,
    // The files are on a worker: it sends their git tree id, the same on any machine.
    fingerprint: async (task) => results.get(task.id)?.fingerprint,
    workspace: scrubbed(async (task, _attempt, options) => {
      if (options.afterConflict) toMerge.add(task.id);
      const branch = taskBranch(q.planId, task.id);
      return {
        cwd: q.root,
        branch,
        release: scrubbed(async (outcome) => {
          if (outcome === 'integrated') await dropTaskBranch(iso.top, branch);
        }),
      };
    }),
    async delegate(request, signal, onSpawn) {
      const { task, attempt } = request;
      results.delete(task.id);
      const branch = taskBranch(q.planId, task.id);
      const startedAt = new Date();
      const { cwd: _here, ...sent } = request;
      // Asked only when no earlier attempt's job is left to adopt: that one keeps its own base.
      const makeJob = async () => {
        let base: string;
        let mergeTip: MergeTip | undefined;
        try {
          base = await attemptBase(iso.top, { remote: q.remote, branch, integrationBranch: iso.branch, continues: attempt > 1 });
          if (toMerge.has(task.id)) {
            const ref = tipBranch(q.planId, task.id);
            mergeTip = { commit: await pushTip(iso.top, { remote: q.remote, ref, integrationBranch: iso.branch }), ref, branch: iso.branch };
          }
        } catch (error) {
          return `cannot put ${branch} on ${q.remote}: ${redactError(error, q.redact).message}`;
        }
        const job: AttemptJob = { protocol: QUEUE_PROTOCOL, planId: q.planId, remote: q.remoteUrl, branch, base, protect: iso.planFiles, request: sent, agent: q.agent };
        return mergeTip ? { ...job, mergeTip } : job;
      };
      const queued = await q.queue.run(
        { planId: q.planId, taskId: task.id, attempt },
        makeJob,
        signal,
        (progress) => local.emit({ type: 'task.progress', taskId: task.id, attempt, ...progress }),
        (worker) => onSpawn({ worker }),
      );
      if (queued.kind === 'lost') {
        const who = queued.worker ? `the worker ${queued.worker}` : 'the worker';
        local.emit({
          type: 'run.notice',
          level: 'warning',
          message: `${task.id}: ${who} running attempt ${attempt} went silent past its lease; the attempt is recorded as interrupted, and the next collects the job another worker runs again`,
        });
      }
      if (queued.kind === 'done') {
        results.set(task.id, queued.result);
        // Pushed: the merge of the tip, if one was asked for, is on the task's branch.
        if (queued.result.commit !== undefined) toMerge.delete(task.id);
        // Kept where a local run keeps its own; scrubbed on the worker, and here of the coordinator's own secrets.
        const output = queued.result.setupOutput;
        if (output !== undefined) await writeSetupLog(q.root, { taskId: task.id, attempt }, q.agent.worktreeSetup ?? '', q.redact(output));
      }
      return collect(queued, q.root, request.sessionId, startedAt, task.id, attempt);
    },
    async checkWork(task) {
      // decide asks only after a claimed completion, which the worker checked where the work is.
      return results.get(task.id)?.check ?? { missing: [], outside: [], verify: { ok: false, detail: 'the worker sent no check of this work' } };
    },
    integrate: scrubbed(async (task, _summary, ws) => {
      // The worker pushed nothing: its merge of the tip still has markers, as commitTaskWork reports locally.
      const left = results.get(task.id)?.unresolved;
      if (left) return { kind: 'unresolved', branch: iso.branch, paths: left };
      await fetchTaskBranch(iso.top, q.remote, ws.branch);
      const integration = await mergeTaskBranch(iso, task, ws.branch);
      if (integration.kind === 'integrated') {
        integrated++;
        if (q.push) await pushMerged(task.id);
      }
      return integration;
    }),
  };
  /**
   * After each merge rather than at the end: people watching from another machine see the run's
   * progress, and a run that is killed has pushed what it merged. The merge stands whatever the push
   * does; a failed one is a warning, and the next merge's push carries it along.
   */
  async function pushMerged(taskId: string): Promise<void> {
    try {
      await pushIntegration(iso.top, q.remote, iso.branch);
    } catch (error) {
      const why = redactError(error, q.redact).message;
      local.emit({ type: 'run.notice', level: 'warning', message: `${taskId} is merged, but ${iso.branch} was not pushed to ${q.remote} (${why}); push it by hand: git push ${q.remote} ${iso.branch}` });
    }
  }
  /**
   * The run's end: the branches of the plan's completed tasks (theirs, and the tips pushed for them
   * after a conflict) leave the remote, all in one push, including those a killed or stopped run left.
   */
  async function finish(completed: readonly string[]): Promise<void> {
    try {
      await dropRemoteBranches(iso.top, q.remote, completed.flatMap((id) => [taskBranch(q.planId, id), tipBranch(q.planId, id)]));
    } catch (error) {
      const why = redactError(error, q.redact).message;
      local.emit({ type: 'run.notice', level: 'warning', message: `the completed tasks' branches could not be deleted on ${q.remote} (${why}); they are its ccasp/${slug(q.planId)}/ and ccasp-tip/${slug(q.planId)}/ branches` });
    }
  }
  return { ports, integrated: () => integrated, finish };
}

/** The worker's result as the loop's attempt, its transcript kept where `ccasp logs` and the dashboard read it. */
async function collect(
  queued: QueuedAttempt,
  root: string,
  sessionId: string,
  startedAt: Date,
  taskId: string,
  attempt: number,
): Promise<AttemptResult> {
  const logFile = logPath(root, taskId, attempt);
  if (queued.kind === 'cancelled') return { ...notRun(sessionId, startedAt, logFile, ''), end: { kind: 'cancelled' } };
  if (queued.kind === 'failed') return notRun(sessionId, startedAt, logFile, queued.reason);
  if (queued.kind === 'lost') return { ...notRun(sessionId, startedAt, logFile, ''), end: { kind: 'worker-lost', worker: queued.worker } };
  const { result } = queued;
  await mkdir(path.dirname(logFile), { recursive: true });
  await writeFile(logFile, result.transcript);
  return { ...result.attempt, logFile };
}

/** An attempt that never produced an agent result on a worker: retried as an agent that ended without one. */
function notRun(sessionId: string, startedAt: Date, logFile: string, reason: string): AttemptResult {
  return {
    end: { kind: 'exited', code: 1 },
    apiRetries: [],
    sessionId,
    logFile,
    stderrTail: reason,
    startedAt: startedAt.toISOString(),
    finishedAt: new Date().toISOString(),
    durationMs: Date.now() - startedAt.getTime(),
  };
}
