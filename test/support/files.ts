import { readFileSync } from 'node:fs';
import path from 'node:path';
import { stateSchema, type OrchestratorState } from '../../src/state/schema.js';

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

/** state.json, checked against its schema on the way in. */
export function readStateJson(projectRoot: string): OrchestratorState {
  return stateSchema().parse(JSON.parse(readFileSync(path.join(projectRoot, '.claude', 'orchestrator', 'state.json'), 'utf8')));
}
