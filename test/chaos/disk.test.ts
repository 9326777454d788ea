import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it, onTestFinished } from 'vitest';
import { runCli, type CliResult } from '../support/cli.js';
import { lockFile, makeProject, planFile, readStateJson, taskStatuses } from '../support/files.js';
import { tempDir } from '../support/tmp.js';
import { CHAOS_AGENT, chaosOptions, startCounts, type PlanSpec } from './support.js';

/**
 * A full disk and a read-only folder. Whatever a run does when a write fails, the last good
 * PROGRESS.json must stay in place and parse and validate, no temp file may be left beside it, the
 * exit must be non-zero, and a later run (once the disk has room again) must go on from there.
 *
 * Real faults where the machine allows (root, tmpfs and bind mounts): a plan folder on a full
 * tmpfs, a project whose disk an agent fills mid-run, a plan folder mounted read-only. Everywhere:
 * the same faults injected into ccasp's own fs calls (preload-fs-faults.mjs).
 *
 * Each fault has two tests: the data stays safe, and the user is told which file could not be
 * written and why, with a documented exit code rather than exit 1's "internal error".
 */

const PRELOAD = path.join(import.meta.dirname, 'preload-fs-faults.mjs');

const chain = (n: number): PlanSpec => ({
  name: 'Disk',
  phases: [
    {
      id: 'P1',
      name: 'Only',
      tasks: Array.from({ length: n }, (_, i) => ({
        id: `T${i + 1}`,
        title: `Task ${i + 1}`,
        status: 'pending' as const,
        file: `out/T${i + 1}.txt`,
        dependencies: i > 0 ? [`T${i}`] : [],
      })),
    },
  ],
});

function sh(cmd: string, args: string[]): { ok: boolean; out: string } {
  const r = spawnSync(cmd, args, { encoding: 'utf8' });
  return { ok: r.status === 0, out: `${r.stdout ?? ''}${r.stderr ?? ''}` };
}

/** Mounts a tmpfs of `size` on `dir` until the current test ends. */
function mountTmpfs(dir: string, size: string): void {
  mkdirSync(dir, { recursive: true });
  const r = sh('mount', ['-t', 'tmpfs', '-o', `size=${size}`, 'tmpfs', dir]);
  if (!r.ok) throw new Error(`mount tmpfs on ${dir}: ${r.out}`);
  onTestFinished(() => void sh('umount', ['-l', dir]));
}

/** Makes `dir` read-only (a read-only bind mount on itself) until the current test ends. */
function bindReadOnly(dir: string): void {
  const bind = sh('mount', ['--bind', dir, dir]);
  if (!bind.ok) throw new Error(`bind mount ${dir}: ${bind.out}`);
  onTestFinished(() => void sh('umount', ['-l', dir]));
  const ro = sh('mount', ['-o', 'remount,bind,ro', dir]);
  if (!ro.ok) throw new Error(`remount ${dir} read-only: ${ro.out}`);
}

let mountable: boolean | undefined;
/** Whether this machine lets the tests mount file systems (root on Linux, not in a locked-down container). */
function canMount(): boolean {
  if (mountable === undefined) {
    mountable = false;
    if (process.platform === 'linux' && process.getuid?.() === 0) {
      const probe = path.join(tempDir('ccasp-chaos-mount-'), 'probe');
      try {
        mkdirSync(probe);
        const r = sh('mount', ['-t', 'tmpfs', '-o', 'size=64k', 'tmpfs', probe]);
        mountable = r.ok;
      } finally {
        sh('umount', [probe]);
      }
    }
  }
  return mountable;
}

function caseDir(): { dir: string; startsDir: string } {
  const dir = tempDir('ccasp-chaos-disk-');
  const startsDir = path.join(dir, 'starts');
  mkdirSync(startsDir, { recursive: true });
  return { dir, startsDir };
}

const RUN = ['run', 'plan', '--claude-bin', CHAOS_AGENT, '--no-github', '--max-retries', '0'];

/** The data-safety half: checked by the tests that run today. */
async function expectPlanSafe(project: string, r: CliResult, before?: Buffer): Promise<void> {
  expect(r.code, r.stderr).not.toBe(0);
  expect(r.code, 'ended by a signal').not.toBeNull();
  const file = planFile(project);
  if (before) expect(readFileSync(file).equals(before), 'PROGRESS.json is the previous good file, byte for byte').toBe(true);
  const validate = await runCli(['validate', 'plan'], chaosOptions(project));
  expect(validate.code, `PROGRESS.json still validates: ${validate.stderr}`).toBe(0);
  expect(readdirSync(path.dirname(file)).filter((f) => f.endsWith('.tmp')), 'no temp file left beside the plan').toEqual([]);
}

/** The message half: what a user should see. */
function expectClearMessage(r: CliResult, file: string, what: RegExp): void {
  expect(r.code, r.stderr).not.toBe(0);
  expect(r.code, 'exit 1 means "internal error, a bug"').not.toBe(1);
  expect(r.stderr).not.toMatch(/internal error/);
  expect(r.stderr, 'no stack trace').not.toMatch(/\n\s+at .*[(:]\d+/);
  expect(r.stderr).toContain(file);
  expect(r.stderr).toMatch(what);
}

describe.runIf(process.platform === 'linux')('a full disk and a read-only plan folder (real mounts)', () => {
  const NO_MOUNTS = 'mounting is not permitted here; the injected-fault tests cover this';

  /** A plan folder on a tmpfs that is already full. */
  async function fullPlanFolder() {
    const { dir, startsDir } = caseDir();
    const project = makeProject(chain(2), dir);
    const plan = readFileSync(planFile(project));
    const planDir = path.dirname(planFile(project));
    rmSync(planDir, { recursive: true });
    mountTmpfs(planDir, '16k');
    writeFileSync(planFile(project), plan);
    spawnSync('dd', ['if=/dev/zero', `of=${path.join(planDir, 'filler')}`, 'bs=1024'], { encoding: 'utf8' });
    const r = await runCli(RUN, chaosOptions(project, { CHAOS_STARTS_DIR: startsDir }));
    return { project, startsDir, plan, planDir, r };
  }

  it('keeps the previous PROGRESS.json when its folder is full, and goes on once there is room', async ({ skip }) => {
    if (!canMount()) skip(NO_MOUNTS);
    const { project, startsDir, plan, planDir, r } = await fullPlanFolder();
    await expectPlanSafe(project, r, plan);
    expect(existsSync(lockFile(project)), 'the lock was released').toBe(false);
    expect(startCounts(startsDir).size, 'no agent started').toBe(0);
    rmSync(path.join(planDir, 'filler'));
    const again = await runCli(RUN, chaosOptions(project, { CHAOS_STARTS_DIR: startsDir }));
    expect(again.code, again.stderr).toBe(0);
    expect(Object.values(taskStatuses(project))).toEqual(['completed', 'completed']);
  });

  it('says clearly that PROGRESS.json could not be written because the disk is full', async ({ skip }) => {
    if (!canMount()) skip(NO_MOUNTS);
    const { r } = await fullPlanFolder();
    expectClearMessage(r, 'PROGRESS.json', /no space left|disk is full|ENOSPC/i);
  });

  /** A project on a small tmpfs whose disk T2's agent fills after doing its work. */
  async function diskFilledMidRun() {
    const { dir, startsDir } = caseDir();
    const root = path.join(dir, 'fs');
    mountTmpfs(root, '1m');
    const project = makeProject(chain(3), root);
    const r = await runCli(RUN, chaosOptions(project, { CHAOS_STARTS_DIR: startsDir, CHAOS_FILL_TASK: 'T2' }));
    return { project, startsDir, r };
  }

  it('keeps the completed work when an agent fills the disk mid-run, and resumes once there is room', async ({ skip }) => {
    if (!canMount()) skip(NO_MOUNTS);
    const { project, startsDir, r } = await diskFilledMidRun();
    await expectPlanSafe(project, r);
    expect(taskStatuses(project)['T1'], 'work finished before the disk filled').toBe('completed');
    expect(() => readStateJson(project), 'state.json parses and matches its schema').not.toThrow();
    rmSync(path.join(project, '.chaos-fill'), { force: true });
    const again = await runCli(RUN, chaosOptions(project, { CHAOS_STARTS_DIR: startsDir }));
    expect(again.code, again.stderr).toBe(0);
    expect(Object.values(taskStatuses(project))).toEqual(['completed', 'completed', 'completed']);
    expect(startCounts(startsDir).get('T1'), 'T1 was not run again').toHaveLength(1);
  });

  it('says clearly which file could not be written when the disk fills mid-run', async ({ skip }) => {
    if (!canMount()) skip(NO_MOUNTS);
    const { r } = await diskFilledMidRun();
    // Whichever of ccasp's files the full disk hits first, the message names it.
    expectClearMessage(r, '/project/', /no space left|disk is full|ENOSPC/i);
  });

  /** A plan folder mounted read-only. */
  async function readOnlyPlanFolder() {
    const { dir, startsDir } = caseDir();
    const project = makeProject(chain(2), dir);
    const plan = readFileSync(planFile(project));
    bindReadOnly(path.dirname(planFile(project)));
    const r = await runCli(RUN, chaosOptions(project, { CHAOS_STARTS_DIR: startsDir }));
    return { project, startsDir, plan, r };
  }

  it('leaves a read-only PROGRESS.json as it was', async ({ skip }) => {
    if (!canMount()) skip(NO_MOUNTS);
    const { project, startsDir, plan, r } = await readOnlyPlanFolder();
    await expectPlanSafe(project, r, plan);
    expect(existsSync(lockFile(project)), 'the lock was released').toBe(false);
    expect(startCounts(startsDir).size, 'no agent started').toBe(0);
  });

  it('says clearly that the plan folder is read-only', async ({ skip }) => {
    if (!canMount()) skip(NO_MOUNTS);
    const { r } = await readOnlyPlanFolder();
    expectClearMessage(r, 'PROGRESS.json', /read-only/i);
  });
});

describe('the same faults, injected into ccasp (any machine)', () => {
  const TEMP_OF = (name: string) => `[\\\\/]\\.${name.replace('.', '\\.')}\\.\\d+\\.\\d+\\.tmp$`;

  async function injected(fault: Record<string, string>, tasks = 4) {
    const { dir, startsDir } = caseDir();
    const project = makeProject(chain(tasks), dir);
    const r = await runCli(RUN, chaosOptions(project, { CHAOS_STARTS_DIR: startsDir, ...fault }, ['--import', PRELOAD]));
    return { project, startsDir, r };
  }

  const cases: { name: string; fault: Record<string, string>; file: string; what: RegExp }[] = [
    { name: 'PROGRESS.json hits a full disk mid-run', fault: { CHAOS_FS_FAIL_PATTERN: TEMP_OF('PROGRESS.json'), CHAOS_FS_FAIL_ON: 'write', CHAOS_FS_FAIL_AFTER: '4', CHAOS_FS_FAIL_CODE: 'ENOSPC' }, file: 'PROGRESS.json', what: /no space left|disk is full|ENOSPC/i },
    { name: 'state.json hits a full disk mid-run', fault: { CHAOS_FS_FAIL_PATTERN: TEMP_OF('state.json'), CHAOS_FS_FAIL_ON: 'write', CHAOS_FS_FAIL_AFTER: '5', CHAOS_FS_FAIL_CODE: 'ENOSPC' }, file: 'state.json', what: /no space left|disk is full|ENOSPC/i },
    { name: 'the plan folder turns read-only mid-run', fault: { CHAOS_FS_FAIL_PATTERN: TEMP_OF('PROGRESS.json'), CHAOS_FS_FAIL_ON: 'open', CHAOS_FS_FAIL_AFTER: '3', CHAOS_FS_FAIL_CODE: 'EROFS' }, file: 'PROGRESS.json', what: /read-only/i },
    { name: 'the plan folder is read-only from the start', fault: { CHAOS_FS_FAIL_PATTERN: TEMP_OF('PROGRESS.json'), CHAOS_FS_FAIL_ON: 'open', CHAOS_FS_FAIL_AFTER: '0', CHAOS_FS_FAIL_CODE: 'EROFS' }, file: 'PROGRESS.json', what: /read-only/i },
  ];

  for (const c of cases) {
    it(`${c.name}: the last good files stay, the run stops non-zero, the next run goes on`, async () => {
      const { project, startsDir, r } = await injected(c.fault);
      const completedBefore = Object.entries(taskStatuses(project))
        .filter(([, s]) => s === 'completed')
        .map(([id]) => id);
      await expectPlanSafe(project, r);
      expect(() => readStateJson(project), 'state.json parses and matches its schema').not.toThrow();
      expect(readdirSync(path.dirname(lockFile(project))).filter((f) => f.endsWith('.tmp'))).toEqual([]);
      const again = await runCli(RUN, chaosOptions(project, { CHAOS_STARTS_DIR: startsDir }));
      expect(again.code, again.stderr).toBe(0);
      for (const id of completedBefore) expect(startCounts(startsDir).get(id), `${id} was not run again`).toHaveLength(1);
    });

    it(`${c.name}: says clearly which file could not be written, and why`, async () => {
      const { r } = await injected(c.fault);
      expectClearMessage(r, c.file, c.what);
    });
  }
});
