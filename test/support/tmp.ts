import { mkdirSync, mkdtempSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { onTestFinished } from 'vitest';

/**
 * A fresh directory, removed when the current test ends. Its real path (no symlink on the way), since
 * ccasp and claude report and compare resolved paths.
 */
export function tempDir(prefix = 'ccasp-test-'): string {
  const dir = realpathSync(mkdtempSync(path.join(tmpdir(), prefix)));
  onTestFinished(() => rmSync(dir, { recursive: true, force: true, maxRetries: 3 }));
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
