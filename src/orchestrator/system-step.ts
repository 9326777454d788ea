import { thousands } from '../numbers.js';
import type { Phase, Task } from '../plan/model.js';
import type { BudgetWatch } from './budget-watch.js';
import type { RunPorts } from './ports.js';
import type { RunState } from './run-state.js';

/**
 * A task a CCASP plan writes for an LLM orchestrator, performed by ccasp itself: a gate runs the
 * plan's test command (a failure blocks it), a batch plan is the schedule, and a context check or
 * compaction is the budget's own check.
 */
export async function performSystemStep(
  task: Task,
  phase: Phase,
  run: RunState,
  ports: Pick<RunPorts, 'runGate' | 'save' | 'emit' | 'now'>,
  budget: BudgetWatch,
  signal: AbortSignal,
): Promise<void> {
  let ok = true;
  let detail: string;
  if (task.systemStep === 'gate') {
    const gate = await ports.runGate(phase, signal);
    ok = gate?.ok ?? true;
    detail = gate ? (gate.ok ? 'phase checks passed' : gate.detail) : 'no test command configured; nothing to check';
  } else if (task.systemStep === 'batch-plan') {
    detail = 'scheduled by ccasp';
  } else {
    await budget.check();
    const b = run.budget();
    detail = `${thousands(b.used)} tokens used${b.limit ? ` of ${thousands(b.limit)}` : ''}${b.lastCompaction ? `; compacted at ${b.lastCompaction}` : ''}`;
  }
  const blocker = `phase validation failed: ${detail}`;
  const changed = run.systemStepEnded(task.id, ok ? { ok } : { ok, blocker }, ports.now().toISOString());
  await ports.save();
  ports.emit({ type: 'task.system', taskId: task.id, step: task.systemStep ?? 'system', detail: ok ? detail : `failed: ${detail}` });
  if (!ok) ports.emit({ type: 'task.blocked', taskId: task.id, title: task.title, blocker, suggestedAction: `fix the failing checks, then run \`ccasp unblock ${task.id}\`` });
  if (changed === 'completed') ports.emit({ type: 'phase.completed', phaseId: phase.id, name: phase.name, percent: run.percent() });
}
