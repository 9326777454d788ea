import type { AttemptResult } from '../agents/attempt.js';
import type { PermissionDenial } from '../agents/permissions.js';
import type { PreviousAttempt } from '../agents/prompt.js';
import { agentPhase, agentPlan } from '../agents/request.js';
import type { Route } from '../agents/route.js';
import type { Phase, PhaseStatus, Task } from '../plan/model.js';
import { WorktreeSetupError } from '../worktree/ready.js';
import type { Workspace } from '../worktree/workspace.js';
import type { BudgetWatch } from './budget-watch.js';
import type { RunControl } from './control.js';
import { decide, followsConflict, mergeFailed, nextStep, setupFailed, workspaceFailed, type AttemptContext, type AttemptFacts } from './decide.js';
import { RAISE_AFTER } from './concurrency.js';
import type { Outcome } from './outcome.js';
import type { RunPorts, RunSettings } from './ports.js';
import type { RunState } from './run-state.js';
import { sessionToContinue, type ResumeCandidate } from './resume.js';

export interface TaskRunContext {
  readonly run: RunState;
  readonly settings: RunSettings;
  readonly ports: RunPorts;
  readonly control: RunControl;
  readonly budget: BudgetWatch;
}

/**
 * One task's attempts, in its slot: each attempt is started (on disk before the agent runs),
 * delegated, decided, recorded and reported; a retry goes again with what went wrong, a usage limit
 * waits for its reset without spending a retry. `reservation` is what the first attempt reserved of
 * a cost limit (undefined without one); each later one reserves anew. Returns the last attempt's outcome.
 */
export async function runTask(task: Task, phase: Phase, ctx: TaskRunContext, reservation: number | undefined): Promise<Outcome> {
  const { run, settings, ports, control } = ctx;
  const route = ports.route(task);
  const earlier = run.attemptsOf(task.id);
  const previous: PreviousAttempt[] = earlier.flatMap((a) => (a.outcome === 'retry' && a.reason ? [previousOf(a.attempt, a.reason, a.summary, a.conflictPaths, a.denials)] : []));
  let attempt = earlier.length;
  let triesLeft = settings.maxRetries + 1;
  let lastFailure: AttemptContext['lastFailure'];
  let afterConflict = followsConflict(earlier);
  for (;;) {
    attempt++;
    triesLeft--;
    const startedAt = ports.now().toISOString();
    const sessionId = ports.newSessionId();
    run.taskStarted({ agentId: sessionId, taskId: task.id, spawnedAt: startedAt, status: 'running', attempt, specialist: route.specialist, model: route.model, sessionId });
    await ports.save();
    ports.emit({ type: 'task.started', taskId: task.id, title: task.title, attempt, specialist: route.specialist, model: route.model, sessionId });

    let ws: Workspace | undefined;
    let setupFailure: string | undefined;
    try {
      ws = ports.workspace ? await ports.workspace(task, attempt, { afterConflict }) : undefined;
    } catch (error) {
      if (!(error instanceof WorktreeSetupError)) return record(ctx, task, route, { attempt, startedAt, outcome: workspaceFailed(task.id, errorText(error)) });
      setupFailure = error.message;
    }
    let outcome: Outcome;
    let denials: readonly PermissionDenial[] | undefined;
    if (setupFailure !== undefined) {
      // No agent ran: the worktree could not be readied, which may pass (a registry down, say).
      outcome = await record(ctx, task, route, { attempt, startedAt, outcome: setupFailed(task.id, attempt, triesLeft <= 0, setupFailure) });
    } else {
      const context = { taskId: task.id, attempt, lastTry: triesLeft <= 0, ...(lastFailure ? { lastFailure } : {}) };
      const done = await agentAttempt(ctx, { task, phase, route, startedAt, sessionId, previous, reservation, ws, context });
      ({ outcome, denials } = done);
      if (outcome.kind === 'retry') lastFailure = { reason: outcome.reason, fingerprint: done.fingerprint };
    }
    const step = nextStep(outcome, { stopping: control.stopping, waitForRateLimit: settings.waitForRateLimit });
    if (step === 'done' || step === 'stop') return outcome;
    if (outcome.kind === 'retry') {
      previous.push(previousOf(attempt, outcome.reason, outcome.summary, outcome.conflictPaths, denials));
      afterConflict = outcome.conflictPaths !== undefined;
      await ports.sleep(settings.retryBackoffMs * 2 ** (attempt - 1), control.agents.signal);
    } else if (outcome.kind === 'wait') {
      await waitUntil(ctx, task.id, outcome.resetsAt);
      // The limit, not the task, failed: this attempt does not count against the retries.
      triesLeft++;
    } else if (step === 'rerun') {
      // The worker, not the task, failed: the next attempt collects the job another worker runs again.
      triesLeft++;
    }
    // A person may skip the task in PROGRESS.json while it waits for its next attempt.
    if (control.stopping || run.statusOf(task.id) === 'skipped') return outcome;
    const next = await ctx.budget.reserve(task.id);
    if (next === 'stop') return outcome;
    reservation = next;
  }
}

interface AgentAttempt {
  readonly task: Task;
  readonly phase: Phase;
  readonly route: Route;
  readonly startedAt: string;
  readonly sessionId: string;
  readonly previous: readonly PreviousAttempt[];
  /** What the attempt reserved of a cost limit: the agent's `--max-budget-usd`. */
  readonly reservation: number | undefined;
  readonly ws: Workspace | undefined;
  /** What decide is told of the attempt; whether the run was stopping is read once the agent ends. */
  readonly context: Omit<AttemptContext, 'workspace' | 'stopped'>;
}

/** One agent's attempt: delegated (continuing a cut-off session when it can), decided and recorded. */
async function agentAttempt(
  ctx: TaskRunContext,
  a: AgentAttempt,
): Promise<{ outcome: Outcome; fingerprint?: string | undefined; denials?: readonly PermissionDenial[] | undefined }> {
  const { run, ports, control } = ctx;
  const { task, ws, context: { attempt } } = a;
  const resume = await continuable(ctx, task, ws?.cwd);
  const earlierWork = ctx.budget.earlierWork();
  let pidSaved: Promise<void> | undefined;
  const result = await ports.delegate(
    {
      plan: agentPlan(run.plan),
      phase: agentPhase(a.phase),
      task,
      route: a.route,
      attempt,
      sessionId: a.sessionId,
      previous: a.previous,
      ...(earlierWork ? { earlierWork } : {}),
      ...(a.reservation !== undefined ? { maxBudgetUsd: a.reservation } : {}),
      ...(ws ? { cwd: ws.cwd, ...(ws.conflict ? { conflict: ws.conflict } : {}) } : {}),
      ...(resume ? { resume } : {}),
    },
    control.agents.signal,
    (agent) => {
      run.agentSpawned(task.id, agent);
      pidSaved = ports.save();
      // Awaited below, once the attempt is recorded; its failure must not go unhandled meanwhile.
      pidSaved.catch(() => undefined);
    },
  );

  // Only the delegate knows whether the session was continued: a worker starts afresh without the transcript.
  const resumed = resume && result.resumed === resume.sessionId ? resume : undefined;
  if (resumed) {
    ports.emit({ type: 'task.resumed', taskId: task.id, attempt, fromAttempt: resumed.fromAttempt, sessionId: resumed.sessionId, cutOff: resumed.cutOff, tokensSaved: resumed.tokensSaved });
  }
  const { outcome, facts } = await collect(ctx, task, result, ws, { ...a.context, stopped: control.agents.signal.aborted });
  // A failed write of the pid stops the run, but the attempt is recorded first: state.json may still be writable.
  await record(ctx, task, a.route, { attempt, startedAt: a.startedAt, outcome, result, ...(resumed ? { resumed } : {}) }, ws);
  await pidSaved;
  return { outcome, fingerprint: facts.fingerprint?.value, denials: result.result?.denials };
}

/**
 * The session this attempt asks to continue: the last attempt's, when it was cut off and claude still
 * has its transcript in `cwd` (the same folder: a task's worktree keeps its path from attempt to attempt).
 */
async function continuable(ctx: TaskRunContext, task: Task, cwd: string | undefined): Promise<ResumeCandidate | undefined> {
  const candidate = sessionToContinue(ctx.run.attemptsOf(task.id).at(-1));
  return candidate && (await ctx.ports.sessionExists(candidate.sessionId, cwd)) ? candidate : undefined;
}

/** Asks `decide` until it has an outcome, fetching each fact it asks for. */
async function collect(
  ctx: TaskRunContext,
  task: Task,
  result: AttemptResult,
  ws: Workspace | undefined,
  attemptContext: Omit<AttemptContext, 'workspace'>,
): Promise<{ outcome: Outcome; facts: AttemptFacts }> {
  const { ports, control } = ctx;
  const context: AttemptContext = { ...attemptContext, ...(ws ? { workspace: { cwd: ws.cwd, branch: ws.branch } } : {}) };
  let facts: AttemptFacts = { result };
  for (;;) {
    const decision = decide(facts, context);
    switch (decision.kind) {
      case 'outcome':
        return { outcome: decision.outcome, facts };
      case 'check':
        facts = { ...facts, check: await ports.checkWork(task, decision.report, control.agents.signal, ws?.cwd) };
        break;
      case 'integrate': {
        // decide asks to merge only work done in a worktree, which the integrate port comes with.
        if (!ws || !ports.integrate) throw new Error(`${task.id}: asked to merge work that has no worktree`);
        const integration = await ports.integrate(task, decision.summary, ws).catch((error: unknown) => mergeFailed(task.id, errorText(error)));
        if (integration.kind === 'integrated') ports.emit({ type: 'task.integrated', taskId: task.id, commit: integration.commit, how: integration.how });
        facts = { ...facts, integration };
        break;
      }
      case 'fingerprint':
        facts = { ...facts, fingerprint: { value: await ports.fingerprint(task, ws?.cwd) } };
        break;
    }
  }
}

/** Records the attempt, writes it, lets the worktree go or keeps it, and tells the subscribers. */
async function record(
  ctx: TaskRunContext,
  task: Task,
  route: Route,
  ended: { attempt: number; startedAt: string; outcome: Outcome; result?: AttemptResult; resumed?: ResumeCandidate },
  ws?: Workspace,
): Promise<Outcome> {
  const { run, ports, control } = ctx;
  const { outcome, attempt } = ended;
  const before = run.concurrency().current;
  const phase = run.attemptEnded(task, { ...ended, at: ports.now().toISOString(), completedBy: route.specialist });
  await ports.save();
  const pace = run.concurrency();
  if (pace.current !== before) {
    const reason = pace.current < before ? `${task.id} was rate limited by the API` : `no rate limit in the last ${RAISE_AFTER} attempts`;
    ports.emit({ type: 'run.concurrency', concurrency: pace.current, max: pace.max, reason });
  }
  // Only once the record says completed: a kill before this leaves a worktree that recovery removes.
  if (ws) await release(ctx, task, ws, outcome.kind === 'completed' ? 'integrated' : 'keep');
  await ctx.budget.check();
  const willRetry = outcome.kind === 'retry' && !control.stopping;
  const conflictPaths = outcome.kind === 'retry' || outcome.kind === 'blocked' ? outcome.conflictPaths : undefined;
  if (conflictPaths) ports.emit({ type: 'task.conflict', taskId: task.id, paths: conflictPaths, willRetry });
  const denials = ended.result?.result?.denials ?? [];
  if (denials.length > 0) ports.emit({ type: 'task.denied', taskId: task.id, attempt, denials });
  reportEnd(ctx, task, attempt, outcome, ended.result, phase, willRetry);
  return outcome;
}

function reportEnd(ctx: TaskRunContext, task: Task, attempt: number, outcome: Outcome, result: AttemptResult | undefined, phase: PhaseStatus | undefined, willRetry: boolean): void {
  const { ports, run } = ctx;
  const durationMs = result?.durationMs ?? 0;
  switch (outcome.kind) {
    case 'completed': {
      const usage = result?.result?.usage;
      ports.emit({
        type: 'task.completed',
        taskId: task.id,
        title: task.title,
        attempt,
        summary: outcome.summary,
        artifacts: outcome.artifacts,
        durationMs,
        costUsd: result?.result?.costUsd ?? 0,
        usage: usage ?? { inputTokens: 0, outputTokens: 0, cacheCreationTokens: 0, cacheReadTokens: 0 },
      });
      if (phase === 'completed') {
        const p = run.plan.phases[run.schedule.graph.phaseOf.get(task.id) ?? -1]!;
        ports.emit({ type: 'phase.completed', phaseId: p.id, name: p.name, percent: run.percent() });
      }
      return;
    }
    case 'retry':
      ports.emit({ type: 'task.attempt.failed', taskId: task.id, attempt, reason: outcome.reason, willRetry, durationMs });
      return;
    case 'blocked':
      ports.emit({ type: 'task.blocked', taskId: task.id, title: task.title, blocker: outcome.blocker, suggestedAction: outcome.suggestedAction });
      return;
    case 'fatal':
      if (outcome.taskFailed) ports.emit({ type: 'task.failed', taskId: task.id, title: task.title, error: outcome.reason });
      else ports.emit({ type: 'task.attempt.failed', taskId: task.id, attempt, reason: outcome.reason, willRetry: false, durationMs });
      return;
    case 'interrupted':
    case 'wait':
      return;
  }
}

async function release(ctx: TaskRunContext, task: Task, ws: Workspace, outcome: 'integrated' | 'keep'): Promise<void> {
  try {
    await ws.release(outcome);
  } catch (error) {
    ctx.ports.emit({ type: 'run.notice', level: 'warning', message: `${task.id}: its worktree could not be removed (${errorText(error)}); \`ccasp clean\` removes it` });
  }
}

/** A usage limit: a countdown until its reset, unless the run stops meanwhile. */
async function waitUntil(ctx: TaskRunContext, taskId: string, resetsAt: number): Promise<void> {
  const { ports, control } = ctx;
  const until = new Date(resetsAt).toISOString();
  for (let remaining = resetsAt - ports.now().getTime(); remaining > 0 && !control.stopping; remaining = resetsAt - ports.now().getTime()) {
    ports.emit({ type: 'run.waiting', taskId, until, remainingMs: remaining });
    await ports.sleep(Math.min(remaining, 30_000), control.agents.signal);
  }
}

function previousOf(attempt: number, reason: string, summary?: string, conflictPaths?: readonly string[], denials?: readonly PermissionDenial[]): PreviousAttempt {
  return { attempt, reason, ...(summary ? { summary } : {}), ...(conflictPaths ? { conflictPaths } : {}), ...(denials?.length ? { denials } : {}) };
}

function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
