import { randomUUID } from 'node:crypto';
import { mkdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import type { Command } from 'commander';
import { delegateToClaude, type AgentProgress } from '../agents/delegate.js';
import type { BudgetPolicy } from '../orchestrator/budget.js';
import { writeAtomic } from '../state/atomic-write.js';
import { routeTask } from '../agents/route.js';
import { ExitCode, InvalidPlanError, StateConflictError } from '../errors.js';
import { EventBus, type RunOutcome } from '../orchestrator/events.js';
import type { RunPorts } from '../orchestrator/ports.js';
import { runPlan } from '../orchestrator/run-plan.js';
import { newBooks, RunState } from '../orchestrator/run-state.js';
import { resolvePlanArgument } from '../plan/discover.js';
import { loadPlan } from '../plan/load.js';
import { createRedactor, secretsFromEnv } from '../secrets/redact.js';
import { removeStaleTempFiles } from '../state/atomic-write.js';
import { acquireLock } from '../state/lock.js';
import { endOrphans } from '../state/orphans.js';
import { lockPath, orchestratorDir, statePath } from '../state/paths.js';
import { findProjectRoot } from '../state/project-root.js';
import { readState } from '../state/read-state.js';
import { RunFiles } from '../state/run-files.js';
import { checkProjectPaths } from '../verify/paths.js';
import { runVerify } from '../verify/run-verify.js';
import { treeFingerprint } from '../verify/tree-fingerprint.js';
import { loadRunOptions, type RunInvocation } from './config/run-options.js';
import { renderDryRun } from './dry-run.js';
import { describeIsolation } from '../worktree/describe-isolation.js';
import { finishWorktreeRun } from '../worktree/finish-run.js';
import type { IsolationOptions } from '../worktree/isolation.js';
import { worktreesDir } from '../worktree/names.js';
import { worktreePorts } from '../worktree/run-ports.js';
import { setUpIsolation } from '../worktree/set-up-isolation.js';
import { globalColor } from './global-options.js';
import { chalkFor, writeLine, type Io } from './io.js';
import { createRunOutput } from './render/run-output.js';
import { displayPath } from './status-report.js';

const VERIFY_TIMEOUT_MS = 10 * 60_000;

/** `ccasp run`: everything from flags to exit code. Returns the exit code. */
export async function runSession(planDir: string, invocation: RunInvocation, cmd: Command, io: Io): Promise<number> {
  // Validated before anything is created, so bad input leaves no state, lock or folder behind.
  const first = await loadPlan(resolvePlanArgument(planDir, io.cwd));
  // Settings come from this first read: a run never changes the plan's own (max_parallel_agents, token_limit).
  const options = await loadRunOptions(invocation, first, io);
  const root = findProjectRoot(path.dirname(first.file), io.cwd);
  const route = (task: Parameters<typeof routeTask>[0]) => routeTask(task, { model: options.model, simpleModel: options.simpleModel });
  const budget: BudgetPolicy = {
    tokenLimit: options.tokenLimit ?? null,
    maxCostUsd: options.maxCostUsd ?? null,
    compactionThreshold: 0.8,
    hardLimit: options.hardLimit ?? false,
  };
  const c = chalkFor(globalColor(cmd), io, options.json ? 'stderr' : 'stdout');
  const isolationOptions: IsolationOptions = { isolation: options.isolation, branch: options.branch, allowDirty: options.allowDirty };

  if (options.dryRun) {
    // With --json, stdout carries only events; the human schedule goes to stderr.
    const isolation = await describeIsolation(root, options.concurrency, isolationOptions);
    for (const line of renderDryRun(first.plan, options.concurrency, route, root, budget, c, isolation, options.reportFormat)) writeLine(options.json ? io.stderr : io.stdout, line);
    return ExitCode.ok;
  }

  await mkdir(orchestratorDir(root), { recursive: true });
  const lock = await acquireLock(lockPath(root), { command: 'ccasp run' });
  try {
    // Read again under the lock: a run that held it until now may have moved the plan on.
    const doc = await loadPlan(first.file);
    const plan = doc.plan;
    await removeStaleTempFiles([path.dirname(doc.file), orchestratorDir(root)]);
    if (lock.tookOverFrom) {
      writeLine(io.stderr, c.yellow(`warning: took over the lock of a ccasp run that is gone (pid ${lock.tookOverFrom.pid}, started ${lock.tookOverFrom.startedAt})`));
    }
    const stateFile = statePath(root);
    const planPath = path.relative(root, doc.file) || doc.file;
    const now = () => new Date();
    const existing = await readState(stateFile);
    let state;
    if (existing.kind === 'ok' && !options.fresh) {
      if (existing.state.planId !== plan.id || existing.state.planPath !== planPath) {
        throw new StateConflictError(
          `${displayPath(stateFile, io.cwd)} belongs to plan "${existing.state.planId}" (${existing.state.planPath}), not "${plan.id}" (${planPath}). ` +
            'Finish that plan, or start over with --fresh (its run history is replaced).',
        );
      }
      state = existing.state;
    } else if (existing.kind === 'invalid' && !options.fresh) {
      throw new InvalidPlanError([...existing.problems]);
    } else {
      state = newBooks(plan, planPath, now().toISOString());
    }

    const orphans = await endOrphans(state.activeAgents);
    for (const o of orphans) {
      writeLine(io.stderr, c.yellow(`warning: ended agent pid ${o.pid} for ${o.taskId}, left running by a ccasp run that was killed`));
    }
    // Only now: an orphaned agent could still be writing in its worktree while git recovers it.
    const isolation = await setUpIsolation({
      root,
      planFile: doc.file,
      planId: plan.id,
      ...(existing.kind === 'ok' && !options.fresh ? { recorded: { isolation: state.isolation, integrationBranch: state.integrationBranch } } : {}),
      completedTasks: plan.phases.flatMap((p) => p.tasks.filter((t) => t.status === 'completed').map((t) => t.id)),
      concurrency: options.concurrency,
      options: isolationOptions,
    });
    state.isolation = isolation.mode;
    if (isolation.mode === 'worktree') state.integrationBranch = isolation.branch;
    else delete state.integrationBranch;
    const worktrees = isolation.mode === 'worktree' ? worktreePorts(isolation, plan.id) : undefined;
    const run = new RunState(plan, state);
    const files = new RunFiles(() => run.files(doc, stateFile, now().toISOString()));
    const memoryFile = path.join(orchestratorDir(root), 'memory.md');
    const bus = new EventBus();
    const output = await createRunOutput(io, { json: options.json ?? false, color: globalColor(cmd), config: options.output });
    output.attach(bus);
    const { startGithubSync } = await import('../github/start.js');
    const github = await startGithubSync({
      plan,
      projectRoot: root,
      flags: options,
      env: io.env,
      notify: (n) => bus.emit({ type: 'run.notice', level: n.level, message: n.message }),
    });
    if (github) bus.subscribe(github.listener);

    const stop = new AbortController();
    let stoppedBy: NodeJS.Signals | undefined;
    const onSignal = (signal: NodeJS.Signals) => {
      if (stoppedBy) return;
      stoppedBy = signal;
      writeLine(io.stderr, c.yellow(`\n${signal}: stopping agents and saving state…`));
      stop.abort();
    };
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);

    const claude = {
      bin: options.claudeBin ?? 'claude',
      projectRoot: root,
      permissionMode: options.permissionMode,
      env: io.env,
      timeoutMs: options.taskTimeout,
      stallTimeoutMs: options.stallTimeout,
      ...(options.maxTurns !== undefined ? { maxTurns: options.maxTurns } : {}),
      reportFormat: options.reportFormat,
      onProgress: (p: AgentProgress) => bus.emit({ type: 'task.progress', ...p }),
      redact: createRedactor([...secretsFromEnv(io.env), options.githubToken]),
    };
    const ports: RunPorts = {
      route,
      delegate: (request, signal, onSpawn) => delegateToClaude(request, claude, signal, onSpawn),
      async checkWork(task, report, signal, cwd = root) {
        const paths = await checkProjectPaths(cwd, [...report.artifacts, ...task.files]);
        if (paths.missing.length > 0 || paths.outside.length > 0 || !task.verify) return paths;
        return { ...paths, verify: await runVerify(task.verify, cwd, VERIFY_TIMEOUT_MS, signal) };
      },
      async runGate(_phase, signal) {
        return plan.testCommand ? runVerify(plan.testCommand, root, VERIFY_TIMEOUT_MS, signal) : undefined;
      },
      // The plan file changes with every write ccasp makes; in a worktree it is the committed copy.
      fingerprint: (cwd = root) => treeFingerprint(cwd, [path.join(cwd, path.relative(root, doc.file)), worktreesDir(cwd)]),
      readMemory: () => readFile(memoryFile, 'utf8').catch(() => undefined),
      async writeMemory(text) {
        await writeAtomic(memoryFile, text);
        return displayPath(memoryFile, io.cwd);
      },
      save: () => files.save(),
      emit: (event) => bus.emit(event),
      newSessionId: randomUUID,
      now,
      sleep: (ms, signal) => delay(ms, undefined, { signal }).catch(() => undefined),
      ...(worktrees ? { workspace: worktrees.workspace, integrate: worktrees.integrate } : {}),
    };

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
          notices: isolation.notices,
        },
        ports,
        stop.signal,
      );
      return outcomeExitCode(result.outcome, stoppedBy);
    } finally {
      output.end();
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
      if (isolation.mode === 'worktree' && worktrees) {
        for (const w of await finishWorktreeRun(isolation, plan.name, worktrees.integrated())) writeLine(io.stderr, c.yellow(`warning: ${w}`));
      }
      // Deliver what is queued; whatever GitHub does not take in time stays in the outbox.
      if (github) {
        const sync = await github.drain(stoppedBy ? 3_000 : 15_000);
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
    }
  } finally {
    await lock.release();
  }
}

function outcomeExitCode(outcome: RunOutcome, stoppedBy: NodeJS.Signals | undefined): number {
  switch (outcome) {
    case 'completed':
      return ExitCode.ok;
    case 'blocked':
      return ExitCode.blocked;
    case 'failed':
      return ExitCode.phaseFailed;
    case 'paused':
      return stoppedBy === 'SIGTERM' ? ExitCode.terminated : ExitCode.interrupted;
    case 'rate-limited':
      return ExitCode.rateLimited;
    case 'budget':
      return ExitCode.budget;
  }
}
