#!/usr/bin/env node
// `npm run bench`: the figures of issue 14, each beside its target where it has one. Timings are
// printed, never asserted: a missed target is a printed "misses", not a failing exit. The exit is
// non-zero only when a command did not do its job (wrong exit code, unfinished run), so broken
// figures are not mistaken for fast ones. It drives the built CLI (bin/ccasp over dist/), never
// ccasp's internals. Everything it creates lives in one temp dir, removed at the end (or on Ctrl-C).
// Worktree isolation's git cost per task is measured on its own: `node bench/worktree.mjs`.
import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { gzipSync } from 'node:zlib';
import { makespanBound, median, span, timed } from './measure.mjs';
import { runPlanDoc, serialize, statusPlan } from './plans.mjs';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const BIN = path.join(ROOT, 'bin', 'ccasp');
const OWN_USAGE = pathToFileURL(path.join(ROOT, 'bench', 'own-usage.mjs')).href;
const NODE = process.execPath;

const STATUS = { tasks: 1000, phases: 10, runs: 15, target: 2.5 };
const SHORT_RUN = { phases: 4, chains: 10, chainLength: 5, agentSeconds: 1, concurrency: 8, target: 1.05 };
const LONG_RUN = { phases: 10, chains: 100, chainLength: 5, agentSeconds: 0.1, concurrency: 8 };
const DASHBOARD = { tasks: 200, phases: 10, loads: 5, chromium: process.env.CHROMIUM_BIN ?? '/usr/bin/chromium' };

const tmp = mkdtempSync(path.join(os.tmpdir(), 'ccasp-bench-'));
const cleanup = () => rmSync(tmp, { recursive: true, force: true });
process.on('exit', cleanup);
for (const sig of ['SIGINT', 'SIGTERM']) {
  process.on(sig, () => {
    cleanup();
    process.exit(sig === 'SIGINT' ? 130 : 143);
  });
}

let problems = 0;
const problem = (what) => {
  problems++;
  console.log(`   !! ${what}`);
};
const lastLines = (text) => text.trim().split('\n').slice(-3).join(' | ');
const isJson = (text) => {
  try {
    JSON.parse(text);
    return true;
  } catch {
    return false;
  }
};

const pad = (s, n) => String(s).padEnd(n);
const lpad = (s, n) => String(s).padStart(n);
const int = (n) => n.toLocaleString('en-US');
const ms = (v) => `${v.toFixed(1)} ms`;
const sec = (v) => `${(v / 1000).toFixed(2)} s`;
const times = (v) => `${v.toFixed(2)}×`;
const verdict = (value, target) => `target ≤ ${times(target)}: ${value <= target ? 'meets' : 'misses'}`;

if (!existsSync(path.join(ROOT, 'dist', 'main.js'))) {
  console.log('!! dist/ is missing: run `npm run build` (or `npm run bench`, which builds first)');
  process.exit(1);
}

const cpus = os.cpus();
console.log(
  `ccasp bench: ${cpus.length} cores (${cpus[0]?.model?.trim() ?? 'unknown cpu'}), Node ${process.version}, ${os.platform()} ${os.arch()}, ` +
    `${Math.round(os.totalmem() / 2 ** 30)} GiB RAM, load average ${os.loadavg()[0].toFixed(2)} at start`,
);
console.log('wall-clock figures: other work on the machine slows them; targets are printed, never enforced');

// ---------------------------------------------------------------------------------------------
// 1. status --json (and validate) against a bare node, timed alike.
{
  const dir = path.join(tmp, 'status');
  mkdirSync(dir);
  const text = serialize(statusPlan(STATUS.tasks, STATUS.phases));
  writeFileSync(path.join(dir, 'PROGRESS.json'), text);
  const commands = [
    { label: 'node -e 0', args: ['-e', '0'] },
    { label: 'ccasp status --json', args: [BIN, 'status', dir, '--json'], target: STATUS.target },
    { label: 'ccasp validate', args: [BIN, 'validate', dir] },
  ];
  // One untimed run each (page cache, compile cache), then the timed runs interleaved round-robin so
  // that drift (another process, CPU frequency) hits every command alike.
  for (const c of commands) {
    const r = timed(NODE, c.args, { cwd: tmp });
    if (r.status !== 0) problem(`${c.label} exited ${r.status ?? r.signal}: ${lastLines(r.stderr)}`);
    else if (c.label.endsWith('--json') && !isJson(r.stdout)) problem(`${c.label} printed no JSON: ${lastLines(r.stdout)}`);
    c.times = [];
  }
  for (let i = 0; i < STATUS.runs; i++) for (const c of commands) c.times.push(timed(NODE, c.args, { cwd: tmp }).ms);
  const node = median(commands[0].times);

  console.log('');
  console.log(
    `1. ccasp status --json on a ${int(STATUS.tasks)}-task plan (${STATUS.phases} phases, ${(Buffer.byteLength(text) / 2 ** 20).toFixed(1)} MB) ` +
      `÷ a bare node; median wall time of ${STATUS.runs} runs each, interleaved`,
  );
  for (const c of commands) {
    const m = median(c.times);
    const ratio = m / node;
    const vs = c === commands[0] ? '' : `${lpad(times(ratio), 8)} node`;
    console.log(`   ${pad(c.label, 22)}${lpad(ms(m), 10)}${vs}${c.target ? `   ${verdict(ratio, c.target)}` : ''}`);
  }
}

// ---------------------------------------------------------------------------------------------
// 2-4. `ccasp run` with a stub agent that sleeps, each in a fresh git project.
const stub = path.join(tmp, 'stub-agent.sh');
copyFileSync(path.join(ROOT, 'bench', 'stub-agent.sh'), stub);
chmodSync(stub, 0o755);

/** Runs the plan to the end once; returns what the run's own state.json and the process say of it. */
function runOnce(plan) {
  const r = { ...plan, name: `${int(plan.phases * plan.chains * plan.chainLength)} tasks × ${plan.agentSeconds} s` };
  const project = path.join(tmp, `run-${r.phases}x${r.chains}x${r.chainLength}`);
  mkdirSync(path.join(project, 'plan'), { recursive: true });
  if (spawnSync('git', ['init', '-q', project], { stdio: 'ignore' }).status !== 0) problem(`git init failed in ${project}`);
  const doc = runPlanDoc(`bench-${r.phases * r.chains * r.chainLength}`, r.phases, r.chains, r.chainLength);
  writeFileSync(path.join(project, 'plan', 'PROGRESS.json'), serialize(doc));
  const tasks = doc.phases.reduce((n, p) => n + p.tasks.length, 0);
  const usageFile = path.join(tmp, 'usage.json');
  rmSync(usageFile, { force: true });
  const env = { ...process.env, NO_COLOR: '1', STUB_AGENT_SECONDS: String(r.agentSeconds), CCASP_BENCH_USAGE_FILE: usageFile };
  delete env.FORCE_COLOR;
  // Agents share the folder: the loop alone, without worktree isolation's git work.
  const args = ['--import', OWN_USAGE, BIN, 'run', 'plan', '--claude-bin', stub, '--concurrency', String(r.concurrency), '--isolation', 'none', '--no-github'];
  const res = timed(NODE, args, { cwd: project, env });
  if (res.status !== 0) problem(`${r.name}: ccasp run exited ${res.status ?? res.signal}: ${lastLines(res.stderr)}`);
  let usage = { cpuMs: NaN, maxRssKb: NaN };
  try {
    usage = JSON.parse(readFileSync(usageFile, 'utf8'));
  } catch {
    problem(`${r.name}: ccasp's CPU time and RSS were not recorded`);
  }
  let attempts = [];
  try {
    attempts = JSON.parse(readFileSync(path.join(project, '.claude', 'orchestrator', 'state.json'), 'utf8')).attempts ?? [];
  } catch (error) {
    problem(`${r.name}: cannot read state.json: ${error.message}`);
  }
  rmSync(project, { recursive: true, force: true });
  const completed = new Set(attempts.filter((a) => a.outcome === 'completed').map((a) => a.taskId));
  if (completed.size !== tasks) problem(`${r.name}: ${completed.size} of ${tasks} tasks completed`);
  return {
    ...r,
    tasks,
    shape: `${r.phases} phases × ${r.chains} chains of ${r.chainLength}`,
    wall: res.ms,
    span: span(attempts),
    bound: makespanBound(doc, attempts, r.concurrency).bound,
    agentMedian: median(attempts.map((a) => a.durationMs)),
    cpuMs: usage.cpuMs,
    maxRssKb: usage.maxRssKb,
  };
}

const boundLegend = [
  '   bound = Σ over phases (they run one after another) of the largest of: the longest in-phase chain,',
  '   the ⌈tasks ÷ concurrency⌉ shortest tasks (the busiest slot), total agent time ÷ concurrency; agent times from state.json',
].join('\n');
const runLines = (r) => [
  `   ${pad('wall', 36)}${lpad(sec(r.wall), 10)}   ccasp run from spawn to exit`,
  `   ${pad('span', 36)}${lpad(sec(r.span), 10)}   first agent start to last agent end (state.json attempts)`,
  `   ${pad('makespan bound', 36)}${lpad(sec(r.bound), 10)}   agent median ${ms(r.agentMedian)} (spawn to exit, as ccasp records it)`,
];

const short = runOnce(SHORT_RUN);
console.log('');
console.log(`2. ${short.name}: ${short.shape}, a stub agent that takes ${short.agentSeconds} s, concurrency ${short.concurrency}`);
for (const line of runLines(short)) console.log(line);
console.log(`   ${pad('span ÷ bound', 36)}${lpad(times(short.span / short.bound), 10)}   ${verdict(short.span / short.bound, short.target)}`);
console.log(boundLegend);

const long = runOnce(LONG_RUN);
console.log('');
console.log("3. ccasp's own CPU per task (user + sys of the ccasp process itself, agents excluded)");
for (const r of [short, long]) {
  console.log(`   ${pad(r.name, 36)}${lpad(ms(r.cpuMs / r.tasks), 10)}   ${(r.cpuMs / 1000).toFixed(2)} s in all`);
}

console.log('');
console.log(`4. ${long.name}: ${long.shape}, a stub agent that takes ${long.agentSeconds} s, concurrency ${long.concurrency}; as measured, no target`);
for (const line of runLines(long)) console.log(line);
console.log(`   ${pad('wall ÷ bound', 36)}${lpad(times(long.wall / long.bound), 10)}`);
console.log(`   ${pad('span ÷ bound', 36)}${lpad(times(long.span / long.bound), 10)}`);
console.log(`   ${pad('ccasp peak RSS', 36)}${lpad(`${(long.maxRssKb / 1024).toFixed(1)} MB`, 10)}   of the ccasp process itself`);
console.log(boundLegend);

// ---------------------------------------------------------------------------------------------
// 5. The dashboard's page: what it weighs, and how long Chromium takes to show a 200-task plan.
{
  console.log('');
  console.log(`5. ccasp dashboard: the page's bundle, and a ${DASHBOARD.tasks}-task plan (${DASHBOARD.phases} phases) shown in headless Chromium`);
  for (const file of ['app.js', 'app.css']) {
    const bytes = readFileSync(path.join(ROOT, 'dist', 'dashboard', file));
    console.log(`   ${pad(`dist/dashboard/${file}`, 36)}${lpad(`${(statSync(path.join(ROOT, 'dist', 'dashboard', file)).size / 1024).toFixed(1)} kB`, 10)}   ${(gzipSync(bytes).length / 1024).toFixed(1)} kB gzipped`);
  }
  if (!existsSync(DASHBOARD.chromium)) {
    console.log(`   no Chromium at ${DASHBOARD.chromium} (apt-get install chromium, or set CHROMIUM_BIN): page timing not measured`);
  } else {
    const dir = path.join(tmp, 'dashboard');
    mkdirSync(path.join(dir, '.git'), { recursive: true });
    writeFileSync(path.join(dir, 'PROGRESS.json'), serialize(statusPlan(DASHBOARD.tasks, DASHBOARD.phases)));
    const server = spawn(NODE, [BIN, 'dashboard', dir], { cwd: tmp, stdio: ['ignore', 'pipe', 'ignore'] });
    try {
      const url = await new Promise((resolve, reject) => {
        let out = '';
        server.stdout.on('data', (d) => {
          out += d;
          const m = /Dashboard: (\S+)/.exec(out);
          if (m) resolve(m[1]);
        });
        server.on('close', (code) => reject(new Error(`ccasp dashboard exited ${code}`)));
      });
      const { chromium } = await import('playwright-core');
      const browser = await chromium.launch({ executablePath: DASHBOARD.chromium, args: ['--no-sandbox'] });
      const shown = [];
      for (let i = 0; i <= DASHBOARD.loads; i++) {
        const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
        const start = performance.now();
        await page.goto(url);
        await page.waitForFunction((n) => document.querySelectorAll('g.task[data-status]').length === n, DASHBOARD.tasks, { timeout: 60_000 });
        // The first load warms Chromium's caches; it is not counted.
        if (i > 0) shown.push(performance.now() - start);
        await page.close();
      }
      await browser.close();
      console.log(`   ${pad('navigation to every task drawn', 36)}${lpad(ms(median(shown)), 10)}   median of ${DASHBOARD.loads} loads (layout by dagre in the page)`);
    } catch (error) {
      problem(`dashboard: ${error.message}`);
    } finally {
      server.kill('SIGINT');
    }
  }
}

process.exitCode = problems > 0 ? 1 : 0;
