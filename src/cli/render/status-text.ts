import type { ChalkInstance } from 'chalk';
import { formatProblem } from '../../errors.js';
import type { StatusReport } from '../status-report.js';
import { bar, thousands } from '../../numbers.js';

const PHASE_MARK: Record<string, string> = {
  completed: '✔',
  in_progress: '▶',
  pending: '·',
  failed: '✖',
  blocked: '⚠',
};

/** The human form of `ccasp status`; colour comes from the chalk instance chosen by the caller. */
export function renderStatus(r: StatusReport, c: ChalkInstance): string[] {
  const lines: string[] = [];
  const paint = (status: string, text: string): string =>
    status === 'completed' ? c.green(text) : status === 'failed' ? c.red(text) : status === 'blocked' ? c.yellow(text) : status === 'in_progress' ? c.cyan(text) : text;

  lines.push(`${c.bold(r.plan.name)} ${c.dim(`(${r.plan.file}, ${r.plan.shape})`)}`);
  lines.push(
    `Tasks  ${bar(r.completion.tasks.percent)} ${r.completion.tasks.percent}% (${r.completion.tasks.done}/${r.completion.tasks.total})`,
  );
  lines.push(
    `Phases ${bar(r.completion.phases.percent)} ${r.completion.phases.percent}% (${r.completion.phases.done}/${r.completion.phases.total})`,
  );
  lines.push('');
  const idWidth = Math.max(...r.phases.map((p) => p.id.length), 2);
  for (const p of r.phases) {
    const mark = paint(p.status, PHASE_MARK[p.status] ?? '·');
    const current = p.id === r.currentPhase ? c.cyan(' ← current') : '';
    lines.push(
      `${mark} ${p.id.padEnd(idWidth)} ${bar(p.percent, 10)} ${String(p.done).padStart(3)}/${p.total} ${paint(p.status, p.status)}  ${p.name}${current}`,
    );
  }
  lines.push('');
  lines.push(r.currentPhase === null ? c.green('All phases completed.') : `Current phase: ${r.currentPhase}`);
  if (r.ready.length > 0) {
    lines.push(`Ready (${r.ready.length}):`);
    for (const t of r.ready) lines.push(`  ${t.id}  ${t.title}`);
  }
  for (const [label, list, color] of [
    ['Blocked', r.blocked, c.yellow],
    ['Failed', r.failed, c.red],
  ] as const) {
    if (list.length === 0) continue;
    lines.push(color(`${label} (${list.length}):`));
    for (const t of list) lines.push(`  ${t.id}  ${t.title}${t.blocker ? ` — ${t.blocker}` : ''}`);
  }
  const o = r.orchestrator;
  if (o) {
    lines.push('');
    lines.push(`Orchestrator ${c.dim(`(${o.file})`)}: ${o.status}, last update ${o.lastUpdated}`);
    if (!o.forThisPlan) lines.push(c.yellow('  This state belongs to another plan.'));
    const limit = o.tokens.limit === null ? 'no limit' : `${thousands(o.tokens.limit)} limit`;
    const costLimit = o.costLimitUsd === null ? '' : ` of $${o.costLimitUsd.toFixed(2)}`;
    lines.push(`  Tokens ${thousands(o.tokens.used)} used, ${limit}; cost $${o.costUsd.toFixed(2)}${costLimit}`);
    if (o.lastCompaction) lines.push(`  Earlier work compacted into memory.md at ${o.lastCompaction}`);
    const spent = o.byPhase.filter((p) => p.tokens > 0 || p.costUsd > 0);
    if (spent.length > 0) {
      lines.push('  Spent per phase:');
      for (const p of spent) {
        const tasks = o.byTask.filter((t) => t.phaseId === p.id);
        lines.push(`    ${p.id}: ${thousands(p.tokens)} tokens, $${p.costUsd.toFixed(4)}`);
        for (const t of tasks) lines.push(c.dim(`      ${t.id}: ${thousands(t.tokens)} tokens, $${t.costUsd.toFixed(4)}, ${t.attempts} attempt${t.attempts === 1 ? '' : 's'}`));
      }
    }
    if (o.concurrency) {
      const lowered = o.concurrency.current < o.concurrency.max ? ` (of ${o.concurrency.max}, lowered after rate limits)` : '';
      lines.push(`  Agents at once: ${o.concurrency.current}${lowered}`);
    }
    lines.push(`  Active agents: ${o.activeAgents.length === 0 ? 'none' : ''}`);
    for (const a of o.activeAgents) lines.push(`    ${a.taskId} (attempt ${a.attempt}) ${a.specialist} ${a.model} since ${a.spawnedAt}${a.worker ? ` on worker ${a.worker}` : ''}`);
  }
  lines.push(...worktreeLines(r, c));
  for (const p of r.stateProblems) lines.push(c.yellow(`warning: orchestrator state unreadable: ${formatProblem(p)}`));
  return lines;
}

function worktreeLines(r: StatusReport, c: ChalkInstance): string[] {
  if (r.worktrees.length === 0) return [];
  const lines = ['', `Worktrees (${r.worktrees.length}), kept for inspection:`];
  for (const w of r.worktrees) {
    const facts = [
      w.taskStatus ?? 'not in the plan',
      w.condition === 'ready' ? undefined : w.condition,
      w.ahead !== null ? `${w.ahead} commit${w.ahead === 1 ? '' : 's'} not integrated` : undefined,
      w.uncommitted ? `${w.uncommitted} uncommitted` : undefined,
    ].filter((f) => f !== undefined);
    lines.push(`  ${w.taskId}  ${w.path ?? c.dim('(no folder)')}  ${c.dim(`${w.branch ?? 'no branch'}; ${facts.join(', ')}`)}`);
    for (const saved of w.saved) lines.push(c.dim(`    earlier work on ${saved}`));
  }
  lines.push(c.dim('  `ccasp clean` removes them (those of blocked and failed tasks only with --all).'));
  return lines;
}
