#!/usr/bin/env node
// `npm run test:chaos [-- --runs N --seed S] [vitest filters…]`: the chaos suites in their long form.
// The kill -9 driver (kill.test.ts) delivers N random SIGKILLs (default 50) from seed S (default
// random; printed either way, and CHAOS_SEED=S replays it); the other suites in test/chaos/ run as in
// `npm test`. Files run one at a time, so the kill timings are not disturbed by the other suites.
// dist/ must be built first (the npm script does it).
import { spawn } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const args = process.argv.slice(2);
let runs = 50;
let seed = Math.floor(Math.random() * 2 ** 32);
const rest = [];

function wholeNumber(flag, value, min) {
  const n = Number(value);
  if (!Number.isInteger(n) || n < min) {
    console.error(`chaos: ${flag} must be a whole number of ${min} or more, got "${value ?? ''}"`);
    process.exit(2);
  }
  return n;
}

for (let i = 0; i < args.length; i++) {
  const arg = args[i];
  const [flag, inline] = arg.split(/=(.*)/s);
  if (flag === '--runs') runs = wholeNumber('--runs', inline ?? args[++i], 1);
  else if (flag === '--seed') seed = wholeNumber('--seed', inline ?? args[++i], 0);
  else if (arg === '-h' || arg === '--help') {
    console.log('usage: npm run test:chaos -- [--runs N] [--seed S] [test files…] [vitest options]');
    console.log('  --runs N   SIGKILLs to deliver (default 50)');
    console.log('  --seed S   seed for the kill moments and agent durations (default: random, printed)');
    process.exit(0);
  } else rest.push(arg);
}

console.log(`chaos: ${runs} kills, seed ${seed} (replay: npm run test:chaos -- --runs ${runs} --seed ${seed})`);
// File filters given (e.g. test/chaos/kill.test.ts) replace the default, the whole folder.
const valued = new Set(['-t', '--testNamePattern', '--reporter', '--config', '-c']);
const filters = rest.filter((a, i) => !a.startsWith('-') && !valued.has(rest[i - 1] ?? ''));
const vitest = path.join(root, 'node_modules', 'vitest', 'vitest.mjs');
const child = spawn(process.execPath, [vitest, 'run', ...(filters.length > 0 ? [] : ['test/chaos']), '--no-file-parallelism', ...rest], {
  cwd: root,
  stdio: 'inherit',
  env: { ...process.env, CHAOS_RUNS: String(runs), CHAOS_SEED: String(seed), CHAOS_VERBOSE: '1' },
});
child.on('exit', (code, signal) => {
  if (signal) process.kill(process.pid, signal);
  else process.exit(code ?? 1);
});
