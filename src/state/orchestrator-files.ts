import type { Dirent } from 'node:fs';
import { mkdir, readdir, stat } from 'node:fs/promises';
import path from 'node:path';
import { InvalidStateError, type Problem } from '../errors.js';
import { notAFileMessage, readRegularFile, regularFileProblem } from '../regular-file.js';
import { eventsPath, logPath, logsDir, memoryPath, orchestratorDir, outboxPath, statePath } from './paths.js';

/** Creates `.claude/orchestrator/` where need be; InvalidStateError when a file stands in its place or above it. */
export async function makeOrchestratorDir(root: string): Promise<void> {
  const dir = orchestratorDir(root);
  try {
    await mkdir(dir, { recursive: true });
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'EEXIST') throw new InvalidStateError([{ file: dir, path: '', message: "is not a directory, expected the folder of ccasp's own files" }]);
    if (code === 'ENOTDIR') throw new InvalidStateError([{ file: dir, path: '', message: 'cannot be created (a parent path is not a directory)' }]);
    throw error;
  }
}

/**
 * Before a run starts: every file ccasp keeps under `.claude/orchestrator/` is a regular file or
 * absent, and `logs/` is a folder of them. A folder or a pipe in a file's place would hang the run
 * when it reads the file (memory.md is read only after a compaction, hours in) or fail it when it
 * replaces it, so the run stops first: InvalidStateError naming every such path (exit 2).
 */
export async function checkOrchestratorFiles(root: string): Promise<void> {
  const problems: Problem[] = [];
  const files = [
    [statePath(root), 'a JSON file'],
    [memoryPath(root), 'a Markdown file'],
    [outboxPath(root), 'a JSON Lines file'],
    [eventsPath(root), 'a JSON Lines file'],
  ] as const;
  for (const [file, expected] of files) {
    const message = await regularFileProblem(file, expected);
    if (message !== undefined) problems.push({ file, path: '', message });
  }
  const dir = logsDir(root);
  for (const entry of await logEntries(root)) {
    if (entry.name.endsWith('.jsonl') && !entry.isFile()) problems.push({ file: path.join(dir, entry.name), path: '', message: notAFileMessage(entry.isDirectory(), 'an agent log') });
  }
  if (problems.length > 0) throw new InvalidStateError(problems);
}

/** What `.claude/orchestrator/logs/` holds; nothing when it is absent, InvalidStateError when it is not a folder. */
export async function logEntries(root: string): Promise<Dirent[]> {
  const dir = logsDir(root);
  try {
    return await readdir(dir, { withFileTypes: true });
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return [];
    if (code !== 'ENOTDIR') throw new InvalidStateError([{ file: dir, path: '', message: `cannot be read (${code ?? String(error)})` }]);
    // logs/ itself, or the folder holding it.
    const orchestrator = orchestratorDir(root);
    const file = (await isDirectory(orchestrator)) ? dir : orchestrator;
    throw new InvalidStateError([{ file, path: '', message: 'is not a directory' }]);
  }
}

async function isDirectory(p: string): Promise<boolean> {
  try {
    return (await stat(p)).isDirectory();
  } catch {
    return false;
  }
}

/** An agent's log as text; InvalidStateError when it is not a regular file or cannot be read. */
export async function readLog(file: string): Promise<string> {
  const read = await readRegularFile(file, 'an agent log');
  if (read.kind === 'ok') return read.bytes.toString('utf8');
  throw new InvalidStateError([{ file, path: '', message: read.kind === 'absent' ? 'not found' : read.message }]);
}

export interface TaskLog {
  readonly attempt: number;
  readonly file: string;
}

/** A task's logs, `<task>.<attempt>.jsonl` under `.claude/orchestrator/logs/`, in attempt order. */
export async function taskLogs(projectRoot: string, taskId: string): Promise<TaskLog[]> {
  const first = logPath(projectRoot, taskId, 1);
  const dir = path.dirname(first);
  const prefix = path.basename(first).slice(0, -'1.jsonl'.length);
  const logs: TaskLog[] = [];
  for (const { name } of await logEntries(projectRoot)) {
    if (!name.startsWith(prefix)) continue;
    const m = /^(\d+)\.jsonl$/.exec(name.slice(prefix.length));
    if (m) logs.push({ attempt: Number(m[1]), file: path.join(dir, name) });
  }
  return logs.sort((a, b) => a.attempt - b.attempt);
}
