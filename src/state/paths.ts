import path from 'node:path';

/** Where ccasp keeps its own files inside a project. */
export function orchestratorDir(projectRoot: string): string {
  return path.join(projectRoot, '.claude', 'orchestrator');
}

export function statePath(projectRoot: string): string {
  return path.join(orchestratorDir(projectRoot), 'state.json');
}

export function lockPath(projectRoot: string): string {
  return path.join(orchestratorDir(projectRoot), 'lock');
}

export function logPath(projectRoot: string, taskId: string, attempt: number): string {
  return path.join(orchestratorDir(projectRoot), 'logs', `${taskId.replace(/[^\w.-]/g, '_')}.${attempt}.jsonl`);
}
