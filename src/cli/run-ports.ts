import { randomUUID } from 'node:crypto';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { delegateToClaude, type ClaudeOptions } from '../agents/delegate.js';
import { routeTask } from '../agents/route.js';
import { sessionTranscriptExists } from '../agents/session-transcript.js';
import type { EventBus } from '../orchestrator/events.js';
import type { RunPorts } from '../orchestrator/ports.js';
import type { PlanDocument } from '../plan/document.js';
import { readRegularFile } from '../regular-file.js';
import { writeAtomic } from '../state/atomic-write.js';
import { logsDir, memoryPath, setupLogPath } from '../state/paths.js';
import type { RunFiles } from '../state/run-files.js';
import { checkWork } from '../verify/check-work.js';
import { runVerify, VERIFY_TIMEOUT_MS, type CheckOptions } from '../verify/run-verify.js';
import { treeFingerprint } from '../verify/tree-fingerprint.js';
import { worktreesDir } from '../worktree/names.js';
import { SETUP_TIMEOUT_MS, type SetupCommand } from '../worktree/ready.js';
import type { WorktreePorts } from '../worktree/run-ports.js';
import type { RunOptions } from './config/run-options.js';
import { displayPath } from './status-report.js';

/**
 * `--worktree-setup` on this machine: the command runs in the new worktree as a check does (the
 * agents' environment, a shell only if it needs one, its process group ended at the time limit),
 * and what it printed, redacted, is kept in the attempt's setup log.
 */
export function worktreeSetupCommand(command: string, root: string, check: Omit<CheckOptions, 'timeoutMs'>): SetupCommand {
  return async (cwd, { taskId, attempt }) => {
    const result = await runVerify(command, cwd, { ...check, timeoutMs: SETUP_TIMEOUT_MS });
    await writeSetupLog(root, { taskId, attempt }, command, result.detail);
    return result;
  };
}

/** The attempt's setup log: the command and what it printed (its end, redacted), whether it passed or not. */
export async function writeSetupLog(root: string, at: { readonly taskId: string; readonly attempt: number }, command: string, output: string): Promise<void> {
  await mkdir(logsDir(root), { recursive: true });
  await writeAtomic(setupLogPath(root, at.taskId, at.attempt), `$ ${command}\n${output}\n`);
}

export interface LocalRun {
  readonly root: string;
  readonly doc: PlanDocument;
  readonly options: RunOptions;
  readonly claude: ClaudeOptions;
  readonly files: RunFiles;
  readonly bus: EventBus;
  readonly worktrees?: WorktreePorts;
  readonly cwd: string;
}

/**
 * The run loop's ports on this machine: claude processes, checks in the project or a worktree, files.
 * Checks run with what agents get: the same environment, the same redactor.
 */
export function localRunPorts(local: LocalRun): RunPorts {
  const { root, doc, options, claude, files, bus, worktrees } = local;
  const memoryFile = memoryPath(root);
  const check: CheckOptions = { timeoutMs: VERIFY_TIMEOUT_MS, env: claude.env, redact: claude.redact };
  return {
    route: (task) => routeTask(task, { model: options.model, simpleModel: options.simpleModel }),
    delegate: (request, signal, onSpawn) => delegateToClaude(request, claude, signal, onSpawn),
    sessionExists: (sessionId, cwd = root) => sessionTranscriptExists(claude.env, cwd, sessionId),
    checkWork: (task, report, signal, cwd = root) => checkWork(cwd, [...report.artifacts, ...task.files], task.verify, check, signal),
    async runGate(_phase, signal) {
      return doc.plan.testCommand ? runVerify(doc.plan.testCommand, root, check, signal) : undefined;
    },
    // The plan file changes with every write ccasp makes; in a worktree it is the committed copy.
    fingerprint: (_task, cwd = root) => treeFingerprint(cwd, [path.join(cwd, path.relative(root, doc.file)), worktreesDir(cwd)]),
    // Checked to be a regular file when the run started; anything else now reads as no summary rather than hanging the run.
    readMemory: async () => {
      const read = await readRegularFile(memoryFile, 'a Markdown file');
      return read.kind === 'ok' ? read.bytes.toString('utf8') : undefined;
    },
    async writeMemory(text) {
      await writeAtomic(memoryFile, text);
      return displayPath(memoryFile, local.cwd);
    },
    save: () => files.save(),
    emit: (event) => bus.emit(event),
    newSessionId: randomUUID,
    now: () => new Date(),
    sleep: (ms, signal) => delay(ms, undefined, { signal }).catch(() => undefined),
    ...(worktrees ? { workspace: worktrees.workspace, integrate: worktrees.integrate } : {}),
  };
}
