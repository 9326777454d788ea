import { defineConfig } from 'vitest/config';

/**
 * Three sets of tests; `npm test` runs them all, `npm run test:unit` the first alone.
 * - unit: what starts no claude binary and waits for nothing on purpose, a second or two a file at
 *   most (it may start ccasp and the stand-in agents of test/fixtures/agents/).
 * - slow: no claude either, but seconds to tens of seconds a file of processes, git, fsyncs and
 *   deliberate waits: the chaos suites (kill -9 at random, races, full disks, fuzzing), git
 *   worktrees, the lock race, `ccasp run` and `ccasp plan` scenarios with stand-in agents (retry
 *   back-off, agents that take their time, runs one after another, a Task Master round trip),
 *   `verify` commands past their time limits, `ccasp run` against a fake GitHub that paces its
 *   writes as GitHub does, queue workers on a real Redis, and the dashboard in headless Chromium.
 * - claude: the real claude binary against the scripted API (test/e2e/).
 */
const CLAUDE = ['test/e2e/**/*.test.ts'];
const SLOW = [
  'test/chaos/**/*.test.ts',
  'test/worktree/**/*.test.ts',
  'test/queue/run-on-workers.test.ts',
  'test/queue/worker-stop.test.ts',
  'test/queue/resume-on-workers.test.ts',
  'test/state/lock-race.test.ts',
  'test/cli/run-agents.test.ts',
  'test/cli/run-output.test.ts',
  'test/cli/reopen.test.ts',
  'test/cli/run.test.ts',
  'test/cli/plan.test.ts',
  'test/cli/taskmaster.test.ts',
  'test/verify/run-verify.test.ts',
  'test/github/run-sync.test.ts',
  'test/dashboard/browser.test.ts',
];

export default defineConfig({
  test: {
    // End-to-end tests run the real claude binary; give them room without hiding a hang forever.
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // A worker per core, not one fewer: most tests wait on the processes they start.
    maxWorkers: '100%',
    projects: [
      { extends: true, test: { name: 'unit', include: ['test/**/*.test.ts'], exclude: [...CLAUDE, ...SLOW] } },
      { extends: true, test: { name: 'slow', include: SLOW } },
      { extends: true, test: { name: 'claude', include: CLAUDE } },
    ],
  },
});
