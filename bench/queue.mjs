#!/usr/bin/env node
// `npm run bench`, the queue's figures (issue 18): 60 tasks of a 1 s stub agent through 1 worker at
// concurrency 2 and through 3 workers at concurrency 2 (the speedup, target ≥ 2.7×), and the queue
// path's overhead per task against a local worktree run of the same plan at the same concurrency.
// Needs redis-server on PATH (skipped, with a line saying so, without it). Printed, never asserted;
// the exit is non-zero only when a run did not finish. Everything lives in one temp dir.
import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { connect, createServer } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { timed } from './measure.mjs';
import { runPlanDoc, serialize } from './plans.mjs';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const BIN = path.join(ROOT, 'bin', 'ccasp');
const NODE = process.execPath;
const PLAN = { tasks: 60, agentSeconds: 1, perWorker: 2, workers: 3, target: 2.7 };

if (spawnSync('redis-server', ['--version'], { stdio: 'ignore' }).status !== 0) {
  console.log('\nqueue: skipped, no redis-server on PATH (Debian: apt-get install redis-server)');
  process.exit(0);
}

const tmp = mkdtempSync(path.join(os.tmpdir(), 'ccasp-bench-queue-'));
const children = [];
const cleanup = () => {
  for (const child of children) child.kill('SIGKILL');
  rmSync(tmp, { recursive: true, force: true });
};
process.on('exit', cleanup);
for (const sig of ['SIGINT', 'SIGTERM']) process.on(sig, () => process.exit(sig === 'SIGINT' ? 130 : 143));

let problems = 0;
const problem = (what) => {
  problems++;
  console.log(`   !! ${what}`);
};
const git = (cwd, ...args) => spawnSync('git', ['-C', cwd, ...args], { stdio: 'ignore' }).status === 0 || problem(`git ${args.join(' ')} failed in ${cwd}`);

const port = await new Promise((resolve) => {
  const server = createServer().listen(0, '127.0.0.1', () => {
    const { port: p } = server.address();
    server.close(() => resolve(p));
  });
});
const redis = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--dir', tmp, '--save', '', '--appendonly', 'no'], { stdio: 'ignore' });
children.push(redis);
for (let i = 0; i < 200 && !(await accepts(port)); i++) await delay(25);
const url = `redis://127.0.0.1:${port}`;

const stub = path.join(tmp, 'stub-agent.sh');
copyFileSync(path.join(ROOT, 'bench', 'stub-agent.sh'), stub);
chmodSync(stub, 0o755);
const env = { ...process.env, NO_COLOR: '1', STUB_AGENT_SECONDS: String(PLAN.agentSeconds), CCASP_CLAUDE_BIN: stub };
delete env.FORCE_COLOR;

/** A fresh git project holding the plan (60 independent tasks in one phase), with a bare remote as origin. */
function project(name) {
  const dir = path.join(tmp, name);
  mkdirSync(path.join(dir, 'plan'), { recursive: true });
  writeFileSync(path.join(dir, 'plan', 'PROGRESS.json'), serialize(runPlanDoc(name, 1, PLAN.tasks, 1)));
  git(tmp, 'init', '-q', '-b', 'main', dir);
  git(dir, '-c', 'user.name=bench', '-c', 'user.email=bench@example.com', 'add', '-A');
  git(dir, '-c', 'user.name=bench', '-c', 'user.email=bench@example.com', 'commit', '-qm', 'plan');
  git(tmp, 'init', '-q', '--bare', `${dir}.git`);
  git(dir, 'remote', 'add', 'origin', `${dir}.git`);
  git(dir, 'push', '-q', 'origin', 'main');
  return dir;
}

function completed(dir, label) {
  const attempts = JSON.parse(readFileSync(path.join(dir, '.claude', 'orchestrator', 'state.json'), 'utf8')).attempts ?? [];
  const done = new Set(attempts.filter((a) => a.outcome === 'completed').map((a) => a.taskId)).size;
  if (done !== PLAN.tasks) problem(`${label}: ${done} of ${PLAN.tasks} tasks completed`);
}

/**
 * The plan through `workers` workers of `perWorker` each; the coordinator keeps all of them busy.
 * Timed from the coordinator's start, with the workers up already, as a team's are when a run begins.
 */
async function throughQueue(workers, label) {
  const dir = project(label);
  const started = [];
  for (let w = 0; w < workers; w++) {
    const work = path.join(tmp, `${label}-worker-${w}`);
    const child = spawn(NODE, [BIN, 'worker', '--queue', url, '--concurrency', String(PLAN.perWorker), '--work-dir', work], { env, stdio: ['ignore', 'ignore', 'pipe'] });
    children.push(child);
    started.push(child);
  }
  await Promise.all(started.map(ready));
  const r = timed(NODE, [BIN, 'run', 'plan', '--queue', url, '--concurrency', String(workers * PLAN.perWorker), '--no-github'], { cwd: dir, env });
  for (const child of started) child.kill('SIGTERM');
  if (r.status !== 0) problem(`${label}: ccasp run exited ${r.status ?? r.signal}: ${r.stderr.trim().split('\n').slice(-2).join(' | ')}`);
  else completed(dir, label);
  return r.ms;
}

function local(label) {
  const dir = project(label);
  const r = timed(NODE, [BIN, 'run', 'plan', '--concurrency', String(PLAN.perWorker), '--isolation', 'worktree', '--no-github'], { cwd: dir, env });
  if (r.status !== 0) problem(`${label}: ccasp run exited ${r.status ?? r.signal}`);
  else completed(dir, label);
  return r.ms;
}

const one = await throughQueue(1, 'one-worker');
const three = await throughQueue(PLAN.workers, 'three-workers');
const here = local('local');
const speedup = one / three;
const sec = (ms) => `${(ms / 1000).toFixed(2)} s`;
console.log('');
console.log(`queue. ${PLAN.tasks} tasks × ${PLAN.agentSeconds} s stub agent, workers at concurrency ${PLAN.perWorker}, a real redis-server and a bare remote on this machine`);
console.log(`   1 worker                ${sec(one)}`);
console.log(`   ${PLAN.workers} workers               ${sec(three)}   speedup ${speedup.toFixed(2)}×   target ≥ ${PLAN.target}×: ${speedup >= PLAN.target ? 'meets' : 'misses'}`);
console.log(`   local, worktrees        ${sec(here)}   queue overhead ${((one - here) / PLAN.tasks).toFixed(0)} ms per task (1 worker against the local run)`);
console.log('   all processes share this machine: on separate machines the workers do not compete for its cores');
process.exitCode = problems > 0 ? 1 : 0;
// The redis-server child would keep the bench alive: 'exit' never comes while it runs.
cleanup();

/** Once the worker says it takes attempts (or has ended, which the run's figures then show). */
function ready(child) {
  return new Promise((resolve) => {
    let said = '';
    child.stderr.on('data', (chunk) => {
      said += chunk;
      if (said.includes('taking attempts from')) resolve();
    });
    child.once('exit', () => resolve());
  });
}

function accepts(p) {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port: p });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}
