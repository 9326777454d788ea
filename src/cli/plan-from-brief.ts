import type { Command } from 'commander';
import { lstat, mkdir, stat } from 'node:fs/promises';
import path from 'node:path';
import { authoredPlanJsonSchema, checkAuthoredPlan } from '../agents/plan-schema.js';
import { authorPlan } from '../agents/plan-author.js';
import { askClaudeForPlan } from '../agents/plan-claude.js';
import { StoppedError, UsageError } from '../errors.js';
import { PLAN_FILE_NAME } from '../plan/read-file.js';
import { readRegularFile } from '../regular-file.js';
import { agentEnv } from '../secrets/agent-env.js';
import { createRedactor, secretsFromEnv } from '../secrets/redact.js';
import { writeAtomic, writeAtomicIf } from '../state/atomic-write.js';
import { acquireLock } from '../state/lock.js';
import { makeOrchestratorDir } from '../state/orchestrator-files.js';
import { lockPath } from '../state/paths.js';
import { loadConfig } from './config/load.js';
import type { RunSettings } from './config/settings.js';
import { globalColor } from './global-options.js';
import { chalkFor, writeLine, type Io } from './io.js';
import { displayPath } from './status-report.js';
import { onStopSignal, SIGNAL_EXIT, type StopSignal } from './stop-signals.js';

export interface PlanSwitches {
  readonly maxTurns?: number;
  readonly force?: boolean;
  readonly dryRun?: boolean;
}

const MAX_BRIEF_BYTES = 1024 * 1024;

/**
 * `ccasp plan`: claude drafts a plan from the brief, `authorPlan` has it corrected until it passes
 * `validate`, and it is written (atomically, never over a plan without `--force`) or printed.
 */
export async function planFromBrief(
  briefArg: string,
  dirArg: string | undefined,
  given: { readonly switches: PlanSwitches; readonly flags: Partial<RunSettings> },
  cmd: Command,
  io: Io,
): Promise<void> {
  const { switches } = given;
  const dir = path.resolve(io.cwd, dirArg ?? '.');
  if ((await stat(dir).catch(() => undefined))?.isDirectory() === false) throw new UsageError(`${dir} is not a directory`);
  const file = path.join(dir, PLAN_FILE_NAME);
  const shown = displayPath(file, io.cwd);
  // Before claude is paid for a plan that could not be written.
  if (!switches.dryRun && !switches.force && (await exists(file))) {
    throw new UsageError(`${shown} already exists; pass --force to replace it, or --dry-run to print the new plan instead`);
  }
  const brief = await readBrief(briefArg, io.cwd);
  const config = await loadConfig(dir, io.env, given.flags, { cwd: io.cwd });
  const settings = config.run;
  const err = chalkFor(globalColor(cmd), io, 'stderr');

  writeLine(io.stderr, err.dim(`claude (${settings.model}) is reading ${displayPath(config.projectRoot, io.cwd) || '.'} and drafting a plan…`));
  const stop = new AbortController();
  let stoppedBy: StopSignal | undefined;
  const stopListening = onStopSignal((signal) => {
    stoppedBy = signal;
    stop.abort();
  });
  const ask = askClaudeForPlan({
    bin: settings.claudeBin ?? 'claude',
    model: settings.model,
    cwd: config.projectRoot,
    env: agentEnv(io.env, [], settings.agentEnv ?? []),
    redact: createRedactor(secretsFromEnv(io.env)),
    schema: authoredPlanJsonSchema(),
    timeoutMs: settings.taskTimeout,
    stallTimeoutMs: settings.stallTimeout,
    ...(switches.maxTurns !== undefined ? { maxTurns: switches.maxTurns } : {}),
    signal: stop.signal,
  });
  const authored = await authorPlan(brief, config.projectRoot, {
    ask,
    check: (value) => checkAuthoredPlan(value, file),
    onProblems: (problems, nextTry) =>
      writeLine(io.stderr, err.yellow(`the draft has ${problems.length === 1 ? 'a problem' : `${problems.length} problems`}; claude is correcting it (try ${nextTry}):\n${problems.map((p) => `  ${p}`).join('\n')}`)),
  })
    .catch((error: unknown) => {
      // claude was ended by the stop, so its missing plan is the signal's doing, not claude's.
      if (stoppedBy) throw new StoppedError(`${stoppedBy}: claude was stopped and no plan was written`, SIGNAL_EXIT[stoppedBy]);
      throw error;
    })
    .finally(stopListening);

  if (switches.dryRun) {
    io.stdout.write(authored.text);
    return;
  }
  await mkdir(dir, { recursive: true });
  if (switches.force) {
    // Replacing a plan takes the project's lock: a run holding it would lose the plan it is keeping (exit 3).
    await makeOrchestratorDir(config.projectRoot);
    const lock = await acquireLock(lockPath(config.projectRoot), { command: 'ccasp plan --force' });
    try {
      await writeAtomic(file, authored.text);
    } finally {
      await lock.release();
    }
  } else if (!(await writeAtomicIf(file, authored.text, async () => !(await exists(file))))) {
    throw new UsageError(`${shown} appeared while claude was planning; it was left as it is. Pass --force to replace it, or --dry-run to print the new plan instead`);
  }
  const c = chalkFor(globalColor(cmd), io);
  writeLine(io.stdout, `${c.green('✔')} ${shown}: a valid plan, written from ${authored.tries === 1 ? 'claude\'s first draft' : `claude's draft ${authored.tries}`}`);
  writeLine(io.stdout, `  next: ccasp graph ${displayPath(dir, io.cwd) || '.'}   then: ccasp run ${displayPath(dir, io.cwd) || '.'}`);
}

async function exists(file: string): Promise<boolean> {
  return (await lstat(file).catch(() => undefined)) !== undefined;
}

/**
 * The argument names a file when one is there, else it is the description itself. A single word
 * that names no file is refused rather than sent to claude: it is far likelier a mistyped file name.
 */
async function readBrief(arg: string, cwd: string): Promise<string> {
  if (arg.trim() === '') throw new UsageError('the product description is empty');
  const file = path.resolve(cwd, arg);
  const read = await readRegularFile(file, 'a text file', { bytes: MAX_BRIEF_BYTES, what: 'product descriptions' });
  if (read.kind === 'ok') {
    const text = read.bytes.toString('utf8');
    if (text.trim() === '') throw new UsageError(`${file} is empty; it should hold the product description`);
    return text;
  }
  if (/\s/.test(arg.trim())) return arg;
  if (read.kind === 'absent') throw new UsageError(`${file} not found; give a file holding the product description, or the description itself in quotes`);
  throw new UsageError(`${file} ${read.message}`);
}
