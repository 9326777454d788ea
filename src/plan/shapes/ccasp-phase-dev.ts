import { DOMAINS, type Domain, type Task } from '../model.js';
import {
  closePhases,
  completedPhasesPercent,
  declaredFiles,
  firstText,
  githubLink,
  isSystemTaskId,
  phasesOf,
  readPhase,
  readPlanStatus,
  readTaskProgress,
  runSettings,
  statusShapeWriters,
  systemStepOf,
  tasksOf,
} from './ccasp-common.js';
import { slugify } from './fields.js';
import { isObject, readWith, type PlanShapeReader, type PlanWriter } from './shape.js';
import type { RawTask } from './schemas/ccasp-phase-dev.js';

/** Shape A: `ccasp create-phase-dev` (metadata.version "3.0"), `.claude/phase-dev/<slug>/PROGRESS.json`. */

// CCASP's agent registry has finer domains than ccasp's.
const DOMAIN_ALIASES: Readonly<Record<string, Domain>> = { state: 'frontend', database: 'backend' };

function asDomain(name: string): Domain | undefined {
  return DOMAIN_ALIASES[name] ?? DOMAINS.find((d) => d === name);
}

/**
 * The task's domain from its assigned agent. Left unset when the agent says nothing (e.g. the L2
 * path's `general-implementation-agent`), so ccasp infers one from the task's text instead.
 */
function domainOf(agent: string | null | undefined, byDomain: Readonly<Record<string, unknown>>): Domain | undefined {
  if (!agent) return undefined;
  const registered = Object.entries(byDomain).find(([, name]) => name === agent)?.[0];
  if (registered !== undefined) return asDomain(registered);
  const specialist = /^(\w+)-specialist$/.exec(agent)?.[1];
  return specialist === undefined ? undefined : asDomain(specialist);
}

function detailsOf(t: RawTask, title: string): string | undefined {
  const description = t.description && t.description !== title ? t.description : undefined;
  const criteria = (t.acceptance_criteria ?? []).filter((c) => c.trim() !== '');
  const parts = [description, criteria.length > 0 ? `Acceptance criteria:\n${criteria.map((c) => `- ${c}`).join('\n')}` : undefined];
  const text = parts.filter((p) => p !== undefined).join('\n\n');
  return text === '' ? undefined : text;
}

function toTask(t: RawTask, at: string, byDomain: Readonly<Record<string, unknown>>): Task {
  // The refinement guarantees one of these.
  const title = firstText(t.title, t.subject, t.description) ?? t.id;
  const progress = readTaskProgress(t, t.completedAt);
  return {
    id: t.id,
    title,
    details: detailsOf(t, title),
    ...declaredFiles(t.files),
    domain: domainOf(t.assignedAgent, byDomain),
    simple: false,
    dependencies: t.blockedBy ?? [],
    ...progress,
    // The progress-tracker hook records a failure's reason as `error`.
    blocker: t.blocker ?? (progress.status === 'failed' ? (t.error ?? undefined) : undefined),
    systemStep: systemStepOf(t.id, t.task_type),
    at,
    dependencyField: 'blockedBy',
  };
}

export const ccaspPhaseDevShape: PlanShapeReader & PlanWriter = {
  shape: 'ccasp-phase-dev',
  matches(raw) {
    if (!isObject(raw)) return false;
    const meta = raw.metadata;
    if (isObject(meta) && (meta.version === '3.0' || meta.generator === 'gtask create-phase-dev')) return true;
    // Backup for a file whose metadata was edited away.
    return (
      phasesOf(raw).some((p) => typeof p.phase_id === 'string') &&
      tasksOf(raw).some((t) => 'task_type' in t || isSystemTaskId(t.id))
    );
  },
  read: async (raw, file) =>
    readWith((await import('./schemas/ccasp-phase-dev.js')).plan, raw, file, (p) => {
      const byDomain = p.agent_assignments?.byDomain ?? {};
      const phases = closePhases(
        p.phases.map((ph, i) =>
          readPhase(ph, i, { id: ph.phase_id ?? String(ph.id), completedAt: ph.completedAt }, (t, at) => toTask(t, at, byDomain)),
        ),
      );
      const issue = p.workflow?.github_issue;
      const link = githubLink(issue?.issue_number, issue?.issue_url) ?? githubLink(p.github_issue, p.github_issue_url ?? issue?.issue_url);
      return {
        id: p.plan_id ?? p.project.slug ?? slugify(p.project.name),
        name: p.project.name,
        shape: 'ccasp-phase-dev',
        status: readPlanStatus(p.status),
        completionPercentage: p.completion_percentage ?? completedPhasesPercent(phases),
        github: link && issue?.auto_close === false ? { ...link, autoClose: false } : link,
        ...runSettings(p),
        phases,
      };
    }, ccaspPhaseDevShape),
  ...statusShapeWriters,
};
