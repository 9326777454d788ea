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

/** The compaction summary given to agents once the budget's threshold is passed. */
export function memoryPath(projectRoot: string): string {
  return path.join(orchestratorDir(projectRoot), 'memory.md');
}

/** GitHub updates not yet delivered. */
export function outboxPath(projectRoot: string): string {
  return path.join(orchestratorDir(projectRoot), 'outbox.jsonl');
}

/** The run's events as `--json` prints them, one per line, as they happen (the last run's only). */
export function eventsPath(projectRoot: string): string {
  return path.join(orchestratorDir(projectRoot), 'events.jsonl');
}

export function logsDir(projectRoot: string): string {
  return path.join(orchestratorDir(projectRoot), 'logs');
}

export function logPath(projectRoot: string, taskId: string, attempt: number): string {
  return path.join(logsDir(projectRoot), `${logName(taskId)}.${attempt}.jsonl`);
}

/** What the worktree's setup command printed before the attempt's agent (its end, redacted). */
export function setupLogPath(projectRoot: string, taskId: string, attempt: number): string {
  return path.join(logsDir(projectRoot), `${logName(taskId)}.${attempt}.setup.log`);
}

function logName(taskId: string): string {
  return taskId.replace(/[^\w.-]/g, '_');
}
