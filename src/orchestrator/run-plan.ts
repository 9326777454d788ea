import type { Task } from '../plan/model.js';
import { BudgetWatch } from './budget-watch.js';
import { RunControl } from './control.js';
import type { Outcome } from './outcome.js';
import type { RunPorts, RunSettings } from './ports.js';
import type { RunOutcome } from './events.js';
import type { RunState } from './run-state.js';
import { runTask } from './run-task.js';
import { performSystemStep } from './system-step.js';

export interface RunResult {
  readonly outcome: RunOutcome;
  readonly reason: string;
}

/**
 * The run, as the phase orchestrator's protocol reads: load the state, take the current phase, pick
 * its ready tasks, delegate each to an agent, collect and record what it did, advance when the phase
 * is done. Up to `concurrency` tasks run at once, never two that declare the same file; a task that
 * fails fatally stops its phase, a budget or usage limit stops the run resumably, and `signal` stops
 * it and its agents (their tasks go back to pending). All I/O goes through `ports`.
 */
export async function runPlan(run: RunState, settings: RunSettings, ports: RunPorts, signal: AbortSignal): Promise<RunResult> {
  const { plan } = run;
  const started = ports.now();
  const control = new RunControl(signal);
  const budget = new BudgetWatch(run, settings.budget, ports, control);

  // Load: the state on disk agrees with the plan before anything runs.
  const { requeued, unblocked } = run.begin({ retryBlocked: settings.retryBlocked, policy: settings.budget, concurrency: settings.concurrency }, started.toISOString());
  await ports.save();
  ports.emit({
    type: 'run.started',
    planId: plan.id,
    planName: plan.name,
    phases: plan.phases.length,
    tasks: run.tally().total,
    concurrency: settings.concurrency,
    resumed: run.history().length > 0,
  });
  if (requeued.length > 0) ports.emit({ type: 'run.notice', level: 'warning', message: `Resuming: ${requeued.join(', ')} were running when the last run stopped; they start again.` });
  if (unblocked.length > 0) ports.emit({ type: 'run.notice', level: 'info', message: `Back to pending: ${unblocked.join(', ')}` });
  for (const n of settings.notices ?? []) ports.emit({ type: 'run.notice', ...n });
  await budget.start();

  /** Tasks holding a slot, each settling with its last attempt's outcome. */
  const running = new Map<string, Promise<{ task: Task; outcome: Outcome }>>();
  const context = { run, settings, ports, control, budget };
  // A task counts as in progress until it has reported its end, though its status may already say
  // completed: its dependants, and the next phase, start after its events, not between them.
  const statusOf = (id: string) => (running.has(id) ? 'in_progress' : run.statusOf(id));
  let announced = -1;

  const finish = async (outcome: RunOutcome, reason: string): Promise<RunResult> => {
    run.finished(outcome);
    await ports.save();
    const books = run.budget();
    const { done, total } = run.tally();
    ports.emit({
      type: 'run.finished',
      outcome,
      reason,
      completed: done,
      total,
      blocked: run.blockers().map((b) => ({ taskId: b.taskId, blocker: b.blocker, suggestedAction: b.suggestedAction ?? '' })),
      durationMs: ports.now().getTime() - started.getTime(),
      costUsd: books.costUsd,
      tokens: books.used,
      tokensSaved: run.tokensSaved(),
      agentsSpawned: run.agentsSpawned(),
      concurrency: run.concurrency().current,
    });
    return { outcome, reason };
  };

  try {
    for (;;) {
      // Take the current phase.
      const phaseIndex = run.schedule.currentPhase(statusOf);
      if (phaseIndex < 0 && running.size === 0) return await finish('completed', 'all phases completed');
      const phase = plan.phases[phaseIndex];

      if (phase && !control.stopping) {
        if (running.size === 0 && phase.tasks.some((t) => run.statusOf(t.id) === 'failed')) {
          return await finish('failed', `phase ${phase.id} failed earlier; fix the failed task and run \`ccasp unblock <task-id>\``);
        }
        if (announced !== phaseIndex) {
          announced = phaseIndex;
          ports.emit({ type: 'phase.started', phaseId: phase.id, name: phase.name });
        }
        for (const step of phase.tasks.filter((t) => t.systemStep && run.schedule.isReady(t, statusOf))) {
          await performSystemStep(step, phase, run, ports, budget, signal);
        }
        // Pick its ready tasks and delegate each.
        const holding = [...running.keys()].map((id) => run.schedule.graph.tasks.get(id)!);
        const starting = run.schedule.next(phaseIndex, statusOf, holding, run.concurrency().current - running.size).filter((t) => !t.systemStep);
        for (const [i, task] of starting.entries()) {
          // Each agent starts with its share of the cost limit reserved, or waits for running ones to settle.
          const reservation = run.reserveCost(task.id, starting.length - i);
          if (reservation === 'wait') {
            // With nothing running nothing is reserved: it waits only because nothing is left.
            if (running.size === 0) return await finish('budget', `cost budget reached: nothing is left of $${(settings.budget.maxCostUsd ?? 0).toFixed(2)} to start an agent with`);
            break;
          }
          const slot = runTask(task, phase, context, reservation).then((outcome) => ({ task, outcome }));
          // Raced below; a failure after another has ended the run must not go unhandled.
          slot.catch(() => undefined);
          running.set(task.id, slot);
        }
        // Advance: the phase was done by its system steps alone.
        if (run.schedule.currentPhase(statusOf) !== phaseIndex && running.size === 0) continue;
      }

      if (running.size === 0) {
        const ending = control.ending();
        if (ending) return await finish(ending.outcome, ending.reason);
        if (phase && run.schedule.next(phaseIndex, statusOf, [], 1).length > 0) continue;
        const stuck = phase ? run.schedule.stuck(phaseIndex, statusOf) : [];
        const blocked = stuck.filter((t) => run.statusOf(t.id) === 'blocked');
        const names = (blocked.length > 0 ? blocked : stuck).map((t) => t.id).join(', ');
        return await finish('blocked', `phase ${phase?.id ?? '?'} cannot go on: ${blocked.length} blocked task(s) need a person (${names})`);
      }

      // Collect: the first task to end frees its slot; what it came to may stop the run.
      const { task, outcome } = await Promise.race(running.values());
      running.delete(task.id);
      if (outcome.kind === 'fatal' && !control.stopping) {
        const failed = run.schedule.graph.phaseOf.get(task.id) ?? phaseIndex;
        const reason = `${task.id}: ${outcome.reason}`;
        control.stop('failed', reason);
        run.phaseFailed(failed, ports.now().toISOString());
        await ports.save();
        const p = plan.phases[failed]!;
        ports.emit({ type: 'phase.failed', phaseId: p.id, name: p.name, reason });
      } else if (outcome.kind === 'wait') {
        control.stop('rate-limited', `usage limit reached; it resets at ${new Date(outcome.resetsAt).toISOString()}. Run \`ccasp run\` again then (or without --no-wait)`);
      }
    }
  } catch (error) {
    // A write failed: stop the agents and let their tasks end before the error leaves the run.
    control.agents.abort();
    await Promise.allSettled(running.values());
    throw error;
  }
}
