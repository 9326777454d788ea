import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readFile, rm } from 'node:fs/promises';
import path from 'node:path';
import type { AttemptResult } from '../agents/attempt.js';
import { delegateToClaude, type AgentProgress } from '../agents/delegate.js';
import { readReport } from '../agents/report.js';
import type { AgentRequest } from '../agents/request.js';
import { sessionTranscriptExists } from '../agents/session-transcript.js';
import { redactError, type Redactor } from '../secrets/redact.js';
import { checkWork, type WorkCheck } from '../verify/check-work.js';
import { runVerify, VERIFY_TIMEOUT_MS } from '../verify/run-verify.js';
import { gitOk, serial } from '../worktree/git.js';
import { commitTaskWork, mergeTipIntoTask } from '../worktree/integrate.js';
import { slug } from '../worktree/names.js';
import { SETUP_TIMEOUT_MS } from '../worktree/ready.js';
import { mergeInProgress } from '../worktree/repo.js';
import { stageResolvedConflicts } from '../worktree/resolve.js';
import type { MergedTip } from '../worktree/workspace.js';
import { QUEUE_PROTOCOL, SETUP_OUTPUT_MAX, type AttemptJob, type AttemptJobResult, type MergeTip } from './job.js';

/** What a worker brings to every job: its own folder, claude, environment and redactor. */
export interface WorkerMachine {
  /** Where the worker keeps its clones of the jobs' remotes and the attempts' worktrees. */
  readonly workDir: string;
  readonly claudeBin: string;
  /** The agents' environment (secrets/agent-env.ts): the worker's own credentials for the model, no GitHub token. */
  readonly env: NodeJS.ProcessEnv;
  readonly redact: Redactor;
  /** Host and pid, reported with each result. */
  readonly name: string;
}

/**
 * One attempt on a worker, as a local run in worktree mode does it: the task's branch checked out at
 * the job's base commit in a worktree of the worker's own clone, the agent run there, its claimed
 * work checked there, everything it left committed and the branch pushed back. Never throws for what
 * the agent or git does: a failure is an attempt that ended without a result, retried as a local one.
 */
export async function runAttemptJob(
  job: AttemptJob,
  machine: WorkerMachine,
  signal: AbortSignal,
  onProgress?: (progress: AgentProgress) => void,
): Promise<AttemptJobResult> {
  const clone = path.join(machine.workDir, 'repos', createHash('sha256').update(job.remote).digest('hex').slice(0, 16));
  // One path per task, kept from attempt to attempt: claude finds a session to resume only from the folder it ran in.
  const tree = path.join(machine.workDir, 'trees', `${slug(job.planId)}-${slug(job.request.task.id)}`);
  const startedAt = new Date();
  try {
    await serial(clone, () => checkOut(job, clone, tree));
    const setup = job.agent.worktreeSetup;
    let setupOutput: { setupOutput: string } | undefined;
    if (setup !== undefined) {
      // As a local worktree's: run with the agents' environment, its output redacted; a failure may pass (a registry down).
      const ran = await runVerify(setup, tree, { timeoutMs: SETUP_TIMEOUT_MS, env: machine.env, redact: machine.redact }, signal);
      setupOutput = { setupOutput: ran.detail.slice(-SETUP_OUTPUT_MAX) };
      if (!ran.ok) return { ...failed(machine, startedAt, job, `the worktree could not be set up: ${ran.detail}`), ...setupOutput };
    }
    // After a conflict, as a local worktree does before its retry: the new tip merged into the task's work.
    const conflict = job.mergeTip ? await mergeTip(tree, job.mergeTip) : undefined;
    const attempt = await delegateToClaude(
      { ...(await resumable(job.request, tree, machine.env)), cwd: tree, ...(conflict ? { conflict } : {}) },
      {
        bin: machine.claudeBin,
        projectRoot: tree,
        permissionMode: job.agent.permissionMode,
        permissions: job.agent.permissions,
        env: machine.env,
        timeoutMs: job.agent.timeoutMs,
        stallTimeoutMs: job.agent.stallTimeoutMs,
        ...(job.agent.maxTurns !== undefined ? { maxTurns: job.agent.maxTurns } : {}),
        reportFormat: job.agent.reportFormat,
        redact: machine.redact,
        ...(onProgress ? { onProgress } : {}),
      },
      signal,
    );
    const transcript = await readFile(attempt.logFile, 'utf8').catch(() => '');
    const report = completionReport(job, attempt);
    const check = report ? await checkClaimedWork(job, tree, report.artifacts, machine, signal) : undefined;
    const summary = report?.summary ?? `attempt ${job.request.attempt}, unfinished`;
    if (await mergeInProgress(tree)) await stageResolvedConflicts(tree);
    // The protected files are undone relative to what the task's work forks from: the tip, once merged.
    const forkPoint = job.mergeTip?.commit ?? job.base;
    const committed = await commitTaskWork(tree, { taskId: job.request.task.id, summary, protect: job.protect, integrationBranch: forkPoint });
    // Only over the base the job started from: a run of the same job that lost its lease and pushed
    // anyway makes this push fail (a retry, from that work), rather than one silently overwrite the other.
    if (committed.kind === 'committed') {
      await gitOk(tree, ['push', '--quiet', `--force-with-lease=refs/heads/${job.branch}:${job.base}`, job.remote, `HEAD:refs/heads/${job.branch}`]);
    }
    const fingerprint = committed.kind === 'committed' ? await gitOk(tree, ['rev-parse', 'HEAD^{tree}']) : undefined;
    const { logFile: _kept, ...rest } = attempt;
    return {
      protocol: QUEUE_PROTOCOL,
      worker: machine.name,
      attempt: rest,
      transcript,
      ...(check ? { check } : {}),
      ...(committed.kind === 'committed' ? { commit: committed.head } : { unresolved: committed.paths }),
      ...setupOutput,
      ...(fingerprint ? { fingerprint } : {}),
    };
  } catch (error) {
    return failed(machine, startedAt, job, redactError(error, machine.redact).message);
  } finally {
    await serial(clone, () => removeTree(clone, tree)).catch(() => undefined);
  }
}

/** The worker's clone of the remote (made on first use), fetched, and a worktree on the task's branch at the base. */
async function checkOut(job: AttemptJob, clone: string, tree: string): Promise<void> {
  if (!existsSync(path.join(clone, '.git'))) {
    await mkdir(clone, { recursive: true });
    await gitOk(clone, ['init', '--quiet']);
  }
  // The task's branch exists on the remote from the first attempt on: the coordinator puts it there.
  await gitOk(clone, ['fetch', '--quiet', '--no-tags', job.remote, `+refs/heads/${job.branch}:refs/ccasp-remote/${job.branch}`]);
  if (job.mergeTip) await gitOk(clone, ['fetch', '--quiet', '--no-tags', job.remote, `+refs/heads/${job.mergeTip.ref}:refs/ccasp-remote/${job.mergeTip.ref}`]);
  // What a killed worker left of an earlier attempt; `--force` below takes a path git still lists.
  if (existsSync(tree)) await removeTree(clone, tree);
  await mkdir(path.dirname(tree), { recursive: true });
  await gitOk(clone, ['worktree', 'add', '--quiet', '--force', '-B', job.branch, tree, job.base]);
}

/** Merges the fetched tip into the task's worktree; on conflict the merge stays open, markers in the files, for the agent. */
async function mergeTip(tree: string, tip: MergeTip): Promise<MergedTip> {
  const merged = await mergeTipIntoTask(tree, tip.branch, tip.commit);
  return { branch: tip.branch, paths: merged.kind === 'conflict' ? merged.paths : [] };
}

/**
 * The job's request, less its `resume` when this machine's claude has no transcript of that session
 * in `tree` (another worker ran the attempt, or it never got that far): the agent then starts afresh,
 * with the fresh prompt and the earlier attempts' reasons, and the result says it did not continue.
 */
async function resumable(request: AttemptJob['request'], tree: string, env: NodeJS.ProcessEnv): Promise<Omit<AgentRequest, 'cwd'>> {
  if (!request.resume || (await sessionTranscriptExists(env, tree, request.resume.sessionId))) return request;
  const { resume: _elsewhere, ...fresh } = request;
  return fresh;
}

/** A worktree and git's record of it. */
async function removeTree(clone: string, tree: string): Promise<void> {
  await rm(tree, { recursive: true, force: true });
  await gitOk(clone, ['worktree', 'prune']);
}

function completionReport(job: AttemptJob, attempt: AttemptResult): { artifacts: readonly string[]; summary: string } | undefined {
  if (!attempt.result || attempt.result.isError) return undefined;
  const reading = readReport(attempt.result, job.agent.reportFormat);
  return reading.ok && reading.report.kind === 'complete' && reading.report.taskId === job.request.task.id ? reading.report : undefined;
}

function checkClaimedWork(job: AttemptJob, tree: string, artifacts: readonly string[], machine: WorkerMachine, signal: AbortSignal): Promise<WorkCheck> {
  const task = job.request.task;
  return checkWork(tree, [...artifacts, ...task.files], task.verify, { timeoutMs: VERIFY_TIMEOUT_MS, env: machine.env, redact: machine.redact }, signal);
}

/** A worker-side failure (git, the push) as an agent end without a result: the coordinator retries it as a local run would. */
function failed(machine: WorkerMachine, startedAt: Date, job: AttemptJob, message: string): AttemptJobResult {
  return {
    protocol: QUEUE_PROTOCOL,
    worker: machine.name,
    attempt: {
      end: { kind: 'exited', code: 1 },
      apiRetries: [],
      sessionId: job.request.sessionId,
      stderrTail: `worker ${machine.name}: ${message}`,
      startedAt: startedAt.toISOString(),
      finishedAt: new Date().toISOString(),
      durationMs: Date.now() - startedAt.getTime(),
      reportFormat: job.agent.reportFormat,
    },
    transcript: '',
  };
}
