import { existsSync, readFileSync, realpathSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { isProcessAlive } from '../../src/state/lock.js';
import { createRedactor } from '../../src/secrets/redact.js';
import { runVerify, type CheckOptions } from '../../src/verify/run-verify.js';
import { tempDir, writeFile } from '../support/tmp.js';

/** Scripts the verify commands run, written into a fresh project folder. */
function project(): string {
  const root = tempDir();
  // Records how it was started: its arguments, its folder and its parent.
  writeFile(
    root,
    'record.mjs',
    `import { writeFileSync } from 'node:fs';
writeFileSync('record.json', JSON.stringify({ argv: process.argv.slice(2), cwd: process.cwd(), ppid: process.ppid }));
console.log('recorded');
`,
  );
  writeFile(root, 'fail.mjs', `console.log('x'.repeat(3000));\nconsole.error('the last words');\nprocess.exit(3);\n`);
  // Writes its pid, then waits far longer than any test lets it.
  writeFile(root, 'hang.mjs', `import { writeFileSync } from 'node:fs';\nwriteFileSync(process.argv[2] ?? 'hang.pid', String(process.pid));\nsetTimeout(() => {}, 120_000);\n`);
  writeFile(root, 'upper.mjs', `let s = '';\nprocess.stdin.on('data', (d) => (s += d));\nprocess.stdin.on('end', () => console.log(s.trim().toUpperCase()));\n`);
  return root;
}

/** Whether `pid` is still running: a zombie waiting for a parent that never reaps it has stopped. */
function running(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return !/^\d+ \(.*\) [ZX]/.test(stat);
  } catch {
    return existsSync('/proc/self/stat') ? false : isProcessAlive(pid);
  }
}

/** Waits (a bounded number of short sleeps) for `pid` to stop; signals arrive asynchronously. */
async function stopped(pid: number): Promise<boolean> {
  for (let i = 0; i < 500 && running(pid); i++) await new Promise((r) => setTimeout(r, 10));
  return !running(pid);
}

function recorded(root: string): { argv: string[]; cwd: string; ppid: number } {
  return JSON.parse(readFileSync(path.join(root, 'record.json'), 'utf8')) as { argv: string[]; cwd: string; ppid: number };
}

/** Checks as a run gives them: this process's environment, and a redactor that knows nothing. */
const checks = (timeoutMs: number): CheckOptions => ({ timeoutMs, env: process.env, redact: createRedactor([]) });

describe('runVerify', () => {
  it('runs a plain command without a shell, split on spaces, in the project folder', async () => {
    const root = project();
    const outcome = await runVerify('node   record.mjs  one two', root, checks(30_000));
    expect(outcome).toEqual({ ok: true, detail: 'recorded' });
    const r = recorded(root);
    expect(r.argv).toEqual(['one', 'two']);
    expect(realpathSync(r.cwd)).toBe(realpathSync(root));
    // Started by this process directly, not through sh.
    expect(r.ppid).toBe(process.pid);
  });

  it('runs node -e "process.exit(0)" (quotes need a shell) as ok', async () => {
    const root = project();
    expect(await runVerify('node -e "process.exit(0)"', root, checks(30_000))).toEqual({ ok: true, detail: '' });
  });

  it('runs a command with a pipe through the shell', async () => {
    const root = project();
    const outcome = await runVerify(`node -e "console.log('piped text')" | node upper.mjs`, root, checks(30_000));
    expect(outcome).toEqual({ ok: true, detail: 'PIPED TEXT' });
  });

  it('runs a command with && through the shell, both parts in the project folder', async () => {
    const root = project();
    const outcome = await runVerify('node record.mjs a && node -e "process.exit(0)"', root, checks(30_000));
    expect(outcome.ok).toBe(true);
    expect(recorded(root).argv).toEqual(['a']);
  });

  it('non-zero exit → not ok, with the code and the tail of the output', async () => {
    const root = project();
    const outcome = await runVerify('node fail.mjs', root, checks(30_000));
    expect(outcome.ok).toBe(false);
    expect(outcome.detail).toMatch(/^`node fail\.mjs` exited with code 3; output ends with:\n/);
    expect(outcome.detail).toContain('the last words');
    // Only the tail: 1,500 characters of output at most, plus the first line.
    expect(outcome.detail.length).toBeLessThanOrEqual(1600);
  });

  it('a shell command exiting non-zero → not ok with its code', async () => {
    const root = project();
    const outcome = await runVerify('node -e "process.exit(0)" && node -e "process.exit(7)"', root, checks(30_000));
    expect(outcome).toEqual({ ok: false, detail: '`node -e "process.exit(0)" && node -e "process.exit(7)"` exited with code 7' });
  });

  it('a command that does not exist → not ok, saying it could not run', async () => {
    const root = project();
    const outcome = await runVerify('definitely-not-a-command-ccasp --flag', root, checks(30_000));
    expect(outcome.ok).toBe(false);
    expect(outcome.detail).toMatch(/could not run|exited with code/);
    expect(outcome.detail).toContain('definitely-not-a-command-ccasp');
  });

  it('a command past its time limit → not ok, timed out, and the process is gone', async () => {
    const root = project();
    const outcome = await runVerify('node hang.mjs plain.pid', root, checks(500));
    expect(outcome.ok).toBe(false);
    expect(outcome.detail).toMatch(/^`node hang\.mjs plain\.pid` timed out after \d+ s/);
    const pid = Number(readFileSync(path.join(root, 'plain.pid'), 'utf8'));
    expect(await stopped(pid)).toBe(true);
  });

  it('a shell command past its time limit → not ok and its processes are gone', async () => {
    const root = project();
    // Both stages write their pid before the limit; without a group kill they outlive the shell,
    // hold the output pipe open and keep runVerify waiting for their whole two minutes.
    const outcome = await runVerify('node hang.mjs a.pid | node hang.mjs b.pid', root, checks(3000));
    expect(outcome.ok).toBe(false);
    expect(outcome.detail).toContain('timed out');
    for (const file of ['a.pid', 'b.pid']) {
      const pid = Number(readFileSync(path.join(root, file), 'utf8'));
      expect(await stopped(pid), file).toBe(true);
    }
  });

  it('an aborted signal stops the command', async () => {
    const root = project();
    const controller = new AbortController();
    const running = runVerify('node hang.mjs abort.pid', root, checks(60_000), controller.signal);
    for (let i = 0; i < 1000 && !existsSync(path.join(root, 'abort.pid')); i++) await new Promise((r) => setTimeout(r, 10));
    controller.abort();
    const outcome = await running;
    expect(outcome.ok).toBe(false);
    const pid = Number(readFileSync(path.join(root, 'abort.pid'), 'utf8'));
    expect(await stopped(pid)).toBe(true);
  });

  it('an aborted signal stops every stage of a shell pipeline', async () => {
    const root = project();
    const controller = new AbortController();
    const running = runVerify('node hang.mjs c.pid | node hang.mjs d.pid', root, checks(60_000), controller.signal);
    const written = () => existsSync(path.join(root, 'c.pid')) && existsSync(path.join(root, 'd.pid'));
    for (let i = 0; i < 1000 && !written(); i++) await new Promise((r) => setTimeout(r, 10));
    controller.abort();
    const outcome = await running;
    expect(outcome.ok).toBe(false);
    for (const file of ['c.pid', 'd.pid']) {
      const pid = Number(readFileSync(path.join(root, file), 'utf8'));
      expect(await stopped(pid), file).toBe(true);
    }
  });
});
