import type { ChalkInstance } from 'chalk';
import { renderTaskPrompt } from '../agents/prompt.js';
import type { ReportFormat } from '../agents/report.js';
import type { Route } from '../agents/route.js';
import { perTaskCapUsd, type BudgetPolicy } from '../orchestrator/budget.js';
import type { Plan, Task, TaskStatus } from '../plan/model.js';
import { Schedule } from '../orchestrator/schedule.js';
import { thousands } from '../numbers.js';

/** Waves of tasks that would start together, phase by phase, if every agent succeeded. */
export function plannedWaves(plan: Plan, concurrency: number): { phaseId: string; waves: Task[][] }[] {
  const schedule = new Schedule(plan);
  const statuses = new Map<string, TaskStatus>(plan.phases.flatMap((p) => p.tasks.map((t) => [t.id, t.status] as const)));
  const statusOf = (id: string): TaskStatus => statuses.get(id) ?? 'pending';
  return plan.phases.map((phase, index) => {
    const waves: Task[][] = [];
    for (;;) {
      const wave = schedule.next(index, statusOf, [], concurrency);
      if (wave.length === 0) break;
      for (const t of wave) statuses.set(t.id, 'completed');
      waves.push(wave);
    }
    return { phaseId: phase.id, waves };
  });
}

export function renderDryRun(
  plan: Plan,
  concurrency: number,
  route: (t: Task) => Route,
  projectRoot: string,
  budget: BudgetPolicy,
  c: ChalkInstance,
  /** How agents would be isolated (worktree mode and branch), as one line. */
  isolation?: string,
  reportFormat: ReportFormat = 'text',
): string[] {
  const lines = [`${c.bold(plan.name)} — dry run, concurrency ${concurrency}; nothing is spawned.`];
  if (isolation) lines.push(isolation);
  lines.push(
    reportFormat === 'json-schema'
      ? 'Report format: json-schema (claude --json-schema; the agent calls the StructuredOutput tool).'
      : 'Report format: text (a TASK_COMPLETE / TASK_BLOCKED / TASK_FAILED block).',
  );
  const agentTasks = plan.phases.flatMap((p) => p.tasks).filter((t) => !t.systemStep && t.status !== 'completed' && t.status !== 'skipped').length;
  const limits = [
    budget.tokenLimit !== null ? `token limit ${thousands(budget.tokenLimit)} (compaction at ${Math.round(budget.compactionThreshold * 100)}%)` : 'no token limit',
    budget.maxCostUsd !== null ? `cost limit $${budget.maxCostUsd.toFixed(2)}` : 'no cost limit',
  ];
  const cap = perTaskCapUsd(budget, 0, agentTasks);
  lines.push(`Budget: ${limits.join(', ')}${cap !== undefined ? `; each of ${agentTasks} agent tasks may spend up to $${cap.toFixed(2)} (claude --max-budget-usd)` : ''}.`, '');
  let first: { task: Task; phaseIndex: number } | undefined;
  plannedWaves(plan, concurrency).forEach(({ phaseId, waves }, phaseIndex) => {
    const phase = plan.phases[phaseIndex]!;
    lines.push(c.cyan(`Phase ${phaseId}: ${phase.name}`));
    if (waves.length === 0) lines.push(c.dim('  nothing to run'));
    waves.forEach((wave, w) => {
      lines.push(`  wave ${w + 1}:`);
      for (const task of wave) {
        if (task.systemStep) {
          lines.push(`    ${task.id}  ${task.title} ${c.dim(`[performed by ccasp: ${task.systemStep}]`)}`);
          continue;
        }
        const r = route(task);
        first ??= { task, phaseIndex };
        lines.push(`    ${task.id}  ${task.title} ${c.dim(`[${r.specialist}${r.inferred ? ' (inferred)' : ''}, ${r.model}]`)}`);
      }
    });
    const stuck = phase.tasks.filter((t) => t.status === 'blocked' || t.status === 'failed');
    for (const t of stuck) lines.push(c.yellow(`  ${t.id} is ${t.status}${t.blocker ? `: ${t.blocker}` : ''}`));
  });
  if (first) {
    const phase = plan.phases[first.phaseIndex]!;
    lines.push('', c.bold(`Prompt for ${first.task.id}:`), '');
    lines.push(renderTaskPrompt({ plan, phase, task: first.task, route: route(first.task), projectRoot, previous: [], reportFormat }));
  }
  return lines;
}
