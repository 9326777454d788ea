import { describe, expect, it } from 'vitest';
import { tempDir } from '../support/tmp.js';
import { formatFigures, runChaos } from './kill-driver.js';

/**
 * kill -9 at random moments (see kill-driver.ts). `npm test` runs a short form (8 kills);
 * `npm run test:chaos` the long one (50 by default; `--runs N --seed S`). Both print the seed, and
 * CHAOS_SEED=<seed> replays the same kill moments and agent durations.
 */
const runs = Number(process.env.CHAOS_RUNS ?? 8);
const seed = process.env.CHAOS_SEED !== undefined ? Number(process.env.CHAOS_SEED) : Math.floor(Math.random() * 2 ** 32);
const verbose = process.env.CHAOS_VERBOSE === '1' || runs > 8;

describe('ccasp run survives kill -9', () => {
  it(
    `keeps PROGRESS.json and state.json valid through ${runs} random SIGKILLs, redoes nothing completed and leaves no agent behind`,
    async () => {
      expect(Number.isInteger(runs) && runs >= 1, `CHAOS_RUNS must be a whole number of 1 or more, got ${process.env.CHAOS_RUNS}`).toBe(true);
      expect(Number.isInteger(seed) && seed >= 0, `CHAOS_SEED must be a whole number, got ${process.env.CHAOS_SEED}`).toBe(true);
      console.log(`chaos: ${runs} kills, seed ${seed} (rerun with CHAOS_SEED=${seed} CHAOS_RUNS=${runs})`);
      const figures = await runChaos({ runs, seed, workDir: tempDir('ccasp-chaos-kill-'), log: verbose ? (line) => console.log(`chaos: ${line}`) : undefined });
      console.log(formatFigures(figures));
      expect(figures.violations, `seed ${seed}`).toEqual([]);
      expect(figures.kills).toBe(runs);
      expect(figures.orphansLeftAfterNextRunStarted).toBe(0);
    },
    120_000 + runs * 8_000,
  );
});
