import { checkProjectPaths } from '../project-paths.js';
import { runVerify, type CheckOptions } from './run-verify.js';

/** What checking a claimed completion found. */
export interface WorkCheck {
  /** Listed artifacts or declared task files that do not exist. */
  readonly missing: readonly string[];
  /** Paths that point outside the project and were refused. */
  readonly outside: readonly string[];
  readonly verify?: { readonly ok: boolean; readonly detail: string };
}

/**
 * Checks claimed work in `cwd`: the listed artifacts and declared files exist inside it, then the
 * task's `verify` command passes (run only when the files are right). The same on this machine and
 * on a queue worker.
 */
export async function checkWork(cwd: string, paths: readonly string[], verify: string | undefined, check: CheckOptions, signal?: AbortSignal): Promise<WorkCheck> {
  const found = checkProjectPaths(cwd, paths);
  if (found.missing.length > 0 || found.outside.length > 0 || !verify) return found;
  return { ...found, verify: await runVerify(verify, cwd, check, signal) };
}
