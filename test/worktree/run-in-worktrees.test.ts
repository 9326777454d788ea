import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ndjsonLineSchema } from '../../src/orchestrator/event-schema.js';
import type { OrchestratorEvent } from '../../src/orchestrator/events.js';
import { isProcessAlive } from '../../src/state/lock.js';
import type { IntegrationMarker } from '../../src/worktree/integrate.js';
import { integrationMarkerPath } from '../../src/worktree/names.js';
import { scriptedAgent, type AgentStep } from '../support/agents.js';
import { runCli, startCli } from '../support/cli.js';
import { readPlan, readStateJson as readState, taskStatuses } from '../support/files.js';
import { killGroup, processesWith } from '../support/processes.js';
import { writeFile } from '../support/tmp.js';
import { until } from '../support/until.js';
import { branches, parkRefUpdate, planRepo, sh, shStatus, worktreeList, worktreeOf, type Parked } from './fixture.js';

/**
 * `ccasp run --isolation worktree` through the built CLI: real git, a scripted stand-in for claude.
 * Each task's agent works in its own worktree; completed work is merged into the branch the run
 * started on; a run killed at any point, even inside a merge, is picked up cleanly by the next.
 */

const task = (id: string, file: string, extra: Record<string, unknown> = {}) => ({ id, title: `Make ${file}`, file, status: 'pending', ...extra });
const SHARED = 'src/shared.txt';

const events = (stdout: string): OrchestratorEvent[] =>
  stdout
    .split('\n')
    .filter(Boolean)
    .map((line) => ndjsonLineSchema.parse(JSON.parse(line)).event);

/** Puts its own line in the middle of src/shared.txt and writes its file; its retry changes nothing. */
const sharedEditor = (taskId: string, own: string): AgentStep[][] => [
  [{ write: SHARED, content: `line 1\n${taskId} was here\nline 3\n` }, { write: own, content: `${taskId}\n` }, { complete: { summary: `${taskId} edited the shared file` } }],
  [{ complete: { artifacts: [own], summary: 'left it as it was' } }],
];

function conflictPlan() {
  // Different declared files, so the scheduler runs both at once; both also edit the shared file.
  return planRepo({ name: 'Conflict', phases: [{ id: 'P1', name: 'Only', tasks: [task('T1', 'src/one.txt'), task('T2', 'src/two.txt')] }] }, { [SHARED]: 'line 1\nline 2\nline 3\n' });
}

const lockFiles = (dir: string) => readdirSync(path.join(dir, '.git'), { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith('.lock'));
const mergeHead = (dir: string) => shStatus(dir, 'rev-parse', '--verify', '--quiet', 'MERGE_HEAD') === 0;
const isAncestorOf = (dir: string, ancestor: string, rev: string) => shStatus(dir, 'merge-base', '--is-ancestor', ancestor, rev) === 0;

/** A moment during the integration of a finished task at which the run is killed, and what the next run must make of it. */
interface KillWindow {
  readonly name: string;
  /** 1: the first task's fast-forward; 2: the second task's merge commit (both tasks start from the first commit). */
  readonly nth: 1 | 2;
  readonly state: 'prepared' | 'committed';
  /**
   * Only ccasp is killed; its git merge runs in a process group of its own. killed: git's group is
   * killed too (the machine or container went down). finishes: git completes before the next run.
   * still-running: git is still waiting in the hook when the next run starts.
   */
  readonly git: 'killed' | 'finishes' | 'still-running';
  /** What the repository looks like once everything killed is gone, to prove the window was hit. */
  readonly atKill: (dir: string, marker: IntegrationMarker, taskId: string) => void;
  /** How the next run describes what it found. */
  readonly recovered: (taskFile: string, parked: Parked) => string[];
}

const KILL_WINDOWS: readonly KillWindow[] = [
  {
    // The second task's merge: MERGE_HEAD written, files and index merged, HEAD's and main's locks held.
    name: 'merge commit, not landed',
    nth: 2,
    state: 'prepared',
    git: 'killed',
    atKill: (dir, marker) => {
      expect(mergeHead(dir)).toBe(true);
      expect(sh(dir, 'rev-parse', 'main')).toBe(marker.before);
      expect(lockFiles(dir)).not.toEqual([]);
    },
    recovered: () => ['was stopped mid-merge; the merge was aborted and the branch is as it was'],
  },
  {
    // The first task's fast-forward: files and index at the task's tip, main not moved, its lock held.
    name: 'fast-forward, branch not moved',
    nth: 1,
    state: 'prepared',
    git: 'killed',
    atKill: (dir, marker, taskId) => {
      expect(mergeHead(dir)).toBe(false);
      expect(sh(dir, 'rev-parse', 'main')).toBe(marker.before);
      expect(sh(dir, 'diff', '--cached', '--name-only')).toBe(FILE_OF[taskId]);
    },
    recovered: (file) => [`was cut short; ${file} put back`],
  },
  {
    // main has moved to the merge commit; git has not removed MERGE_HEAD yet, and PROGRESS.json does not say completed.
    name: 'merge commit landed, not recorded',
    nth: 2,
    state: 'committed',
    git: 'killed',
    atKill: (dir, marker, taskId) => {
      expect(mergeHead(dir)).toBe(true);
      expect(sh(dir, 'rev-parse', 'main^1')).toBe(marker.before);
      expect(isAncestorOf(dir, marker.tip, 'main')).toBe(true);
      expect(taskStatuses(dir)[taskId]).not.toBe('completed');
    },
    recovered: () => ['had finished'],
  },
  {
    name: 'ccasp alone; git finishes',
    nth: 1,
    state: 'prepared',
    git: 'finishes',
    atKill: (dir, marker, taskId) => {
      expect(sh(dir, 'rev-parse', 'main')).toBe(marker.tip);
      expect(existsSync(integrationMarkerPath(dir))).toBe(true);
      expect(taskStatuses(dir)[taskId]).not.toBe('completed');
    },
    recovered: () => ['had finished'],
  },
  {
    name: 'ccasp alone; git still running',
    nth: 1,
    state: 'prepared',
    git: 'still-running',
    atKill: (dir, marker) => {
      expect(sh(dir, 'rev-parse', 'main')).toBe(marker.before);
      expect(lockFiles(dir)).not.toEqual([]);
    },
    // The next run must not take the locks of a live git away: it ends the merge first, then undoes it.
    recovered: (file, parked) => [`was cut short; ${file} put back`, `ended the killed run's git merge, still running: pid ${parked.gitPid}`],
  },
];
const FILE_OF: Readonly<Record<string, string>> = { T1: 'a.txt', T2: 'b.txt' };

describe('ccasp run --isolation worktree', () => {
  it('runs parallel tasks in their own worktrees and merges both into the branch, leaving no worktree or branch', async () => {
    const dir = planRepo({
      name: 'Parallel',
      phases: [
        { id: 'P1', name: 'Base', tasks: [task('P1.1', 'src/a.js'), task('P1.2', 'web/b.html')] },
        { id: 'P2', name: 'More', tasks: [task('P2.1', 'src/c.js', { dependencies: ['P1.1', 'P1.2'], verify: 'node --check src/c.js' })] },
      ],
    });
    const agent = scriptedAgent({
      'P1.1': [[{ sleep: 300 }, { write: 'src/a.js' }, { complete: {} }]],
      'P1.2': [[{ sleep: 300 }, { write: 'web/b.html' }, { complete: {} }]],
      // Its dependencies' files must already be in its worktree.
      'P2.1': [[{ needs: ['src/a.js', 'web/b.html'] }, { write: 'src/c.js' }, { complete: {} }]],
    });
    const r = await runCli(['run', 'plan', '--concurrency', '2', '--json'], { cwd: dir, env: agent.env() });
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(taskStatuses(dir)).toEqual({ 'P1.1': 'completed', 'P1.2': 'completed', 'P2.1': 'completed' });

    // Each agent ran in its own worktree and was told so.
    const starts = agent.starts();
    expect(starts.map((s) => s.taskId).sort()).toEqual(['P1.1', 'P1.2', 'P2.1']);
    for (const s of starts) {
      expect(s.cwd).toBe(worktreeOf(dir, s.taskId));
      expect(s.prompt).toContain(`- Project root: ${worktreeOf(dir, s.taskId)} `);
    }
    // P1.1 and P1.2 ran at the same time: both started before either was merged.
    const seen = events(r.stdout);
    const startedP1 = seen.map((e, i) => (e.type === 'task.started' && e.taskId.startsWith('P1.') ? i : -1)).filter((i) => i >= 0);
    expect(startedP1).toHaveLength(2);
    expect(Math.max(...startedP1)).toBeLessThan(seen.findIndex((e) => e.type === 'task.integrated'));

    // Everything is on main, committed: each task's commit, and the plan's progress last.
    for (const f of ['src/a.js', 'web/b.html', 'src/c.js']) expect(sh(dir, 'show', `main:${f}`)).toContain('export const done = true;');
    const log = sh(dir, 'log', '--format=%s', 'main');
    expect(log).toMatch(/^ccasp: progress of Parallel\n/);
    for (const id of ['P1.1', 'P1.2', 'P2.1']) expect(log).toContain(`${id}: wrote `);
    expect(sh(dir, 'status', '--porcelain')).toBe('');
    expect(JSON.parse(sh(dir, 'show', 'main:plan/PROGRESS.json')).status).toBe('completed');

    const integrated = seen.filter((e) => e.type === 'task.integrated');
    expect(integrated.map((e) => e.taskId).sort()).toEqual(['P1.1', 'P1.2', 'P2.1']);
    expect(integrated.map((e) => e.type === 'task.integrated' && e.how)).toContain('merge');

    // Nothing left: no worktree, no task branch, no folder.
    expect(worktreeList(dir)).toEqual([`worktree ${dir}`]);
    expect(branches(dir)).toEqual(['main']);
    expect(existsSync(path.join(dir, '.claude', 'worktrees'))).toBe(false);
    expect(readState(dir)).toMatchObject({ isolation: 'worktree', integrationBranch: 'main', status: 'completed' });
  });

  it('retries a task whose work conflicts, with the new tip merged in and the file named, then merges it', async () => {
    const dir = conflictPlan();
    const resolving = (taskId: string, own: string): AgentStep[][] => [
      sharedEditor(taskId, own)[0]!,
      [{ write: SHARED, content: 'line 1\nT1 was here\nT2 was here\nline 3\n' }, { complete: { artifacts: [SHARED, own], summary: 'kept both changes' } }],
    ];
    const agent = scriptedAgent({ T1: resolving('T1', 'src/one.txt'), T2: resolving('T2', 'src/two.txt') });
    const r = await runCli(['run', 'plan', '--concurrency', '2'], { cwd: dir, env: agent.env() });
    expect(r.code, r.stdout + r.stderr).toBe(0);
    // Whichever finished second conflicted and was retried; the other merged at once.
    const attempts = readState(dir).attempts;
    const loser = attempts.find((a) => a.outcome === 'retry')!.taskId;
    expect(attempts.filter((a) => a.taskId === loser).map((a) => [a.outcome, a.conflictPaths])).toEqual([
      ['retry', [SHARED]],
      ['completed', undefined],
    ]);
    expect(r.stdout).toContain(`${loser} conflicts with the integration branch in ${SHARED}`);
    const retry = agent.starts().filter((s) => s.taskId === loser)[1]!;
    expect(retry.prompt).toContain('## Merge conflict to resolve first');
    expect(retry.prompt).toContain(SHARED);
    // The retry found git's markers in its worktree, and its resolution is what main has.
    expect(sh(dir, 'show', `main:${SHARED}`)).toBe('line 1\nT1 was here\nT2 was here\nline 3');
    expect(taskStatuses(dir)).toEqual({ T1: 'completed', T2: 'completed' });
    expect(worktreeList(dir)).toEqual([`worktree ${dir}`]);
  });

  it('blocks a task whose retry leaves the conflict, naming the file and the kept worktree; status lists it and clean --all removes it', async () => {
    const dir = conflictPlan();
    const env = scriptedAgent({ T1: sharedEditor('T1', 'src/one.txt'), T2: sharedEditor('T2', 'src/two.txt') }).env();
    const r = await runCli(['run', 'plan', '--concurrency', '2', '--max-retries', '1'], { cwd: dir, env });
    expect(r.code, r.stdout + r.stderr).toBe(4);
    const loser = readState(dir).blockedTasks[0]!.taskId;
    const wt = worktreeOf(dir, loser);
    const blocker = readPlan(dir).phases[0]!.tasks.find((t) => t.id === loser)!.blocker!;
    expect(blocker).toContain(SHARED);
    expect(blocker).toContain(wt);
    expect(readFileSync(path.join(wt, SHARED), 'utf8')).toContain('<<<<<<<');
    // main has only the winner's change; the user's tree has no markers.
    expect(readFileSync(path.join(dir, SHARED), 'utf8')).not.toContain('<<<<<<<');

    const status = await runCli(['status', 'plan', '--json'], { cwd: dir, env });
    expect(status.code, status.stderr).toBe(0);
    expect(JSON.parse(status.stdout).worktrees).toEqual([
      { taskId: loser, taskStatus: 'blocked', condition: 'ready', path: `.claude/worktrees/ccasp/${loser}`, branch: `ccasp/conflict/${loser}`, ahead: 1, uncommitted: expect.any(Number), saved: [] },
    ]);
    expect((await runCli(['status', 'plan'], { cwd: dir, env })).stdout).toContain(`Worktrees (1), kept for inspection:\n  ${loser}  .claude/worktrees/ccasp/${loser}`);

    const keep = await runCli(['clean', 'plan'], { cwd: dir, env });
    expect(keep.code, keep.stderr).toBe(0);
    expect(keep.stdout).toContain(`kept (blocked or failed; --all removes them too): ${loser}`);
    expect(existsSync(wt)).toBe(true);
    const all = await runCli(['clean', 'plan', '--all', '--json'], { cwd: dir, env });
    expect(all.code, all.stderr).toBe(0);
    expect(JSON.parse(all.stdout)).toEqual({ removed: [loser], kept: [], recovered: [] });
    expect(worktreeList(dir)).toEqual([`worktree ${dir}`]);
    expect(branches(dir)).toEqual(['main']);
    expect(JSON.parse((await runCli(['status', 'plan', '--json'], { cwd: dir, env })).stdout).worktrees).toEqual([]);
  });

  it('refuses a dirty working tree, naming the paths, unless --allow-dirty', async () => {
    const dir = planRepo({ name: 'Dirty', phases: [{ id: 'P1', name: 'Only', tasks: [task('T1', 'src/a.js')] }] });
    writeFile(dir, 'README.md', '# changed by the user\n');
    writeFile(dir, 'notes.txt', 'mine\n');
    const agent = scriptedAgent();
    const env = agent.env();
    const refused = await runCli(['run', 'plan', '--isolation', 'worktree'], { cwd: dir, env });
    expect(refused.code, refused.stdout + refused.stderr).toBe(2);
    expect(refused.stderr).toMatch(/uncommitted changes in .*: README\.md, notes\.txt\. /);
    expect(refused.stderr).toContain('--allow-dirty');
    expect(agent.starts()).toEqual([]);
    expect(taskStatuses(dir)).toEqual({ T1: 'pending' });

    const r = await runCli(['run', 'plan', '--isolation', 'worktree', '--allow-dirty'], { cwd: dir, env });
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(sh(dir, 'show', 'main:src/a.js')).toContain('export const done = true;');
    // The user's changes are still theirs: uncommitted and as they were.
    expect(readFileSync(path.join(dir, 'README.md'), 'utf8')).toBe('# changed by the user\n');
    expect(sh(dir, 'status', '--porcelain').split('\n').sort()).toEqual([' M README.md', '?? notes.txt']);
  });

  it('resumes after kill -9 in worktree mode and finishes, with nothing left behind', async () => {
    const dir = planRepo({ name: 'Killed', phases: [{ id: 'P1', name: 'Only', tasks: [task('T1', 'a.txt'), task('T2', 'b.txt')] }] });
    // The first T2 agent writes a draft and then hangs; the next one is honest.
    const env = scriptedAgent({ T2: [[{ write: 'draft.txt', content: 'half\n' }, { hang: true }], [{ write: 'b.txt' }, { complete: {} }]] }).env();
    const first = startCli(['run', 'plan', '--concurrency', '2'], { cwd: dir, env });
    const pid = await until(() => {
      const s = readState(dir);
      return s.completedTasks.includes('T1') ? s.activeAgents.find((a) => a.taskId === 'T2')?.pid : undefined;
    });
    await until(() => (existsSync(path.join(worktreeOf(dir, 'T2'), 'draft.txt')) ? true : undefined));
    first.child.kill('SIGKILL');
    await first.done;

    const second = await runCli(['run', 'plan', '--concurrency', '2'], { cwd: dir, env });
    expect(second.code, second.stdout + second.stderr).toBe(0);
    expect(second.stderr).toContain(`ended agent pid ${pid} for T2`);
    expect(isProcessAlive(pid)).toBe(false);
    expect(taskStatuses(dir)).toEqual({ T1: 'completed', T2: 'completed' });
    expect(readState(dir).attempts.filter((a) => a.taskId === 'T2').map((a) => a.outcome)).toEqual(['interrupted', 'completed']);
    expect(sh(dir, 'show', 'main:a.txt')).toContain('T1');
    expect(sh(dir, 'show', 'main:b.txt')).toContain('T2');
    // The resumed attempt went on in the worktree the killed one left, draft included.
    expect(sh(dir, 'show', 'main:draft.txt')).toBe('half');
    expect(worktreeList(dir)).toEqual([`worktree ${dir}`]);
    expect(branches(dir)).toEqual(['main']);
    expect(sh(dir, 'status', '--porcelain')).toBe('');
  });

  it.each(KILL_WINDOWS)('resumes cleanly after kill -9 during integration: $name', async (w) => {
    const dir = planRepo({ name: 'Killed', phases: [{ id: 'P1', name: 'Only', tasks: [task('T1', 'a.txt'), task('T2', 'b.txt')] }] });
    const env = scriptedAgent().env();
    const hook = parkRefUpdate(dir, { state: w.state, nth: w.nth });
    const args = ['run', 'plan', '--isolation', 'worktree', '--concurrency', '2'];
    const first = startCli(args, { cwd: dir, env });
    const parked = await until(hook.parked, 'ccasp to reach the parked integration');
    const marker = JSON.parse(readFileSync(integrationMarkerPath(dir), 'utf8')) as IntegrationMarker;
    expect(marker.pid).toBe(first.child.pid);
    const taskId = marker.taskBranch.split('/').pop()!;

    first.child.kill('SIGKILL');
    expect((await first.done).signal).toBe('SIGKILL');
    const gone = () => !isProcessAlive(parked.gitPid) && !isProcessAlive(parked.hookPid);
    if (w.git === 'killed') killGroup(parked.gitPid);
    if (w.git === 'finishes') hook.release();
    if (w.git === 'still-running') expect(gone()).toBe(false);
    else await until(() => (gone() ? true : undefined), 'git and the hook to be gone');
    w.atKill(dir, marker, taskId);

    const second = await runCli(args, { cwd: dir, env });
    expect(second.code, second.stdout + second.stderr).toBe(0);
    const [outcome, ...more] = w.recovered(FILE_OF[taskId]!, parked);
    expect(second.stdout + second.stderr).toContain(`recovered: the integration of ${marker.taskBranch} ${outcome}`);
    for (const line of more) expect(second.stdout + second.stderr).toContain(`recovered: ${line}`);
    // Nothing of the killed run's integration lingers: not git, not the hook (nor its sleep, in its group).
    expect(gone()).toBe(true);

    // The plan completed, each task exactly once, in PROGRESS.json and in state.json alike.
    expect(taskStatuses(dir)).toEqual({ T1: 'completed', T2: 'completed' });
    expect(readPlan(dir).status).toBe('completed');
    const state = readState(dir);
    expect(state).toMatchObject({ status: 'completed', activeAgents: [], blockedTasks: [], integrationBranch: 'main' });
    expect([...state.completedTasks].sort()).toEqual(['T1', 'T2']);
    for (const id of ['T1', 'T2']) expect(state.attempts.filter((a) => a.taskId === id && a.outcome === 'completed')).toHaveLength(1);
    // The killed attempt is on record as interrupted, and the task was finished by the next one.
    expect(state.attempts.filter((a) => a.taskId === taskId).map((a) => a.outcome)).toEqual(['interrupted', 'completed']);

    // Every task's work is on main exactly once: one commit each, one merge of the two lines of work.
    const log = sh(dir, 'log', '--format=%s', 'main').split('\n');
    expect(log[0]).toBe('ccasp: progress of Killed');
    expect(log.filter((m) => m.startsWith('Merge '))).toEqual([expect.stringMatching(/^Merge T[12]: Make [ab]\.txt$/)]);
    expect(log.filter((m) => !m.startsWith('Merge ')).sort()).toEqual(['T1: wrote a.txt', 'T2: wrote b.txt', 'ccasp: progress of Killed', 'initial']);
    expect(isAncestorOf(dir, marker.tip, 'main')).toBe(true);
    for (const [id, file] of Object.entries(FILE_OF)) expect(sh(dir, 'show', `main:${file}`)).toContain(`// ${id}: ${file}`);
    expect(JSON.parse(sh(dir, 'show', 'main:plan/PROGRESS.json')).status).toBe('completed');

    // Nothing left behind: no worktree, branch, marker, merge state or git lock; the user's tree is clean.
    expect(worktreeList(dir)).toEqual([`worktree ${dir}`]);
    expect(branches(dir)).toEqual(['main']);
    expect(existsSync(integrationMarkerPath(dir))).toBe(false);
    expect(mergeHead(dir)).toBe(false);
    expect(lockFiles(dir)).toEqual([]);
    expect(sh(dir, 'status', '--porcelain')).toBe('');
    expect(processesWith(dir)).toEqual([]);
  });
});
