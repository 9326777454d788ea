import { readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { UsageError } from '../errors.js';
import { findProjectRoot } from '../project-root.js';
import { PLAN_FILE_NAME } from './read-file.js';

const SKIP = new Set(['node_modules', '.git', 'orchestrator']);
/** `.claude/worktrees/` holds whole checkouts of the project (ccasp's task worktrees, Claude Code's own), plan files included. */
const SKIP_AT_TOP = new Set(['worktrees']);
const MAX_DEPTH = 6;
/** CCASP roadmaps keep one plan per phase, named after the phase, beside ROADMAP.json. */
const ROADMAP_PHASE_FILE = /^phase-\d+\.json$/;
const ROADMAP_DIRS = new Set(['roadmaps', 'phase-plans']);
/** Where Task Master keeps its tasks, from the project's root. */
const TASKMASTER_FILE = ['.taskmaster', 'tasks', 'tasks.json'] as const;

/**
 * With no plan argument: a PROGRESS.json in the current directory, else the only plan under the
 * project's `.claude/` folder (any PROGRESS.json: CCASP uses `phase-dev/`, `docs/` and `phase-plans/`;
 * or a roadmap's `phase-N.json`) or Task Master's `.taskmaster/tasks/tasks.json`. Several candidates
 * are listed rather than guessed between.
 */
export function discoverPlan(cwd: string): string {
  const here = planFileIn(cwd);
  if (here !== undefined) return here;
  const root = findProjectRoot(cwd);
  const found: string[] = [];
  collect(path.join(root, '.claude'), [], found);
  found.sort();
  const taskMaster = path.join(root, ...TASKMASTER_FILE);
  if (isFile(taskMaster)) found.push(taskMaster);
  if (found.length === 1) return found[0]!;
  if (found.length === 0) {
    throw new UsageError(
      `No ${PLAN_FILE_NAME} found in ${cwd} or under ${path.join(root, '.claude')} (nor a roadmap's phase-N.json, nor Task Master's ${path.join(...TASKMASTER_FILE)}); pass the plan directory or file.`,
    );
  }
  throw new UsageError(`Several plans found; pass one of them (its directory, or the phase-N.json file):\n${list(found, cwd)}`);
}

/**
 * A plan argument as a file to load: a directory holding roadmap phase files but no PROGRESS.json is
 * answered with those files, since each one is a plan of its own; a project with Task Master's tasks
 * (or its `.taskmaster` folder) with its tasks.json; anything else is left for the loader.
 */
export function resolvePlanArgument(input: string | undefined, cwd: string): string {
  if (input === undefined) return discoverPlan(cwd);
  const dir = path.resolve(cwd, input);
  if (!isDirectory(dir)) return input;
  return planFileIn(dir) ?? taskMasterFileIn(dir) ?? input;
}

function taskMasterFileIn(dir: string): string | undefined {
  const candidates = [path.join(dir, ...TASKMASTER_FILE)];
  if (path.basename(dir) === TASKMASTER_FILE[0]) candidates.push(path.join(dir, ...TASKMASTER_FILE.slice(1)));
  if (path.basename(dir) === TASKMASTER_FILE[1] && path.basename(path.dirname(dir)) === TASKMASTER_FILE[0]) candidates.push(path.join(dir, TASKMASTER_FILE[2]));
  return candidates.find(isFile);
}

/** The directory's PROGRESS.json, its only roadmap phase file, or undefined when it has neither. */
function planFileIn(dir: string): string | undefined {
  const progress = path.join(dir, PLAN_FILE_NAME);
  if (isFile(progress)) return progress;
  const phases = roadmapPhaseFiles(dir);
  if (phases.length === 1) return phases[0];
  if (phases.length > 1) {
    throw new UsageError(
      `${dir} has no ${PLAN_FILE_NAME}; it holds a roadmap's phase plans, one per file. Pass one of them:\n${list(phases, dir)}`,
    );
  }
  return undefined;
}

export function roadmapPhaseFiles(dir: string): string[] {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return [];
  }
  return names
    .filter((n) => ROADMAP_PHASE_FILE.test(n) && isFile(path.join(dir, n)))
    .sort((a, b) => phaseNumber(a) - phaseNumber(b))
    .map((n) => path.join(dir, n));
}

function phaseNumber(name: string): number {
  return Number(/\d+/.exec(name)?.[0] ?? 0);
}

/** `rel` is the path below `.claude/`, which says whether phase-N.json files here are roadmap plans. */
function collect(dir: string, rel: readonly string[], found: string[]): void {
  if (rel.length > MAX_DEPTH) return;
  let entries;
  try {
    entries = readdirSync(dir, { withFileTypes: true });
  } catch {
    return;
  }
  const roadmapDir = rel.length === 2 && ROADMAP_DIRS.has(rel[0]!);
  for (const entry of entries) {
    if (entry.isDirectory() && !SKIP.has(entry.name) && !(rel.length === 0 && SKIP_AT_TOP.has(entry.name))) collect(path.join(dir, entry.name), [...rel, entry.name], found);
    else if (entry.isFile() && entry.name === PLAN_FILE_NAME) found.push(path.join(dir, entry.name));
    else if (entry.isFile() && roadmapDir && ROADMAP_PHASE_FILE.test(entry.name)) found.push(path.join(dir, entry.name));
  }
}

function list(files: readonly string[], from: string): string {
  return files.map((f) => `  ${path.relative(from, f) || f}`).join('\n');
}

function isFile(p: string): boolean {
  try {
    return statSync(p).isFile();
  } catch {
    return false;
  }
}

function isDirectory(p: string): boolean {
  try {
    return statSync(p).isDirectory();
  } catch {
    return false;
  }
}
