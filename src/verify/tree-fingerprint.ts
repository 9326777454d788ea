import { createHash } from 'node:crypto';
import { readdir, stat } from 'node:fs/promises';
import path from 'node:path';

const SKIP_DIRS = new Set(['.git', 'node_modules']);
const MAX_ENTRIES = 50_000;
/** writeAtomic's temp files: a write in flight must not look like a change the agent made. */
const OWN_TEMP_FILE = /^\..+\.\d+\.\d+\.tmp$/;

/**
 * A hash of every file's path, size and modification time under `root`, leaving out ccasp's own
 * bookkeeping, so two attempts can be compared for "changed nothing". Undefined for trees too large
 * to walk cheaply: then nobody claims nothing changed.
 */
export async function treeFingerprint(root: string, ignore: readonly string[] = []): Promise<string | undefined> {
  const hash = createHash('sha1');
  const skip = new Set([path.join(root, '.claude', 'orchestrator'), ...ignore.map((p) => path.resolve(root, p))]);
  let entries = 0;
  const stack = [root];
  while (stack.length > 0) {
    const dir = stack.pop()!;
    let list;
    try {
      list = await readdir(dir, { withFileTypes: true });
    } catch {
      continue;
    }
    list.sort((a, b) => (a.name < b.name ? -1 : 1));
    for (const entry of list) {
      if (++entries > MAX_ENTRIES) return undefined;
      const full = path.join(dir, entry.name);
      if (skip.has(full) || OWN_TEMP_FILE.test(entry.name)) continue;
      if (entry.isDirectory()) {
        if (!SKIP_DIRS.has(entry.name)) stack.push(full);
      } else {
        const info = await stat(full).catch(() => undefined);
        hash.update(`${full}\0${info?.size ?? -1}\0${info?.mtimeMs ?? -1}\n`);
      }
    }
  }
  return hash.digest('hex');
}
