import { mkdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { stateSchema, type OrchestratorState } from '../../src/state/schema.js';
import { tempDir, writeFile } from './tmp.js';

/** A project's ccasp files: where they are, a project to run, and reading them back. */

export const planFile = (project: string): string => path.join(project, 'plan', 'PROGRESS.json');
export const orchestratorDir = (project: string): string => path.join(project, '.claude', 'orchestrator');
export const stateFile = (project: string): string => path.join(orchestratorDir(project), 'state.json');
export const lockFile = (project: string): string => path.join(orchestratorDir(project), 'lock');

/**
 * A project folder with `plan` (JSON-encoded unless already text or bytes) at `plan/PROGRESS.json`,
 * and a `.git` folder so that its root is this folder whatever the cwd. Made as `project` inside
 * `parent` (default: a fresh folder removed when the test ends). Returns the project's path.
 */
export function makeProject(plan: unknown, parent: string = tempDir('ccasp-project-')): string {
  const dir = path.join(parent, 'project');
  mkdirSync(path.join(dir, '.git'), { recursive: true });
  writeFile(dir, 'plan/PROGRESS.json', plan);
  return dir;
}

/** The canonical PROGRESS.json fields tests look at. */
export interface PlanJson {
  plan_id?: string;
  status?: string;
  completion_percentage?: number;
  phases: {
    id: string;
    status?: string;
    completedAt?: string;
    tasks: { id: string; status: string; attempts?: number; blocker?: string; completedBy?: string; completedAt?: string }[];
  }[];
}

export function readPlanJson(file: string): PlanJson {
  return JSON.parse(readFileSync(file, 'utf8')) as PlanJson;
}

/** plan/PROGRESS.json of a project made by `makeProject`. */
export function readPlan(project: string): PlanJson {
  return readPlanJson(planFile(project));
}

/** Task statuses in a project's plan/PROGRESS.json, by id. */
export function taskStatuses(project: string): Record<string, string> {
  return Object.fromEntries(readPlan(project).phases.flatMap((p) => p.tasks.map((t) => [t.id, t.status])));
}

/** state.json, checked against its schema on the way in. */
export function readStateJson(projectRoot: string): OrchestratorState {
  return stateSchema().parse(JSON.parse(readFileSync(stateFile(projectRoot), 'utf8')));
}
