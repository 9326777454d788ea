import { realpath } from 'node:fs/promises';
import path from 'node:path';
import type { Command } from 'commander';
import type { AgentProgress } from '../agents/delegate.js';
import { checkClaudeConfigBeforeRun, claudeConfigWarning } from '../agents/claude-config.js';
import type { BudgetPolicy } from '../orchestrator/budget.js';
import { loadRole } from '../agents/roles.js';
import { routeTask } from '../agents/route.js';
import { ExitCode, UsageError } from '../errors.js';
import { onStopSignal, SIGNAL_EXIT, type StopSignal } from './stop-signals.js';
import type { DashboardServer } from '../dashboard/server.js';
import { EventBus, type RunOutcome } from '../orchestrator/events.js';
import type { RunPorts } from '../orchestrator/ports.js';
import { runPlan } from '../orchestrator/run-plan.js';
import { RunState } from '../orchestrator/run-state.js';
import { resolvePlanArgument } from '../plan/discover.js';
import { loadPlan } from '../plan/load.js';
import type { Task } from '../plan/model.js';
import { agentEnv } from '../secrets/agent-env.js';
import { createRedactor, redactError, secretsFromEnv, type Redactor } from '../secrets/redact.js';
import { removeStaleTempFiles } from '../state/atomic-write.js';
import { acquireLock } from '../state/lock.js';
import { endOrphans } from '../state/orphans.js';
import { checkOrchestratorFiles, makeOrchestratorDir } from '../state/orchestrator-files.js';
import { eventsPath, lockPath, orchestratorDir, statePath } from '../state/paths.js';
import { findProjectRoot } from '../project-root.js';
import { RunFiles } from '../state/run-files.js';
import { openEventLog } from './event-log.js';
import { RunPlanFile } from './run-plan-file.js';
import { loadRunOptions, type RunInvocation, type RunOptions } from './config/run-options.js';
import { loadBooks } from './run-books.js';
import { localRunPorts, worktreeSetupCommand } from './run-ports.js';
import { renderDryRun } from './dry-run.js';
import { describeIsolation } from '../worktree/describe-isolation.js';
import { finishWorktreeRun } from '../worktree/finish-run.js';
import type { IsolationOptions, WorktreeIsolation } from '../worktree/isolation.js';
import { worktreePorts } from '../worktree/run-ports.js';
import { setUpIsolation } from '../worktree/set-up-isolation.js';
import { globalColor, planReadOptions } from './global-options.js';
import { chalkFor, writeLine, type Io } from './io.js';
import { createRunOutput } from './render/run-output.js';

/** `ccasp run`: everything from flags to exit code. Returns the exit code. */
export async function runSession(planDir: string, invocation: RunInvocation, cmd: Command, io: Io): Promise<number> {
  // Validated before anything is created, so bad input leaves no state, lock or folder behind.
  const first = await loadPlan(resolvePlanArgument(planDir, io.cwd), planReadOptions(cmd));
  // Settings come from this first read: a run never changes the plan's own (max_parallel_agents, token_limit).
  const options = await loadRunOptions(invocation, first, io);
  const root = findProjectRoot(path.dirname(first.file));
  const budget: BudgetPolicy = {
    tokenLimit: options.tokenLimit ?? null,
    maxCostUsd: options.maxCostUsd ?? null,
    compactionThreshold: 0.8,
    hardLimit: options.hardLimit ?? false,
  };
  const c = chalkFor(globalColor(cmd), io, options.json ? 'stderr' : 'stdout');
  // Only a queued run has a remote it merges for; elsewhere the flag would quietly do nothing.
  if (options.push && !options.queue) throw new UsageError('--push pushes the integration branch of a run with --queue; pass --queue <redis-url> too, or push by hand after the run');
  if (options.queue && options.isolation === 'none') throw new UsageError('--queue runs every task in its own worktree on a worker; it cannot be combined with --isolation none');
  // Workers' work comes back as branches, merged in order: worktree mode's integration.
  const isolationOptions: IsolationOptions = { isolation: options.queue ? 'worktree' : options.isolation, branch: options.branch, allowDirty: options.allowDirty };
  const route = (task: Task) => routeTask(task, { model: options.model, simpleModel: options.simpleModel });
  // The specialists' tool rules are checked as the plan is, before anything is created; each agent reads its own again.
  for (const specialist of new Set(first.plan.phases.flatMap((p) => p.tasks.filter((t) => !t.systemStep).map((t) => route(t).specialist)))) loadRole(root, specialist);

  if (options.dryRun) {
    // With --json, stdout carries only events; the human schedule goes to stderr.
    const isolation = await describeIsolation(root, options.concurrency, isolationOptions);
    for (const line of renderDryRun(first.plan, options.concurrency, route, root, budget, c, isolation, options.reportFormat)) writeLine(options.json ? io.stderr : io.stdout, line);
    return ExitCode.ok;
  }

  // Before anything is created: a broken file would fail every agent, and the first would replace it.
  const claudeConfig = await checkClaudeConfigBeforeRun(io.env);
  await makeOrchestratorDir(root);
  const lock = await acquireLock(lockPath(root), { command: 'ccasp run' });
  let dashboard: DashboardServer | undefined;
  try {
    // Read again under the lock: a run that held it until now may have moved the plan on.
    const doc = await loadPlan(first.file, first.readOptions);
    const plan = doc.plan;
    const stateFile = statePath(root);
    // A symlinked file is written beside its target, so a killed run's temp files are there too.
    const targets = await Promise.all([doc.file, stateFile].map((f) => realpath(f).then(path.dirname, () => path.dirname(f))));
    await removeStaleTempFiles([...new Set([path.dirname(doc.file), orchestratorDir(root), ...targets])]);
    if (lock.tookOverFrom) {
      writeLine(io.stderr, c.yellow(`warning: took over the lock of a ccasp run that is gone (pid ${lock.tookOverFrom.pid}, started ${lock.tookOverFrom.startedAt})`));
    }
    await checkOrchestratorFiles(root);
    const planPath = path.relative(root, doc.file) || doc.file;
    if (options.dashboard || options.dashboardPort !== undefined) {
      const { openDashboard } = await import('../dashboard/open.js');
      dashboard = await openDashboard(doc, root, planPath, { port: options.dashboardPort ?? 0, flag: '--dashboard-port' });
      writeLine(io.stderr, `Dashboard: ${dashboard.url}`);
    }
    const { books: state, resumed } = await loadBooks(stateFile, plan, planPath, { fresh: options.fresh ?? false, cwd: io.cwd, now: new Date().toISOString() });

    const claudeBin = options.claudeBin ?? 'claude';
    const orphans = await endOrphans(state.activeAgents, { command: claudeBin, searchPath: io.env.PATH });
    for (const o of orphans) {
      writeLine(io.stderr, c.yellow(`warning: ended agent pid ${o.pid} for ${o.taskId}, left running by a ccasp run that was killed`));
    }
    // The token is known from here on: the run's one redactor knows it, and agents do not get it.
    const { resolveGithubTarget, startGithubSync } = await import('../github/start.js');
    const target = await resolveGithubTarget({ plan, projectRoot: root, flags: options, env: io.env });
    const tokens = [options.githubToken, target.kind === 'on' ? target.token.token : undefined];
    const redact = createRedactor([...secretsFromEnv(io.env), ...tokens]);

    // Only now: an orphaned agent could still be writing in its worktree while git recovers it.
    const isolation = await setUpIsolation({
      root,
      planFile: doc.file,
      planId: plan.id,
      ...(resumed ? { recorded: { isolation: state.isolation, integrationBranch: state.integrationBranch } } : {}),
      completedTasks: plan.phases.flatMap((p) => p.tasks.filter((t) => t.status === 'completed').map((t) => t.id)),
      concurrency: options.concurrency,
      options: isolationOptions,
    }).catch((error: unknown) => {
      // Git's own words (a hook's, say) end up on stderr.
      throw redactError(error, redact);
    });
    // Agents, checks and the worktrees' setup command share one environment.
    const env = agentEnv(io.env, tokens, options.agentEnv ?? []);
    const setUp = options.worktreeSetup ? worktreeSetupCommand(options.worktreeSetup, root, { env, redact }) : undefined;
    const worktrees = isolation.mode === 'worktree' ? worktreePorts(isolation, plan.id, redact, setUp) : undefined;
    const run = new RunState(plan, state);
    run.isolated(isolation.mode, isolation.mode === 'worktree' ? isolation.branch : undefined);
    const bus = new EventBus();
    const planFile = new RunPlanFile(doc, run, (message) => bus.emit({ type: 'run.notice', level: 'info', message }));
    const files = new RunFiles(() => run.files(planFile.doc, stateFile, new Date().toISOString()), planFile);
    const output = await createRunOutput(io, { json: options.json ?? false, color: globalColor(cmd), config: options.output });
    output.attach(bus);
    const events = await openEventLog(eventsPath(root), (message) => writeLine(io.stderr, c.yellow(`warning: ${message}`)));
    bus.subscribe(events.listener);
    const github = await startGithubSync(target, {
      plan,
      projectRoot: root,
      flags: options,
      redact,
      notify: (n) => bus.emit({ type: 'run.notice', level: n.level, message: n.message }),
    });
    if (github) bus.subscribe(github.listener);

    const stop = new AbortController();
    let stoppedBy: StopSignal | undefined;
    const stopListening = onStopSignal((signal) => {
      stoppedBy = signal;
      writeLine(io.stderr, c.yellow(`\n${signal}: stopping agents and saving state…`));
      stop.abort();
    });

    const claude = {
      bin: claudeBin,
      projectRoot: root,
      permissionMode: options.permissionMode,
      permissions: { allow: options.allowedTools ?? [], deny: options.disallowedTools ?? [] },
      env,
      timeoutMs: options.taskTimeout,
      stallTimeoutMs: options.stallTimeout,
      ...(options.maxTurns !== undefined ? { maxTurns: options.maxTurns } : {}),
      reportFormat: options.reportFormat,
      onProgress: (p: AgentProgress) => bus.emit({ type: 'task.progress', ...p }),
      redact,
    };
    const local = localRunPorts({ root, doc, options, claude, files, bus, cwd: io.cwd, ...(worktrees ? { worktrees } : {}) });
    const queued = options.queue && isolation.mode === 'worktree' ? await openQueue(options, options.queue, isolation, plan.id, root, redact, local) : undefined;
    const ports = queued?.ports ?? local;

    try {
      const result = await runPlan(
        run,
        {
          concurrency: options.concurrency,
          maxRetries: options.maxRetries,
          retryBackoffMs: 1000,
          retryBlocked: options.retryBlocked ?? false,
          waitForRateLimit: options.wait,
          budget,
          notices: setUp && isolation.mode === 'none' ? [...isolation.notices, SETUP_UNUSED] : isolation.notices,
        },
        ports,
        stop.signal,
      );
      return outcomeExitCode(result.outcome, stoppedBy);
    } catch (error) {
      // A file could not be written, or a person's edit of the plan could not be taken: the agents
      // are ended, and whatever can still be written says the run is paused.
      run.finished('paused');
      await files.save().catch(() => undefined);
      throw error;
    } finally {
      // Not on a stop: a person stopping wants the run gone now, and a later run's end deletes them.
      if (queued && !stoppedBy) await queued.finish(plan.phases.flatMap((p) => p.tasks.map((t) => t.id).filter((id) => run.statusOf(id) === 'completed')));
      const damaged = await claudeConfigWarning(claudeConfig);
      if (damaged) bus.emit({ type: 'run.notice', level: 'warning', message: damaged });
      output.end();
      stopListening();
      await queued?.close();
      if (isolation.mode === 'worktree' && worktrees) {
        const integrated = (queued ?? worktrees).integrated();
        for (const w of await finishWorktreeRun(isolation, plan.name, integrated)) writeLine(io.stderr, c.yellow(`warning: ${redact(w)}`));
      }
      // Deliver what is queued; whatever GitHub does not take in time stays in the outbox.
      if (github) {
        const sync = stoppedBy ? await github.drain(STOPPED_DRAIN_MS) : await github.drain(FINAL_DRAIN.maxMs, FINAL_DRAIN.stallMs);
        run.githubSynced({
          owner: github.link.owner,
          repo: github.link.repo,
          issueNumber: github.link.issue,
          enabled: sync.disabled === undefined,
          ...(sync.lastSyncAt ? { lastSyncAt: sync.lastSyncAt } : {}),
          ...(sync.lastResult ? { lastResult: sync.lastResult } : {}),
          pending: sync.pending,
        });
        await files.save();
      }
      await events.close();
    }
  } finally {
    await dashboard?.close();
    await lock.release();
  }
}

/** `--queue`: the loop's ports send attempts to workers; BullMQ and ioredis load only here. */
async function openQueue(options: RunOptions, url: string, iso: WorktreeIsolation, planId: string, root: string, redact: Redactor, local: RunPorts) {
  const { AttemptQueue } = await import('../queue/attempt-queue.js');
  const { refuseUntrustedServer } = await import('../queue/connection.js');
  const { remoteUrl } = await import('../queue/task-branch.js');
  const { queueRunPorts } = await import('./queue-ports.js');
  const remote = await remoteUrl(iso.top, options.remote).catch((error: unknown) => {
    throw new UsageError(`--queue needs a git remote workers can fetch from and push to: ${redactError(error, redact).message}`);
  });
  await refuseUntrustedServer(url);
  const queue = new AttemptQueue(url);
  const agent = {
    permissionMode: options.permissionMode,
    permissions: { allow: options.allowedTools ?? [], deny: options.disallowedTools ?? [] },
    timeoutMs: options.taskTimeout,
    stallTimeoutMs: options.stallTimeout,
    ...(options.maxTurns !== undefined ? { maxTurns: options.maxTurns } : {}),
    reportFormat: options.reportFormat,
    ...(options.worktreeSetup ? { worktreeSetup: options.worktreeSetup } : {}),
  };
  const made = queueRunPorts(local, { queue, iso, planId, root, remote: options.remote, remoteUrl: remote, push: options.push, agent, redact });
  return { ...made, close: () => queue.close() };
}

const SETUP_UNUSED = { level: 'info', message: 'the worktree setup command is not run: agents share the working tree, which is set up already' } as const;

/** A stopped run is left quickly; a finished one waits for GitHub while it delivers (docs/github.md). */
const STOPPED_DRAIN_MS = 3_000;
const FINAL_DRAIN = { maxMs: 120_000, stallMs: 15_000 };


function outcomeExitCode(outcome: RunOutcome, stoppedBy: StopSignal | undefined): number {
  switch (outcome) {
    case 'completed':
      return ExitCode.ok;
    case 'blocked':
      return ExitCode.blocked;
    case 'failed':
      return ExitCode.phaseFailed;
    case 'paused':
      // Only a stop signal pauses a run.
      return SIGNAL_EXIT[stoppedBy ?? 'SIGINT'];
    case 'rate-limited':
      return ExitCode.rateLimited;
    case 'budget':
      return ExitCode.budget;
  }
}
