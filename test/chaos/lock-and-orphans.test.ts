import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { existsSync, lstatSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import path from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { describe, expect, it, onTestFinished } from 'vitest';
import { runCli, startCli } from '../support/cli.js';
import { lockFile, makeProject, orchestratorDir, planFile, readStateJson, stateFile, taskStatuses } from '../support/files.js';
import { deadPid, killGroup } from '../support/processes.js';
import { isProcessAlive } from '../../src/process/alive.js';
import { until } from '../support/until.js';
import { mkfifo, tempDir } from '../support/tmp.js';
import { processIdentity, processStartOf } from '../../src/process/identity.js';
import { cleanEnv } from '../support/env.js';
import { CHAOS_AGENT, chaosOptions, liveAgents, startCounts, within, type PlanSpec } from './support.js';

/**
 * The project lock and the agents a killed run leaves behind, through the CLI: a stale lock left by
 * a killed run is taken over and the agents it recorded are ended; a lock held from another host
 * name is never taken over (live pid or not); a live holder on this host is respected; a damaged
 * lock is taken over. Two bugs this suite found are reproduced deterministically and held fixed.
 */

const PRELOAD = path.join(import.meta.dirname, 'preload-fs-faults.mjs');
const RUN = ['run', 'plan', '--claude-bin', CHAOS_AGENT, '--json', '--no-github'];

const threeParallel: PlanSpec = {
  name: 'Lock',
  phases: [
    {
      id: 'P1',
      name: 'Only',
      tasks: ['T1', 'T2', 'T3'].map((id) => ({ id, title: `Task ${id}`, status: 'pending' as const, file: `out/${id}.txt` })),
    },
  ],
};

/** A project of `plan` in a folder of the current test, and the folder its agents count their starts in. */
function setup(plan: PlanSpec = threeParallel): { project: string; startsDir: string; dir: string } {
  const dir = tempDir('ccasp-chaos-lock-');
  const startsDir = path.join(dir, 'starts');
  mkdirSync(startsDir, { recursive: true });
  return { project: makeProject(plan, dir), startsDir, dir };
}

function writeLock(project: string, owner: { pid: number; host: string; startedAt?: string; processStart?: number }): Buffer {
  mkdirSync(orchestratorDir(project), { recursive: true });
  const bytes = Buffer.from(`${JSON.stringify({ startedAt: '2026-01-01T00:00:00.000Z', command: 'ccasp run', ...owner })}\n`);
  writeFileSync(lockFile(project), bytes);
  return bytes;
}

describe('the project lock, through the CLI', () => {
  it('takes over the stale lock of a killed run and ends the agents that run recorded', async () => {
    const { project, startsDir, dir } = setup();
    const first = startCli([...RUN, '-c', '3'], chaosOptions(project, { CHAOS_STARTS_DIR: startsDir, CHAOS_SLEEP_MS: '10000', CHAOS_LINGER_S: '30' }));
    const agents = await until(() => {
      const active = readStateJson(project).activeAgents;
      return active.length === 3 && active.every((a) => a.pid !== undefined) ? active : undefined;
    }, 'three agents with their pids in state.json');
    first.child.kill('SIGKILL');
    expect((await first.done).signal).toBe('SIGKILL');

    const lock = JSON.parse(readFileSync(lockFile(project), 'utf8')) as { pid: number; host: string };
    expect(lock).toMatchObject({ pid: first.pid, host: hostname() });
    // Each agent's process as the killed run recorded it: its own group's leader, its start time, its user.
    for (const a of agents) expect(a).toMatchObject({ pgid: a.pid, processStart: processStartOf(a.pid!), uid: process.getuid!() });
    const orphans = liveAgents(dir);
    for (const a of agents) expect(orphans.get(a.sessionId!), `agent for ${a.taskId} outlives ccasp until someone ends it`).toBe(a.pid);

    const second = startCli(RUN, chaosOptions(project, { CHAOS_STARTS_DIR: startsDir }));
    expect(await second.waitForEvent('run.started')).toBe(true);
    const stillAlive = liveAgents(dir);
    for (const a of agents) expect(stillAlive.has(a.sessionId!), `agent pid ${a.pid} for ${a.taskId} after the next run started`).toBe(false);
    const result = await within(second.done, 30_000, 'the second run');
    expect(result.code, result.stderr).toBe(0);
    expect(result.stderr).toContain(`warning: took over the lock of a ccasp run that is gone (pid ${first.pid}`);
    for (const a of agents) expect(result.stderr).toContain(`warning: ended agent pid ${a.pid} for ${a.taskId}`);
    expect(existsSync(lockFile(project))).toBe(false);
    // Each task was in flight at the kill: one interrupted attempt, one completed, two starts.
    const state = readStateJson(project);
    for (const id of ['T1', 'T2', 'T3']) {
      expect(state.attempts.filter((a) => a.taskId === id).map((a) => a.outcome)).toEqual(['interrupted', 'completed']);
      expect(startCounts(startsDir).get(id)).toHaveLength(2);
    }
  }, 60_000);

  it('never takes over a lock held by a live process on another host', async () => {
    const { project, startsDir } = setup();
    const plan = readFileSync(planFile(project));
    const bytes = writeLock(project, { pid: process.pid, host: 'build-agent-7.example.internal' });
    const r = await runCli(RUN, chaosOptions(project, { CHAOS_STARTS_DIR: startsDir }));
    expect(r.code, r.stderr).toBe(3);
    expect(r.stderr).toContain(`pid ${process.pid} on host build-agent-7.example.internal`);
    expect(r.stderr).toMatch(/cannot be checked from this host/);
    expect(readFileSync(lockFile(project)).equals(bytes), 'the lock is untouched').toBe(true);
    expect(readFileSync(planFile(project)).equals(plan), 'the plan is untouched').toBe(true);
    expect(existsSync(stateFile(project))).toBe(false);
    expect(startCounts(startsDir).size).toBe(0);
  });

  it('never takes over a lock from another host even when a process with that pid is gone here', async () => {
    const { project, startsDir } = setup();
    const pid = deadPid();
    const bytes = writeLock(project, { pid, host: 'laptop-of-someone-else' });
    const r = await runCli(RUN, chaosOptions(project, { CHAOS_STARTS_DIR: startsDir }));
    expect(r.code, r.stderr).toBe(3);
    expect(r.stderr).toContain(`pid ${pid} on host laptop-of-someone-else`);
    expect(readFileSync(lockFile(project)).equals(bytes)).toBe(true);
    expect(startCounts(startsDir).size).toBe(0);
  });

  it('respects a lock held by a live process on this host', async () => {
    const { project, startsDir } = setup();
    const bytes = writeLock(project, { pid: process.pid, host: hostname() });
    const r = await runCli(RUN, chaosOptions(project, { CHAOS_STARTS_DIR: startsDir }));
    expect(r.code, r.stderr).toBe(3);
    expect(r.stderr).toContain(`Another ccasp run is active in this project (pid ${process.pid}`);
    expect(readFileSync(lockFile(project)).equals(bytes)).toBe(true);
    expect(existsSync(stateFile(project))).toBe(false);
    expect(startCounts(startsDir).size).toBe(0);
  });

  it('takes over a lock whose pid now names another process (its start time differs), with the same warning', async () => {
    const { project, startsDir } = setup();
    // This test process is alive on this host, but it is not the run that wrote the lock: that one
    // started earlier, and its pid was given to this process since.
    writeLock(project, { pid: process.pid, host: hostname(), processStart: processStartOf(process.pid)! - 1 });
    const r = await runCli(RUN, chaosOptions(project, { CHAOS_STARTS_DIR: startsDir }));
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain(`warning: took over the lock of a ccasp run that is gone (pid ${process.pid}`);
    expect(existsSync(lockFile(project))).toBe(false);
    expect(Object.values(taskStatuses(project))).toEqual(['completed', 'completed', 'completed']);
  });

  // Found here: `ccasp init --force` overwrote PROGRESS.json under a run that was keeping it.
  it('ccasp init --force refuses while a run holds the project (exit 3), and takes the lock once it is free', async () => {
    const { project } = setup();
    const plan = readFileSync(planFile(project));
    writeLock(project, { pid: process.pid, host: hostname() });
    const refused = await runCli(['init', 'plan', '--force'], chaosOptions(project));
    expect(refused.code, refused.stderr).toBe(3);
    expect(refused.stderr).toContain(`Another ccasp run is active in this project (pid ${process.pid}`);
    expect(readFileSync(planFile(project)).equals(plan), 'the plan is untouched').toBe(true);
    expect(existsSync(path.join(project, '.claude', 'agents')), 'nothing written').toBe(false);
    writeLock(project, { pid: deadPid(), host: hostname() });
    const forced = await runCli(['init', 'plan', '--force'], chaosOptions(project));
    expect(forced.code, forced.stderr).toBe(0);
    expect(readFileSync(planFile(project)).equals(plan)).toBe(false);
    expect(existsSync(lockFile(project)), 'the lock was released').toBe(false);
  });

  it('takes over a hand-written lock of a dead process on this host, and a damaged lock', async () => {
    for (const content of ['dead', 'garbage', 'empty'] as const) {
      const { project, startsDir } = setup();
      const pid = deadPid();
      if (content === 'dead') writeLock(project, { pid, host: hostname() });
      else {
        mkdirSync(orchestratorDir(project), { recursive: true });
        writeFileSync(lockFile(project), content === 'garbage' ? '{"pid": "not a numb' : '');
      }
      const r = await runCli(RUN, chaosOptions(project, { CHAOS_STARTS_DIR: startsDir }));
      expect(r.code, `${content}: ${r.stderr}`).toBe(0);
      if (content === 'dead') expect(r.stderr).toContain(`took over the lock of a ccasp run that is gone (pid ${pid}`);
      expect(existsSync(lockFile(project))).toBe(false);
      expect(Object.values(taskStatuses(project))).toEqual(['completed', 'completed', 'completed']);
    }
  });
});

describe('a lock path that is not a regular file', () => {
  // Reading a FIFO waits for a writer forever: every command that takes the lock once hung on one.
  const holders: readonly (readonly [string, (file: string) => void])[] = [
    ['a FIFO', mkfifo],
    ['a folder', (file) => mkdirSync(file)],
    ['a symlink to a file outside the project', (file) => symlinkSync('/etc/hostname', file)],
  ];
  const commands: readonly (readonly string[])[] = [RUN, ['reset', 'T1', 'plan'], ['unblock', 'T1', 'plan']];
  it.each(holders)('%s: run, reset and unblock exit 2 naming the path, start nothing and leave it alone', async (_name, make) => {
    const { project, startsDir } = setup();
    mkdirSync(orchestratorDir(project), { recursive: true });
    make(lockFile(project));
    const plan = readFileSync(planFile(project));
    const before = lstatSync(lockFile(project));
    for (const args of commands) {
      const r = await within(runCli(args, chaosOptions(project, { CHAOS_STARTS_DIR: startsDir })), 20_000, `ccasp ${args[0]}`);
      expect(r.code, `${args[0]}: ${r.stderr}`).toBe(2);
      expect(r.stderr).toContain(`${lockFile(project)} is `);
      expect(r.stderr).toContain('not a file ccasp wrote');
    }
    expect(lstatSync(lockFile(project)).ino).toBe(before.ino);
    expect(readFileSync(planFile(project)).equals(plan), 'the plan is untouched').toBe(true);
    expect(existsSync(stateFile(project))).toBe(false);
    expect(startCounts(startsDir).size).toBe(0);
  }, 60_000);
});

describe('the orphan reaper ends only the agents ccasp started', () => {
  interface Case {
    readonly name: string;
    /** Default: the stand-in agent, the claude of these runs. */
    readonly command?: string;
    readonly args: (session: string) => string[];
    readonly uid?: number;
    /** What state.json records of its process: all of it, nothing yet, or its pid with another start time. */
    readonly record: 'process' | 'nothing' | 'another start time';
    readonly ended: boolean;
  }

  const asAgent = (session: string): string[] => ['-p', `--session-id=${session}`];
  const NOBODY = 65534;
  const cases: readonly Case[] = [
    { name: 'an agent the killed run recorded', args: asAgent, record: 'process', ended: true },
    { name: 'an agent started just before the kill, its process not yet recorded', args: asAgent, record: 'nothing', ended: true },
    { name: 'the session id inside another argument', args: (s) => ['-p', `--note=--session-id=${s}`], record: 'nothing', ended: false },
    { name: 'the exact argument, but not claude', command: process.execPath, args: (s) => ['-e', 'setTimeout(() => {}, 120000)', '--', ...asAgent(s)], record: 'nothing', ended: false },
    // In a group of its own that a shell leads, so that a reaper ending the wrong group ends only these two.
    { name: 'claude, but not leading its process group', command: '/bin/sh', args: (s) => ['-c', `"${CHAOS_AGENT}" -p --session-id=${s} & wait`], record: 'nothing', ended: false },
    { name: 'the recorded pid, but a process started at another time', args: asAgent, record: 'another start time', ended: false },
    // Only root can start a process as another user; ccasp often runs as root.
    ...(process.getuid?.() === 0 ? [{ name: 'claude as another user', args: asAgent, uid: NOBODY, record: 'process', ended: false } as const] : []),
  ];

  /** Starts `c` with a new session id; killed when the test ends, and by tempDir's clean-up at the latest. */
  function start(c: Case, dir: string): { session: string; child: ChildProcess; pid: number; gone: () => boolean } {
    const session = randomUUID();
    const child = spawn(c.command ?? CHAOS_AGENT, c.args(session), {
      // Another user cannot enter the test's private folder.
      cwd: c.uid === undefined ? dir : '/',
      detached: true,
      stdio: 'ignore',
      env: cleanEnv({ CHAOS_SLEEP_MS: '120000' }),
      ...(c.uid !== undefined ? { uid: c.uid, gid: c.uid } : {}),
    });
    const pid = child.pid;
    if (pid === undefined) throw new Error(`could not start ${c.name}`);
    onTestFinished(() => killGroup(pid));
    let exited = false;
    child.on('exit', () => (exited = true));
    return { session, child, pid, gone: () => exited || !isProcessAlive(pid) };
  }

  it('ends the stand-ins a killed run left, and no process that only looks like one', async () => {
    const { project, startsDir, dir } = setup({ name: 'Reaper', phases: [{ id: 'P1', name: 'Only', tasks: [{ id: 'T1', title: 'Only task', status: 'pending', file: 'out/T1.txt' }] }] });
    const first = await runCli(RUN, chaosOptions(project, { CHAOS_STARTS_DIR: startsDir, CHAOS_SLEEP_MS: '10' }));
    expect(first.code, first.stderr).toBe(0);

    const started = cases.map((c) => ({ c, ...start(c, dir) }));
    const state = JSON.parse(readFileSync(stateFile(project), 'utf8')) as { activeAgents: unknown[] };
    state.activeAgents = await Promise.all(
      started.map(async ({ c, session, pid }, i) => {
        // The process as it runs: wait until the stand-in has been exec'd and /proc shows it.
        const identity = await until(() => processIdentity(pid), `the process of ${c.name}`);
        const recorded = c.record === 'nothing' ? {} : c.record === 'process' ? identity : { ...identity, processStart: identity.processStart + 1 };
        return { agentId: session, taskId: 'T1', spawnedAt: new Date().toISOString(), status: 'running', attempt: i + 1, specialist: 'l2-general-specialist', model: 'sonnet', sessionId: session, ...recorded };
      }),
    );
    writeFileSync(stateFile(project), JSON.stringify(state));

    const second = await runCli(RUN, chaosOptions(project, { CHAOS_STARTS_DIR: startsDir }));
    expect(second.code, second.stderr).toBe(0);
    for (const { c, pid, gone } of started) {
      if (c.ended) {
        expect(second.stderr, c.name).toContain(`warning: ended agent pid ${pid} for T1`);
        await until(() => gone() || undefined, `${c.name} (pid ${pid}) to be gone`);
      } else {
        expect(second.stderr, c.name).not.toContain(`pid ${pid} `);
        expect(gone(), `${c.name} (pid ${pid}) was ended`).toBe(false);
      }
    }
  }, 60_000);

  it('refuses a state.json whose agent session id is not a UUID, saying what to do, and ends nothing', async () => {
    const { project, startsDir, dir } = setup({ name: 'Edited', phases: [{ id: 'P1', name: 'Only', tasks: [{ id: 'T1', title: 'Only task', status: 'pending', file: 'out/T1.txt' }] }] });
    // A hand-edited id would once have ended every process whose command line holds it (a short one:
    // most processes). This one is unique, so that the test run against such a version ends no other.
    const id = `edited-${randomUUID().slice(0, 8)}`;
    const decoy = start({ name: 'a process holding the edited id', args: () => ['-p', `--session-id=${id}`], record: 'nothing', ended: false }, dir);
    const first = await runCli(RUN, chaosOptions(project, { CHAOS_STARTS_DIR: startsDir, CHAOS_SLEEP_MS: '10' }));
    expect(first.code, first.stderr).toBe(0);
    const state = JSON.parse(readFileSync(stateFile(project), 'utf8')) as { activeAgents: unknown[] };
    state.activeAgents = [{ agentId: 'a', taskId: 'T1', spawnedAt: '2026-01-01T00:00:00.000Z', status: 'running', attempt: 1, specialist: 'l2-general-specialist', model: 'sonnet', sessionId: id }];
    writeFileSync(stateFile(project), JSON.stringify(state));
    const r = await runCli(RUN, chaosOptions(project, { CHAOS_STARTS_DIR: startsDir }));
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr).toContain(`${stateFile(project)}: activeAgents[0].sessionId: is not a UUID`);
    expect(r.stderr).toContain('delete this entry from activeAgents');
    expect(decoy.gone()).toBe(false);
  });
});

describe('bugs this suite found', () => {
  // An agent is in state.json (with its session id) before it is spawned; its pid comes later (see
  // RunBook.agentSpawned). endOrphans() once skipped agents without a pid, so a kill -9 in between
  // left an agent working while the next run started the same task again. Orphans are now found by
  // the session id on their command line.
  it('ends an agent the killed run had spawned but not yet recorded the pid of', async () => {
    for (let tries = 0; tries < 10; tries++) {
      const { project, startsDir, dir } = setup();
      const first = startCli([...RUN, '-c', '3'], chaosOptions(project, { CHAOS_STARTS_DIR: startsDir, CHAOS_SLEEP_MS: '5000', CHAOS_LINGER_S: '30' }));
      // Kill at the moment an agent is running while state.json has no pid for it.
      const caught = await until(
        () => {
          if (first.exited()) return null;
          const live = liveAgents(dir);
          const active = readStateJson(project).activeAgents;
          const unrecorded = active.find((a) => a.pid === undefined && a.sessionId !== undefined && live.has(a.sessionId));
          if (unrecorded) {
            first.child.kill('SIGKILL');
            return { session: unrecorded.sessionId!, pid: live.get(unrecorded.sessionId!)! };
          }
          if (active.length === 3 && active.every((a) => a.pid !== undefined)) {
            first.child.kill('SIGKILL'); // missed the window
            return null;
          }
          return undefined;
        },
        'an agent without a pid in state.json',
        15_000,
      );
      await first.done;
      if (!caught) {
        for (const pid of liveAgents(dir).values()) killGroup(pid);
        continue;
      }
      const second = startCli(RUN, chaosOptions(project, { CHAOS_STARTS_DIR: startsDir }));
      await second.waitForEvent('run.started');
      const left = liveAgents(dir).get(caught.session);
      if (left !== undefined) killGroup(left);
      expect(left, `agent pid ${caught.pid} (session ${caught.session}) of the killed run is still running`).toBeUndefined();
      expect((await second.done).code).toBe(0);
      return;
    }
    throw new Error('could not catch the window in 10 tries');
  }, 120_000);

  // A run that reached the lock only after another run had finished once worked from the copy of
  // PROGRESS.json it read before the lock: it ran completed tasks again and wrote its copy over the
  // other run's. The plan is now read again once the lock is held. The delay before link() (the
  // lock) only widens a window that CPU load opens by itself.
  it('a run that takes the lock after another run finished works from the plan on disk', async () => {
    const { project, startsDir } = setup({
      name: 'Stale',
      phases: [{ id: 'P1', name: 'Only', tasks: [{ id: 'T1', title: 'Only task', status: 'pending', file: 'out/T1.txt' }] }],
    });
    const env = { CHAOS_STARTS_DIR: startsDir, CHAOS_SLEEP_MS: '200' };
    const late = startCli(RUN, chaosOptions(project, { ...env, CHAOS_FS_DELAY_LINK_MS: '2000' }, ['--import', PRELOAD]));
    await delay(600); // the late run has read the plan and is on its way to the lock
    const early = await runCli(RUN, chaosOptions(project, env));
    expect(early.code, early.stderr).toBe(0);
    const lateResult = await late.done;
    expect([0, 3]).toContain(lateResult.code);
    expect(startCounts(startsDir).get('T1'), 'T1 ran once').toHaveLength(1);
    expect(readStateJson(project).attempts.map((a) => a.outcome)).toEqual(['completed']);
  }, 30_000);
});

