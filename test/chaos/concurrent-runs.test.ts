import { existsSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { startCli } from '../support/cli.js';
import { lockFile, makeProject, readStateJson, taskStatuses } from '../support/files.js';
import { tempDir, writeFile } from '../support/tmp.js';
import { CHAOS_AGENT, chaosOptions, startCounts, within } from './support.js';

/**
 * Two `ccasp run`s started at the same instant on the same project, 20 times over: exactly one
 * proceeds (runs the plan, exit 0) and the other exits 3 without touching anything. Rounds run four
 * at a time (on separate projects) to keep the suite short.
 *
 * The winner's agent takes 800 ms so that the loser reaches the lock while the winner holds it even
 * on a loaded machine. With a short agent this test sometimes sees both runs proceed: the loser
 * read PROGRESS.json before it tried the lock, took the lock once the winner had released it, and
 * ran the completed task again from its stale copy (fixed: the plan is read again once the lock is
 * held; reproduced deterministically in lock-and-orphans.test.ts).
 */
const ROUNDS = 20;
const RACE_PLAN = {
  name: 'Race',
  phases: [{ id: 'P1', name: 'Only', tasks: [{ id: 'T1', title: 'The only task', status: 'pending', file: 'out/T1.txt' }] }],
};
const AT_ONCE = 4;

describe('two runs started at once', () => {
  it(`lets exactly one proceed, ${ROUNDS} times out of ${ROUNDS}`, async () => {
    const work = tempDir('ccasp-chaos-concurrent-');
    const tally = { firstWon: 0, secondWon: 0 };
    const playRound = async (round: number) => {
      const dir = path.join(work, `round-${round}`);
      const startsDir = path.join(dir, 'starts');
      mkdirSync(startsDir, { recursive: true });
      const project = makeProject(RACE_PLAN, dir);
      const options = chaosOptions(project, { CHAOS_STARTS_DIR: startsDir, CHAOS_SLEEP_MS: '800' });
      const args = ['run', 'plan', '--claude-bin', CHAOS_AGENT, '--json', '--no-github'];
      // Spawned back to back in one tick: the two processes race from the same instant.
      const runs = [startCli(args, options), startCli(args, options)];
      const results = await within(Promise.all(runs.map((r) => r.done)), 60_000, `round ${round}`);
      const codes = results.map((r) => r.code);
      const context = `round ${round}: exits ${codes.join(', ')}\n${results.map((r) => r.stderr).join('\n---\n')}`;
      expect([...codes].sort(), context).toEqual([0, 3]);
      const winner = codes.indexOf(0);
      const loser = results[1 - winner]!;
      if (winner === 0) tally.firstWon++;
      else tally.secondWon++;
      expect(loser.stderr, context).toMatch(/Another ccasp run is active in this project \(pid \d+/);
      expect(loser.stderr, context).toContain(`pid ${runs[winner]!.pid}`);
      expect(loser.stderr).not.toMatch(/internal error|\n\s+at /);
      // The loser started nothing and emitted no run events.
      expect(runs[1 - winner]!.events().filter((e) => e.type === 'run.started')).toEqual([]);
      expect(startCounts(startsDir).get('T1'), context).toHaveLength(1);
      expect(taskStatuses(project)['T1']).toBe('completed');
      const state = readStateJson(project);
      expect(state.status).toBe('completed');
      expect(state.metrics.totalAgentsSpawned).toBe(1);
      expect(state.attempts.map((a) => a.outcome)).toEqual(['completed']);
      expect(existsSync(lockFile(project)), 'the winner released the lock').toBe(false);
    };
    for (let round = 1; round <= ROUNDS; round += AT_ONCE) {
      await Promise.all(Array.from({ length: Math.min(AT_ONCE, ROUNDS - round + 1) }, (_, i) => playRound(round + i)));
    }
    console.log(`concurrent runs: ${ROUNDS} rounds, exactly one proceeded each time (first spawned won ${tally.firstWon}, second ${tally.secondWon})`);
  }, 120_000);

  // Outside git the project root once fell back to the caller's folder: started from two folders, the
  // two runs took two locks and kept two state files, and the task ran twice.
  it('lets exactly one proceed when the plan is in no git repository and they start from different folders', async () => {
    const work = tempDir('ccasp-chaos-concurrent-');
    const playRound = async (round: number) => {
      const dir = path.join(work, `round-${round}`);
      const startsDir = path.join(dir, 'starts');
      mkdirSync(startsDir, { recursive: true });
      const planDir = path.dirname(writeFile(dir, 'project/plan/PROGRESS.json', RACE_PLAN));
      const args = (arg: string) => ['run', arg, '--claude-bin', CHAOS_AGENT, '--json', '--no-github'];
      const env = { CHAOS_STARTS_DIR: startsDir, CHAOS_SLEEP_MS: '800' };
      const runs = [startCli(args('plan'), chaosOptions(path.dirname(planDir), env)), startCli(args('.'), chaosOptions(planDir, env))];
      const results = await within(Promise.all(runs.map((r) => r.done)), 60_000, `round ${round}`);
      const context = `round ${round}: exits ${results.map((r) => r.code).join(', ')}\n${results.map((r) => r.stderr).join('\n---\n')}`;
      expect(results.map((r) => r.code).sort(), context).toEqual([0, 3]);
      expect(startCounts(startsDir).get('T1'), context).toHaveLength(1);
      // The plan's folder is the root: one state file, whichever folder a run started from.
      expect(readStateJson(planDir).attempts.map((a) => a.outcome)).toEqual(['completed']);
      expect(existsSync(path.join(dir, 'project', '.claude')), 'nothing kept in the folder a run started from').toBe(false);
    };
    await Promise.all([1, 2, 3, 4].map(playRound));
  }, 120_000);
});
