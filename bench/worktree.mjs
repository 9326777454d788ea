#!/usr/bin/env node
// Worktree isolation overhead per task (`--isolation worktree`) on a generated repository of 5,000
// files: creating the task's worktree, committing and integrating its work (fast-forward, and a
// merge commit when another task landed first), removing the worktree and branch, and the checks a
// run makes once at start. It measures ccasp's own src/worktree, bundled on the fly with esbuild
// (as scripts/demo.mjs does), so the figures are of the code that runs, not of a copy.
// `node bench/worktree.mjs` prints the figures (not part of `npm run bench`, which drives the CLI).
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { build } from 'esbuild';
import { median } from './measure.mjs';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('GIT_')));
const git = (cwd, ...args) => execFileSync('git', ['-C', cwd, ...args], { env, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }).trim();

/** `files` text files of about 400 bytes in folders of 50, committed on main. */
function generateRepo(dir, files) {
  const root = path.join(dir, 'repo');
  for (let i = 0; i < files; i++) {
    const folder = path.join(root, 'src', `d${String(Math.floor(i / 50)).padStart(3, '0')}`);
    if (i % 50 === 0) mkdirSync(folder, { recursive: true });
    const lines = Array.from({ length: 10 }, (_, n) => `export const v${n} = ${i * 10 + n}; // file ${i}, line ${n}`);
    writeFileSync(path.join(folder, `f${i}.ts`), `${lines.join('\n')}\n`);
  }
  git(dir, 'init', '--quiet', '--initial-branch=main', root);
  git(root, 'config', 'user.name', 'bench');
  git(root, 'config', 'user.email', 'bench@example.com');
  git(root, 'config', 'commit.gpgsign', 'false');
  git(root, 'add', '--all');
  git(root, 'commit', '--quiet', '-m', 'generated');
  return root;
}

async function timed(fn) {
  const start = performance.now();
  const value = await fn();
  return [performance.now() - start, value];
}

/** Returns the lines to print. Everything lives in `tmpDir`, which the caller removes. */
async function runWorktreeBench(tmpDir, files, runs) {
  const bundle = path.join(tmpDir, 'ccasp-worktree.mjs');
  await build({
    entryPoints: [path.join(ROOT, 'src', 'worktree', 'index.ts')],
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    outfile: bundle,
    logLevel: 'warning',
    // execa's CommonJS dependencies call require(), which an ESM bundle lacks (as in scripts/build.mjs).
    banner: { js: "import { createRequire as __ccaspRequire } from 'node:module'; const require = __ccaspRequire(import.meta.url);" },
  });
  const wt = await import(pathToFileURL(bundle).href);

  const [genMs, root] = await timed(() => generateRepo(tmpDir, files));
  const planId = 'bench';
  const edit = (dir, n) => writeFileSync(path.join(dir, 'src', `d${String(n % 100).padStart(3, '0')}`, `task-${n}.ts`), `export const task = ${n};\n`);
  const settle = async (w, taskId) => {
    const c = await wt.commitTaskWork(w.path, { taskId, summary: `task ${taskId}`, protect: ['PROGRESS.json'], integrationBranch: 'main' });
    if (c.kind !== 'committed') throw new Error(`${taskId}: ${c.kind}`);
    const r = await wt.integrate(root, { integrationBranch: 'main', taskBranch: w.branch, message: `${taskId}: merged` });
    if (r.kind !== 'integrated') throw new Error(`${taskId}: ${r.kind}`);
    return r.how;
  };

  const t = { startChecks: [], rawAdd: [], create: [], ff: [], merge: [], remove: [] };
  for (let i = 0; i < runs; i++) {
    // git's own cost, the floor under ccasp's: the same checkout with nothing around it.
    const raw = path.join(tmpDir, `raw-${i}`);
    const [rawMs] = await timed(() => git(root, 'worktree', 'add', '--quiet', '--detach', raw, 'main'));
    t.rawAdd.push(rawMs);
    git(root, 'worktree', 'remove', '--force', raw);

    const [checksMs] = await timed(async () => {
      await wt.ensureExcluded(root);
      if (await wt.isDirty(root, ['PROGRESS.json'])) throw new Error('generated repository is dirty');
      await wt.recover(root, { planId });
    });
    t.startChecks.push(checksMs);

    // One task alone: its work lands as a fast-forward.
    const [createMs, a] = await timed(() => wt.createTaskWorktree(root, { planId, taskId: `A${i}`, attempt: 1, base: 'main' }));
    t.create.push(createMs);
    edit(a.path, i * 3);
    const [ffMs, how] = await timed(() => settle(a, `A${i}`));
    if (how !== 'fast-forward') throw new Error(`expected a fast-forward, got ${how}`);
    t.ff.push(ffMs);
    const [removeMs] = await timed(() => wt.removeTaskWorktree(root, { planId, taskId: `A${i}` }));
    t.remove.push(removeMs);

    // Two tasks from the same tip: the second lands as a merge commit.
    const [b, c] = await Promise.all(['B', 'C'].map((p) => wt.createTaskWorktree(root, { planId, taskId: `${p}${i}`, attempt: 1, base: 'main' })));
    edit(b.path, i * 3 + 1);
    edit(c.path, i * 3 + 2);
    await settle(b, `B${i}`);
    const [mergeMs, how2] = await timed(() => settle(c, `C${i}`));
    if (how2 !== 'merge') throw new Error(`expected a merge, got ${how2}`);
    t.merge.push(mergeMs);
    await wt.cleanWorktrees(root, { planId, all: true });
  }
  const left = await wt.listTaskWorktrees(root, planId);
  if (left.length > 0) throw new Error(`worktrees left after clean: ${left.map((l) => l.slug).join(', ')}`);

  const ms = (v) => `${v.toFixed(1)} ms`.padStart(10);
  const row = (label, values) => `   ${label.padEnd(44)}${ms(median(values))}${ms(Math.min(...values))}${ms(Math.max(...values))}`;
  const perTask = t.create.map((c, i) => c + t.ff[i] + t.remove[i]);
  return [
    `worktree isolation: repository of ${files.toLocaleString('en-US')} files, ${git(root, '--version').replace('git version ', 'git ')}, ${runs} runs (generated in ${(genMs / 1000).toFixed(1)} s), load average ${os.loadavg()[0].toFixed(2)}`,
    `   ${'step'.padEnd(44)}${'median'.padStart(10)}${'min'.padStart(10)}${'max'.padStart(10)}`,
    row('start of run: exclude, dirty check, recover', t.startChecks),
    row('baseline: bare `git worktree add`', t.rawAdd),
    row('create worktree (checkout of every file)', t.create),
    row('commit + integrate, fast-forward', t.ff),
    row('commit + integrate, merge commit', t.merge),
    row('remove worktree + branch', t.remove),
    row('per task: create + commit/ff + remove', perTask),
  ];
}

const tmp = mkdtempSync(path.join(os.tmpdir(), 'ccasp-bench-worktree-'));
try {
  for (const line of await runWorktreeBench(tmp, 5000, 10)) console.log(line);
} finally {
  rmSync(tmp, { recursive: true, force: true });
}
