import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { onTestFinished } from 'vitest';
import { processesIn } from './processes.js';

/**
 * A fresh directory, removed when the current test ends, once every process still working in it
 * (an agent a failed test left behind, a git a test held in a hook) has been killed. Its real path
 * (no symlink on the way), since ccasp and claude report and compare resolved paths.
 */
export function tempDir(prefix = 'ccasp-test-'): string {
  const dir = realpathSync(mkdtempSync(path.join(tmpdir(), prefix)));
  onTestFinished(() => {
    for (const pid of processesIn(dir)) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // Already gone.
      }
    }
    rmSync(dir, { recursive: true, force: true, maxRetries: 3 });
  });
  return dir;
}

/** Writes `content` (JSON-encoded unless already a string or bytes) to `dir/rel`, creating folders. */
export function writeFile(dir: string, rel: string, content: unknown): string {
  const file = path.join(dir, rel);
  mkdirSync(path.dirname(file), { recursive: true });
  const data = typeof content === 'string' || content instanceof Uint8Array ? content : `${JSON.stringify(content, null, 2)}\n`;
  writeFileSync(file, data);
  return file;
}

/** A named pipe (FIFO) at `file`: reading it waits for a writer that never comes. */
export function mkfifo(file: string): void {
  const r = spawnSync('mkfifo', [file]);
  if (r.status !== 0) throw new Error(`mkfifo failed: ${r.stderr}`);
}
