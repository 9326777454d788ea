#!/usr/bin/env node
// `npm run demo`: runs the bundled example plan end to end with the real claude CLI. By default the
// model behind it is scripted on 127.0.0.1 (no Anthropic API call, no key needed); `-- --real` uses
// your ANTHROPIC_API_KEY or claude login instead. `-- --dashboard` serves the live dashboard for the
// demo's project, slows the scripted model down so the agents can be watched at work, and keeps the
// page up after the run until Ctrl-C. Other arguments go to `ccasp run`.
import { spawn, spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, readdirSync, realpathSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { build } from 'esbuild';

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const args = process.argv.slice(2);
const real = args.includes('--real');
const dashboard = args.includes('--dashboard');
const passThrough = args.filter((a) => a !== '--real' && a !== '--dashboard');

const project = realpathSync(mkdtempSync(path.join(tmpdir(), 'ccasp-demo-')));
cpSync(path.join(repo, 'examples', 'canonical'), path.join(project, 'plan'), { recursive: true });
spawnSync('git', ['init', '-q', project]);

const env = { ...process.env, CCASP_CLAUDE_BIN: process.env.CCASP_CLAUDE_BIN ?? path.join(repo, 'node_modules', '.bin', 'claude') };
let model;
let configDir;
if (!real) {
  // The demo model is TypeScript; bundle it on the fly rather than ship a second build.
  const bundle = path.join(project, '.demo-model.mjs');
  await build({ entryPoints: [path.join(repo, 'scripts', 'demo', 'demo-model.ts')], bundle: true, platform: 'node', format: 'esm', target: 'node20', outfile: bundle, logLevel: 'warning' });
  const { startDemoModel } = await import(pathToFileURL(bundle).href);
  rmSync(bundle);
  model = await startDemoModel({ paceMs: dashboard ? 1500 : 0 });
  configDir = mkdtempSync(path.join(tmpdir(), 'ccasp-demo-claude-'));
  for (const key of Object.keys(env)) if (key.startsWith('ANTHROPIC_') || key === 'CLAUDECODE') delete env[key];
  Object.assign(env, {
    ANTHROPIC_BASE_URL: model.url,
    ANTHROPIC_API_KEY: 'demo-key-not-a-secret',
    CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC: '1',
    DISABLE_AUTOUPDATER: '1',
    CLAUDE_CONFIG_DIR: configDir,
  });
}

const line = '─'.repeat(78);
console.log(line);
console.log(real ? 'ccasp demo — REAL model: agents use your Anthropic credentials and cost money.' : `ccasp demo — SCRIPTED model on ${model.url} (no Anthropic API is called).`);
console.log('The claude CLI, its tools and its stream-json output are real; only the model is canned.');
console.log(`Project: ${project}`);
console.log(`Command: ccasp run plan ${passThrough.join(' ')}`.trimEnd());
console.log(line);

const ccasp = path.join(repo, 'bin', 'ccasp');
let board;
if (dashboard) {
  // Its own process, not `run --dashboard`: the page outlives the run, at one address.
  board = spawn(process.execPath, [ccasp, 'dashboard', 'plan'], { cwd: project, env, stdio: ['ignore', 'pipe', 'ignore'] });
  board.url = await new Promise((resolve, reject) => {
    let out = '';
    board.stdout.on('data', (d) => {
      out += d;
      const m = /Dashboard: (\S+)/.exec(out);
      if (m) resolve(m[1]);
    });
    board.on('close', () => reject(new Error('ccasp dashboard did not start')));
  });
  console.log(`Dashboard: ${board.url}`);
  console.log('Open it now: the run starts in 5 seconds, and the model takes its time so you can watch.');
  console.log(line);
  await new Promise((resolve) => setTimeout(resolve, 5000));
}
const run = spawn(process.execPath, [ccasp, 'run', 'plan', ...passThrough], { cwd: project, env, stdio: 'inherit' });
const code = await new Promise((resolve) => run.on('close', (c, signal) => resolve(c ?? (signal === 'SIGINT' ? 130 : 1))));
await model?.close();
if (configDir) rmSync(configDir, { recursive: true, force: true });

console.log(line);
spawnSync(process.execPath, [ccasp, 'status', 'plan'], { cwd: project, env, stdio: 'inherit' });
const files = (dir, prefix = '') =>
  readdirSync(path.join(project, dir), { withFileTypes: true }).flatMap((e) =>
    e.name === '.git' || e.name === '.claude' || e.name === 'plan' ? [] : e.isDirectory() ? files(path.join(dir, e.name), `${prefix}${e.name}/`) : [`${prefix}${e.name}`],
  );
console.log(`\nFiles the agents wrote in ${project}:\n${files('.').map((f) => `  ${f}`).join('\n')}`);
console.log(`Agent transcripts: ${path.join(project, '.claude', 'orchestrator', 'logs')}`);
process.exitCode = code;
if (board) {
  console.log(`\nThe dashboard stays up at ${board.url}; Ctrl-C ends the demo.`);
  await new Promise((resolve) => {
    process.once('SIGINT', resolve);
    board.on('close', resolve);
  });
  board.kill('SIGINT');
}
