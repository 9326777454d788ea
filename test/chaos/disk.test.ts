import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CliResult } from '../support/cli.js';
import { readStateJson } from '../support/files.js';
import { CHAOS_AGENT, chaosEnv, lockFile, makeAgentsExecutable, makeProject, makeTemp, planFile, removeDir, runCli, startCounts, statusesIn, type PlanSpec } from './support.js';

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

let work: string;
let n = 0;
const mounts: string[] = [];
let canMount = false;

function sh(cmd: string, args: string[]): { ok: boolean; out: string } {
  const r = spawnSync(cmd, args, { encoding: 'utf8' });
  return { ok: r.status === 0, out: `${r.stdout ?? ''}${r.stderr ?? ''}` };
}

function mountTmpfs(dir: string, size: string): void {
  mkdirSync(dir, { recursive: true });
  const r = sh('mount', ['-t', 'tmpfs', '-o', `size=${size}`, 'tmpfs', dir]);
  if (!r.ok) throw new Error(`mount tmpfs on ${dir}: ${r.out}`);
  mounts.push(dir);
}

function bindReadOnly(dir: string): void {
  const bind = sh('mount', ['--bind', dir, dir]);
  if (!bind.ok) throw new Error(`bind mount ${dir}: ${bind.out}`);
  mounts.push(dir);
  const ro = sh('mount', ['-o', 'remount,bind,ro', dir]);
  if (!ro.ok) throw new Error(`remount ${dir} read-only: ${ro.out}`);
}

function unmount(dir: string): void {
  sh('umount', [dir]);
  const i = mounts.indexOf(dir);
  if (i >= 0) mounts.splice(i, 1);
}

beforeAll(() => {
  makeAgentsExecutable();
  work = makeTemp('ccasp-chaos-disk-');
  if (process.platform === 'linux' && process.getuid?.() === 0) {
    const probe = path.join(work, 'probe');
    try {
      mountTmpfs(probe, '64k');
      unmount(probe);
      canMount = true;
    } catch {
      canMount = false;
    }
  }
});

afterAll(() => {
  for (const dir of [...mounts].reverse()) sh('umount', ['-l', dir]);
  removeDir(work);
});

function caseDir(): { dir: string; startsDir: string } {
  const dir = path.join(work, `case-${++n}`);
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
  const validate = await runCli(['validate', 'plan'], project, chaosEnv());
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

describe('a full disk and a read-only plan folder (real mounts)', () => {
  /** A plan folder on a tmpfs that is already full. */
  async function fullPlanFolder() {
    const { dir, startsDir } = caseDir();
    const project = makeProject(dir, chain(2));
    const plan = readFileSync(planFile(project));
    const planDir = path.dirname(planFile(project));
    rmSync(planDir, { recursive: true });
    mountTmpfs(planDir, '16k');
    writeFileSync(planFile(project), plan);
    spawnSync('dd', ['if=/dev/zero', `of=${path.join(planDir, 'filler')}`, 'bs=1024'], { encoding: 'utf8' });
    const r = await runCli(RUN, project, chaosEnv({ CHAOS_STARTS_DIR: startsDir }));
    return { project, startsDir, plan, planDir, r };
  }

  it.runIf(process.platform === 'linux')('keeps the previous PROGRESS.json when its folder is full, and goes on once there is room', async ({ skip }) => {
    if (!canMount) skip('mounting a tmpfs is not permitted here; the injected-fault tests cover this');
    const { project, startsDir, plan, planDir, r } = await fullPlanFolder();
    try {
      await expectPlanSafe(project, r, plan);
      expect(existsSync(lockFile(project)), 'the lock was released').toBe(false);
      expect(startCounts(startsDir).size, 'no agent started').toBe(0);
      rmSync(path.join(planDir, 'filler'));
      const again = await runCli(RUN, project, chaosEnv({ CHAOS_STARTS_DIR: startsDir }));
      expect(again.code, again.stderr).toBe(0);
      expect([...statusesIn(readFileSync(planFile(project), 'utf8')).values()]).toEqual(['completed', 'completed']);
    } finally {
      unmount(planDir);
    }
  });

  it('says clearly that PROGRESS.json could not be written because the disk is full', async () => {
    const { planDir, r } = await fullPlanFolder();
    try {
      expectClearMessage(r, 'PROGRESS.json', /no space left|disk is full|ENOSPC/i);
    } finally {
      unmount(planDir);
    }
  });

  /** A project on a small tmpfs whose disk T2's agent fills after doing its work. */
  async function diskFilledMidRun() {
    const { dir, startsDir } = caseDir();
    const root = path.join(dir, 'fs');
    mountTmpfs(root, '1m');
    const project = makeProject(root, chain(3));
    const r = await runCli(RUN, project, chaosEnv({ CHAOS_STARTS_DIR: startsDir, CHAOS_FILL_TASK: 'T2' }));
    return { project, startsDir, root, r };
  }

  it.runIf(process.platform === 'linux')('keeps the completed work when an agent fills the disk mid-run, and resumes once there is room', async ({ skip }) => {
    if (!canMount) skip('mounting a tmpfs is not permitted here; the injected-fault tests cover this');
    const { project, startsDir, root, r } = await diskFilledMidRun();
    try {
      await expectPlanSafe(project, r);
      expect(statusesIn(readFileSync(planFile(project), 'utf8')).get('T1'), 'work finished before the disk filled').toBe('completed');
      expect(() => readStateJson(project), 'state.json parses and matches its schema').not.toThrow();
      rmSync(path.join(project, '.chaos-fill'), { force: true });
      const again = await runCli(RUN, project, chaosEnv({ CHAOS_STARTS_DIR: startsDir }));
      expect(again.code, again.stderr).toBe(0);
      expect([...statusesIn(readFileSync(planFile(project), 'utf8')).values()]).toEqual(['completed', 'completed', 'completed']);
      expect(startCounts(startsDir).get('T1'), 'T1 was not run again').toHaveLength(1);
    } finally {
      unmount(root);
    }
  });

  it('says clearly which file could not be written when the disk fills mid-run', async () => {
    const { root, r } = await diskFilledMidRun();
    try {
      // Whichever of ccasp's files the full disk hits first, the message names it.
      expectClearMessage(r, '/project/', /no space left|disk is full|ENOSPC/i);
    } finally {
      unmount(root);
    }
  });

  /** A plan folder mounted read-only. */
  async function readOnlyPlanFolder() {
    const { dir, startsDir } = caseDir();
    const project = makeProject(dir, chain(2));
    const plan = readFileSync(planFile(project));
    const planDir = path.dirname(planFile(project));
    bindReadOnly(planDir);
    const r = await runCli(RUN, project, chaosEnv({ CHAOS_STARTS_DIR: startsDir }));
    return { project, startsDir, plan, planDir, r };
  }

  it.runIf(process.platform === 'linux')('leaves a read-only PROGRESS.json as it was', async ({ skip }) => {
    if (!canMount) skip('bind mounts are not permitted here; the injected-fault tests cover this');
    const { project, startsDir, plan, planDir, r } = await readOnlyPlanFolder();
    try {
      await expectPlanSafe(project, r, plan);
      expect(existsSync(lockFile(project)), 'the lock was released').toBe(false);
      expect(startCounts(startsDir).size, 'no agent started').toBe(0);
    } finally {
      unmount(planDir);
    }
  });

  it('says clearly that the plan folder is read-only', async () => {
    const { planDir, r } = await readOnlyPlanFolder();
    try {
      expectClearMessage(r, 'PROGRESS.json', /read-only/i);
    } finally {
      unmount(planDir);
    }
  });
});

describe('the same faults, injected into ccasp (any machine)', () => {
  const TEMP_OF = (name: string) => `[\\\\/]\\.${name.replace('.', '\\.')}\\.\\d+\\.\\d+\\.tmp$`;

  async function injected(fault: Record<string, string>, tasks = 4) {
    const { dir, startsDir } = caseDir();
    const project = makeProject(dir, chain(tasks));
    const r = await runCli(RUN, project, chaosEnv({ CHAOS_STARTS_DIR: startsDir, ...fault }), ['--import', PRELOAD]);
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
      const completedBefore = [...statusesIn(readFileSync(planFile(project), 'utf8'))].filter(([, s]) => s === 'completed').map(([id]) => id);
      await expectPlanSafe(project, r);
      expect(() => readStateJson(project), 'state.json parses and matches its schema').not.toThrow();
      expect(readdirSync(path.dirname(lockFile(project))).filter((f) => f.endsWith('.tmp'))).toEqual([]);
      const again = await runCli(RUN, project, chaosEnv({ CHAOS_STARTS_DIR: startsDir }));
      expect(again.code, again.stderr).toBe(0);
      for (const id of completedBefore) expect(startCounts(startsDir).get(id), `${id} was not run again`).toHaveLength(1);
    });

    it(`${c.name}: says clearly which file could not be written, and why`, async () => {
      const { r } = await injected(c.fault);
      expectClearMessage(r, c.file, c.what);
    });
  }
});
