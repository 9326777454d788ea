import { existsSync } from 'node:fs';
import { readdir, readFile, realpath, rm } from 'node:fs/promises';
import path from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { InvalidStateError } from '../errors.js';
import { isProcessAlive } from '../process/alive.js';
import { signalGroup } from '../process/group.js';
import { readRegularFile } from '../regular-file.js';
import { git, gitOk, serial, splitZ } from './git.js';
import type { IntegrationMarker } from './integrate.js';
import { integrationMarkerPath, slug, worktreesDir } from './names.js';
import { dirtyPaths, gitPath, headCommit, isAncestor, isValidBranchName, mergeInProgress } from './repo.js';
import { listEntries, listTaskWorktrees, removeRegistered, removeTask } from './worktrees.js';

export interface RecoverOptions {
  readonly planId: string;
  /** With `completed`: worktrees of completed tasks whose branch this branch already contains are removed. */
  readonly integrationBranch?: string;
  readonly completed?: readonly string[];
  /**
   * How long a merge the killed run left running is given to finish on its own, and then to stop
   * after SIGTERM, before it is killed. Default 3 s each.
   */
  readonly leftoverGraceMs?: number;
}

export interface RecoveryReport {
  /** An integration the kill cut short, and what became of it. */
  readonly integration?: {
    readonly taskBranch: string;
    /** aborted: a merge stopped mid-way, undone. completed: it had finished. rolled-back: files a killed fast-forward had written were put back. not-started: nothing had changed. */
    readonly outcome: 'aborted' | 'completed' | 'rolled-back' | 'not-started';
    readonly restored: readonly string[];
    /** Pids of the killed run's git merge (and what it started) that were still running and had to be ended first. */
    readonly ended?: readonly number[];
  };
  /** A merge in progress in the user's tree that ccasp did not start: left alone. */
  readonly foreignMerge: boolean;
  readonly removedLocks: readonly string[];
  readonly pruned: readonly string[];
  readonly removedHalfCreated: readonly string[];
  readonly removedUnregistered: readonly string[];
  readonly removedCompleted: readonly string[];
  /** Completed tasks whose branch is not in the integration branch: kept for a person to look at. */
  readonly keptCompleted: readonly string[];
  /** Task branches with no worktree; the next attempt continues from them. */
  readonly branchesWithoutWorktree: readonly string[];
}

/**
 * After a kill at any moment, brings the repository back to a state the next run continues from.
 * Call it under the run lock, after agents left by the killed run are ended, before anything else
 * touches git. It undoes only what ccasp provably started (the integration marker); anything else
 * unusual in the user's tree is reported, not touched.
 */
export async function recover(root: string, options: RecoverOptions): Promise<RecoveryReport> {
  const top = await realpath(root);
  return serial(top, () => recoverNow(top, options));
}

async function recoverNow(root: string, o: RecoverOptions): Promise<RecoveryReport> {
  const removedLocks: string[] = [];
  const integration = await finishIntegration(root, removedLocks, o.leftoverGraceMs ?? 3000);
  // Whatever merge is still in progress now is not the one the marker speaks for.
  const foreignMerge = await mergeInProgress(root);

  const dir = worktreesDir(root);
  const removedHalfCreated: string[] = [];
  for (const entry of (await listEntries(root)).filter((e) => path.dirname(e.path) === dir)) {
    if (entry.locked === 'initializing') {
      await removeRegistered(root, entry.path);
      removedHalfCreated.push(entry.path);
    } else if (entry.prunable === undefined && existsSync(entry.path)) {
      // A git command killed inside a task's worktree leaves its index locked for good.
      const lock = await gitPath(entry.path, 'index.lock');
      if (existsSync(lock)) {
        await rm(lock, { force: true });
        removedLocks.push(lock);
      }
    }
  }

  const prunable = (await listEntries(root)).filter((e) => e.prunable !== undefined).map((e) => e.path);
  await gitOk(root, ['worktree', 'prune']);
  const left = new Set((await listEntries(root)).map((e) => e.path));
  const pruned = prunable.filter((p) => !left.has(p));

  const removedUnregistered: string[] = [];
  for (const name of await readdir(dir).catch(() => [] as string[])) {
    const folder = path.join(dir, name);
    if (left.has(folder)) continue;
    await rm(folder, { recursive: true, force: true });
    removedUnregistered.push(folder);
  }

  const removedCompleted: string[] = [];
  const keptCompleted: string[] = [];
  const completed = new Set((o.completed ?? []).map(slug));
  for (const info of await listTaskWorktrees(root, o.planId)) {
    if (!completed.has(info.slug) || !info.branch) continue;
    if (o.integrationBranch && (await isAncestor(root, info.branch, o.integrationBranch))) {
      await removeTask(root, o.planId, info.slug);
      removedCompleted.push(info.slug);
    } else keptCompleted.push(info.slug);
  }
  const branchesWithoutWorktree = (await listTaskWorktrees(root, o.planId)).filter((i) => i.condition === 'branch-only').map((i) => i.branch!);

  return {
    ...(integration ? { integration } : {}),
    foreignMerge,
    removedLocks,
    pruned,
    removedHalfCreated,
    removedUnregistered,
    removedCompleted,
    keptCompleted,
    branchesWithoutWorktree,
  };
}

async function finishIntegration(root: string, removedLocks: string[], graceMs: number): Promise<RecoveryReport['integration']> {
  const markerFile = integrationMarkerPath(root);
  const read = await readRegularFile(markerFile, 'a JSON file');
  if (read.kind === 'absent') return undefined;
  // A folder cannot be removed as a marker, and a pipe would hang the read: neither is ccasp's.
  if (read.kind === 'not-a-file') throw new InvalidStateError([{ file: markerFile, path: '', message: read.message }]);
  const marker = read.kind === 'ok' ? parseMarker(read.bytes) : undefined;
  if (marker === undefined) {
    // Killed while writing the marker: the merge had not started.
    await rm(markerFile, { force: true });
    return { taskBranch: '?', outcome: 'not-started', restored: [] };
  }
  const ended = await endLeftoverMerge(root, marker, graceMs);
  // The marker proves ccasp's git was the one holding these locks when it was killed: the index, and
  // the refs a merge moves (git holds HEAD's and the branch's lock from its ref update's "prepared"
  // to its "committed" step, and a git killed in between leaves them, failing every later merge).
  const locks = ['index.lock', 'HEAD.lock', 'ORIG_HEAD.lock', 'MERGE_HEAD.lock', 'AUTO_MERGE.lock'];
  if (typeof marker.integrationBranch === 'string' && (await isValidBranchName(root, marker.integrationBranch))) locks.push(`refs/heads/${marker.integrationBranch}.lock`);
  for (const name of locks) {
    const lock = await gitPath(root, name);
    if (existsSync(lock)) {
      await rm(lock, { force: true });
      removedLocks.push(lock);
    }
  }
  let outcome: NonNullable<RecoveryReport['integration']>['outcome'];
  let restored: string[] = [];
  if (await isAncestor(root, marker.tip, 'HEAD')) {
    // The merge commit landed; git was killed before it removed its merge state. Aborting now would
    // "reset" to the merge commit and claim the branch is as it was, so the state is just dropped.
    if (await ownMergeInProgress(root, marker)) await gitOk(root, ['merge', '--quit']);
    outcome = 'completed';
  } else if (await mergeInProgress(root)) {
    await gitOk(root, ['merge', '--abort']);
    outcome = 'aborted';
  } else {
    restored = await rollBackPartialCheckout(root, marker);
    outcome = restored.length > 0 ? 'rolled-back' : 'not-started';
  }
  await rm(markerFile, { force: true });
  return { taskBranch: marker.taskBranch, outcome, restored, ...(ended.length > 0 ? { ended } : {}) };
}

function parseMarker(bytes: Buffer): IntegrationMarker | undefined {
  try {
    return JSON.parse(bytes.toString('utf8')) as IntegrationMarker;
  } catch {
    return undefined;
  }
}

async function ownMergeInProgress(root: string, marker: IntegrationMarker): Promise<boolean> {
  const r = await git(root, ['rev-parse', '--verify', '--quiet', 'MERGE_HEAD^{commit}']);
  return r.exitCode === 0 && r.stdout.trim() === marker.tip;
}

/**
 * The killed run's `git merge` may still be running: ccasp starts it in a process group of its own,
 * so that a Ctrl-C cannot cut it in half, and a SIGKILL of ccasp does not reach it either (nor a
 * slow hook of the user's it waits for). Recovering under it would take its locks away mid-merge.
 * It is given `graceMs` to finish, then its group is ended (git removes its own locks on SIGTERM).
 * A pid alone could belong to anything by now, so only a process whose command line is that merge,
 * in this repository, of the marker's tip, counts. Linux (/proc) only; elsewhere nothing is found.
 */
async function endLeftoverMerge(root: string, marker: IntegrationMarker, graceMs: number): Promise<number[]> {
  const found = await mergesOf(root, marker.tip);
  if (found.length === 0) return [];
  const gone = async (ms: number) => {
    const deadline = Date.now() + ms;
    while (found.some(isProcessAlive) && Date.now() < deadline) await delay(25);
    return !found.some(isProcessAlive);
  };
  if (await gone(graceMs)) return [];
  for (const pid of found) signalGroup(pid, 'SIGTERM');
  if (!(await gone(graceMs))) {
    for (const pid of found) signalGroup(pid, 'SIGKILL');
    await gone(graceMs);
  }
  return found;
}

async function mergesOf(root: string, tip: string): Promise<number[]> {
  if (typeof tip !== 'string' || tip === '') return [];
  const pids: number[] = [];
  for (const entry of await readdir('/proc').catch(() => [] as string[])) {
    if (!/^\d+$/.test(entry) || Number(entry) === process.pid) continue;
    const argv = (await readFile(`/proc/${entry}/cmdline`, 'utf8').catch(() => '')).split('\0');
    const cIndex = argv.indexOf('-C');
    if (cIndex >= 0 && argv[cIndex + 1] === root && argv.includes('merge') && argv.includes(tip) && isProcessAlive(Number(entry))) pids.push(Number(entry));
  }
  return pids;
}

/**
 * A fast-forward killed mid-checkout leaves some files at the task's version while HEAD is still the
 * old commit (the index too, unless git got as far as writing it before the branch moved). Only
 * files whose content is exactly the task tip's (or that the tip deletes and are gone) are put back:
 * git refused to merge over the user's own changes, so those files were written by the merge, and
 * nothing else is touched.
 */
async function rollBackPartialCheckout(root: string, marker: IntegrationMarker): Promise<string[]> {
  if ((await headCommit(root)) !== marker.before) return [];
  const touched = new Set(splitZ(await gitOk(root, ['diff', '--name-only', '-z', marker.before, marker.tip])));
  const restored: string[] = [];
  for (const file of (await dirtyPaths(root)).filter((p) => touched.has(p))) {
    const inTip = await git(root, ['rev-parse', '--verify', '--quiet', `${marker.tip}:${file}`]);
    const onDisk = existsSync(path.join(root, file)) ? await git(root, ['hash-object', '--', file]) : undefined;
    const matchesTip = inTip.exitCode === 0 ? onDisk?.stdout.trim() === inTip.stdout.trim() : onDisk === undefined;
    if (!matchesTip) continue;
    const inBefore = (await git(root, ['cat-file', '-e', `${marker.before}:${file}`])).exitCode === 0;
    if (inBefore) await gitOk(root, ['checkout', marker.before, '--', file]);
    else {
      // Killed after the checkout wrote the index too (before the branch moved), the new file is staged.
      await gitOk(root, ['update-index', '--force-remove', '--', file]);
      await rm(path.join(root, file), { force: true });
    }
    restored.push(file);
  }
  return restored.sort();
}

/** The report as lines for a person; empty when there was nothing to recover. */
export function describeRecovery(r: RecoveryReport): string[] {
  const lines: string[] = [];
  const list = (xs: readonly string[]) => xs.join(', ');
  if (r.integration) {
    const what = {
      aborted: 'was stopped mid-merge; the merge was aborted and the branch is as it was',
      completed: 'had finished',
      'rolled-back': `was cut short; ${list(r.integration.restored)} put back`,
      'not-started': 'had not changed anything',
    }[r.integration.outcome];
    lines.push(`the integration of ${r.integration.taskBranch} ${what}`);
    if (r.integration.ended) lines.push(`ended the killed run's git merge, still running: pid ${list(r.integration.ended.map(String))}`);
  }
  if (r.foreignMerge) lines.push('a merge that ccasp did not start is in progress in the working tree; finish or abort it (git merge --abort)');
  if (r.removedLocks.length > 0) lines.push(`removed stale git locks: ${list(r.removedLocks)}`);
  if (r.pruned.length > 0) lines.push(`forgot worktrees whose folders are gone: ${list(r.pruned)}`);
  if (r.removedHalfCreated.length > 0) lines.push(`removed half-created worktrees: ${list(r.removedHalfCreated)}`);
  if (r.removedUnregistered.length > 0) lines.push(`removed folders git did not know as worktrees: ${list(r.removedUnregistered)}`);
  if (r.removedCompleted.length > 0) lines.push(`removed the integrated worktrees of completed tasks: ${list(r.removedCompleted)}`);
  if (r.keptCompleted.length > 0) lines.push(`kept worktrees of completed tasks whose work is not in the integration branch: ${list(r.keptCompleted)}`);
  if (r.branchesWithoutWorktree.length > 0) lines.push(`task branches without a worktree (the next attempt continues from them): ${list(r.branchesWithoutWorktree)}`);
  return lines;
}
